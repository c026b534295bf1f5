//! What a start must pass: the tenant's settings, approval and consent, step-up, break-glass.

use super::{record, Governance, RequestView};
use crate::app::state::Api;
use crate::domain::audit::{AuditEvent, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::{
    AccessRequest, Approval, Consent, RequestStatus, StartFacts, StepUpAction, TenantSettings,
};
use crate::domain::justification::Justification;
use crate::domain::mode::{ApprovedStart, Mode};
use crate::domain::policy::Role;
use crate::domain::user::UserRecord;
use crate::ports::governance::RequestScope;

/// A start's outcome: done now, or waiting for approval or consent (202).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started<T> {
    Now(T),
    Pending(Box<RequestView>),
}

/// What a start may do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead: with the tenant's maximum duration and idle timeout, in this mode; a start that
    /// redeemed an approval gets the approver's terms (a narrower mode, a shorter duration).
    Proceed {
        max_duration_secs: i64,
        idle_secs: i64,
        mode: Mode,
        approved: Option<ApprovedStart>,
    },
    /// Wait: the request (202).
    Pending(Box<AccessRequest>),
}

/// A start's request to the governance: who, whom, how, why, and whether it is break-glass.
pub struct StartAsk<'a> {
    pub actor: &'a UserRecord,
    pub target: &'a UserRecord,
    pub mode: Mode,
    pub justification: &'a Justification,
    pub break_glass: bool,
    pub origin: &'a RequestOrigin,
    /// When the actor signed in (their token's `auth_time`), for the tenant's step-up.
    pub signed_in_at: Option<i64>,
}

/// Decides whether a start may go ahead. A start that needs approval or consent finds its
/// matching request: an approved one is redeemed (once, by a conditional write: a second start
/// gets 409), a pending one is answered again (202), and otherwise a new request is made (202,
/// audited).
pub async fn admit(state: &Api, governance: &Governance, ask: StartAsk<'_>) -> Result<Admission> {
    let settings = governance
        .settings_for(ask.target.principal().tenant.as_deref())
        .await?;
    admit_under(state, governance, ask, settings).await
}

