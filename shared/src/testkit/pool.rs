//! In-memory user pools and attachment records, for the pool attachment use cases' tests: pools
//! with groups (and their members) and resource servers, every `UpdateUserPool` recorded, and
//! any operation made to fail on demand.

use crate::domain::error::{ActasError, Result};
use crate::domain::pool_attachment::{
    LambdaConfig, PoolAttachment, PoolDescription, ResourceServer, VersionedTrigger,
    RESOURCE_SERVER_SCOPES,
};
use crate::ports::pool::{CustomResourceResponder, PoolAttachmentStore, UserPoolAdmin};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

fn poisoned() -> ActasError {
    ActasError::Internal("memory pool lock poisoned".into())
}

#[derive(Debug, Clone)]
struct MemoryPool {
    description: PoolDescription,
    /// Group name → its members.
    groups: BTreeMap<String, Vec<String>>,
    resource_servers: BTreeMap<String, ResourceServer>,
}

#[derive(Default)]
pub struct MemoryPools {
    pools: Mutex<HashMap<String, MemoryPool>>,
    /// Operations that fail, by API name (`UpdateUserPool`, `CreateGroup`, ...).
    failing: Mutex<HashSet<String>>,
    /// Every `UpdateUserPool`: the pool and the `LambdaConfig` it was given.
    updates: Mutex<Vec<(String, LambdaConfig)>>,
}

/// A product's pool as actas finds it: its own triggers (a V1 pre-token function among them),
/// the groups `Admins` and `Support`, and the attributes `custom:org` and `custom:dept`.
pub fn product_pool(user_pool_id: &str, tier: &str) -> PoolDescription {
    let arn = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:{name}");
    PoolDescription {
        user_pool_id: user_pool_id.to_string(),
        name: "product-users".into(),
        arn: Some(format!(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/{user_pool_id}"
        )),
        tier: Some(tier.to_string()),
        lambda_config: LambdaConfig {
            post_authentication: Some(arn("product-post-auth")),
            define_auth_challenge: Some(arn("product-define")),
            pre_token_generation: Some(arn("product-pre-token")),
            pre_token_generation_config: Some(VersionedTrigger {
                lambda_arn: arn("product-pre-token"),
                lambda_version: "V1_0".into(),
            }),
            ..LambdaConfig::default()
        },
        attribute_names: ["sub", "email", "custom:org", "custom:dept"]
            .into_iter()
            .map(str::to_string)
            .collect(),
    }
}

impl MemoryPools {
    pub fn with_pool(description: PoolDescription, groups: &[(&str, &[&str])]) -> MemoryPools {
        let pools = MemoryPools::default();
        pools.add_pool(description, groups);
        pools
    }

    pub fn add_pool(&self, description: PoolDescription, groups: &[(&str, &[&str])]) {
        let pool = MemoryPool {
            groups: groups
                .iter()
                .map(|(name, members)| {
                    (
                        name.to_string(),
                        members.iter().map(|m| m.to_string()).collect(),
                    )
                })
                .collect(),
            resource_servers: BTreeMap::new(),
            description,
        };
        if let Ok(mut pools) = self.pools.lock() {
            pools.insert(pool.description.user_pool_id.clone(), pool);
        }
    }

    pub fn remove_pool(&self, user_pool_id: &str) {
        if let Ok(mut pools) = self.pools.lock() {
            pools.remove(user_pool_id);
        }
    }

    /// The pool as it is now.
    pub fn pool(&self, user_pool_id: &str) -> Option<PoolDescription> {
        self.pools
            .lock()
            .ok()?
            .get(user_pool_id)
            .map(|p| p.description.clone())
    }

