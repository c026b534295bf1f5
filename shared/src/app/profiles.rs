//! `GET /api/public/coworkers/profiles` (seeds 002/003): who the caller may act as.

use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::error::Result;
use crate::domain::payload::{Profile, ProfilesPage};
use crate::domain::policy::{self, Principal, Role, SessionKind};
use crate::domain::user::UserRecord;
use crate::ports::directory::{Directory, DirectoryScope};
use std::sync::Arc;

/// Largest page of `GET /api/public/coworkers/profiles`.
pub const PROFILES_PAGE_SIZE: i32 = 60;

/// What the profiles function builds: the directory, besides what every route has.
pub struct ProfilesState {
    pub api: Api,
    pub directory: Arc<dyn Directory>,
}

/// Whose profiles a caller's pages list: a team admin's team, an operator's or admin's tenant,
/// everyone for a super-admin; nobody for a user (they may act as no one).
fn scope_of(actor: &Principal) -> Option<DirectoryScope> {
    match actor.role {
        Role::SuperAdmin => Some(DirectoryScope::All),
        Role::Admin | Role::Operator => Some(DirectoryScope::Tenant(actor.tenant.clone())),
        Role::TeamAdmin => Some(DirectoryScope::Team {
            tenant: actor.tenant.clone()?,
            team: actor.team.clone()?,
        }),
        Role::User => None,
    }
}

/// The caller (first page only) and, from one directory page of the caller's scope (team,
/// tenant or everyone, in username order), every user the policy lets them act as. The page
/// reads at most `PROFILES_PAGE_SIZE` users, so its cost follows the page, not the pool. The
/// directory may be a little stale; that only changes what is shown: a start reads both users
/// fresh and applies the policy again.
pub async fn list_profiles(
    state: &ProfilesState,
    caller: &Caller,
    page_token: Option<String>,
) -> Result<ProfilesPage> {
    let actor = caller.user.principal();
    let session = caller.session_kind(&state.api);
    let mut profiles = Vec::new();
    if page_token.is_none() {
        profiles.push(profile_of(&caller.user, true, false));
    }
    let may_impersonate = session == SessionKind::Own && actor.enabled && actor.role > Role::User;
    let scope = scope_of(&actor).filter(|_| may_impersonate);
    let Some(scope) = scope else {
        return Ok(ProfilesPage {
            profiles,
            next_token: None,
            page_size: PROFILES_PAGE_SIZE,
        });
    };
    let page = state
        .directory
        .page(&scope, page_token, PROFILES_PAGE_SIZE)
        .await?;
    for user in &page.users {
        if user.sub != caller.user.sub && policy::check(&actor, session, &user.principal()).is_ok()
        {
            profiles.push(profile_of(user, false, true));
        }
    }
    Ok(ProfilesPage {
        profiles,
        next_token: page.next_token,
        page_size: PROFILES_PAGE_SIZE,
    })
}

pub(crate) fn profile_of(user: &UserRecord, is_current: bool, can_impersonate: bool) -> Profile {
    let full_name = user
        .attribute("name")
        .map(str::to_string)
        .or_else(
            || match (user.attribute("given_name"), user.attribute("family_name")) {
                (Some(given), Some(family)) => Some(format!("{given} {family}")),
                _ => None,
            },
        )
        .unwrap_or_else(|| user.username.clone());
    let principal = user.principal();
    Profile {
        id: user.sub.clone(),
        username: user.username.clone(),
        full_name,
        email: user.attribute("email").map(str::to_string),
        team_id: principal.team,
        tenant_id: principal.tenant,
        role: principal.role.display_name().to_string(),
        is_current,
        can_impersonate,
    }
}
