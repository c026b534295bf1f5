//! `GET /auth/audit`: the audit trail a caller may read, filtered and paged, newest first.
//! Scoped like the listing: super-admins read every tenant's, admins and operators their
//! tenant's, anyone else the records of what they did (and, with `target=me`, of what was done
//! as them).

use crate::app::authenticate::Caller;
use crate::app::list_impersonations::{parse_window, sub_of};
use crate::app::state::Api;
use crate::domain::audit::{AuditEvent, AuditRecord};
use crate::domain::error::{ActasError, Result};
use crate::domain::mode::Mode;
use crate::domain::policy::{Denial, Role, SessionKind};
use crate::ports::audit::{AuditQuery, AuditScope};
use serde::Serialize;

/// Filters of `GET /auth/audit`, as the request gave them.
#[derive(Debug, Clone, Default)]
pub struct AuditFilters {
    /// A username or `sub`.
    pub actor: Option<String>,
    /// `me`, a username or a `sub`.
    pub target: Option<String>,
    /// An event name (`started`, `stopped`, ...).
    pub event: Option<String>,
    /// RFC 3339 or epoch milliseconds; `since` inclusive, `until` exclusive.
    pub since: Option<String>,
    pub until: Option<String>,
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
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    let me = caller.user.principal();
    let events = match filters.event.as_deref() {
        None => Vec::new(),
        // Every start, whatever dialect made it: a one-step start, or a two-step token
        // exchanged for its session.
        Some("starts") => vec![AuditEvent::Started, AuditEvent::Exchanged],
        Some(name) => vec![AuditEvent::parse(name).ok_or_else(|| {
            ActasError::BadRequest(
                "event must be starts (every start, any dialect) or one of started, token_issued, exchanged, reverted, stopped, expired, denied, approval_requested, approval_approved, approval_denied, consent_given, consent_declined, notice_sent, settings_changed, protection_changed".into(),
            )
        })?],
    };
    let (since_millis, until_millis) =
        parse_window(filters.since.as_deref(), filters.until.as_deref())?;
    let empty = || AuditLog {
        records: vec![],
        next_token: None,
        page_size: AUDIT_PAGE_SIZE,
    };
    let mut actor_sub = match filters.actor.as_deref() {
        Some(actor) => match sub_of(state, actor).await? {
            Some(sub) => Some(sub),
            None => return Ok(empty()),
        },
        None => None,
    };
    let target_sub = match filters.target.as_deref() {
        Some("me") => Some(me.sub.clone()),
        Some(target) => match sub_of(state, target).await? {
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
            events,
            since_millis,
            until_millis,
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