    pub fn groups(&self, user_pool_id: &str) -> Vec<String> {
        self.with(user_pool_id, |pool| pool.groups.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn add_member(&self, user_pool_id: &str, group: &str, username: &str) {
        let _ = self.with(user_pool_id, |pool| {
            if let Some(members) = pool.groups.get_mut(group) {
                members.push(username.to_string());
            }
        });
    }

    pub fn resource_servers(&self, user_pool_id: &str) -> Vec<String> {
        self.with(user_pool_id, |pool| {
            pool.resource_servers.keys().cloned().collect()
        })
        .unwrap_or_default()
    }

    pub fn add_resource_server(&self, user_pool_id: &str, identifier: &str) {
        let _ = self.with(user_pool_id, |pool| {
            pool.resource_servers.insert(
                identifier.to_string(),
                ResourceServer {
                    identifier: identifier.to_string(),
                    name: identifier.to_string(),
                    scopes: Vec::new(),
                },
            )
        });
    }

    /// Someone else's change to a trigger slot (the console, another tool).
    pub fn set_lambda_config(&self, user_pool_id: &str, lambda_config: LambdaConfig) {
        let _ = self.with(user_pool_id, |pool| {
            pool.description.lambda_config = lambda_config
        });
    }

    /// Makes an operation fail from now on.
    pub fn fail(&self, operation: &str) {
        if let Ok(mut failing) = self.failing.lock() {
            failing.insert(operation.to_string());
        }
    }

    pub fn heal(&self, operation: &str) {
        if let Ok(mut failing) = self.failing.lock() {
            failing.remove(operation);
        }
    }

    /// The `UpdateUserPool` calls so far.
    pub fn updates(&self) -> Vec<(String, LambdaConfig)> {
        self.updates.lock().map(|u| u.clone()).unwrap_or_default()
    }

    fn check(&self, operation: &str) -> Result<()> {
        if self
            .failing
            .lock()
            .map_err(|_| poisoned())?
            .contains(operation)
        {
            return Err(ActasError::Upstream(format!(
                "{operation}: InternalErrorException (made to fail)"
            )));
        }
        Ok(())
    }

    fn with<T>(&self, user_pool_id: &str, f: impl FnOnce(&mut MemoryPool) -> T) -> Result<T> {
        let mut pools = self.pools.lock().map_err(|_| poisoned())?;
        let pool = pools.get_mut(user_pool_id).ok_or_else(|| {
            ActasError::Upstream("ResourceNotFoundException: User pool does not exist.".into())
        })?;
        Ok(f(pool))
    }
}

#[async_trait]
impl UserPoolAdmin for MemoryPools {
    async fn describe_pool(&self, user_pool_id: &str) -> Result<Option<PoolDescription>> {
        self.check("DescribeUserPool")?;
        Ok(self.pool(user_pool_id))
    }

    async fn group_names(&self, user_pool_id: &str) -> Result<Vec<String>> {
        self.check("ListGroups")?;
        self.with(user_pool_id, |pool| pool.groups.keys().cloned().collect())
    }

    async fn create_group(&self, user_pool_id: &str, name: &str, _description: &str) -> Result<()> {
        self.check("CreateGroup")?;
        self.with(user_pool_id, |pool| {
            if pool.groups.contains_key(name) {
                return Err(ActasError::Upstream(
                    "CreateGroup: GroupExistsException".into(),
                ));
            }
            pool.groups.insert(name.to_string(), Vec::new());
            Ok(())
        })?
    }

    async fn delete_group(&self, user_pool_id: &str, name: &str) -> Result<()> {
        self.check("DeleteGroup")?;
        self.with(user_pool_id, |pool| {
            pool.groups.remove(name);
        })
    }

    async fn group_has_members(&self, user_pool_id: &str, name: &str) -> Result<bool> {
        self.check("ListUsersInGroup")?;
        self.with(user_pool_id, |pool| {
            pool.groups.get(name).is_some_and(|m| !m.is_empty())
        })
    }

    async fn resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ResourceServer>> {
        self.check("DescribeResourceServer")?;
        self.with(user_pool_id, |pool| {
            pool.resource_servers.get(identifier).cloned()
        })
    }

    async fn create_resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
        name: &str,
    ) -> Result<()> {
        self.check("CreateResourceServer")?;
        self.with(user_pool_id, |pool| {
            pool.resource_servers.insert(
                identifier.to_string(),
                ResourceServer {
                    identifier: identifier.to_string(),
                    name: name.to_string(),
                    scopes: RESOURCE_SERVER_SCOPES
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                },
            );
        })
    }

    async fn delete_resource_server(&self, user_pool_id: &str, identifier: &str) -> Result<()> {
        self.check("DeleteResourceServer")?;
        self.with(user_pool_id, |pool| {
            pool.resource_servers.remove(identifier);
        })
    }

    async fn replace_lambda_config(
        &self,
        user_pool_id: &str,
        lambda_config: &LambdaConfig,
    ) -> Result<()> {
        self.check("UpdateUserPool")?;
        self.with(user_pool_id, |pool| {
            pool.description.lambda_config = lambda_config.clone()
        })?;
        self.updates
            .lock()
            .map_err(|_| poisoned())?
            .push((user_pool_id.to_string(), lambda_config.clone()));
        Ok(())
    }
}

/// Attachment records in memory.
#[derive(Default)]
pub struct MemoryAttachments {
    records: Mutex<HashMap<String, PoolAttachment>>,
}

impl MemoryAttachments {
    pub fn record(&self, user_pool_id: &str) -> Option<PoolAttachment> {
        self.records.lock().ok()?.get(user_pool_id).cloned()
    }
}

#[async_trait]
impl PoolAttachmentStore for MemoryAttachments {
    async fn attachment(&self, user_pool_id: &str) -> Result<Option<PoolAttachment>> {
        Ok(self.record(user_pool_id))
    }

    async fn save_attachment(&self, attachment: &PoolAttachment) -> Result<()> {
        self.records
            .lock()
            .map_err(|_| poisoned())?
            .insert(attachment.user_pool_id.clone(), attachment.clone());
        Ok(())
    }

    async fn delete_attachment(&self, user_pool_id: &str) -> Result<()> {
        self.records
            .lock()
            .map_err(|_| poisoned())?
            .remove(user_pool_id);
        Ok(())
    }
}

/// Keeps every CloudFormation answer instead of sending it.
#[derive(Default)]
pub struct RecordedResponses {
    responses: Mutex<Vec<(String, Value)>>,
}

impl RecordedResponses {
    /// The answers so far: the URL and the document.
    pub fn sent(&self) -> Vec<(String, Value)> {
        self.responses.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl CustomResourceResponder for RecordedResponses {
    async fn respond(&self, response_url: &str, body: &Value) -> Result<()> {
        self.responses
            .lock()
            .map_err(|_| poisoned())?
            .push((response_url.to_string(), body.clone()));
        Ok(())
    }
}
