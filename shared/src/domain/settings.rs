//! The HTTP functions' settings: what the deployment names (table, pool, clients, endpoints)
//! and the policy knobs the use cases apply (windows, limits, modes, step-up, the identity
//! mapping). Plain data; `bootstrap::config` reads it from the environment and checks it.

use crate::domain::grant::ApiKeyRequirement;
use crate::domain::identity_mapping::IdentityMapping;
use crate::domain::mode::ModeRules;

/// Configuration of the HTTP functions.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub region: String,
    pub table_name: String,
    pub user_pool_id: String,
    pub sign_in_client_id: String,
    pub impersonation_client_id: String,
    /// The client a revert hands the impersonator's own session back on.
    pub revert_client_id: String,
    /// Where the pool's signing keys are fetched from. On AWS it derives from the issuer; the
    /// local emulator serves it elsewhere, so it is configuration.
    pub jwks_url: String,
    pub token_issuer: String,
    /// Cognito's own endpoint: where an impersonator's own session (after a revert) refreshes.
    pub cognito_public_endpoint: String,
    /// The API's public base URL (`PUBLIC_API_URL`, e.g. behind a custom domain). Unset, it is
    /// read from each request. Impersonated sessions refresh at `{base}/auth/cognito`.
    pub public_api_url: Option<String>,
    /// How long the one-time secret of a fresh grant may be redeemed with Cognito.
    pub mint_window_secs: i64,
    /// The hard limit of an impersonation.
    pub impersonation_max_secs: i64,
    /// How long an impersonated session may go unused (not refreshed) before it is over
    /// (`IMPERSONATION_IDLE_SECONDS`, default 1800); a tenant may set a shorter one.
    pub impersonation_idle_secs: i64,
    pub api_key_requirement: ApiKeyRequirement,
    /// The audit trail's own table (`AUDIT_TABLE_NAME`).
    pub audit_table_name: String,
    /// The KMS key that seals impersonated sessions' refresh tokens (kept for revocation).
    pub refresh_token_key_id: String,
    /// Lifetime of impersonated id/access tokens; the hard limit may not be shorter.
    pub token_validity_secs: i64,
    /// Whether every start must give a reason (`REASON_REQUIRED`, default true).
    pub reason_required: bool,
    /// Lifetime of a two-step (seeds 002/003) token.
    pub exchange_token_secs: i64,
    /// The secret holding actas's signing keys for two-step tokens; only the functions that
    /// issue or exchange them need it (`require_signing_key_secret`).
    pub signing_key_secret_id: Option<String>,
    /// The usage plan of API keys without their own: starts per key per minute
    /// (`API_KEY_REQUESTS_PER_MINUTE`, default 600).
    pub api_key_requests_per_minute: u32,
    /// Which mode a start gets by default and who may start `full` sessions
    /// (`DEFAULT_IMPERSONATION_MODE`, `FULL_MODE_ROLES`, `FULL_MODE_REQUIRES_TICKET`).
    pub mode_rules: ModeRules,
    /// How long an access request waits for approval and consent (`REQUEST_WINDOW_SECONDS`,
    /// default 900).
    pub request_window_secs: i64,
    /// Step-up (`STEP_UP_MAX_AGE_SECONDS`, default 0: off): how recent the actor's sign-in must
    /// be to start, break glass or approve. A tenant may set one of its own, stricter when this
    /// is set.
    pub step_up_max_age_secs: i64,
    /// Where the pool keeps role, tenant, team and protection (`ROLE_GROUPS`, ...).
    pub identity_mapping: IdentityMapping,
}

impl ApiConfig {
    /// How long after a start its first tokens may still be valid: minted within the mint
    /// window, valid for the impersonation client's token validity. No hard end may be sooner.
    pub fn token_horizon_secs(&self) -> i64 {
        self.mint_window_secs + self.token_validity_secs
    }
}
