//! `GET /auth/me`: who the caller is, and what they may do here — what a console needs to show
//! the right pages (a plain user gets no "Act as", a team admin no "Full").

use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::mode::Mode;
use crate::domain::policy::{Role, SessionKind};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Me {
    pub sub: String,
    pub username: String,
    /// The role's slug: `user`, `team-admin`, `operator`, `admin`, `super-admin`.
    pub role: &'static str,
    pub role_name: &'static str,
    pub tenant: Option<String>,
    pub team: Option<String>,
    /// The token is itself an impersonated session's.
    pub impersonated: bool,
    /// Whether the caller may start impersonations at all (team admins and up, from their own
    /// session).
    pub may_act_as: bool,
    /// The modes the caller may start (empty when they may not act as anyone).
    pub modes: Vec<Mode>,
    pub default_mode: Mode,
}

pub fn me(state: &Api, caller: &Caller) -> Me {
    let principal = caller.user.principal();
    let impersonated = caller.session_kind(state) == SessionKind::Impersonated;
    let may_act_as = !impersonated && principal.role >= Role::TeamAdmin;
    let rules = &state.policy.mode_rules;
    let modes = if !may_act_as {
        vec![]
    } else if rules.full_roles.contains(&principal.role) {
        vec![Mode::ReadOnly, Mode::Full]
    } else {
        vec![Mode::ReadOnly]
    };
    // The default a start would get, as far as this caller is concerned.
    let default_mode = if modes.contains(&rules.default) {
        rules.default
    } else {
        Mode::ReadOnly
    };
    Me {
        sub: principal.sub,
        username: principal.username,
        role: principal.role.slug(),
        role_name: principal.role.display_name(),
        tenant: principal.tenant,
        team: principal.team,
        impersonated,
        may_act_as,
        modes,
        default_mode,
    }
}
