//! `GET /auth/audit`: the audit trail a caller may read, filtered and paged, newest first.
//! Scoped like the listing: super-admins read every tenant's, admins and operators their
//! tenant's, anyone else the records of what they did (and, with `target=me`, of what was done
//! as them).

use crate::app::authenticate::Caller;
use crate::app::list_impersonations::{sub_of, TargetFilter};
use crate::app::state::Api;
use crate::domain::audit::{AuditEvent, AuditRecord};
use crate::domain::error::Result;
use crate::domain::mode::Mode;
use crate::domain::policy::Role;
use crate::domain::user::UserRef;
use crate::ports::audit::{AuditQuery, AuditScope};
use serde::Serialize;

/// Filters of `GET /auth/audit`, parsed at the edge (`http::filters`).
#[derive(Debug, Clone, Default)]
pub struct AuditFilters {
    pub actor: Option<UserRef>,
    pub target: Option<TargetFilter>,
    /// The events to read; empty is every event.
    pub events: Vec<AuditEvent>,
    /// Epoch milliseconds; `since` inclusive, `until` exclusive.
    pub since_millis: Option<i64>,
    pub until_millis: Option<i64>,
    pub next_token: Option<String>,
}

/// Someone a record names; either part may be unknown (a refusal names the target as the
/// request gave it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordedPerson {
    pub sub: Option<String>,
    pub username: Option<String>,
}

impl RecordedPerson {
    fn of(sub: &Option<String>, username: &Option<String>) -> Option<RecordedPerson> {
        (sub.is_some() || username.is_some()).then(|| RecordedPerson {
            sub: sub.clone(),
            username: username.clone(),
        })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRecordView {
    pub id: String,
    pub at: String,
    pub event: AuditEvent,
    pub outcome: &'static str,
    pub count: u32,
    pub cause: Option<String>,
    pub actor: Option<RecordedPerson>,
    pub target: Option<RecordedPerson>,
    pub tenant: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub mode: Option<Mode>,
    pub break_glass: bool,
    pub request_id: Option<String>,
    pub impersonation_id: Option<String>,
}

impl AuditRecordView {
    fn of(record: AuditRecord) -> AuditRecordView {
        AuditRecordView {
            actor: RecordedPerson::of(&record.actor_sub, &record.actor_username),
            target: RecordedPerson::of(&record.target_sub, &record.target_username),
            id: record.id,
            at: record.at,
            event: record.event,
            outcome: record.outcome,
            count: record.count,
            cause: record.cause,
            tenant: record.tenant,
            reason: record.reason,
            ticket: record.ticket,
            mode: record.mode,
            break_glass: record.break_glass,
            request_id: record.request_id,
            impersonation_id: record.impersonation_id,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditLog {
    pub records: Vec<AuditRecordView>,
    /// Pass back as `nextToken`; `null` on the last page.
    pub next_token: Option<String>,
    pub page_size: i32,
}

pub const AUDIT_PAGE_SIZE: i32 = 50;

pub async fn audit_log(state: &Api, caller: &Caller, filters: AuditFilters) -> Result<AuditLog> {
    caller.require_own_session(state)?;
    let me = caller.user.principal();
    let empty = || AuditLog {
        records: vec![],
        next_token: None,
        page_size: AUDIT_PAGE_SIZE,
    };
    let mut actor_sub = match &filters.actor {
        Some(actor) => match sub_of(state, actor).await? {
            Some(sub) => Some(sub),
            None => return Ok(empty()),
        },
        None => None,
    };
    let target_sub = match &filters.target {
        Some(TargetFilter::Me) => Some(me.sub.clone()),
        Some(TargetFilter::User(target)) => match sub_of(state, target).await? {
            Some(sub) => Some(sub),
            None => return Ok(empty()),
        },
        None => None,
    };
    let scope = match me.role {
        Role::SuperAdmin => AuditScope::All,
        Role::Admin | Role::Operator => AuditScope::Tenant(me.tenant.clone()),
        Role::TeamAdmin | Role::User => {
            if target_sub.as_deref() != Some(me.sub.as_str()) {
                // What they did, whatever the filter asked.
                if actor_sub.as_ref().is_some_and(|a| a != &me.sub) {
                    return Ok(empty());
                }
                actor_sub = Some(me.sub.clone());
            }
            AuditScope::Tenant(me.tenant.clone())
        }
    };
    let page = state
        .audit
        .store
        .audit_page(&AuditQuery {
            scope,
            actor_sub,
            target_sub,
            events: filters.events,
            since_millis: filters.since_millis,
            until_millis: filters.until_millis,
            page_token: filters.next_token,
            limit: AUDIT_PAGE_SIZE,
        })
        .await?;
    Ok(AuditLog {
        records: page.records.into_iter().map(AuditRecordView::of).collect(),
        next_token: page.next_token,
        page_size: AUDIT_PAGE_SIZE,
    })
}
