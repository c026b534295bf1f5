//! Ports of a pool actas joined rather than created: the record of what attaching changed, and
//! the pool's own trigger functions that actas's triggers pass events on to.

use crate::domain::error::Result;
use crate::domain::pool_attachment::PoolAttachment;
use async_trait::async_trait;
use serde_json::Value;

/// What attaching recorded, one per pool (actas's table).
#[async_trait]
pub trait PoolAttachmentStore: Send + Sync {
    async fn attachment(&self, user_pool_id: &str) -> Result<Option<PoolAttachment>>;
    async fn save_attachment(&self, attachment: &PoolAttachment) -> Result<()>;
    async fn delete_attachment(&self, user_pool_id: &str) -> Result<()>;
}

/// Calls one of the pool's own trigger functions with an event and returns its answer (the
/// event with its `response`). An error from the function is an error here: the sign-in fails,
/// as it would have without actas.
#[async_trait]
pub trait TriggerInvoker: Send + Sync {
    async fn invoke(&self, function_arn: &str, event: &Value) -> Result<Value>;
}
