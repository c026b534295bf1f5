//! The DynamoDB adapter of the store ports. One table: `pk`/`sk`, two GSIs (`gsi1`: by target,
//! `gsi2`: by tenant), and the `expires_at` TTL attribute. Single use is enforced with
//! conditional writes, never by reading first.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use tracing::warn;

use crate::error::{ActasError, Result};
use crate::store::{
    ApiKey, ApiKeyStatus, ApiKeyStore, CleanupPage, CleanupStore, CleanupWork, ExchangeGrant,
    ExchangeStore, GrantKind, Impersonation, ImpersonationPage, ImpersonationStatus,
    ImpersonationStore, ListQuery, ListScope, Redemption, Remint,
};
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem, Update};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// One item by key, read consistently (grants are checked right after they are written).
    async fn get_consistent(&self, pk: String, sk: &str) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| upstream("GetItem", e))?;
        Ok(output.item().cloned())
    }

    /// Writes an item that must not exist yet.
    async fn put_new(&self, item: Item) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }
}

pub(crate) fn upstream<E, R>(operation: &str, err: SdkError<E, R>) -> ActasError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().unwrap_or("unknown").to_string();
    warn!(operation, code, error = %DisplayErrorContext(&err), "DynamoDB call failed");
    ActasError::Upstream(format!("{operation}: {code}"))
}

/// Whether a write was refused by its condition: for a conditional write that is an answer
/// (`Ok(false)`), not a failure.
pub(crate) fn condition_failed<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// The outcome of a conditional write: done, refused by its condition, or failed.
pub(crate) fn conditional<T, E, R>(
    operation: &str,
    result: std::result::Result<T, SdkError<E, R>>,
) -> Result<bool>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if condition_failed(&err) => Ok(false),
        Err(err) => Err(upstream(operation, err)),
    }
}

/// Every page of a query, each item read by `read`.
pub(crate) async fn query_all<T>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    read: impl Fn(&Item) -> Result<T>,
) -> Result<Vec<T>> {
    let mut found = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| upstream("Query", e))?;
        for item in page.items() {
            found.push(read(item)?);
        }
        match page.last_evaluated_key() {
            Some(last) if !last.is_empty() => start = Some(last.clone()),
            _ => return Ok(found),
        }
    }
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(crate) fn get_s(item: &Item, name: &str) -> Result<String> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| ActasError::Internal(format!("stored item lacks {name}")))
}

pub(crate) fn get_opt_s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn get_n(item: &Item, name: &str) -> Result<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ActasError::Internal(format!("stored item lacks {name}")))
}

const IMPERSONATION_SK: &str = "IMPERSONATION";
const REFRESH_TOKEN_SK: &str = "REFRESH_TOKEN";
const EXCHANGE_SK: &str = "EXCHANGE";
const API_KEY_SK: &str = "APIKEY";

fn impersonation_pk(id: &str) -> String {
    format!("IMP#{id}")
}

/// A refresh token's pointer to its impersonation, keyed by the token's hash.
fn refresh_token_pk(token_hash: &str) -> String {
    format!("RTOKEN#{token_hash}")
}

/// A remint secret lives in its impersonation's partition.
fn remint_sk(remint_id: &str) -> String {
    format!("REMINT#{remint_id}")
}

fn exchange_pk(id: &str) -> String {
    format!("XCHG#{id}")
}

fn api_key_pk(id: &str) -> String {
    format!("APIKEY#{id}")
}

pub(crate) fn tenant_partition(tenant: Option<&str>) -> String {
    format!("TENANT#{}", tenant.unwrap_or("-"))
}

