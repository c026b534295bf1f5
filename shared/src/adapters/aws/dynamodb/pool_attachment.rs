//! The DynamoDB adapter of the pool attachment record: one item per pool (`POOL#<id>`,
//! `ATTACHMENT`), the record as JSON.

use async_trait::async_trait;

use crate::adapters::aws::dynamodb::{get_s, key, s, upstream, DynamoStore};
use crate::domain::error::{ActasError, Result};
use crate::domain::pool_attachment::PoolAttachment;
use crate::ports::pool::PoolAttachmentStore;

const ATTACHMENT_SK: &str = "ATTACHMENT";

fn pool_pk(user_pool_id: &str) -> String {
    format!("POOL#{user_pool_id}")
}

#[async_trait]
impl PoolAttachmentStore for DynamoStore {
    async fn attachment(&self, user_pool_id: &str) -> Result<Option<PoolAttachment>> {
        let Some(item) = self
            .get_consistent(pool_pk(user_pool_id), ATTACHMENT_SK)
            .await?
        else {
            return Ok(None);
        };
        let record = get_s(&item, "attachment")?;
        serde_json::from_str(&record)
            .map(Some)
            .map_err(|e| ActasError::Internal(format!("pool attachment record: {e}")))
    }

    async fn save_attachment(&self, attachment: &PoolAttachment) -> Result<()> {
        let record = serde_json::to_string(attachment)
            .map_err(|e| ActasError::Internal(format!("pool attachment record: {e}")))?;
        let mut item = key(pool_pk(&attachment.user_pool_id), ATTACHMENT_SK);
        item.insert("kind".into(), s("pool-attachment"));
        item.insert("attachment".into(), s(record));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }

    async fn delete_attachment(&self, user_pool_id: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pool_pk(user_pool_id), ATTACHMENT_SK)))
            .send()
            .await
            .map_err(|e| upstream("DeleteItem", e))?;
        Ok(())
    }
}
