//! What an impersonated session may do: look (`read_only`) or act (`full`). Chosen at the start,
//! fixed for the session's whole life, written into its tokens and enforced downstream.

use crate::domain::error::{ActasError, Result};
use crate::domain::justification::Justification;
use crate::domain::policy::{Denial, Principal, Role};

/// The mode, as the tokens carry it: defined once, in the kit services verify tokens with
/// (`as_str`, `parse`, `stored`, `requested`, serde names `read_only` and `full`).
pub use actas_verify::Mode;

/// A `mode` field that is neither name is a 422.
impl From<actas_verify::UnknownMode> for ActasError {
    fn from(err: actas_verify::UnknownMode) -> ActasError {
        ActasError::Unprocessable(err.to_string())
    }
}

/// The deployment's rules for modes (`DEFAULT_IMPERSONATION_MODE`, `FULL_MODE_ROLES`,
/// `FULL_MODE_REQUIRES_TICKET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeRules {
    /// What a start that names no mode gets.
    pub default: Mode,
    /// Who may start `full` sessions.
    pub full_roles: Vec<Role>,
    /// Whether a `full` start must name a ticket.
    pub full_requires_ticket: bool,
}

impl Default for ModeRules {
    /// Read-only unless asked; team admins look only; no ticket needed.
    fn default() -> Self {
        ModeRules {
            default: Mode::ReadOnly,
            full_roles: vec![Role::Operator, Role::Admin, Role::SuperAdmin],
            full_requires_ticket: false,
        }
    }
}

impl ModeRules {
    /// The mode this start gets, or why not: a role not allowed `full` is refused (403) rather
    /// than quietly given less than it asked for.
    pub fn resolve(
        &self,
        requested: Option<Mode>,
        actor: &Principal,
        justification: &Justification,
    ) -> Result<Mode> {
        let mode = requested.unwrap_or(self.default);
        if mode == Mode::Full {
            if !self.full_roles.contains(&actor.role) {
                return Err(Denial::FullModeNotPermitted.into());
            }
            if self.full_requires_ticket && justification.ticket.is_none() {
                return Err(ActasError::Unprocessable(
                    "a ticket is required for a full impersonation".into(),
                ));
            }
        }
        Ok(mode)
    }

    /// `FULL_MODE_ROLES`: role slugs separated by commas (`operator,admin,super-admin`).
    pub fn parse_roles(value: &str) -> Option<Vec<Role>> {
        value
            .split(',')
            .map(str::trim)
            .filter(|slug| !slug.is_empty())
            .map(Role::from_slug)
            .collect()
    }
}

/// What a grant is started with: why (reason, ticket) and how (mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub justification: Justification,
    pub mode: Mode,
    /// The tenant's maximum duration, when shorter than the deployment's.
    pub max_duration_secs: Option<i64>,
    /// The tenant's idle timeout, when shorter than the deployment's.
    pub idle_secs: Option<i64>,
    /// A super-admin's break-glass start.
    pub break_glass: bool,
    /// The approval this start redeemed, named in its audit record (and so in the notice).
    pub approved: Option<ApprovedStart>,
}

/// An approval a start redeemed: which request, and who approved on which terms ("approved by
/// bob: read_only, at most 900 s").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedStart {
    pub request_id: String,
    pub note: String,
}

impl Terms {
    pub fn new(justification: Justification, mode: Mode) -> Terms {
        Terms {
            justification,
            mode,
            max_duration_secs: None,
            idle_secs: None,
            break_glass: false,
            approved: None,
        }
    }
}

impl Terms {
    /// An impersonator's own session (a revert): no reason, and nothing to restrict.
    pub fn own_session() -> Terms {
        Terms::new(Justification::default(), Mode::Full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            sub: "s".into(),
            username: "u".into(),
            role,
            tenant: Some("acme".into()),
            team: None,
            enabled: true,
        }
    }

