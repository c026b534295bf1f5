//! Ports of a pool actas joined rather than created: the record of what attaching changed, and
//! the pool's own trigger functions that actas's triggers pass events on to.

use crate::domain::error::Result;
use crate::domain::pool_attachment::{
    LambdaConfig, PoolAttachment, PoolDescription, ResourceServer,
};
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

/// The administration of a user pool actas joins: reading it, its groups and resource servers,
/// and replacing its triggers without touching anything else.
#[async_trait]
pub trait UserPoolAdmin: Send + Sync {
    /// `None`: there is no such pool.
    async fn describe_pool(&self, user_pool_id: &str) -> Result<Option<PoolDescription>>;
    async fn group_names(&self, user_pool_id: &str) -> Result<Vec<String>>;
    async fn create_group(&self, user_pool_id: &str, name: &str, description: &str) -> Result<()>;
    /// A group that is not there (any more) is not an error.
    async fn delete_group(&self, user_pool_id: &str, name: &str) -> Result<()>;
    /// Whether anybody is in the group (a group that is not there has nobody).
    async fn group_has_members(&self, user_pool_id: &str, name: &str) -> Result<bool>;
    async fn resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ResourceServer>>;
    /// With the scopes `read` and `write`.
    async fn create_resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
        name: &str,
    ) -> Result<()>;
    /// A resource server that is not there (any more) is not an error.
    async fn delete_resource_server(&self, user_pool_id: &str, identifier: &str) -> Result<()>;
    /// Replaces the pool's `LambdaConfig` and nothing else: the pool is read fresh and its whole
    /// configuration sent back with this `LambdaConfig` (an update resets what it is not given).
    async fn replace_lambda_config(
        &self,
        user_pool_id: &str,
        lambda_config: &LambdaConfig,
    ) -> Result<()>;
}

/// Answers a CloudFormation custom resource request: the response document goes to the request's
/// pre-signed `ResponseURL`.
#[async_trait]
pub trait CustomResourceResponder: Send + Sync {
    async fn respond(&self, response_url: &str, body: &Value) -> Result<()>;
}