fn impersonation_item(imp: &Impersonation) -> Item {
    let mut item = key(impersonation_pk(&imp.id), IMPERSONATION_SK);
    let created = format!("{:013}#{}", imp.created_at_millis, imp.id);
    item.extend([
        ("kind".to_string(), s(imp.kind.as_str())),
        ("id".to_string(), s(&imp.id)),
        ("actor_sub".to_string(), s(&imp.actor_sub)),
        ("actor_username".to_string(), s(&imp.actor_username)),
        ("target_sub".to_string(), s(&imp.target_sub)),
        ("target_username".to_string(), s(&imp.target_username)),
        ("client_id".to_string(), s(&imp.client_id)),
        ("status".to_string(), s(imp.status.as_str())),
        ("created_at".to_string(), n(imp.created_at_millis)),
        ("ends_at".to_string(), n(imp.ends_at)),
        ("mint_deadline".to_string(), n(imp.mint_deadline)),
        ("mint_secret_hash".to_string(), s(&imp.mint_secret_hash)),
        ("revert_secret_hash".to_string(), s(&imp.revert_secret_hash)),
        ("expires_at".to_string(), n(imp.expires_at)),
        (
            "gsi1pk".to_string(),
            s(format!("TARGET#{}", imp.target_sub)),
        ),
        ("gsi1sk".to_string(), s(created.clone())),
        (
            "gsi2pk".to_string(),
            s(tenant_partition(imp.tenant.as_deref())),
        ),
        ("gsi2sk".to_string(), s(format!("IMP#{created}"))),
    ]);
    if let Some(tenant) = &imp.tenant {
        item.insert("tenant".to_string(), s(tenant));
    }
    insert_optional(&mut item, "reason", imp.reason.as_deref());
    insert_optional(&mut item, "ticket", imp.ticket.as_deref());
    insert_optional(
        &mut item,
        "refresh_token_sealed",
        imp.refresh_token_sealed.as_deref(),
    );
    if let Some(ended_at) = imp.ended_at {
        item.insert("ended_at".to_string(), n(ended_at));
    }
    if let Some(revoked_at) = imp.revoked_at {
        item.insert("revoked_at".to_string(), n(revoked_at));
    }
    item
}

pub(crate) fn insert_optional(item: &mut Item, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        item.insert(name.to_string(), s(value));
    }
}

fn impersonation_from(item: &Item) -> Result<Impersonation> {
    let status = get_s(item, "status")?;
    let kind = get_s(item, "kind")?;
    Ok(Impersonation {
        id: get_s(item, "id")?,
        kind: GrantKind::parse(&kind)
            .ok_or_else(|| ActasError::Internal(format!("unknown kind {kind}")))?,
        actor_sub: get_s(item, "actor_sub")?,
        actor_username: get_s(item, "actor_username")?,
        target_sub: get_s(item, "target_sub")?,
        target_username: get_s(item, "target_username")?,
        tenant: get_opt_s(item, "tenant"),
        reason: get_opt_s(item, "reason"),
        ticket: get_opt_s(item, "ticket"),
        client_id: get_s(item, "client_id")?,
        status: ImpersonationStatus::parse(&status)
            .ok_or_else(|| ActasError::Internal(format!("unknown status {status}")))?,
        created_at_millis: get_n(item, "created_at")?,
        ends_at: get_n(item, "ends_at")?,
        mint_deadline: get_n(item, "mint_deadline")?,
        mint_secret_hash: get_s(item, "mint_secret_hash")?,
        revert_secret_hash: get_s(item, "revert_secret_hash")?,
        expires_at: get_n(item, "expires_at")?,
        refresh_token_sealed: get_opt_s(item, "refresh_token_sealed"),
        ended_at: get_n(item, "ended_at").ok(),
        revoked_at: get_n(item, "revoked_at").ok(),
    })
}

