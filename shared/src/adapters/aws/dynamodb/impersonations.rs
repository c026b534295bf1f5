//! The DynamoDB adapter of the impersonation store.

use crate::adapters::aws::dynamodb::filtered_page;
use crate::adapters::aws::dynamodb::items::{
    decode_page_token, due_at, encode_page_token, impersonation_from, impersonation_item,
    impersonation_pk, live_partition, refresh_token_pk, remint_sk, tenant_partition,
    ALL_IMPERSONATIONS, IMPERSONATION_SK, LIVE, LIVE_KEYS, REFRESH_TOKEN_SK,
};
use crate::adapters::aws::dynamodb::{
    condition_failed, conditional, get_s, key, n, s, upstream, DynamoStore,
};
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::{Impersonation, ImpersonationStatus, Remint};
use crate::ports::grants::{
    ImpersonationPage, ImpersonationStore, ListQuery, ListScope, Redemption, RefreshPointer,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use std::collections::HashMap;

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

    /// One Query on the index whose partition holds (nearly) only what was asked, newest first;
    /// the filters left over rarely drop an item. A page is filled by querying on from where the
    /// last read stopped, asking only for what is missing, and stops having read twice the page
    /// size (the page is then short, with a `next_token`). Never a Scan.
    async fn list(&self, q: &ListQuery) -> Result<ImpersonationPage> {
        let listing = Listing::of(q);
        let start = decode_page_token(
            q.page_token.as_deref(),
            Some((
                listing.partition_attribute,
                listing.partition.as_str(),
                listing.sort_attribute,
            )),
        )?;
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(listing.index)
            .key_condition_expression(&listing.key_condition)
            .filter_expression(listing.filters.join(" AND "))
            .set_expression_attribute_names(Some(listing.names.clone()))
            .set_expression_attribute_values(Some(listing.values.clone()))
            .scan_index_forward(false);
        let (items, start, read) = filtered_page(query, start, q.limit, impersonation_from).await?;
        tracing::debug!(
            index = listing.index,
            read,
            returned = items.len(),
            "listing page"
        );
        Ok(ImpersonationPage {
            items,
            next_token: start.map(|k| encode_page_token(&k)),
            read: read as usize,
        })
    }

    async fn keep_refresh_token(
        &self,
        kept: &RefreshPointer,
        sealed: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let id = kept.impersonation_id.as_str();
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
        for (name, value) in [
            ("actor_username", &kept.actor_username),
            ("target_username", &kept.target_username),
        ] {
            if let Some(value) = value {
                pointer.insert(name.to_string(), s(value));
            }
        }
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

    async fn find_by_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshPointer>> {
        let Some(item) = self
            .get_consistent(refresh_token_pk(token_hash), REFRESH_TOKEN_SK)
            .await?
        else {
            return Ok(None);
        };
        let text = |name: &str| get_s(&item, name).ok();
        Ok(Some(RefreshPointer {
            impersonation_id: get_s(&item, "impersonation_id")?,
            actor_username: text("actor_username"),
            target_username: text("target_username"),
        }))
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
            .update_expression("SET revoked_at = :now REMOVE gsi7pk, gsi7sk")
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
            // Off the live lists; on the due list now, for its refresh token's revocation.
            .update_expression(format!(
                "SET #status = :failed, ended_at = :now, gsi7sk = :due REMOVE {LIVE_KEYS}"
            ))
            .expression_attribute_values(":due", s(due_at(now_secs)))
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

    async fn touch(&self, id: &str, idle_secs: i64, now_secs: i64) -> Result<bool> {
        let mut condition = "#status = :active AND ends_at > :now".to_string();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .update_expression("SET last_active_at = :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s(ImpersonationStatus::Active.as_str()))
            .expression_attribute_values(":now", n(now_secs));
        if idle_secs > 0 {
            // A condition cannot add: "not idle" is "last used after now minus its timeout".
            condition.push_str(" AND last_active_at > :idle_since");
            update = update.expression_attribute_values(":idle_since", n(now_secs - idle_secs));
        }
        conditional(
            "UpdateItem",
            update.condition_expression(condition).send().await,
        )
    }

    async fn end(&self, id: &str, revert_secret_hash: Option<&str>, now_secs: i64) -> Result<bool> {
        let mut condition = "#status IN (:active, :pending)".to_string();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            // Off the live lists; on the due list now, for its refresh token's revocation.
            .update_expression(format!(
                "SET #status = :ended, ended_at = :now, gsi7sk = :due REMOVE {LIVE_KEYS}"
            ))
            .expression_attribute_values(":due", s(due_at(now_secs)))
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

/// How one listing reads the table: the index, its key condition, and the filters left over.
struct Listing {
    index: &'static str,
    partition_attribute: &'static str,
    partition: String,
    sort_attribute: &'static str,
    key_condition: String,
    filters: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Listing {
    fn of(q: &ListQuery) -> Listing {
        let tenant_scope = match &q.scope {
            ListScope::Tenant(tenant) => Some(tenant.clone()),
            _ => None,
        };
        let target = match &q.scope {
            ListScope::Target(sub) => Some(sub.clone()),
            _ => q.target_sub.clone(),
        };
        // The most selective partition first: a target's or an actor's impersonations are few;
        // live ones are few; then the tenant's, then everyone's.
        let (index, partition_attribute, partition) = if let Some(target) = &target {
            ("gsi1", "gsi1pk", format!("TARGET#{target}"))
        } else if let Some(actor) = &q.actor_sub {
            ("gsi3", "gsi3pk", format!("ACTOR#{actor}"))
        } else if q.active_only == Some(true) {
            match &tenant_scope {
                Some(tenant) => ("gsi4", "gsi4pk", live_partition(tenant.as_deref())),
                None => ("gsi5", "gsi5pk", LIVE.to_string()),
            }
        } else {
            match &tenant_scope {
                Some(tenant) => ("gsi2", "gsi2pk", tenant_partition(tenant.as_deref())),
                None => ("gsi6", "gsi6pk", ALL_IMPERSONATIONS.to_string()),
            }
        };
        let since = q.since_millis.unwrap_or(0).max(0);
        let mut names = HashMap::from([
            ("#pk".to_string(), partition_attribute.to_string()),
            ("#kind".to_string(), "kind".to_string()),
        ]);
        let mut values = HashMap::from([
            (":pk".to_string(), s(&partition)),
            (":kind".to_string(), s("impersonation")),
        ]);
        let key_condition = if index == "gsi2" {
            values.insert(":from".into(), s(format!("IMP#{since:013}")));
            values.insert(":to".into(), s("IMP#~"));
            "#pk = :pk AND gsi2sk BETWEEN :from AND :to".to_string()
        } else {
            values.insert(":from".into(), s(format!("{since:013}")));
            "#pk = :pk AND gsi1sk >= :from".to_string()
        };
        let mut filters = vec!["#kind = :kind".to_string()];
        if let Some(tenant) = tenant_scope.filter(|_| index != "gsi2" && index != "gsi4") {
            match tenant {
                Some(tenant) => {
                    filters.push("tenant = :tenant".into());
                    values.insert(":tenant".into(), s(tenant));
                }
                None => filters.push("attribute_not_exists(tenant)".into()),
            }
        }
        if let Some(actor) = q.actor_sub.as_ref().filter(|_| index != "gsi3") {
            filters.push("actor_sub = :actor".into());
            values.insert(":actor".into(), s(actor));
        }
        if let (ListScope::Target(_), Some(target)) = (&q.scope, &q.target_sub) {
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
        Listing {
            index,
            partition_attribute,
            partition,
            sort_attribute: if index == "gsi2" { "gsi2sk" } else { "gsi1sk" },
            key_condition,
            filters,
            names,
            values,
        }
    }
}
