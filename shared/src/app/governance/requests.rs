//! Access requests: who lists which, an approver's decision, the target's consent.

use super::{own_session, record, Governance};
use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::audit::{AuditEvent, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::{
    AccessRequest, Approval, ApprovedTerms, Consent, RequestStatus, StepUpAction,
};
use crate::domain::mode::Mode;
use crate::domain::policy::{self, Role, SessionKind};
use crate::domain::user::UserRef;
use crate::ports::clock::rfc3339_millis;
use crate::ports::governance::RequestScope;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PersonView {
    pub sub: String,
    pub username: String,
}

/// A request as its readers see it (the body of a 202).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequestView {
    pub id: String,
    pub status: RequestStatus,
    pub approval: Approval,
    pub consent: Consent,
    pub requester: PersonView,
    pub target: PersonView,
    pub tenant: Option<String>,
    pub mode: Mode,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub decided_by: Option<String>,
    pub comment: Option<String>,
    /// The approver's terms: the mode the session gets when they narrowed it, else null.
    pub approved_mode: Option<Mode>,
    /// The approver's terms: the longest the session may last when they shortened it, else null.
    pub approved_duration_seconds: Option<i64>,
}

impl RequestView {
    pub fn of(r: &AccessRequest, now_secs: i64) -> RequestView {
        RequestView {
            id: r.id.clone(),
            status: r.status(now_secs),
            approval: r.approval,
            consent: r.consent,
            requester: PersonView {
                sub: r.requester_sub.clone(),
                username: r.requester_username.clone(),
            },
            target: PersonView {
                sub: r.target_sub.clone(),
                username: r.target_username.clone(),
            },
            tenant: r.tenant.clone(),
            mode: r.mode,
            reason: r.reason.clone(),
            ticket: r.ticket.clone(),
            created_at: rfc3339_millis(r.created_at_millis),
            expires_at: rfc3339_millis(r.expires_at * 1000),
            decided_by: r.decided_by.clone(),
            comment: r.comment.clone(),
            approved_mode: r.approved_mode,
            approved_duration_seconds: r.approved_duration_seconds,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequestList {
    pub requests: Vec<RequestView>,
}

/// Whether `me` may decide on a start as `target`: someone who may act as the target themself.
async fn may_decide(state: &Api, me: &policy::Principal, target_sub: &str) -> Result<bool> {
    let Some(target) = state
        .identity
        .find_user(&UserRef::parse(target_sub)?)
        .await?
    else {
        return Ok(false);
    };
    Ok(policy::check(me, SessionKind::Own, &target.principal()).is_ok())
}

/// Which requests: `mine` (the caller's own), `about_me` (for the caller's consent), or by
/// default those the caller may decide (pending approvals in scope, never their own).
pub async fn list_requests(
    state: &Api,
    governance: &Governance,
    caller: &Caller,
    mine: bool,
    about_me: bool,
) -> Result<RequestList> {
    own_session(state, caller)?;
    let me = caller.user.principal();
    let now = state.clock.now_secs();
    let view = |list: Vec<AccessRequest>| RequestList {
        requests: list.iter().map(|r| RequestView::of(r, now)).collect(),
    };
    if mine {
        return Ok(view(
            governance
                .store
                .requests(&RequestScope::Requester(me.sub.clone()))
                .await?,
        ));
    }
    if about_me {
        return Ok(view(
            governance
                .store
                .requests(&RequestScope::Target(me.sub.clone()))
                .await?,
        ));
    }
    let scope = match me.role {
        Role::SuperAdmin => RequestScope::All,
        Role::User => return Ok(view(vec![])),
        _ => RequestScope::Tenant(me.tenant.clone()),
    };
    let mut decidable = Vec::new();
    // One read of each target, however many requests name them.
    let mut decides_for: std::collections::HashMap<String, bool> = Default::default();
    for request in governance.store.requests(&scope).await? {
        if request.approval != Approval::Pending
            || request.status(now) != RequestStatus::Pending
            || request.requester_sub == me.sub
        {
            continue;
        }
        let may = match decides_for.get(&request.target_sub) {
            Some(may) => *may,
            None => {
                let may = may_decide(state, &me, &request.target_sub).await?;
                decides_for.insert(request.target_sub.clone(), may);
                may
            }
        };
        if may {
            decidable.push(request);
        }
    }
    Ok(view(decidable))
}

/// An approver's decision: approve (on the request's terms, or shorter and narrower ones) or
/// deny, with an optional comment.
pub struct Decision {
    pub approve: bool,
    pub comment: Option<String>,
    pub terms: ApprovedTerms,
}

/// Approves or denies a pending request: not its requester, and only someone who may act as
/// the target themself; once (a conditional write), before it expires. An approval may set a
/// shorter duration and a narrower mode, never wider ones; it needs a fresh sign-in when the
/// tenant has a step-up.
pub async fn decide(
    state: &Api,
    governance: &Governance,
    caller: &Caller,
    id: &str,
    decision: Decision,
    origin: &RequestOrigin,
) -> Result<RequestView> {
    let Decision {
        approve,
        comment,
        terms: decision_terms,
    } = decision;
    own_session(state, caller)?;
    if !approve && decision_terms != ApprovedTerms::default() {
        return Err(ActasError::BadRequest(
            "duration_seconds and mode are an approval's terms: a denial takes only a comment"
                .into(),
        ));
    }
    let me = caller.user.principal();
    let request = governance
        .store
        .request(id)
        .await?
        .ok_or_else(|| ActasError::NotFound("no such request".into()))?;
    if request.tenant != me.tenant && me.role != Role::SuperAdmin {
        return Err(ActasError::NotFound("no such request".into()));
    }
    if request.requester_sub == me.sub {
        return Err(ActasError::Forbidden(
            "you cannot decide on your own request".into(),
        ));
    }
    if !may_decide(state, &me, &request.target_sub).await? {
        return Err(ActasError::Forbidden(
            "only someone who may act as the user themself may decide".into(),
        ));
    }
    let mut terms = ApprovedTerms::default();
    if approve {
        let settings = governance.settings_for(request.tenant.as_deref()).await?;
        terms = decision_terms.checked(
            &request,
            settings.max_duration_seconds,
            governance.limits.min_duration_seconds(),
        )?;
        // An approver must be allowed to start the same session themself: a team admin, who
        // may only look, cannot approve a full one (but may approve it as read-only).
        let granted = terms.mode.unwrap_or(request.mode);
        if granted == Mode::Full
            && (!state.policy.mode_rules.full_roles.contains(&me.role)
                || !settings.full_mode_roles.contains(&me.role))
        {
            return Err(ActasError::Forbidden(
                "you may not start a full impersonation yourself, so you cannot approve one".into(),
            ));
        }
        settings.step_up.check(
            StepUpAction::Approve,
            caller.token.auth_time,
            state.clock.now_secs(),
        )?;
    }
    let comment = comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 500) {
        return Err(ActasError::Unprocessable(
            "the comment is longer than 500 characters".into(),
        ));
    }
    let decision = if approve {
        Approval::Approved
    } else {
        Approval::Denied
    };
    let now = state.clock.now_secs();
    let decided = governance
        .store
        .decide(id, decision, &me.username, comment.as_deref(), terms, now)
        .await?
        .ok_or_else(|| {
            ActasError::Conflict("the request was already decided, or it expired".into())
        })?;
    let event = if approve {
        AuditEvent::ApprovalApproved
    } else {
        AuditEvent::ApprovalDenied
    };
    let on_terms = decided
        .approved_terms()
        .map(|terms| format!(" on these terms: {terms}"))
        .unwrap_or_default();
    let cause = Some(match &comment {
        Some(comment) => format!("by {}{on_terms}: {comment}", me.username),
        None => format!("by {}{on_terms}", me.username),
    });
    record(state, event, &decided, origin, cause).await?;
    Ok(RequestView::of(&decided, now))
}

/// The target accepts or declines a request that needs their consent.
pub async fn consent(
    state: &Api,
    governance: &Governance,
    caller: &Caller,
    id: &str,
    accept: bool,
    origin: &RequestOrigin,
) -> Result<RequestView> {
    own_session(state, caller)?;
    let request = governance
        .store
        .request(id)
        .await?
        .filter(|r| r.target_sub == caller.user.sub)
        .ok_or_else(|| ActasError::NotFound("no such request".into()))?;
    let answer = if accept {
        Consent::Given
    } else {
        Consent::Declined
    };
    let now = state.clock.now_secs();
    let answered = governance
        .store
        .answer_consent(&request.id, answer, now)
        .await?
        .ok_or_else(|| {
            ActasError::Conflict("the request was already answered, or it expired".into())
        })?;
    let event = if accept {
        AuditEvent::ConsentGiven
    } else {
        AuditEvent::ConsentDeclined
    };
    record(state, event, &answered, origin, None).await?;
    Ok(RequestView::of(&answered, now))
}