fn api_key_item(api_key: &ApiKey) -> Item {
    let mut item = key(api_key_pk(&api_key.id), API_KEY_SK);
    item.extend([
        ("kind".to_string(), s("api_key")),
        ("id".to_string(), s(&api_key.id)),
        ("tenant".to_string(), s(&api_key.tenant)),
        ("secret_hash".to_string(), s(&api_key.secret_hash)),
        ("status".to_string(), s(api_key_status(api_key.status))),
        ("description".to_string(), s(&api_key.description)),
        ("created_at".to_string(), n(api_key.created_at_millis)),
        (
            "gsi2pk".to_string(),
            s(tenant_partition(Some(&api_key.tenant))),
        ),
        ("gsi2sk".to_string(), s(format!("APIKEY#{}", api_key.id))),
    ]);
    item
}

fn api_key_status(status: ApiKeyStatus) -> &'static str {
    match status {
        ApiKeyStatus::Active => "active",
        ApiKeyStatus::Revoked => "revoked",
    }
}

fn api_key_from(item: &Item) -> Result<ApiKey> {
    Ok(ApiKey {
        id: get_s(item, "id")?,
        tenant: get_s(item, "tenant")?,
        secret_hash: get_s(item, "secret_hash")?,
        status: match get_s(item, "status")?.as_str() {
            "active" => ApiKeyStatus::Active,
            _ => ApiKeyStatus::Revoked,
        },
        description: get_opt_s(item, "description").unwrap_or_default(),
        created_at_millis: get_n(item, "created_at")?,
    })
}

#[async_trait]
impl ImpersonationStore for DynamoStore {
    async fn create(&self, imp: &Impersonation) -> Result<()> {
        self.put_new(impersonation_item(imp)).await
    }

    async fn get(&self, id: &str) -> Result<Option<Impersonation>> {
        self.get_consistent(impersonation_pk(id), IMPERSONATION_SK)
            .await?
            .as_ref()
            .map(impersonation_from)
            .transpose()
    }

    async fn activate(&self, r: &Redemption<'_>) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(r.id), IMPERSONATION_SK)))
            .update_expression("SET #status = :active, activated_at = :now")
            .condition_expression(
                "#status = :pending AND mint_deadline > :now_secs AND target_username = :user \
                 AND client_id = :client AND mint_secret_hash = :hash",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s(ImpersonationStatus::Active.as_str()))
            .expression_attribute_values(":pending", s(ImpersonationStatus::Pending.as_str()))
            .expression_attribute_values(":now", n(r.now_secs))
            .expression_attribute_values(":now_secs", n(r.now_secs))
            .expression_attribute_values(":user", s(r.target_username))
            .expression_attribute_values(":client", s(r.client_id))
            .expression_attribute_values(":hash", s(r.mint_secret_hash))
            .send()
            .await;
        conditional("UpdateItem", result)
    }

