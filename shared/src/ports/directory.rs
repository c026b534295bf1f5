//! The directory port: the pool's users as actas last saw them, by tenant and by team, so a
//! profiles page costs what the page holds, not what the pool holds. It only decides what
//! profiles shows: who may be impersonated is always decided on both users read fresh from the
//! pool. DynamoDB is the real adapter (`adapters::aws::dynamodb::directory`).

use async_trait::async_trait;

use crate::domain::error::Result;
use crate::domain::user::UserRecord;
use crate::ports::identity::UserPage;

/// Which users a directory page lists, in username order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryScope {
    /// Every user (super-admins).
    All,
    /// One tenant (`None`: users without a tenant).
    Tenant(Option<String>),
    /// One team of one tenant.
    Team { tenant: String, team: String },
}

#[async_trait]
pub trait Directory: Send + Sync {
    /// Writes users as just read from the pool (a sign-in, a start, a change event, a sync).
    async fn put_users(&self, users: &[UserRecord]) -> Result<()>;
    /// Removes a user the pool no longer has.
    async fn remove_user(&self, username: &str) -> Result<()>;
    /// One page of `scope`, `limit` users at most, in username order.
    async fn page(
        &self,
        scope: &DirectoryScope,
        page_token: Option<String>,
        limit: i32,
    ) -> Result<UserPage>;
}
