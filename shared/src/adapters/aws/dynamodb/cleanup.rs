//! The DynamoDB adapter of the cleanup store: expired items by the TTL attribute, paged.

use crate::adapters::aws::dynamodb::items::{
    decode_page_token, encode_page_token, impersonation_from,
};
use crate::adapters::aws::dynamodb::{
    conditional, get_n, get_opt_s, get_s, key, n, s, upstream, DynamoStore,
};
use crate::domain::error::Result;
use crate::domain::grant::ImpersonationStatus;
use crate::ports::grants::{CleanupPage, CleanupStore, CleanupWork};
use async_trait::async_trait;

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
