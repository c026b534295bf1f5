//! The DynamoDB adapter of the two-step grant store.

use crate::adapters::aws::dynamodb::items::{
    exchange_from, exchange_item, exchange_pk, EXCHANGE_SK,
};
use crate::adapters::aws::dynamodb::{condition_failed, key, n, s, upstream, DynamoStore};
use crate::domain::error::Result;
use crate::domain::grant::ExchangeGrant;
use crate::ports::grants::ExchangeStore;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

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
