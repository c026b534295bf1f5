//! `GET /auth/impersonations`: the impersonations a caller may see, filtered and paged.

use crate::app::authenticate::Caller;
use crate::app::state::ReadState;
use crate::app::token_check::ImpersonationView;
use crate::domain::error::Result;
use crate::domain::policy::Role;
use crate::domain::user::UserRef;
use serde::Serialize;

/// Filters of `GET /auth/impersonations`, parsed at the edge (`http::filters`).
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    /// Only live (`true`) or only ended (`false`) impersonations.
    pub active: Option<bool>,
    pub actor: Option<UserRef>,
    pub target: Option<TargetFilter>,
    /// Started at or after (epoch milliseconds).
    pub since_millis: Option<i64>,
    pub next_token: Option<String>,
}

/// Whom a `target` filter names: the caller (`me`), or a user by username or `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetFilter {
    Me,
    User(UserRef),
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImpersonationList {
    pub impersonations: Vec<ImpersonationView>,
    /// Pass back as `nextToken`; `null` on the last page.
    pub next_token: Option<String>,
    pub page_size: i32,
}

pub const LIST_PAGE_SIZE: i32 = 50;

/// A user named by username or `sub`, as its `sub`; `None` if there is no such user.
pub(crate) async fn sub_of(
    state: &crate::app::state::Api,
    user: &UserRef,
) -> Result<Option<String>> {
    Ok(state.identity.find_user(user).await?.map(|u| u.sub))
}

/// `GET /auth/impersonations`: super-admins see all, admins and operators their tenant, anyone
/// else what they started; and everyone may list the impersonations of themself (`target=me`).
pub async fn list_impersonations(
    state: &ReadState,
    caller: &Caller,
    filters: ListFilters,
) -> Result<ImpersonationList> {
    use crate::ports::grants::{ListQuery, ListScope};
    caller.require_own_session(&state.api)?;
    let me = caller.user.principal();
    let empty = || ImpersonationList {
        impersonations: vec![],
        next_token: None,
        page_size: LIST_PAGE_SIZE,
    };

    let mut actor_sub = match &filters.actor {
        Some(actor) => match sub_of(&state.api, actor).await? {
            Some(sub) => Some(sub),
            None => return Ok(empty()),
        },
        None => None,
    };
    let (scope, target_sub) = match &filters.target {
        Some(TargetFilter::Me) => (ListScope::Target(me.sub.clone()), None),
        named => {
            let target_sub = match named {
                Some(TargetFilter::User(target)) => match sub_of(&state.api, target).await? {
                    Some(sub) => Some(sub),
                    None => return Ok(empty()),
                },
                _ => None,
            };
            let scope = match me.role {
                Role::SuperAdmin => target_sub
                    .clone()
                    .map(ListScope::Target)
                    .unwrap_or(ListScope::All),
                Role::Admin | Role::Operator => ListScope::Tenant(me.tenant.clone()),
                Role::TeamAdmin | Role::User => {
                    // What they started, whatever the filter asked.
                    if actor_sub.as_ref().is_some_and(|a| a != &me.sub) {
                        return Ok(empty());
                    }
                    actor_sub = Some(me.sub.clone());
                    ListScope::Tenant(me.tenant.clone())
                }
            };
            (scope, target_sub)
        }
    };
    let now = state.api.clock.now_secs();
    let page = state
        .impersonations
        .list(&ListQuery {
            scope,
            actor_sub,
            target_sub,
            active_only: filters.active,
            since_millis: filters.since_millis,
            page_token: filters.next_token,
            limit: LIST_PAGE_SIZE,
            now_secs: now,
        })
        .await?;
    Ok(ImpersonationList {
        impersonations: page
            .items
            .iter()
            .map(|i| ImpersonationView::of(i, now))
            .collect(),
        next_token: page.next_token,
        page_size: LIST_PAGE_SIZE,
    })
}
