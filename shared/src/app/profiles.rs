//! `GET /api/public/coworkers/profiles` (seeds 002/003): who the caller may act as.

use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::error::{ActasError, Result};
use crate::domain::payload::{Profile, ProfilesPage};
use crate::domain::policy::{self, Role, SessionKind};
use crate::domain::user::UserRecord;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Largest page of `GET /api/public/coworkers/profiles` (Cognito's `ListUsers` maximum).
pub const PROFILES_PAGE_SIZE: i32 = 60;

/// The caller (first page only) and every user of one page of the pool the policy lets them
/// act as. One `ListUsers` page per call bounds the work; a page may hold fewer profiles than
/// its size, and only a missing `NextToken` means the end.
pub async fn list_profiles(
    state: &Api,
    caller: &Caller,
    page_token: Option<String>,
) -> Result<ProfilesPage> {
    let actor = caller.user.principal();
    let session = caller.session_kind(state);
    let mut profiles = Vec::new();
    if page_token.is_none() {
        profiles.push(profile_of(&caller.user, true, false));
    }
    let may_impersonate = session == SessionKind::Own && actor.enabled && actor.role > Role::User;
    if !may_impersonate {
        return Ok(ProfilesPage {
            profiles,
            next_token: None,
            page_size: PROFILES_PAGE_SIZE,
        });
    }
    let cognito_token = match page_token {
        Some(token) => Some(decode_page_token(&token)?),
        None => None,
    };
    let page = state
        .identity
        .list_users(cognito_token, PROFILES_PAGE_SIZE)
        .await?;
    for user in &page.users {
        if user.sub != caller.user.sub && policy::check(&actor, session, &user.principal()).is_ok()
        {
            profiles.push(profile_of(user, false, true));
        }
    }
    Ok(ProfilesPage {
        profiles,
        next_token: page.next_token.map(|t| URL_SAFE_NO_PAD.encode(t)),
        page_size: PROFILES_PAGE_SIZE,
    })
}

pub(crate) fn decode_page_token(token: &str) -> Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|t| !t.is_empty() && t.len() <= 2048 && !t.chars().any(char::is_control))
        .ok_or_else(|| ActasError::BadRequest("nextToken is not valid".into()))
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
