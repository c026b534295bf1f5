//! Grants: an impersonation (each carrying its one-time mint secret and its revert secret,
//! hashed), a two-step token's grant, a remint, and a customer API key. Plain data and their rules.

use crate::domain::mode::Mode;

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
    /// What the session may do; fixed at the start, in every token it gets.
    pub mode: Mode,
    /// Started by a super-admin's break-glass: its start and end are always notified.
    pub break_glass: bool,
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
    /// When the session was last used (epoch seconds): its start, then each successful refresh.
    /// A record written before idle timeouts existed reads its start here.
    pub last_active_at: i64,
    /// How long the session may go unused before it is over (seconds), fixed at the start: the
    /// tenant's `idle_seconds` or the deployment's, whichever is shorter. `0`: no idle timeout
    /// (a record written before idle timeouts existed; only its hard end applies).
    pub idle_secs: i64,
}

impl Impersonation {
    /// Active and before its hard end. Being idle is a separate question (`is_idle`): an idle
    /// impersonation is still live until something ends it.
    pub fn is_live(&self, now_secs: i64) -> bool {
        self.status == ImpersonationStatus::Active && now_secs < self.ends_at
    }

    /// When the session is over unless it is used before (epoch seconds); `i64::MAX` without an
    /// idle timeout.
    pub fn idle_ends_at(&self) -> i64 {
        if self.idle_secs > 0 {
            self.last_active_at.saturating_add(self.idle_secs)
        } else {
            i64::MAX
        }
    }

    /// Unused for its idle timeout: the session is over, whatever its hard end says.
    pub fn is_idle(&self, now_secs: i64) -> bool {
        now_secs >= self.idle_ends_at()
    }

    /// Live and not idle: what may refresh, and what a token check calls valid.
    pub fn is_in_use(&self, now_secs: i64) -> bool {
        self.is_live(now_secs) && !self.is_idle(now_secs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyStatus {
    Active,
    Revoked,
}

/// When `POST /auth/impersonate` demands an `X-API-Key` (a presented key is always checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyRequirement {
    /// Seed 001's dialect (body `username`) requires one; seed 000's (`?uuid=`) does not,
    /// because its clients never send one.
    UsernameDialect,
    Always,
}

impl std::str::FromStr for ApiKeyRequirement {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "username-dialect" => Ok(ApiKeyRequirement::UsernameDialect),
            "always" => Ok(ApiKeyRequirement::Always),
            _ => Err(()),
        }
    }
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
    /// This key's usage plan: starts per minute it may make (`None`: the deployment's
    /// `API_KEY_REQUESTS_PER_MINUTE`).
    pub requests_per_minute: Option<u32>,
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
    /// The mode the exchanged session gets, decided when the token was issued.
    pub mode: Mode,
    /// The longest the exchanged session may last when an approver shortened it.
    pub max_duration_secs: Option<i64>,
    /// The approval the token's start redeemed, if any.
    pub approved: Option<crate::domain::mode::ApprovedStart>,
    /// When the token expires (epoch seconds).
    pub token_expires_at: i64,
    /// DynamoDB TTL.
    pub expires_at: i64,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn impersonation(last_active_at: i64, idle_secs: i64) -> Impersonation {
        Impersonation {
            id: "i".into(),
            kind: GrantKind::Impersonation,
            actor_sub: "a".into(),
            actor_username: "admin".into(),
            target_sub: "t".into(),
            target_username: "user".into(),
            tenant: None,
            reason: None,
            ticket: None,
            mode: Mode::ReadOnly,
            break_glass: false,
            client_id: "c".into(),
            status: ImpersonationStatus::Active,
            created_at_millis: 1_000_000,
            ends_at: 10_000,
            mint_deadline: 1_060,
            mint_secret_hash: "h".into(),
            revert_secret_hash: "h".into(),
            expires_at: 100_000,
            refresh_token_sealed: None,
            ended_at: None,
            revoked_at: None,
            last_active_at,
            idle_secs,
        }
    }

    #[test]
    fn a_session_is_idle_once_unused_for_its_idle_timeout() {
        // (last active, idle timeout, now) → (idle ends at, idle, in use)
        let cases = [
            (1_000, 600, 1_000, 1_600, false, true),
            (1_000, 600, 1_599, 1_600, false, true),
            (1_000, 600, 1_600, 1_600, true, false),
            (1_000, 600, 5_000, 1_600, true, false),
            // Used again: the timeout counts from the last use.
            (1_500, 600, 1_600, 2_100, false, true),
            // No idle timeout (a record from before them): only the hard end counts.
            (1_000, 0, 9_999, i64::MAX, false, true),
            (1_000, 0, 10_000, i64::MAX, false, false),
            // Idle or not, nothing is in use past its hard end.
            (9_900, 600, 10_000, 10_500, false, false),
        ];
        for (last, idle, now, ends, is_idle, in_use) in cases {
            let imp = impersonation(last, idle);
            let case = format!("last {last}, idle {idle}, now {now}");
            assert_eq!(imp.idle_ends_at(), ends, "{case}");
            assert_eq!(imp.is_idle(now), is_idle, "{case}");
            assert_eq!(imp.is_in_use(now), in_use, "{case}");
            assert_eq!(
                imp.is_live(now),
                now < imp.ends_at,
                "{case}: the hard end alone"
            );
        }
    }
}
