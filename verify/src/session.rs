//! Who the caller is, once their token checks out, and whether they may write.

use crate::error::VerifyError;
use crate::write_rule::WriteRule;
use http::Method;

/// Which of Cognito's tokens was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

/// What an impersonated session may do, fixed when it started: look (`read_only`) or act
/// (`full`). actas chooses it at the start, writes it into the session's tokens
/// ([`IMPERSONATION_MODE`](crate::claims::IMPERSONATION_MODE)) and services enforce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Look, never change: every write is refused (no write scope, and
    /// `impersonation_mode: read_only` for the authorizer and this crate).
    ReadOnly,
    /// Act as the user (never Cognito self-service).
    Full,
}

/// A mode a caller asked for that is neither `read_only` nor `full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("mode must be read_only or full")]
pub struct UnknownMode;

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadOnly => "read_only",
            Mode::Full => "full",
        }
    }

    /// Exactly `read_only` or `full`.
    pub fn parse(value: &str) -> Option<Mode> {
        match value {
            "read_only" => Some(Mode::ReadOnly),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }

    /// The `impersonation_mode` claim of an impersonated token: only `full` is full; a missing
    /// or unknown value is read-only (never more than the token proves).
    pub fn of_claim(value: Option<&str>) -> Mode {
        value.and_then(Mode::parse).unwrap_or(Mode::ReadOnly)
    }

    /// A stored mode (a record written before modes existed has none): read as the claim is,
    /// never more than it can prove.
    pub fn stored(value: Option<&str>) -> Mode {
        Mode::of_claim(value)
    }

    /// A caller's `mode` field: absent or blank means "the default" (`None`); anything else but
    /// the two names is refused.
    pub fn requested(value: Option<&str>) -> Result<Option<Mode>, UnknownMode> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(value) => Mode::parse(value).map(Some).ok_or(UnknownMode),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mode {
    type Err = ();
    fn from_str(value: &str) -> Result<Self, ()> {
        Mode::parse(value.trim()).ok_or(())
    }
}

/// The impersonator behind an impersonated session (the RFC 8693 `act` claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub sub: String,
    pub username: String,
}

/// A verified caller: the user the token is for and, for an impersonated session, who is
/// acting as them and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user's `sub`: in an impersonated session, the impersonated user's.
    pub sub: String,
    pub username: String,
    pub token_use: TokenUse,
    pub client_id: String,
    /// `exp`, epoch seconds.
    pub expires_at: i64,
    pub actor: Option<Actor>,
    pub impersonation_id: Option<String>,
    /// Set for every impersonated session (read-only unless the token says `full`).
    pub mode: Option<Mode>,
    /// The impersonation's hard end (`impersonation_expires_at`), epoch seconds.
    pub ends_at: Option<i64>,
    /// Access tokens' `scope`, split; empty for id tokens.
    pub scopes: Vec<String>,
    /// `cognito:groups` (id tokens).
    pub groups: Vec<String>,
    /// `custom:tenant_id` (id tokens).
    pub tenant: Option<String>,
}

impl Session {
    pub fn is_impersonated(&self) -> bool {
        self.actor.is_some() || self.impersonation_id.is_some()
    }

    /// Ordinary sessions and full impersonations may write; read-only ones may not.
    pub fn may_write(&self) -> bool {
        match self.mode {
            Some(mode) => mode == Mode::Full,
            None => !self.is_impersonated(),
        }
    }

    /// Refuses a write (as `rule` defines writes) by a session that may not write.
    pub fn authorize(&self, method: &Method, rule: &WriteRule) -> Result<(), VerifyError> {
        if rule.is_write(method) && !self.may_write() {
            return Err(VerifyError::ReadOnly);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(actor: bool, impersonation_id: bool, mode: Option<Mode>) -> Session {
        Session {
            sub: "target-sub".into(),
            username: "bob".into(),
            token_use: TokenUse::Id,
            client_id: "client".into(),
            expires_at: 0,
            actor: actor.then(|| Actor {
                sub: "actor-sub".into(),
                username: "alice".into(),
            }),
            impersonation_id: impersonation_id.then(|| "imp-1".to_string()),
            mode,
            ends_at: None,
            scopes: vec![],
            groups: vec![],
            tenant: None,
        }
    }

    #[test]
    fn who_may_write() {
        let cases = [
            ("ordinary", session(false, false, None), false, true),
            (
                "full impersonation",
                session(true, true, Some(Mode::Full)),
                true,
                true,
            ),
            (
                "read-only impersonation",
                session(true, true, Some(Mode::ReadOnly)),
                true,
                false,
            ),
            // Built by hand without a mode: still read-only.
            ("act without mode", session(true, false, None), true, false),
            (
                "impersonation id only",
                session(false, true, None),
                true,
                false,
            ),
        ];
        for (name, session, impersonated, may_write) in cases {
            assert_eq!(session.is_impersonated(), impersonated, "{name}");
            assert_eq!(session.may_write(), may_write, "{name}");
            let rule = WriteRule::default();
            assert_eq!(session.authorize(&Method::GET, &rule), Ok(()), "{name}");
            let post = session.authorize(&Method::POST, &rule);
            if may_write {
                assert_eq!(post, Ok(()), "{name}");
            } else {
                assert_eq!(post, Err(VerifyError::ReadOnly), "{name}");
            }
        }
    }

    #[test]
    fn mode_claim_is_full_only_when_it_says_so() {
        assert_eq!(Mode::of_claim(Some("full")), Mode::Full);
        for other in [
            None,
            Some("read_only"),
            Some("FULL"),
            Some(""),
            Some("admin"),
        ] {
            assert_eq!(Mode::of_claim(other), Mode::ReadOnly, "{other:?}");
            assert_eq!(Mode::stored(other), Mode::ReadOnly, "{other:?}");
        }
        assert_eq!(Mode::stored(Some("full")), Mode::Full);
    }

    #[test]
    fn names_round_trip_and_requests_are_exact() {
        for mode in [Mode::ReadOnly, Mode::Full] {
            assert_eq!(Mode::parse(mode.as_str()), Some(mode));
            assert_eq!(mode.to_string().parse::<Mode>(), Ok(mode));
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
        }
        assert_eq!(Mode::requested(Some(" full ")), Ok(Some(Mode::Full)));
        assert_eq!(Mode::requested(Some(" ")), Ok(None));
        assert_eq!(Mode::requested(Some("FULL")), Err(UnknownMode));
    }
}