/// `admit`, with the target tenant's settings already read (fresh, by this request: a start
/// reads them at the same time as its other reads).
pub async fn admit_under(
    state: &Api,
    governance: &Governance,
    ask: StartAsk<'_>,
    settings: TenantSettings,
) -> Result<Admission> {
    let actor = ask.actor.principal();
    let target = ask.target.principal();
    if ask.break_glass {
        if actor.role != Role::SuperAdmin {
            return Err(ActasError::Forbidden(
                "only a super-admin may start a break-glass impersonation".into(),
            ));
        }
        if ask.justification.reason.is_none() || ask.justification.ticket.is_none() {
            return Err(ActasError::Unprocessable(
                "a break-glass start needs both a reason and a ticket".into(),
            ));
        }
    }
    let needs = settings.needs(&StartFacts {
        actor_role: actor.role,
        target_role: target.role,
        mode: ask.mode,
        protected: ask.target.is_protected(),
        break_glass: ask.break_glass,
    })?;
    // Who may start and how are settled first: a fresh sign-in is asked only of a start that
    // could otherwise go on (or wait for approval).
    settings.step_up.check(
        StepUpAction::Start {
            mode: ask.mode,
            break_glass: ask.break_glass,
        },
        ask.signed_in_at,
        state.clock.now_secs(),
    )?;
    let proceed = Admission::Proceed {
        max_duration_secs: settings.max_duration_seconds,
        idle_secs: settings.idle_seconds,
        mode: ask.mode,
        approved: None,
    };
    if !needs.approval && !needs.consent {
        return Ok(proceed);
    }
    let now = state.clock.now_secs();
    let reason = ask.justification.reason.as_deref();
    let mine = governance
        .store
        .requests(&RequestScope::Requester(actor.sub.clone()))
        .await?;
    let ticket = ask.justification.ticket.as_deref();
    let matching: Vec<&AccessRequest> = mine
        .iter()
        .filter(|r| r.is_for(&actor.sub, &target.sub, ask.mode, reason, ticket))
        .collect();
    if let Some(approved) = matching
        .iter()
        .find(|r| r.status(now) == RequestStatus::Approved)
    {
        // Redeemed only under the rules in force now: a request consented to before the tenant
        // also required approval (or approved before it required consent) waits for the rest.
        if approved.lacks(&needs) {
            return require_now(state, governance, approved, &needs, ask.origin).await;
        }
        return if governance.store.redeem(&approved.id, now).await? {
            Ok(on_approved_terms(approved, proceed))
        } else {
            Err(ActasError::Conflict(
                "this approval was already used: ask again".into(),
            ))
        };
    }
    // The newest matching request decides: pending is answered again, a refusal stands until
    // the request would have expired.
    if let Some(latest) = matching.first() {
        match latest.status(now) {
            RequestStatus::Pending if latest.lacks(&needs) => {
                return require_now(state, governance, latest, &needs, ask.origin).await
            }
            RequestStatus::Pending => return Ok(Admission::Pending(Box::new((*latest).clone()))),
            RequestStatus::Denied if now < latest.expires_at => {
                let by = if latest.consent == Consent::Declined {
                    format!("{} declined", latest.target_username)
                } else {
                    format!(
                        "denied by {}{}",
                        latest.decided_by.as_deref().unwrap_or("an approver"),
                        latest
                            .comment
                            .as_deref()
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default()
                    )
                };
                return Err(ActasError::Forbidden(format!("the request was {by}")));
            }
            _ => {}
        }
    }
    let request = AccessRequest {
        id: uuid::Uuid::new_v4().to_string(),
        requester_sub: actor.sub.clone(),
        requester_username: actor.username.clone(),
        target_sub: target.sub.clone(),
        target_username: target.username.clone(),
        tenant: target.tenant.clone(),
        mode: ask.mode,
        reason: ask.justification.reason.clone(),
        ticket: ask.justification.ticket.clone(),
        approval: if needs.approval {
            Approval::Pending
        } else {
            Approval::NotRequired
        },
        consent: if needs.consent {
            Consent::Pending
        } else {
            Consent::NotRequired
        },
        created_at_millis: state.clock.now_millis(),
        expires_at: now + governance.request_window_secs,
        decided_by: None,
        comment: None,
        approved_mode: None,
        approved_duration_seconds: None,
        used: false,
    };
    governance.store.create_request(&request).await?;
    record(
        state,
        AuditEvent::ApprovalRequested,
        &request,
        ask.origin,
        None,
    )
    .await?;
    Ok(Admission::Pending(Box::new(request)))
}

/// What a start that redeemed `approved` gets: exactly the approver's terms — its mode, and
/// no longer than they allowed (nor than the tenant allows now).
fn on_approved_terms(approved: &AccessRequest, proceed: Admission) -> Admission {
    let Admission::Proceed {
        max_duration_secs,
        idle_secs,
        ..
    } = proceed
    else {
        return proceed;
    };
    let by = approved.decided_by.as_deref().unwrap_or("an approver");
    let note = match approved.approved_terms() {
        Some(terms) => format!("approved by {by} on these terms: {terms}"),
        None => format!("approved by {by}"),
    };
    Admission::Proceed {
        max_duration_secs: approved
            .approved_duration_seconds
            .map_or(max_duration_secs, |s| s.min(max_duration_secs)),
        idle_secs,
        mode: approved.granted_mode(),
        approved: Some(ApprovedStart {
            request_id: approved.id.clone(),
            note,
        }),
    }
}

/// The request now also needs what the rules in force require (202 with what is missing),
/// on record.
async fn require_now(
    state: &Api,
    governance: &Governance,
    request: &AccessRequest,
    needs: &crate::domain::governance::Needs,
    origin: &RequestOrigin,
) -> Result<Admission> {
    let updated = governance
        .store
        .require(&request.id, needs.approval, needs.consent)
        .await?
        .ok_or_else(|| ActasError::Conflict("the request is gone: ask again".into()))?;
    let mut missing = Vec::new();
    if updated.approval == Approval::Pending {
        missing.push("approval");
    }
    if updated.consent == Consent::Pending {
        missing.push("consent");
    }
    record(
        state,
        AuditEvent::ApprovalRequested,
        &updated,
        origin,
        Some(format!(
            "the tenant's rules changed: it now also needs {}",
            missing.join(" and ")
        )),
    )
    .await?;
    Ok(Admission::Pending(Box::new(updated)))
}
