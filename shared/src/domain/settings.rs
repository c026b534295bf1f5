//! What the HTTP functions' use cases are told about their deployment: the user pool they serve
//! (`UserPool`) and the policy knobs they apply (`Policy`: windows, limits, modes, step-up, the
//! identity mapping). Plain data; `bootstrap::config` reads both from the environment, checks
//! them, and keeps the wiring (tables, keys, secrets, JWKS) to itself.

use crate::domain::grant::ApiKeyRequirement;
use crate::domain::identity_mapping::IdentityMapping;
use crate::domain::mode::ModeRules;

/// The Cognito user pool the HTTP functions serve, as far as the use cases and the console need
/// it: which pool, which of its clients is which, and where Cognito is reached from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    pub region: String,
    pub user_pool_id: String,
    /// The client users sign in with (the console signs in here).
    pub sign_in_client_id: String,
    /// The client impersonated sessions are minted on (custom auth) and refreshed on.
    pub impersonation_client_id: String,
    /// The client a revert hands the impersonator's own session back on.
    pub revert_client_id: String,
    /// Cognito's own endpoint: where an impersonator's own session (after a revert) refreshes,
    /// and where the console signs in.
    pub cognito_public_endpoint: String,
}

/// The deployment's policy knobs: how long sessions and their secrets live, what a start must
/// give, which mode it gets, and where the pool keeps roles and tenants. A tenant's own settings
/// may only be stricter.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How long the one-time secret of a fresh grant may be redeemed with Cognito.
    pub mint_window_secs: i64,
    /// The hard limit of an impersonation.
    pub impersonation_max_secs: i64,
    /// How long an impersonated session may go unused (not refreshed) before it is over
    /// (`IMPERSONATION_IDLE_SECONDS`, default 1800); a tenant may set a shorter one.
    pub impersonation_idle_secs: i64,
    /// When a start must come with an API key (`API_KEY_REQUIRED`).
    pub api_key_requirement: ApiKeyRequirement,
    /// Lifetime of impersonated id/access tokens; the hard limit may not be shorter.
    pub token_validity_secs: i64,
    /// Whether every start must give a reason (`REASON_REQUIRED`, default true).
    pub reason_required: bool,
    /// Lifetime of a two-step (seeds 002/003) token.
    pub exchange_token_secs: i64,
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

impl Policy {
    /// How long after a start its first tokens may still be valid: minted within the mint
    /// window, valid for the impersonation client's token validity. No hard end may be sooner.
    pub fn token_horizon_secs(&self) -> i64 {
        self.mint_window_secs + self.token_validity_secs
    }
}