    async fn list(&self, q: &ListQuery) -> Result<ImpersonationPage> {
        let mut filters = vec!["#kind = :kind".to_string()];
        let mut names = HashMap::from([("#kind".to_string(), "kind".to_string())]);
        let mut values = HashMap::from([(":kind".to_string(), s("impersonation"))]);
        if let Some(actor) = &q.actor_sub {
            filters.push("actor_sub = :actor".into());
            values.insert(":actor".into(), s(actor));
        }
        if let Some(target) = &q.target_sub {
            filters.push("target_sub = :target".into());
            values.insert(":target".into(), s(target));
        }
        if let Some(active) = q.active_only {
            let live = "(#status = :active AND ends_at > :now)";
            filters.push(if active {
                live.to_string()
            } else {
                format!("NOT {live}")
            });
            names.insert("#status".into(), "status".into());
            values.insert(":active".into(), s(ImpersonationStatus::Active.as_str()));
            values.insert(":now".into(), n(q.now_secs));
        }
        let since = q.since_millis.unwrap_or(0).max(0);
        let (partition, index_pk) = match &q.scope {
            ListScope::Target(sub) => (Some(format!("TARGET#{sub}")), "gsi1pk"),
            ListScope::Tenant(tenant) => (Some(tenant_partition(tenant.as_deref())), "gsi2pk"),
            ListScope::All => (None, ""),
        };
        let start = decode_page_token(
            q.page_token.as_deref(),
            partition.as_deref().map(|p| (index_pk, p)),
        )?;
        let (items, last) = match (&q.scope, partition) {
            (ListScope::All, _) | (_, None) => {
                filters.push("created_at >= :since".into());
                values.insert(":since".into(), n(since));
                let page = self
                    .client
                    .scan()
                    .table_name(&self.table)
                    .filter_expression(filters.join(" AND "))
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values))
                    .set_exclusive_start_key(start)
                    .limit(q.limit)
                    .send()
                    .await
                    .map_err(|e| upstream("Scan", e))?;
                (page.items().to_vec(), page.last_evaluated_key().cloned())
            }
            (ListScope::Target(_), Some(pk)) | (ListScope::Tenant(_), Some(pk)) => {
                let (index, condition, from) = if index_pk == "gsi1pk" {
                    (
                        "gsi1",
                        "gsi1pk = :pk AND gsi1sk >= :from",
                        format!("{since:013}"),
                    )
                } else {
                    (
                        "gsi2",
                        "gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to",
                        format!("IMP#{since:013}"),
                    )
                };
                values.insert(":pk".into(), s(pk));
                values.insert(":from".into(), s(from));
                if index == "gsi2" {
                    values.insert(":to".into(), s("IMP#~"));
                }
                let page = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(index)
                    .key_condition_expression(condition)
                    .filter_expression(filters.join(" AND "))
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values))
                    .set_exclusive_start_key(start)
                    .scan_index_forward(false)
                    .limit(q.limit)
                    .send()
                    .await
                    .map_err(|e| upstream("Query", e))?;
                (page.items().to_vec(), page.last_evaluated_key().cloned())
            }
        };
        Ok(ImpersonationPage {
            items: items
                .iter()
                .map(impersonation_from)
                .collect::<Result<_>>()?,
            next_token: last
                .filter(|k| !k.is_empty())
                .map(|k| encode_page_token(&k)),
        })
    }

    async fn keep_refresh_token(
        &self,
        id: &str,
        sealed: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let keep = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .update_expression("SET refresh_token_sealed = :sealed")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":sealed", s(sealed))
            .build()
            .map_err(|e| ActasError::Internal(e.to_string()))?;
        let mut pointer = key(refresh_token_pk(token_hash), REFRESH_TOKEN_SK);
        pointer.extend([
            ("kind".to_string(), s("refresh_token")),
            ("impersonation_id".to_string(), s(id)),
            // Kept as long as the impersonation's record: a refresh after that finds nothing.
            ("expires_at".to_string(), n(expires_at)),
        ]);
        let point = Put::builder()
            .table_name(&self.table)
            .set_item(Some(pointer))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| ActasError::Internal(e.to_string()))?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(keep).build())
            .transact_items(TransactWriteItem::builder().put(point).build())
            .send()
            .await
            .map_err(|e| upstream("TransactWriteItems", e))?;
        Ok(())
    }

    async fn find_by_refresh_token(&self, token_hash: &str) -> Result<Option<String>> {
        self.get_consistent(refresh_token_pk(token_hash), REFRESH_TOKEN_SK)
            .await?
            .map(|item| get_s(&item, "impersonation_id"))
            .transpose()
    }

    async fn put_remint(&self, remint: &Remint) -> Result<()> {
        let mut item = key(
            impersonation_pk(&remint.impersonation_id),
            &remint_sk(&remint.remint_id),
        );
        item.extend([
            ("kind".to_string(), s("remint")),
            ("secret_hash".to_string(), s(&remint.secret_hash)),
            ("deadline".to_string(), n(remint.deadline)),
            ("expires_at".to_string(), n(remint.deadline)),
        ]);
        self.put_new(item).await
    }

    async fn redeem_remint(
        &self,
        impersonation_id: &str,
        remint_id: &str,
        secret_hash: &str,
        now_secs: i64,
    ) -> Result<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                impersonation_pk(impersonation_id),
                &remint_sk(remint_id),
            )))
            .condition_expression("secret_hash = :hash AND deadline > :now")
            .expression_attribute_values(":hash", s(secret_hash))
            .expression_attribute_values(":now", n(now_secs))
            .send()
            .await;
        conditional("DeleteItem", result)
    }

    async fn mark_revoked(&self, id: &str, now_secs: i64) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .update_expression("SET revoked_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", n(now_secs))
            .send()
            .await;
        conditional("UpdateItem", result).map(|_| ())
    }

    async fn mark_failed(&self, id: &str, now_secs: i64) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .update_expression("SET #status = :failed, ended_at = :now")
            .condition_expression("#status IN (:pending, :active)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":failed", s(ImpersonationStatus::Failed.as_str()))
            .expression_attribute_values(":pending", s(ImpersonationStatus::Pending.as_str()))
            .expression_attribute_values(":active", s(ImpersonationStatus::Active.as_str()))
            .expression_attribute_values(":now", n(now_secs))
            .send()
            .await;
        conditional("UpdateItem", result)
    }

    async fn end(&self, id: &str, revert_secret_hash: Option<&str>, now_secs: i64) -> Result<bool> {
        let mut condition = "#status IN (:active, :pending)".to_string();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .update_expression("SET #status = :ended, ended_at = :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":ended", s(ImpersonationStatus::Ended.as_str()))
            .expression_attribute_values(":active", s(ImpersonationStatus::Active.as_str()))
            .expression_attribute_values(":pending", s(ImpersonationStatus::Pending.as_str()))
            .expression_attribute_values(":now", n(now_secs));
        if let Some(hash) = revert_secret_hash {
            condition.push_str(" AND revert_secret_hash = :revert");
            update = update.expression_attribute_values(":revert", s(hash));
        }
        match update.condition_expression(condition).send().await {
            Ok(_) => Ok(true),
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(upstream("UpdateItem", err)),
        }
    }
}

