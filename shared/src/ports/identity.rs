//! The identity provider port: finding users and minting sessions. Cognito is the real adapter
//! (`adapters::aws::cognito`); tests use the in-memory one (`testkit::memory`).

use crate::domain::error::Result;
use crate::domain::user::{UserRecord, UserRef};
use async_trait::async_trait;

/// The tokens Cognito issued for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoTokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in_secs: i64,
}

/// What the custom-auth triggers need to let a mint through: the grant and its one-time secret.
pub struct MintRequest<'a> {
    /// The app client the session belongs to (impersonation, or revert for an own session).
    pub client_id: &'a str,
    pub username: &'a str,
    pub impersonation_id: &'a str,
    /// Set when fresh tokens are minted for a live impersonation (a refresh through actas): the
    /// secret then redeems this remint, not the impersonation's first grant.
    pub remint_id: Option<&'a str>,
    /// An impersonator's own session handed back by a revert (the revert client).
    pub is_revert: bool,
    pub secret: &'a str,
}

/// The `ClientMetadata` key carrying the impersonation id to the triggers.
pub const METADATA_IMPERSONATION_ID: &str = "impersonation_id";

/// The `ClientMetadata` key that tells a pool's own triggers (post authentication, pre token
/// generation, ...) a session is actas's: `impersonation`, `revert` or `refresh`. A post
/// authentication hook that counts sign-ins should skip these.
pub const METADATA_ACTAS_SESSION: &str = "actas_session";

/// The `ClientMetadata` key carrying a remint's id to the verify trigger.
pub const METADATA_REMINT_ID: &str = "remint_id";

/// One page of the pool's users, with their groups.
#[derive(Debug, Clone, Default)]
pub struct UserPage {
    pub users: Vec<UserRecord>,
    pub next_token: Option<String>,
}

#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// One page (at most `limit` users, in the pool's order) after `page_token`.
    async fn list_users(&self, page_token: Option<String>, limit: i32) -> Result<UserPage>;

    /// Finds a user by username, or by `sub` when the reference looks like one.
    async fn find_user(&self, user: &UserRef) -> Result<Option<UserRecord>>;

    /// Runs Cognito custom auth on the impersonation client for `username`, answering the
    /// challenge with the grant's secret. Never touches a password.
    async fn mint_session(&self, request: MintRequest<'_>) -> Result<CognitoTokens>;

    /// Revokes a refresh token (Cognito `RevokeToken`): it refreshes no more, and Cognito's own
    /// APIs refuse the access tokens it issued.
    async fn revoke_refresh_token(&self, client_id: &str, refresh_token: &str) -> Result<()>;

    /// Marks an account protected or not (`custom:protected`).
    async fn set_protected(&self, username: &str, protected: bool) -> Result<()>;
}
