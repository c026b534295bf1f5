//! Who may act as whom: a pure function over (actor, target), checked at every start, every
//! exchange and every token refresh.

use serde::Serialize;
use std::fmt;

/// Ranks are strict: nobody acts as someone of equal or higher rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    User,
    TeamAdmin,
    Operator,
    Admin,
    SuperAdmin,
}

pub const GROUP_SUPER_ADMIN: &str = "super-admin";

pub const GROUP_ADMIN: &str = "admin";

pub const GROUP_OPERATOR: &str = "operator";

impl Role {
    pub fn rank(self) -> u8 {
        match self {
            Role::User => 0,
            Role::TeamAdmin => 1,
            Role::Operator => 2,
            Role::Admin => 3,
            Role::SuperAdmin => 4,
        }
    }

    /// The `role` value of seed 000's payload (`User`, `Admin`, `Super Admin`, ...).
    pub fn display_name(self) -> &'static str {
        match self {
            Role::User => "User",
            Role::TeamAdmin => "Team Admin",
            Role::Operator => "Operator",
            Role::Admin => "Admin",
            Role::SuperAdmin => "Super Admin",
        }
    }

    /// The role a slug names (`team-admin`, `super-admin`, ...).
    pub fn from_slug(slug: &str) -> Option<Role> {
        [
            Role::User,
            Role::TeamAdmin,
            Role::Operator,
            Role::Admin,
            Role::SuperAdmin,
        ]
        .into_iter()
        .find(|role| role.slug() == slug)
    }

    pub fn slug(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::TeamAdmin => "team-admin",
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::SuperAdmin => "super-admin",
        }
    }
}

/// A Cognito user as the policy sees them, read fresh from the pool (not from a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub sub: String,
    pub username: String,
    pub role: Role,
    pub tenant: Option<String>,
    pub team: Option<String>,
    pub enabled: bool,
}

/// Why the policy said no. The text is safe to show to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The caller's session is itself an impersonation: no chains.
    ChainedImpersonation,
    ActorDisabled,
    /// The caller's role may not use this way of impersonating.
    RoleNotPermitted,
    SelfImpersonation,
    OutsideTenant,
    OutsideTeam,
    /// The target's rank is equal to or higher than the caller's.
    RankNotLower,
    TargetDisabled,
    /// The caller's role may start read-only impersonations only.
    FullModeNotPermitted,
}

impl Denial {
    /// A stable machine-readable name, used in logs and (later) the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Denial::ChainedImpersonation => "chained_impersonation",
            Denial::ActorDisabled => "actor_disabled",
            Denial::RoleNotPermitted => "role_not_permitted",
            Denial::SelfImpersonation => "self_impersonation",
            Denial::OutsideTenant => "outside_tenant",
            Denial::OutsideTeam => "outside_team",
            Denial::RankNotLower => "rank_not_lower",
            Denial::TargetDisabled => "target_disabled",
            Denial::FullModeNotPermitted => "full_mode_not_permitted",
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Denial::ChainedImpersonation => {
                "an impersonated session cannot start another impersonation"
            }
            Denial::ActorDisabled => "your account is disabled",
            Denial::RoleNotPermitted => "your role is not permitted to impersonate users here",
            Denial::SelfImpersonation => "you cannot impersonate yourself",
            Denial::OutsideTenant => "the user is outside your tenant",
            Denial::OutsideTeam => "the user is not a member of your team",
            Denial::RankNotLower => "you may only impersonate users of a lower rank",
            Denial::TargetDisabled => "the user is disabled",
            Denial::FullModeNotPermitted => {
                "your role may only start read-only impersonations (mode read_only)"
            }
        })
    }
}

/// What the actor's credentials say about the session they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Own,
    /// The caller's token carries `act`: it is itself an impersonation.
    Impersonated,
}