/// A listing's continuation: its last key, as base64url JSON of string attributes.
fn encode_page_token(key: &Item) -> String {
    use base64::Engine;
    let plain: HashMap<&String, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.as_str())))
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&plain).unwrap_or_default())
}

/// Reads a continuation, refusing one that points into another partition than the listing's.
fn decode_page_token(token: Option<&str>, partition: Option<(&str, &str)>) -> Result<Option<Item>> {
    use base64::Engine;
    let Some(token) = token else { return Ok(None) };
    let invalid = || ActasError::BadRequest("nextToken is not valid".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let plain: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    // Exactly the key of the table or index the listing reads: a key with a missing or extra
    // attribute would make DynamoDB fail the request rather than refuse it.
    let mut expected = vec!["pk", "sk"];
    if let Some((attribute, value)) = partition {
        let index = attribute.trim_end_matches("pk");
        expected.push(attribute);
        let sort = format!("{index}sk");
        if plain.get(attribute).map(String::as_str) != Some(value) || !plain.contains_key(&sort) {
            return Err(invalid());
        }
        if plain.len() != 4 {
            return Err(invalid());
        }
    } else if plain.len() != 2 {
        return Err(invalid());
    }
    let well_formed =
        |v: &String| !v.is_empty() && v.len() <= 512 && !v.chars().any(char::is_control);
    if expected.iter().any(|k| !plain.contains_key(*k)) || !plain.values().all(well_formed) {
        return Err(invalid());
    }
    Ok(Some(plain.into_iter().map(|(k, v)| (k, s(v))).collect()))
}

#[async_trait]
impl CleanupStore for DynamoStore {
    async fn cleanup_page(&self, page_token: Option<String>, now_secs: i64) -> Result<CleanupPage> {
        let start = decode_page_token(page_token.as_deref(), None)?;
        let page = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(
                "(#kind = :imp AND #status IN (:active, :pending) AND ends_at <= :now) \
                 OR (#kind = :imp AND #status IN (:ended, :failed) \
                     AND attribute_exists(refresh_token_sealed) AND attribute_not_exists(revoked_at)) \
                 OR (#kind IN (:imp, :own, :exchange, :rtoken, :remint) AND expires_at <= :now)",
            )
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":imp", s("impersonation"))
            .expression_attribute_values(":own", s("own_session"))
            .expression_attribute_values(":exchange", s("exchange"))
            .expression_attribute_values(":rtoken", s("refresh_token"))
            .expression_attribute_values(":remint", s("remint"))
            .expression_attribute_values(":active", s(ImpersonationStatus::Active.as_str()))
            .expression_attribute_values(":pending", s(ImpersonationStatus::Pending.as_str()))
            .expression_attribute_values(":ended", s(ImpersonationStatus::Ended.as_str()))
            .expression_attribute_values(":failed", s(ImpersonationStatus::Failed.as_str()))
            .expression_attribute_values(":now", n(now_secs))
            .set_exclusive_start_key(start)
            .limit(100)
            .send()
            .await
            .map_err(|e| upstream("Scan", e))?;
        let mut work = Vec::new();
        for item in page.items() {
            let kind = get_opt_s(item, "kind").unwrap_or_default();
            let expired = get_n(item, "expires_at").is_ok_and(|t| t <= now_secs);
            let status = get_opt_s(item, "status").unwrap_or_default();
            let finished = [ImpersonationStatus::Ended, ImpersonationStatus::Failed]
                .iter()
                .any(|s| s.as_str() == status);
            if kind == "impersonation" && !expired && !finished {
                work.push(CleanupWork::End(impersonation_from(item)?));
            } else if kind == "impersonation" && !expired {
                work.push(CleanupWork::Revoke(impersonation_from(item)?));
            } else if kind != "audit" && kind != "api_key" {
                work.push(CleanupWork::Delete {
                    pk: get_s(item, "pk")?,
                    sk: get_s(item, "sk")?,
                });
            }
        }
        Ok(CleanupPage {
            work,
            next_token: page
                .last_evaluated_key()
                .filter(|k| !k.is_empty())
                .map(encode_page_token),
        })
    }

    async fn delete_expired(&self, pk: &str, sk: &str, now_secs: i64) -> Result<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk.to_string(), sk)))
            .condition_expression("expires_at <= :now AND #kind <> :audit")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":now", n(now_secs))
            .expression_attribute_values(":audit", s("audit"))
            .send()
            .await;
        conditional("DeleteItem", result)
    }
}

