//! The grants store port: impersonations (each carrying its one-time mint secret and its revert
//! secret, hashed) and customer API keys. DynamoDB is the real adapter (`dynamodb.rs`).

use async_trait::async_trait;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpersonationStatus {
    /// Written, waiting for Cognito to redeem its mint secret (once).
    Pending,
    /// Tokens were minted.
    Active,
    /// Stopped, reverted or expired.
    Ended,
}

impl ImpersonationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImpersonationStatus::Pending => "pending",
            ImpersonationStatus::Active => "active",
            ImpersonationStatus::Ended => "ended",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(ImpersonationStatus::Pending),
            "active" => Some(ImpersonationStatus::Active),
            "ended" => Some(ImpersonationStatus::Ended),
            _ => None,
        }
    }
}

/// One impersonation: who acts as whom, until when, and the hashes of its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonation {
    pub id: String,
    pub actor_sub: String,
    pub actor_username: String,
    pub target_sub: String,
    pub target_username: String,
    pub tenant: Option<String>,
    /// The app client whose tokens this impersonation may receive.
    pub client_id: String,
    pub status: ImpersonationStatus,
    pub created_at_millis: i64,
    /// The hard end (epoch seconds): no token for it is valid past this.
    pub ends_at: i64,
    /// Until when (epoch seconds) Cognito may redeem the mint secret.
    pub mint_deadline: i64,
    pub mint_secret_hash: String,
    pub revert_secret_hash: String,
    /// DynamoDB TTL (epoch seconds): when the record may be deleted.
    pub expires_at: i64,
}

impl Impersonation {
    pub fn is_live(&self, now_secs: i64) -> bool {
        self.status == ImpersonationStatus::Active && now_secs < self.ends_at
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyStatus {
    Active,
    Revoked,
}

/// A customer API key (seed 001's `X-API-Key`). Only the hash of the secret part is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub tenant: String,
    pub secret_hash: String,
    pub status: ApiKeyStatus,
    pub description: String,
    pub created_at_millis: i64,
}

#[async_trait]
pub trait ImpersonationStore: Send + Sync {
    /// Writes a new impersonation; fails if the id exists (it never should: ids are random).
    async fn create(&self, impersonation: &Impersonation) -> Result<()>;

    async fn get(&self, id: &str) -> Result<Option<Impersonation>>;

    /// Redeems the mint secret exactly once: moves `pending` to `active` only if the record is
    /// still pending, for this user and client, within its deadline, with this secret hash.
    /// Returns whether this call was the one that did it.
    async fn activate(&self, redemption: &Redemption<'_>) -> Result<bool>;
}

/// What the verify trigger knows when it redeems a grant.
#[derive(Debug, Clone, Copy)]
pub struct Redemption<'a> {
    pub id: &'a str,
    pub target_username: &'a str,
    pub client_id: &'a str,
    pub mint_secret_hash: &'a str,
    pub now_secs: i64,
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn put_api_key(&self, key: &ApiKey) -> Result<()>;
    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>>;
    /// Returns false when there was no such key.
    async fn revoke_api_key(&self, id: &str) -> Result<bool>;
    async fn list_api_keys(&self, tenant: &str) -> Result<Vec<ApiKey>>;
}
