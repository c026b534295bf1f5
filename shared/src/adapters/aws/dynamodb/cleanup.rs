//! The DynamoDB adapter of the cleanup store: the due list (`gsi7`, sparse), oldest first. Only
//! impersonations past their hard end or with a refresh token still to revoke are on it, so a
//! run reads what it has to do and nothing else; grants and pointers past their `expires_at`
//! are left to DynamoDB's TTL, as are audit records (another table).

use crate::adapters::aws::dynamodb::items::{
    decode_page_token, due_at, encode_page_token, impersonation_from, impersonation_pk, DUE,
    IMPERSONATION_SK,
};
use crate::adapters::aws::dynamodb::{conditional, key, s, upstream, DynamoStore};
use crate::domain::error::Result;
use crate::domain::grant::ImpersonationStatus;
use crate::ports::grants::{CleanupPage, CleanupStore, CleanupWork};
use async_trait::async_trait;

const PAGE: i32 = 100;

#[async_trait]
impl CleanupStore for DynamoStore {
    async fn cleanup_page(&self, page_token: Option<String>, now_secs: i64) -> Result<CleanupPage> {
        let start = decode_page_token(page_token.as_deref(), Some(("gsi7pk", DUE, "gsi7sk")))?;
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi7")
            .key_condition_expression("gsi7pk = :due AND gsi7sk <= :now")
            .expression_attribute_values(":due", s(DUE))
            .expression_attribute_values(":now", s(due_at(now_secs)))
            .set_exclusive_start_key(start)
            .scan_index_forward(true)
            .limit(PAGE)
            .send()
            .await
            .map_err(|e| upstream("Query", e))?;
        let mut work = Vec::new();
        for item in page.items() {
            let imp = impersonation_from(item)?;
            let live = matches!(
                imp.status,
                ImpersonationStatus::Active | ImpersonationStatus::Pending
            );
            work.push(if live {
                CleanupWork::End(imp)
            } else if imp.refresh_token_sealed.is_some() && imp.revoked_at.is_none() {
                CleanupWork::Revoke(imp)
            } else {
                CleanupWork::Settle(imp.id)
            });
        }
        Ok(CleanupPage {
            work,
            next_token: page
                .last_evaluated_key()
                .filter(|k| !k.is_empty())
                .map(encode_page_token),
        })
    }

    async fn settle(&self, id: &str) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .update_expression("REMOVE gsi7pk, gsi7sk")
            .condition_expression("#status IN (:ended, :failed)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":ended", s(ImpersonationStatus::Ended.as_str()))
            .expression_attribute_values(":failed", s(ImpersonationStatus::Failed.as_str()))
            .send()
            .await;
        conditional("UpdateItem", result).map(|_| ())
    }

    async fn defer(&self, id: &str, until_secs: i64) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(impersonation_pk(id), IMPERSONATION_SK)))
            .update_expression("SET gsi7sk = :until")
            .condition_expression("attribute_exists(gsi7pk)")
            .expression_attribute_values(":until", s(due_at(until_secs)))
            .send()
            .await;
        conditional("UpdateItem", result).map(|_| ())
    }
}
