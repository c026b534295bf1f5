//! Where a session's refresh token is kept so that ending an impersonation can revoke it. KMS is
//! the real adapter (`adapters::aws::kms`).

use crate::domain::error::Result;
use async_trait::async_trait;

#[async_trait]
pub trait RefreshTokenVault: Send + Sync {
    async fn seal(&self, impersonation_id: &str, refresh_token: &str) -> Result<String>;
    async fn open(&self, impersonation_id: &str, sealed: &str) -> Result<String>;
}