fn exchange_item(grant: &ExchangeGrant) -> Item {
    let mut item = key(exchange_pk(&grant.id), EXCHANGE_SK);
    item.extend([
        ("kind".to_string(), s("exchange")),
        ("id".to_string(), s(&grant.id)),
        ("audience".to_string(), s(&grant.audience)),
        ("actor_sub".to_string(), s(&grant.actor_sub)),
        ("actor_username".to_string(), s(&grant.actor_username)),
        ("target_sub".to_string(), s(&grant.target_sub)),
        ("target_username".to_string(), s(&grant.target_username)),
        ("status".to_string(), s("issued")),
        ("token_expires_at".to_string(), n(grant.token_expires_at)),
        ("expires_at".to_string(), n(grant.expires_at)),
    ]);
    insert_optional(&mut item, "reason", grant.reason.as_deref());
    insert_optional(&mut item, "ticket", grant.ticket.as_deref());
    item
}

fn exchange_from(item: &Item) -> Result<ExchangeGrant> {
    Ok(ExchangeGrant {
        id: get_s(item, "id")?,
        audience: get_s(item, "audience")?,
        actor_sub: get_s(item, "actor_sub")?,
        actor_username: get_s(item, "actor_username")?,
        target_sub: get_s(item, "target_sub")?,
        target_username: get_s(item, "target_username")?,
        reason: get_opt_s(item, "reason"),
        ticket: get_opt_s(item, "ticket"),
        token_expires_at: get_n(item, "token_expires_at")?,
        expires_at: get_n(item, "expires_at")?,
    })
}

