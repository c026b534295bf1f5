//! The grants store ports: impersonations, two-step grants, cleanup work and customer API keys.
//! DynamoDB is the real adapter (`adapters::aws::dynamodb`). Single use is the adapter's
//! conditional write, never a read first.

use crate::domain::error::Result;
use crate::domain::grant::{ApiKey, ExchangeGrant, Impersonation, Remint};
use async_trait::async_trait;

/// What a refresh token's pointer says: the impersonation the token was minted for, and the
/// usernames of its two people (fixed at its start), so that a refresh reads both people fresh
/// at the same time as the impersonation itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPointer {
    pub impersonation_id: String,
    /// `None` in a pointer kept before pointers carried them.
    pub actor_username: Option<String>,
    pub target_username: Option<String>,
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
    /// maps a refresh back to this impersonation (and no other): the pointer.
    /// The pointer expires with the record (`expires_at`).
    async fn keep_refresh_token(
        &self,
        pointer: &RefreshPointer,
        sealed: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()>;

    /// The pointer of a refresh token (by its hash): the impersonation it was minted for.
    async fn find_by_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshPointer>>;

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

    /// A session was used (refreshed): moves its `last_active_at` to `now_secs`, with one
    /// conditional write, only while it is active, before its hard end and not idle — last used
    /// after `now_secs - idle_secs`, where `idle_secs` is its own (fixed at the start, as read;
    /// `0`: no idle timeout). Returns whether it did: false when it ended or went idle meanwhile.
    async fn touch(&self, id: &str, idle_secs: i64, now_secs: i64) -> Result<bool>;

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
    /// Items the store read to answer (its cost): at most twice the page size.
    pub read: usize,
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
    /// Ended with nothing left to revoke: it leaves the due list.
    Settle(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupPage {
    pub work: Vec<CleanupWork>,
    pub next_token: Option<String>,
}

#[async_trait]
pub trait CleanupStore: Send + Sync {
    /// One page of what is due at `now_secs`, oldest first: only impersonations whose hard end
    /// has passed or whose refresh token is still to revoke. What is done leaves the list, so a
    /// run that stops early leaves the rest at the front for the next.
    async fn cleanup_page(&self, page_token: Option<String>, now_secs: i64) -> Result<CleanupPage>;
    /// Takes an ended impersonation with nothing to revoke off the due list.
    async fn settle(&self, id: &str) -> Result<()>;
    /// Puts a revoke that failed back at `until_secs`, behind the rest of the backlog.
    async fn defer(&self, id: &str, until_secs: i64) -> Result<()>;
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn put_api_key(&self, key: &ApiKey) -> Result<()>;
    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>>;
    /// Returns false when there was no such key.
    async fn revoke_api_key(&self, id: &str) -> Result<bool>;
    async fn list_api_keys(&self, tenant: &str) -> Result<Vec<ApiKey>>;
    /// Sets a key's usage plan (starts per minute); false when there is no such key.
    async fn set_requests_per_minute(&self, id: &str, limit: u32) -> Result<bool>;
    /// Counts one request of key `id` in minute `minute` (epoch minutes) if the minute has had
    /// fewer than `limit`; false when it has not (the request is throttled). One conditional
    /// write: concurrent requests cannot both take the last slot.
    async fn count_request(&self, id: &str, minute: i64, limit: u32) -> Result<bool>;
}
