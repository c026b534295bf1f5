//! Where the pool's signing keys (JWKS) come from. HTTPS is the real adapter (`adapters::jwks`).

use crate::domain::error::Result;
use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;

/// Where the signing keys come from.
#[async_trait]
pub trait JwksSource: Send + Sync {
    async fn fetch(&self) -> Result<JwkSet>;
}