#[async_trait]
impl ExchangeStore for DynamoStore {
    async fn put_exchange(&self, grant: &ExchangeGrant) -> Result<()> {
        self.put_new(exchange_item(grant)).await?;
        Ok(())
    }

    async fn consume_exchange(
        &self,
        id: &str,
        audience: &str,
        now_secs: i64,
    ) -> Result<Option<ExchangeGrant>> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(exchange_pk(id), EXCHANGE_SK)))
            .update_expression("SET #status = :exchanged, exchanged_at = :now")
            .condition_expression(
                "#status = :issued AND token_expires_at > :now AND audience = :audience",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":exchanged", s("exchanged"))
            .expression_attribute_values(":issued", s("issued"))
            .expression_attribute_values(":now", n(now_secs))
            .expression_attribute_values(":audience", s(audience))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => output.attributes().map(exchange_from).transpose(),
            Err(err) if condition_failed(&err) => Ok(None),
            Err(err) => Err(upstream("UpdateItem", err)),
        }
    }
}

#[async_trait]
impl ApiKeyStore for DynamoStore {
    async fn put_api_key(&self, api_key: &ApiKey) -> Result<()> {
        self.put_new(api_key_item(api_key)).await?;
        Ok(())
    }

    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        self.get_consistent(api_key_pk(id), API_KEY_SK)
            .await?
            .as_ref()
            .map(api_key_from)
            .transpose()
    }

    async fn revoke_api_key(&self, id: &str) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(api_key_pk(id), API_KEY_SK)))
            .update_expression("SET #status = :revoked")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":revoked", s(api_key_status(ApiKeyStatus::Revoked)))
            .send()
            .await;
        conditional("UpdateItem", result)
    }

    async fn list_api_keys(&self, tenant: &str) -> Result<Vec<ApiKey>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi2")
            .key_condition_expression("gsi2pk = :pk AND begins_with(gsi2sk, :prefix)")
            .expression_attribute_values(":pk", s(tenant_partition(Some(tenant))))
            .expression_attribute_values(":prefix", s("APIKEY#"));
        query_all(query, api_key_from).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonation_items_round_trip() {
        let imp = Impersonation {
            id: "id-1".into(),
            kind: GrantKind::Impersonation,
            actor_sub: "a".into(),
            actor_username: "admin".into(),
            target_sub: "t".into(),
            target_username: "user".into(),
            tenant: Some("acme".into()),
            reason: Some("ticket 42: billing looks wrong".into()),
            ticket: None,
            client_id: "client".into(),
            status: ImpersonationStatus::Pending,
            created_at_millis: 1_700_000_000_123,
            ends_at: 1_700_003_600,
            mint_deadline: 1_700_000_060,
            mint_secret_hash: "h1".into(),
            revert_secret_hash: "h2".into(),
            expires_at: 1_700_090_000,
            refresh_token_sealed: Some("c2VhbGVk".into()),
            ended_at: None,
            revoked_at: None,
        };
        let item = impersonation_item(&imp);
        assert_eq!(item["gsi1pk"], s("TARGET#t"));
        assert_eq!(item["gsi2pk"], s("TENANT#acme"));
        assert_eq!(impersonation_from(&item).unwrap(), imp);
    }

    #[test]
    fn api_key_items_round_trip() {
        let api_key = ApiKey {
            id: "k1".into(),
            tenant: "acme".into(),
            secret_hash: "h".into(),
            status: ApiKeyStatus::Revoked,
            description: "demo".into(),
            created_at_millis: 5,
        };
        assert_eq!(api_key_from(&api_key_item(&api_key)).unwrap(), api_key);
    }
}