/// The lowest role a route accepts: `/auth/impersonate` and the sys routes take operators and
/// above; the public team-admin route takes team admins and above.
pub fn check_route_role(actor: &Principal, minimum: Role) -> Result<(), Denial> {
    if actor.role < minimum {
        return Err(Denial::RoleNotPermitted);
    }
    Ok(())
}

/// May `actor` act as `target`? The order of the checks decides which reason the caller hears:
/// nothing about a user of another tenant (such as whether they are disabled) is revealed.
pub fn check(actor: &Principal, session: SessionKind, target: &Principal) -> Result<(), Denial> {
    if session == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation);
    }
    if !actor.enabled {
        return Err(Denial::ActorDisabled);
    }
    if actor.role == Role::User {
        return Err(Denial::RoleNotPermitted);
    }
    if actor.sub == target.sub {
        return Err(Denial::SelfImpersonation);
    }
    let same_tenant = matches!((&actor.tenant, &target.tenant), (Some(a), Some(t)) if a == t);
    let same_team =
        same_tenant && matches!((&actor.team, &target.team), (Some(a), Some(t)) if a == t);
    match actor.role {
        Role::SuperAdmin => {}
        Role::Admin | Role::Operator if !same_tenant => return Err(Denial::OutsideTenant),
        Role::TeamAdmin if !same_tenant => return Err(Denial::OutsideTenant),
        Role::TeamAdmin if !same_team => return Err(Denial::OutsideTeam),
        _ => {}
    }
    if target.role.rank() >= actor.role.rank() {
        return Err(Denial::RankNotLower);
    }
    if !target.enabled {
        return Err(Denial::TargetDisabled);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    fn principal(sub: &str, role: Role, tenant: Option<&str>, team: Option<&str>) -> Principal {
        Principal {
            sub: sub.to_string(),
            username: format!("{sub}-name"),
            role,
            tenant: tenant.map(str::to_string),
            team: team.map(str::to_string),
            enabled: true,
        }
    }

    const ROLES: [Role; 5] = [User, TeamAdmin, Operator, Admin, SuperAdmin];

    /// Every role pair in the same tenant and team: allowed exactly when the actor is not a plain
    /// user and outranks the target.
    #[test]
    fn rank_table_same_tenant_same_team() {
        for actor_role in ROLES {
            for target_role in ROLES {
                let actor = principal("a", actor_role, Some("acme"), Some("support"));
                let target = principal("t", target_role, Some("acme"), Some("support"));
                let got = check(&actor, SessionKind::Own, &target);
                let expected = if actor_role == User {
                    Err(Denial::RoleNotPermitted)
                } else if target_role.rank() >= actor_role.rank() {
                    Err(Denial::RankNotLower)
                } else {
                    Ok(())
                };
                assert_eq!(got, expected, "{actor_role:?} acting as {target_role:?}");
            }
        }
    }

    /// Every role pair across tenants: only a super-admin crosses, and still only downwards.
    #[test]
    fn rank_table_other_tenant() {
        for actor_role in ROLES {
            for target_role in ROLES {
                let actor = principal("a", actor_role, Some("acme"), Some("support"));
                let target = principal("t", target_role, Some("globex"), Some("support"));
                let got = check(&actor, SessionKind::Own, &target);
                let expected = match actor_role {
                    User => Err(Denial::RoleNotPermitted),
                    SuperAdmin if target_role.rank() >= SuperAdmin.rank() => {
                        Err(Denial::RankNotLower)
                    }
                    SuperAdmin => Ok(()),
                    _ => Err(Denial::OutsideTenant),
                };
                assert_eq!(got, expected, "{actor_role:?} acting as {target_role:?}");
            }
        }
    }

    #[test]
    fn scope_cases() {
        struct Case {
            name: &'static str,
            actor: Principal,
            target: Principal,
            expected: Result<(), Denial>,
        }
        let cases = [
            Case {
                name: "team admin, member of own team",
                actor: principal("a", TeamAdmin, Some("acme"), Some("support")),
                target: principal("t", User, Some("acme"), Some("support")),
                expected: Ok(()),
            },
            Case {
                name: "team admin, member of another team",
                actor: principal("a", TeamAdmin, Some("acme"), Some("support")),
                target: principal("t", User, Some("acme"), Some("sales")),
                expected: Err(Denial::OutsideTeam),
            },
            Case {
                name: "team admin, user with no team",
                actor: principal("a", TeamAdmin, Some("acme"), Some("support")),
                target: principal("t", User, Some("acme"), None),
                expected: Err(Denial::OutsideTeam),
            },
            Case {
                name: "team admin without a team reaches nobody",
                actor: principal("a", TeamAdmin, Some("acme"), None),
                target: principal("t", User, Some("acme"), None),
                expected: Err(Denial::OutsideTeam),
            },
            Case {
                name: "team admin, same team name in another tenant",
                actor: principal("a", TeamAdmin, Some("acme"), Some("support")),
                target: principal("t", User, Some("globex"), Some("support")),
                expected: Err(Denial::OutsideTenant),
            },
            Case {
                name: "operator, user of another team in own tenant",
                actor: principal("a", Operator, Some("acme"), None),
                target: principal("t", User, Some("acme"), Some("sales")),
                expected: Ok(()),
            },
            Case {
                name: "admin without a tenant reaches nobody",
                actor: principal("a", Admin, None, None),
                target: principal("t", User, None, None),
                expected: Err(Denial::OutsideTenant),
            },
            Case {
                name: "operator, user without a tenant",
                actor: principal("a", Operator, Some("acme"), None),
                target: principal("t", User, None, None),
                expected: Err(Denial::OutsideTenant),
            },
            Case {
                name: "super-admin, user without a tenant",
                actor: principal("a", SuperAdmin, None, None),
                target: principal("t", User, None, None),
                expected: Ok(()),
            },
            Case {
                name: "self",
                actor: principal("a", Admin, Some("acme"), None),
                target: principal("a", Admin, Some("acme"), None),
                expected: Err(Denial::SelfImpersonation),
            },
            Case {
                name: "disabled target",
                actor: principal("a", Admin, Some("acme"), None),
                target: Principal {
                    enabled: false,
                    ..principal("t", User, Some("acme"), None)
                },
                expected: Err(Denial::TargetDisabled),
            },
            Case {
                name: "disabled target in another tenant is reported as outside the tenant",
                actor: principal("a", Admin, Some("acme"), None),
                target: Principal {
                    enabled: false,
                    ..principal("t", User, Some("globex"), None)
                },
                expected: Err(Denial::OutsideTenant),
            },
            Case {
                name: "disabled actor",
                actor: Principal {
                    enabled: false,
                    ..principal("a", SuperAdmin, None, None)
                },
                target: principal("t", User, Some("acme"), None),
                expected: Err(Denial::ActorDisabled),
            },
        ];
        for case in cases {
            assert_eq!(
                check(&case.actor, SessionKind::Own, &case.target),
                case.expected,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn no_chains_even_for_a_super_admin() {
        let actor = principal("a", SuperAdmin, Some("acme"), None);
        let target = principal("t", User, Some("acme"), None);
        assert_eq!(
            check(&actor, SessionKind::Impersonated, &target),
            Err(Denial::ChainedImpersonation)
        );
    }

    #[test]
    fn route_minimum_role() {
        let team_admin = principal("a", TeamAdmin, Some("acme"), Some("support"));
        let operator = principal("o", Operator, Some("acme"), None);
        assert_eq!(
            check_route_role(&team_admin, Operator),
            Err(Denial::RoleNotPermitted)
        );
        assert_eq!(check_route_role(&operator, Operator), Ok(()));
        assert_eq!(check_route_role(&team_admin, TeamAdmin), Ok(()));
    }
}
