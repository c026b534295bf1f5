//! The session payload: the union of seed 001 (`endpointUrl` ... `session{...}`) and seed 000
//! (`token`, `role`, ... `updated_at`), so a client of either works unchanged. Seed 001's
//! `password` is deliberately absent: actas never sets, reads or returns a password.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionPayload {
    #[serde(rename = "endpointUrl")]
    pub endpoint_url: String,
    #[serde(rename = "clientId")]
    pub client_id: String,
    #[serde(rename = "userPoolId")]
    pub user_pool_id: String,
    pub username: String,
    pub session: SessionTokens,
    /// Seed 000's bearer token: the id token, as `session.authorization`.
    pub token: String,
    pub role: String,
    pub timezone: String,
    pub provider: String,
    /// Present on impersonated sessions; `null` on an impersonator's own session after a revert.
    pub impersonator_revert_token: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonation: Option<ImpersonationSummary>,
}

/// Seeds 002 and 003: the short-lived token to exchange for a session.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub token: String,
}

/// One entry of `GET /api/public/coworkers/profiles`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Profile {
    /// The user's `sub`: usable as `coworkerId`.
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub team_id: Option<String>,
    pub tenant_id: Option<String>,
    pub role: String,
    pub is_current: bool,
    pub can_impersonate: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ProfilesPage {
    pub profiles: Vec<Profile>,
    /// Pass as `nextToken` for the next page; absent on the last page.
    pub next_token: Option<String>,
    pub page_size: i32,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SessionTokens {
    /// The id token (seed 001 sends it as `Authorization`).
    pub authorization: String,
    pub access_token: String,
    pub refresh_token: String,
    /// When the tokens stop working, in epoch milliseconds.
    pub expire_epoch: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ActorSummary {
    pub sub: String,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImpersonationSummary {
    pub id: String,
    pub actor: ActorSummary,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    /// `read_only` or `full`: what the session may do, for its whole life.
    pub mode: &'static str,
    /// The hard end of the impersonation (RFC 3339).
    pub expires_at: String,
    /// How long the session may go unused (not refreshed) before it is over; `0`: no idle
    /// timeout.
    pub idle_seconds: i64,
    /// When it is over unless it is refreshed before (RFC 3339): each refresh moves it on by
    /// `idle_seconds`. `None` without an idle timeout.
    pub idle_ends_at: Option<String>,
}
