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
    /// Its session could not be minted: it never produced tokens and holds nothing.
    Failed,
}

impl ImpersonationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImpersonationStatus::Pending => "pending",
            ImpersonationStatus::Active => "active",
            ImpersonationStatus::Ended => "ended",
            ImpersonationStatus::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(ImpersonationStatus::Pending),
            "active" => Some(ImpersonationStatus::Active),
            "ended" => Some(ImpersonationStatus::Ended),
            "failed" => Some(ImpersonationStatus::Failed),
            _ => None,
        }
    }
}

/// What a grant mints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// A session as the target, with `act` naming the actor.
    Impersonation,
    /// The actor's own session, handed back by a revert (no `act`).
    OwnSession,
}

impl GrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::Impersonation => "impersonation",
            GrantKind::OwnSession => "own_session",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "impersonation" => Some(GrantKind::Impersonation),
            "own_session" => Some(GrantKind::OwnSession),
            _ => None,
        }
    }
}

/// One impersonation (or own-session grant): who acts as whom, until when, and the hashes of
/// its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonation {
    pub id: String,
    pub kind: GrantKind,
    pub actor_sub: String,
    pub actor_username: String,
    pub target_sub: String,
    pub target_username: String,
    pub tenant: Option<String>,
    /// Why, as the actor gave it (issue 4: required by default, at most 500 characters).
    pub reason: Option<String>,
    /// An optional reference such as a support ticket.
    pub ticket: Option<String>,
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
    /// The session's refresh token, sealed by the vault, kept so that stopping can revoke it.
    pub refresh_token_sealed: Option<String>,
    /// When it ended (epoch seconds), if it has.
    pub ended_at: Option<i64>,
    /// When its refresh token was revoked in Cognito (epoch seconds). An ended impersonation
    /// without it is revoked again by the next cleanup.
    pub revoked_at: Option<i64>,
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
    /// Writes a new grant, once. Several impersonations of one target may be live at the same
    /// time, each its own session.
    async fn create(&self, impersonation: &Impersonation) -> Result<()>;

    async fn get(&self, id: &str) -> Result<Option<Impersonation>>;

    /// Redeems the mint secret exactly once: moves `pending` to `active` only if the record is
    /// still pending, for this user and client, within its deadline, with this secret hash.
    /// Returns whether this call was the one that did it.
    async fn activate(&self, redemption: &Redemption<'_>) -> Result<bool>;

    /// Keeps the sealed refresh token of a minted session, and the token's hash as the key that
    /// maps a refresh back to this impersonation (and no other).
    /// The pointer expires with the record (`expires_at`).
    async fn keep_refresh_token(
        &self,
        id: &str,
        sealed: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()>;

    /// The impersonation a refresh token (by its hash) was minted for.
    async fn find_by_refresh_token(&self, token_hash: &str) -> Result<Option<String>>;

    /// Writes a one-time secret with which actas may mint fresh tokens for a live
    /// impersonation (how a refresh through actas is served).
    async fn put_remint(&self, remint: &Remint) -> Result<()>;

    /// Redeems a remint secret exactly once (a conditional delete), only while it is unexpired
    /// and its hash matches. Returns whether this call was the one that did it.
    async fn redeem_remint(
        &self,
        impersonation_id: &str,
        remint_id: &str,
        secret_hash: &str,
        now_secs: i64,
    ) -> Result<bool>;

    /// Records that the impersonation's refresh token was revoked in Cognito.
    async fn mark_revoked(&self, id: &str, now_secs: i64) -> Result<()>;

    /// A pending impersonation whose session could not be minted: `failed`, live never.
    async fn mark_failed(&self, id: &str, now_secs: i64) -> Result<bool>;

    /// One page of impersonations (never own-session grants), newest first where the scope
    /// allows. A page may be short; only a missing `next_token` ends the listing.
    async fn list(&self, query: &ListQuery) -> Result<ImpersonationPage>;

    /// Ends an impersonation (active or pending → ended). With
    /// `revert_secret_hash`, only if it matches: that makes a revert single use. Returns whether
    /// this call ended it.
    async fn end(&self, id: &str, revert_secret_hash: Option<&str>, now_secs: i64) -> Result<bool>;
}

/// Which impersonations a listing reads: its partition decides the work one page costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Every tenant (super-admins).
    All,
    /// One tenant (`None`: users without a tenant).
    Tenant(Option<String>),
    /// The impersonations of one target (`target=me`).
    Target(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub scope: ListScope,
    pub actor_sub: Option<String>,
    pub target_sub: Option<String>,
    pub active_only: Option<bool>,
    /// Started at or after (epoch milliseconds).
    pub since_millis: Option<i64>,
    pub page_token: Option<String>,
    pub limit: i32,
    pub now_secs: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpersonationPage {
    pub items: Vec<Impersonation>,
    pub next_token: Option<String>,
}

/// A two-step token's grant (seeds 002/003): bound to actor, target and the route that issued
/// it, exchanged at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeGrant {
    pub id: String,
    pub audience: String,
    pub actor_sub: String,
    pub actor_username: String,
    pub target_sub: String,
    pub target_username: String,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    /// When the token expires (epoch seconds).
    pub token_expires_at: i64,
    /// DynamoDB TTL.
    pub expires_at: i64,
}

#[async_trait]
pub trait ExchangeStore: Send + Sync {
    async fn put_exchange(&self, grant: &ExchangeGrant) -> Result<()>;
    /// Marks the grant exchanged if it is unused, unexpired and for `audience`; returns it then,
    /// `None` otherwise (used, expired, unknown, or another route's).
    async fn consume_exchange(
        &self,
        id: &str,
        audience: &str,
        now_secs: i64,
    ) -> Result<Option<ExchangeGrant>>;
}

/// A one-time secret to mint fresh tokens for a live impersonation (a refresh through actas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remint {
    pub impersonation_id: String,
    pub remint_id: String,
    pub secret_hash: String,
    /// Until when (epoch seconds) Cognito may redeem it.
    pub deadline: i64,
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

/// What the scheduled cleanup finds to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CleanupWork {
    /// Still active or pending past its hard end: end it (and audit, and revoke).
    End(Impersonation),
    /// Ended, but its refresh token's revocation failed or never ran: revoke it again.
    Revoke(Impersonation),
    /// A grant, pointer or record past its `expires_at`: delete it. Never an audit record.
    Delete { pk: String, sk: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupPage {
    pub work: Vec<CleanupWork>,
    pub next_token: Option<String>,
}

#[async_trait]
pub trait CleanupStore: Send + Sync {
    /// One page of the table's work at `now_secs`.
    async fn cleanup_page(&self, page_token: Option<String>, now_secs: i64) -> Result<CleanupPage>;
    /// Deletes an item if it is still expired; false if it was gone or renewed.
    async fn delete_expired(&self, pk: &str, sk: &str, now_secs: i64) -> Result<bool>;
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn put_api_key(&self, key: &ApiKey) -> Result<()>;
    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>>;
    /// Returns false when there was no such key.
    async fn revoke_api_key(&self, id: &str) -> Result<bool>;
    async fn list_api_keys(&self, tenant: &str) -> Result<Vec<ApiKey>>;
}
