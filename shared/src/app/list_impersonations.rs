//! `GET /auth/impersonations`: the impersonations a caller may see, filtered and paged.

use crate::app::authenticate::Caller;
use crate::app::state::ReadState;
use crate::app::token_check::ImpersonationView;
use crate::domain::error::{ActasError, Result};
use crate::domain::policy::{Denial, Role, SessionKind};
use crate::domain::user::UserRef;
use serde::Serialize;

/// Filters of `GET /auth/impersonations`, as the request gave them.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    pub active: Option<String>,
    /// A username or `sub`.
    pub actor: Option<String>,
    /// `me`, a username or a `sub`.
    pub target: Option<String>,
    /// RFC 3339, or epoch milliseconds.
    pub since: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImpersonationList {
    pub impersonations: Vec<ImpersonationView>,
    /// Pass back as `nextToken`; `null` on the last page.
    pub next_token: Option<String>,
    pub page_size: i32,
}

pub const LIST_PAGE_SIZE: i32 = 50;

pub(crate) fn parse_since(value: &str) -> Result<i64> {
    parse_instant("since", value)
}

/// The latest instant a filter may name: 13 digits of epoch milliseconds (the sort keys'
/// width), in the year 2286.
const LATEST_MILLIS: i64 = 9_999_999_999_999;

/// RFC 3339 or epoch milliseconds, between 1970 and [`LATEST_MILLIS`]; `name` is the
/// parameter, for the message.
pub(crate) fn parse_instant(name: &str, value: &str) -> Result<i64> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let millis = value.parse::<i64>().ok().or_else(|| {
        DateTime::from_str(value, Format::DateTime)
            .ok()
            .and_then(|d| d.to_millis().ok())
    });
    match millis {
        Some(millis) if (0..=LATEST_MILLIS).contains(&millis) => Ok(millis),
        Some(_) => Err(ActasError::BadRequest(format!(
            "{name} must be between 1970 and the year 2286"
        ))),
        None => Err(ActasError::BadRequest(format!(
            "{name} must be RFC 3339 or epoch milliseconds"
        ))),
    }
}

/// A `since`/`until` window: each valid, and `since` not after `until`.
pub(crate) fn parse_window(
    since: Option<&str>,
    until: Option<&str>,
) -> Result<(Option<i64>, Option<i64>)> {
    let since = since.map(|v| parse_instant("since", v)).transpose()?;
    let until = until.map(|v| parse_instant("until", v)).transpose()?;
    if let (Some(from), Some(to)) = (since, until) {
        if from > to {
            return Err(ActasError::BadRequest(
                "since must not be after until".into(),
            ));
        }
    }
    Ok((since, until))
}

/// A user named by username or `sub`, as its `sub`; `None` if there is no such user.
pub(crate) async fn sub_of(state: &crate::app::state::Api, user: &str) -> Result<Option<String>> {
    Ok(state
        .identity
        .find_user(&UserRef::parse(user)?)
        .await?
        .map(|u| u.sub))
}

/// `GET /auth/impersonations`: super-admins see all, admins and operators their tenant, anyone
/// else what they started; and everyone may list the impersonations of themself (`target=me`).
pub async fn list_impersonations(
    state: &ReadState,
    caller: &Caller,
    filters: ListFilters,
) -> Result<ImpersonationList> {
    use crate::ports::grants::{ListQuery, ListScope};
    if caller.session_kind(&state.api) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    let me = caller.user.principal();
    let active_only = match filters.active.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(ActasError::BadRequest(
                "active must be true or false".into(),
            ))
        }
    };
    let since_millis = filters.since.as_deref().map(parse_since).transpose()?;
    let empty = || ImpersonationList {
        impersonations: vec![],
        next_token: None,
        page_size: LIST_PAGE_SIZE,
    };

    let mut actor_sub = match filters.actor.as_deref() {
        Some(actor) => match sub_of(&state.api, actor).await? {
            Some(sub) => Some(sub),
            None => return Ok(empty()),
        },
        None => None,
    };
    let (scope, target_sub) = match filters.target.as_deref() {
        Some("me") => (ListScope::Target(me.sub.clone()), None),
        other => {
            let target_sub = match other {
                Some(target) => match sub_of(&state.api, target).await? {
                    Some(sub) => Some(sub),
                    None => return Ok(empty()),
                },
                None => None,
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
            active_only,
            since_millis,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_windows_outside_the_sort_keys_or_backwards_are_bad_requests() {
        for (since, until) in [
            (Some("2000000000000"), Some("1000000000000")),
            (Some("1"), Some("0")),
            (Some("99999999999999"), None),
            (None, Some("-5")),
            (Some("2026-02-01T00:00:00Z"), Some("2026-01-01T00:00:00Z")),
            (Some("yesterday"), None),
        ] {
            let err = parse_window(since, until).unwrap_err();
            assert_eq!(err.status(), 400, "{since:?}..{until:?}");
        }
        assert_eq!(
            parse_window(Some("1000"), Some("2026-01-01T00:00:00Z")).unwrap(),
            (Some(1000), Some(1_767_225_600_000))
        );
        assert_eq!(
            parse_window(Some("5"), Some("5")).unwrap(),
            (Some(5), Some(5))
        );
        assert_eq!(parse_window(None, None).unwrap(), (None, None));
    }
}