    fn why(ticket: Option<&str>) -> Justification {
        Justification {
            reason: Some("help".into()),
            ticket: ticket.map(str::to_string),
        }
    }

    #[test]
    fn names_parse_exactly_and_blank_means_default() {
        assert_eq!(
            Mode::requested(Some("read_only")).unwrap(),
            Some(Mode::ReadOnly)
        );
        assert_eq!(Mode::requested(Some(" full ")).unwrap(), Some(Mode::Full));
        assert_eq!(Mode::requested(None).unwrap(), None);
        assert_eq!(Mode::requested(Some("  ")).unwrap(), None);
        for bad in ["FULL", "readonly", "read-only", "write", "all"] {
            let err = ActasError::from(Mode::requested(Some(bad)).unwrap_err());
            assert_eq!(err.status(), 422, "{bad}");
            assert_eq!(err.to_string(), "mode must be read_only or full", "{bad}");
        }
    }

    #[test]
    fn stored_modes_fail_closed() {
        assert_eq!(Mode::stored(Some("full")), Mode::Full);
        assert_eq!(Mode::stored(Some("read_only")), Mode::ReadOnly);
        assert_eq!(Mode::stored(None), Mode::ReadOnly);
        assert_eq!(Mode::stored(Some("root")), Mode::ReadOnly);
    }

    #[test]
    fn rules_table() {
        let rules = ModeRules::default();
        let strict = ModeRules {
            default: Mode::ReadOnly,
            full_roles: vec![Role::SuperAdmin],
            full_requires_ticket: true,
        };
        let open_default = ModeRules {
            default: Mode::Full,
            ..ModeRules::default()
        };
        // (rules, role, requested, ticket, expected mode or status)
        type Case<'a> = (
            &'a ModeRules,
            Role,
            Option<Mode>,
            Option<&'a str>,
            Result<Mode, u16>,
        );
        let cases: Vec<Case> = vec![
            (&rules, Role::TeamAdmin, None, None, Ok(Mode::ReadOnly)),
            (
                &rules,
                Role::TeamAdmin,
                Some(Mode::ReadOnly),
                None,
                Ok(Mode::ReadOnly),
            ),
            (
                &rules,
                Role::TeamAdmin,
                Some(Mode::Full),
                Some("T-1"),
                Err(403),
            ),
            (
                &rules,
                Role::Operator,
                Some(Mode::Full),
                None,
                Ok(Mode::Full),
            ),
            (&rules, Role::Admin, None, None, Ok(Mode::ReadOnly)),
            (
                &strict,
                Role::Admin,
                Some(Mode::Full),
                Some("T-1"),
                Err(403),
            ),
            (&strict, Role::SuperAdmin, Some(Mode::Full), None, Err(422)),
            (
                &strict,
                Role::SuperAdmin,
                Some(Mode::Full),
                Some("T-1"),
                Ok(Mode::Full),
            ),
            (
                &strict,
                Role::SuperAdmin,
                Some(Mode::ReadOnly),
                None,
                Ok(Mode::ReadOnly),
            ),
            // A default of full still holds roles to the rules.
            (&open_default, Role::Admin, None, None, Ok(Mode::Full)),
            (&open_default, Role::TeamAdmin, None, None, Err(403)),
        ];
        for (rules, role, requested, ticket, expected) in cases {
            let got = rules
                .resolve(requested, &principal(role), &why(ticket))
                .map_err(|e| e.status());
            assert_eq!(
                got, expected,
                "{role:?} asking {requested:?} with {ticket:?}"
            );
        }
    }

    #[test]
    fn role_lists_parse_by_slug() {
        assert_eq!(
            ModeRules::parse_roles("operator, admin,super-admin"),
            Some(vec![Role::Operator, Role::Admin, Role::SuperAdmin])
        );
        assert_eq!(ModeRules::parse_roles(""), Some(vec![]));
        assert_eq!(ModeRules::parse_roles("admin,root"), None);
    }
}
