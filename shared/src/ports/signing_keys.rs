//! Where the two-step tokens' signing keys come from. Secrets Manager is the real adapter.

use crate::domain::error::Result;
use crate::domain::exchange::SigningKey;
use async_trait::async_trait;

#[async_trait]
pub trait SigningKeySource: Send + Sync {
    async fn load(&self) -> Result<Vec<SigningKey>>;
}
