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
    ApiKey, ApiKeyStatus, ApiKeyStore, Impersonation, ImpersonationStatus, ImpersonationStore,
    Redemption,
};

type Item = HashMap<String, AttributeValue>;

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
}

fn upstream<E, R>(operation: &str, err: SdkError<E, R>) -> ActasError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().unwrap_or("unknown").to_string();
    warn!(operation, code, error = %DisplayErrorContext(&err), "DynamoDB call failed");
    ActasError::Upstream(format!("{operation}: {code}"))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

fn get_s(item: &Item, name: &str) -> Result<String> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| ActasError::Internal(format!("stored item lacks {name}")))
}

fn get_opt_s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn get_n(item: &Item, name: &str) -> Result<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ActasError::Internal(format!("stored item lacks {name}")))
}

const IMPERSONATION_SK: &str = "IMPERSONATION";
const API_KEY_SK: &str = "APIKEY";

fn impersonation_pk(id: &str) -> String {
    format!("IMP#{id}")
}

fn api_key_pk(id: &str) -> String {
    format!("APIKEY#{id}")
}

fn tenant_partition(tenant: Option<&str>) -> String {
    format!("TENANT#{}", tenant.unwrap_or("-"))
}

fn impersonation_item(imp: &Impersonation) -> Item {
    let mut item = key(impersonation_pk(&imp.id), IMPERSONATION_SK);
    let created = format!("{:013}#{}", imp.created_at_millis, imp.id);
    item.extend([
        ("kind".to_string(), s("impersonation")),
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
    item
}

fn impersonation_from(item: &Item) -> Result<Impersonation> {
    let status = get_s(item, "status")?;
    Ok(Impersonation {
        id: get_s(item, "id")?,
        actor_sub: get_s(item, "actor_sub")?,
        actor_username: get_s(item, "actor_username")?,
        target_sub: get_s(item, "target_sub")?,
        target_username: get_s(item, "target_username")?,
        tenant: get_opt_s(item, "tenant"),
        client_id: get_s(item, "client_id")?,
        status: ImpersonationStatus::parse(&status)
            .ok_or_else(|| ActasError::Internal(format!("unknown status {status}")))?,
        created_at_millis: get_n(item, "created_at")?,
        ends_at: get_n(item, "ends_at")?,
        mint_deadline: get_n(item, "mint_deadline")?,
        mint_secret_hash: get_s(item, "mint_secret_hash")?,
        revert_secret_hash: get_s(item, "revert_secret_hash")?,
        expires_at: get_n(item, "expires_at")?,
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
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(impersonation_item(imp)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Impersonation>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| upstream("GetItem", e))?;
        output.item().map(impersonation_from).transpose()
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
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(upstream("UpdateItem", err)),
        }
    }
}

#[async_trait]
impl ApiKeyStore for DynamoStore {
    async fn put_api_key(&self, api_key: &ApiKey) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(api_key_item(api_key)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }

    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(api_key_pk(id), API_KEY_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| upstream("GetItem", e))?;
        output.item().map(api_key_from).transpose()
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
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(upstream("UpdateItem", err)),
        }
    }

    async fn list_api_keys(&self, tenant: &str) -> Result<Vec<ApiKey>> {
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi2")
                .key_condition_expression("gsi2pk = :pk AND begins_with(gsi2sk, :prefix)")
                .expression_attribute_values(":pk", s(tenant_partition(Some(tenant))))
                .expression_attribute_values(":prefix", s("APIKEY#"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| upstream("Query", e))?;
            for item in page.items() {
                keys.push(api_key_from(item)?);
            }
            match page.last_evaluated_key() {
                Some(last) if !last.is_empty() => start = Some(last.clone()),
                _ => return Ok(keys),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonation_items_round_trip() {
        let imp = Impersonation {
            id: "id-1".into(),
            actor_sub: "a".into(),
            actor_username: "admin".into(),
            target_sub: "t".into(),
            target_username: "user".into(),
            tenant: Some("acme".into()),
            client_id: "client".into(),
            status: ImpersonationStatus::Pending,
            created_at_millis: 1_700_000_000_123,
            ends_at: 1_700_003_600,
            mint_deadline: 1_700_000_060,
            mint_secret_hash: "h1".into(),
            revert_secret_hash: "h2".into(),
            expires_at: 1_700_090_000,
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
