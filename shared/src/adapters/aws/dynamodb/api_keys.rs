//! The DynamoDB adapter of the API key store.

use crate::adapters::aws::dynamodb::items::{
    api_key_from, api_key_item, api_key_pk, api_key_status, tenant_partition, API_KEY_SK,
};
use crate::adapters::aws::dynamodb::{conditional, key, n, query_all, s, DynamoStore};
use crate::domain::error::Result;
use crate::domain::grant::{ApiKey, ApiKeyStatus};
use crate::ports::grants::ApiKeyStore;
use async_trait::async_trait;

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

    async fn set_requests_per_minute(&self, id: &str, limit: u32) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(api_key_pk(id), API_KEY_SK)))
            .update_expression("SET requests_per_minute = :limit")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":limit", n(i64::from(limit)))
            .send()
            .await;
        conditional("UpdateItem", result)
    }

    async fn count_request(&self, id: &str, minute: i64, limit: u32) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(api_key_pk(id), &format!("RATE#{minute}"))))
            .update_expression("ADD requests :one SET expires_at = :expires, #kind = :kind")
            .condition_expression("attribute_not_exists(requests) OR requests < :limit")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(i64::from(limit)))
            .expression_attribute_values(":kind", s("api_key_rate"))
            // The window's counter is TTL's to delete, two minutes on.
            .expression_attribute_values(":expires", n((minute + 2) * 60))
            .send()
            .await;
        conditional("UpdateItem", result)
    }
}
