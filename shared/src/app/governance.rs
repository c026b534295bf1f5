//! Governance (issue 12): a tenant's settings, the approval and consent a start may need, and
//! protected accounts. `admit` is what every start asks before it mints or issues anything.

use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::audit::{bounded, AuditEvent, AuditRecord, RequestOrigin, MAX_TEXT_CHARS};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::{
    AccessRequest, Approval, ApprovedTerms, Consent, DeploymentLimits, RequestStatus, StartFacts,
    StepUpAction, TenantSettings,
};
use crate::domain::justification::Justification;
use crate::domain::mode::{ApprovedStart, Mode};
use crate::domain::policy::{self, Denial, Role, SessionKind};
use crate::domain::settings::ApiConfig;
use crate::domain::user::{UserRecord, UserRef};
use crate::ports::clock::rfc3339_millis;
use crate::ports::governance::{GovernanceStore, RequestScope};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The governance a route needs: the store, and the deployment's limits and request window.
#[derive(Clone)]
pub struct Governance {
    pub store: Arc<dyn GovernanceStore>,
    pub limits: DeploymentLimits,
    /// How long a request waits for its approval and consent (`REQUEST_WINDOW_SECONDS`).
    pub request_window_secs: i64,
}

/// The governance routes (settings, requests, protection): the common `Api` and the store.
pub struct GovernanceState {
    pub api: Api,
    pub governance: Governance,
}

impl Governance {
    pub fn new(store: Arc<dyn GovernanceStore>, config: &ApiConfig) -> Governance {
        Governance {
            store,
            limits: DeploymentLimits {
                max_duration_seconds: config.impersonation_max_secs,
                full_mode_roles: config.mode_rules.full_roles.clone(),
                token_horizon_seconds: config.token_horizon_secs(),
                idle_seconds: config.impersonation_idle_secs,
                step_up_max_age_seconds: config.step_up_max_age_secs,
            },
            request_window_secs: config.request_window_secs,
        }
    }

    /// The tenant's settings, or the defaults when it never set any.
    pub async fn settings_for(&self, tenant: Option<&str>) -> Result<TenantSettings> {
        let tenant = tenant.unwrap_or("-");
        Ok(match self.store.settings(tenant).await? {
            Some(settings) => settings.normalized(&self.limits),
            None => TenantSettings::defaults(tenant, &self.limits),
        })
    }
}

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

async fn record(
    state: &Api,
    event: AuditEvent,
    request: &AccessRequest,
    origin: &RequestOrigin,
    cause: Option<String>,
) -> Result<()> {
    let mut record = AuditRecord::new(event, state.clock.now_millis(), origin);
    record.actor_sub = Some(request.requester_sub.clone());
    record.actor_username = Some(request.requester_username.clone());
    record.target_sub = Some(request.target_sub.clone());
    record.target_username = Some(request.target_username.clone());
    record.tenant = request.tenant.clone();
    record.reason = request.reason.clone();
    record.ticket = request.ticket.clone();
    record.mode = Some(request.mode);
    record.request_id = Some(request.id.clone());
    record.cause = cause.map(|c| bounded(&c, MAX_TEXT_CHARS));
    state.audit.record(&record).await
}

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

fn own_session(state: &Api, caller: &Caller) -> Result<()> {
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    Ok(())
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
            && (!state.config.mode_rules.full_roles.contains(&me.role)
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

/// Whose settings a caller reads or changes: their own tenant's (admins and operators read,
/// admins change), any tenant's for super-admins.
fn settings_tenant(caller: &Caller, asked: Option<&str>, change: bool) -> Result<String> {
    let me = caller.user.principal();
    let own = me.tenant.clone();
    match me.role {
        Role::SuperAdmin => asked
            .map(str::to_string)
            .or(own)
            .ok_or_else(|| ActasError::BadRequest("tenant is required".into())),
        Role::Admin | Role::Operator if !change || me.role == Role::Admin => {
            let own = own.ok_or_else(|| ActasError::Forbidden("you have no tenant".into()))?;
            match asked {
                Some(other) if other != own => Err(ActasError::Forbidden(
                    "you may only read or change your own tenant's settings".into(),
                )),
                _ => Ok(own),
            }
        }
        _ => Err(ActasError::Forbidden(
            "only the tenant's admins may change its settings, and its operators read them".into(),
        )),
    }
}

pub async fn read_settings(
    state: &Api,
    governance: &Governance,
    caller: &Caller,
    tenant: Option<&str>,
) -> Result<TenantSettings> {
    own_session(state, caller)?;
    let tenant = settings_tenant(caller, tenant, false)?;
    governance.settings_for(Some(&tenant)).await
}

/// Applies a change (the keys it names) to a tenant's settings; 422 for an unknown key or a
/// value out of range, and nothing changes. Audited with what changed.
pub async fn change_settings(
    state: &Api,
    governance: &Governance,
    caller: &Caller,
    tenant: Option<&str>,
    changes: &Map<String, Value>,
    origin: &RequestOrigin,
) -> Result<TenantSettings> {
    own_session(state, caller)?;
    let tenant = settings_tenant(caller, tenant, true)?;
    let by = ChangedBy {
        sub: Some(caller.user.sub.clone()),
        username: caller.user.username.clone(),
    };
    let now = state.clock.now_millis();
    apply_settings_change(governance, &state.audit, &tenant, changes, &by, now, origin).await
}

/// Who changes settings: a signed-in admin, or an operator at the CLI (no `sub`).
pub struct ChangedBy {
    pub sub: Option<String>,
    pub username: String,
}

/// Applies, stores and audits a settings change (the API route and `actas settings set`).
pub async fn apply_settings_change(
    governance: &Governance,
    audit: &crate::app::audit_trail::AuditTrail,
    tenant: &str,
    changes: &Map<String, Value>,
    by: &ChangedBy,
    now_millis: i64,
    origin: &RequestOrigin,
) -> Result<TenantSettings> {
    let mut settings = governance.settings_for(Some(tenant)).await?;
    settings.apply(changes, &governance.limits)?;
    settings.updated_at = Some(rfc3339_millis(now_millis));
    settings.updated_by = Some(by.username.clone());
    governance.store.put_settings(&settings).await?;
    let mut record = AuditRecord::new(AuditEvent::SettingsChanged, now_millis, origin);
    record.actor_sub = by.sub.clone();
    record.actor_username = Some(by.username.clone());
    record.tenant = Some(tenant.to_string());
    record.cause = Some(bounded(
        &Value::Object(changes.clone()).to_string(),
        MAX_TEXT_CHARS,
    ));
    audit.record(&record).await?;
    Ok(settings)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Protection {
    pub sub: String,
    pub username: String,
    pub protected: bool,
}

/// The account a protection call is about: `me`, or someone the caller may act as (an admin
/// for them).
async fn protection_subject(state: &Api, caller: &Caller, id: &str) -> Result<UserRecord> {
    if id == "me" {
        return Ok(caller.user.clone());
    }
    let user = state
        .identity
        .find_user(&UserRef::parse(id)?)
        .await?
        .ok_or_else(|| ActasError::NotFound("no such user".into()))?;
    if user.sub == caller.user.sub {
        return Ok(user);
    }
    match policy::check(
        &caller.user.principal(),
        SessionKind::Own,
        &user.principal(),
    ) {
        Ok(()) => Ok(user),
        Err(Denial::OutsideTenant) => Err(ActasError::NotFound("no such user".into())),
        Err(_) => Err(ActasError::Forbidden(
            "only the user, or someone who may act as them, may change their protection".into(),
        )),
    }
}

pub async fn read_protection(state: &Api, caller: &Caller, id: &str) -> Result<Protection> {
    own_session(state, caller)?;
    let user = protection_subject(state, caller, id).await?;
    Ok(Protection {
        protected: user.is_protected(),
        sub: user.sub,
        username: user.username,
    })
}

pub async fn set_protection(
    state: &Api,
    caller: &Caller,
    id: &str,
    protected: bool,
    origin: &RequestOrigin,
) -> Result<Protection> {
    own_session(state, caller)?;
    let user = protection_subject(state, caller, id).await?;
    // Someone who may act as the user can protect them, but lifting it is the user's own call
    // (or a super-admin's): otherwise the people it guards against could switch it off.
    let lifting_for_someone_else = !protected && user.sub != caller.user.sub;
    if lifting_for_someone_else && caller.user.principal().role != Role::SuperAdmin {
        return Err(ActasError::Forbidden(
            "only the user (or a super-admin) may lift their account's protection".into(),
        ));
    }
    state
        .identity
        .set_protected(&user.username, protected)
        .await?;
    let mut record = AuditRecord::new(
        AuditEvent::ProtectionChanged,
        state.clock.now_millis(),
        origin,
    );
    record.actor_sub = Some(caller.user.sub.clone());
    record.actor_username = Some(caller.user.username.clone());
    record.target_sub = Some(user.sub.clone());
    record.target_username = Some(user.username.clone());
    record.tenant = user.principal().tenant;
    record.cause = Some(
        if protected {
            "protected"
        } else {
            "unprotected"
        }
        .into(),
    );
    state.audit.record(&record).await?;
    Ok(Protection {
        sub: user.sub,
        username: user.username,
        protected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::authenticate::authenticate;
    use crate::app::impersonate::{start_impersonation, Dialect, StartRequest};
    use crate::ports::grants::ImpersonationStore;
    use crate::testkit::TestWorld;
    use serde_json::json;

    async fn set_idle(world: &TestWorld, seconds: i64) -> Result<TenantSettings> {
        let change = json!({ "idle_seconds": seconds });
        let by = ChangedBy {
            sub: None,
            username: "cli:test".into(),
        };
        let changes = change.as_object().cloned().unwrap_or_default();
        apply_settings_change(
            &world.governance(),
            &world.api().audit,
            "acme",
            &changes,
            &by,
            0,
            &RequestOrigin::default(),
        )
        .await
    }

    /// The idle timeout `acme-admin`'s start of `acme-support-1` gets, from grant and payload.
    async fn started_idle_secs(world: &TestWorld) -> (i64, i64) {
        let bearer = format!("Bearer {}", world.id_token("acme-admin"));
        let caller = authenticate(&world.api(), Some(&bearer)).await.unwrap();
        let request = StartRequest {
            target: UserRef::parse("acme-support-1").unwrap(),
            dialect: Dialect::Uuid,
            api_key: None,
            justification: Justification {
                reason: Some("support".into()),
                ticket: None,
            },
            mode: Some(Mode::ReadOnly),
            break_glass: false,
            origin: RequestOrigin::default(),
        };
        let payload = match start_impersonation(&world.impersonate_state(), &caller, request)
            .await
            .unwrap()
        {
            Started::Now(payload) => payload,
            Started::Pending(_) => panic!("no approval is needed"),
        };
        let summary = payload.impersonation.unwrap();
        let grant = world.store.get(&summary.id).await.unwrap().unwrap();
        (grant.idle_secs, summary.idle_seconds)
    }

    #[tokio::test]
    async fn a_tenants_idle_timeout_is_bounded_and_fixed_at_each_start() {
        // The test world: 960 s of token horizon (60 s mint window, 15-minute tokens), and an
        // idle timeout of 1800 s.
        let mut world = TestWorld::new();
        assert_eq!(
            started_idle_secs(&world).await,
            (1800, 1800),
            "the deployment's"
        );
        for outside in [959, 1801] {
            let err = set_idle(&world, outside).await.unwrap_err();
            assert_eq!(err.status(), 422, "{outside}");
            let text = err.to_string();
            assert!(text.contains("960") && text.contains("1800"), "{text}");
        }
        assert_eq!(set_idle(&world, 1200).await.unwrap().idle_seconds, 1200);
        assert_eq!(
            started_idle_secs(&world).await,
            (1200, 1200),
            "the tenant's"
        );

        // The deployment's shortened below the tenant's: the deployment's applies.
        world.config.impersonation_idle_secs = 1000;
        let settings = world.governance().settings_for(Some("acme")).await.unwrap();
        assert_eq!(settings.idle_seconds, 1000);
        assert_eq!(started_idle_secs(&world).await, (1000, 1000));
    }

    async fn set(world: &TestWorld, change: Value) -> TenantSettings {
        let by = ChangedBy {
            sub: None,
            username: "cli:test".into(),
        };
        apply_settings_change(
            &world.governance(),
            &world.api().audit,
            "acme",
            change.as_object().unwrap(),
            &by,
            0,
            &RequestOrigin::default(),
        )
        .await
        .unwrap()
    }

    /// `username` signed in `age` seconds ago (`None`: a token without `auth_time`).
    async fn signed_in(world: &TestWorld, username: &str, age: Option<i64>) -> Caller {
        let bearer = format!("Bearer {}", world.id_token(username));
        let mut caller = authenticate(&world.api(), Some(&bearer)).await.unwrap();
        caller.token.auth_time = age.map(|age| world.api().clock.now_secs() - age);
        caller
    }

    async fn start_as(
        world: &TestWorld,
        caller: &Caller,
        mode: Mode,
        break_glass: bool,
    ) -> Result<Started<crate::domain::payload::SessionPayload>> {
        let request = StartRequest {
            target: UserRef::parse("acme-support-1").unwrap(),
            dialect: Dialect::Uuid,
            api_key: None,
            justification: Justification {
                reason: Some("support".into()),
                ticket: Some("T-1".into()),
            },
            mode: Some(mode),
            break_glass,
            origin: RequestOrigin::default(),
        };
        start_impersonation(&world.impersonate_state(), caller, request).await
    }

    fn step_up_refusal<T: std::fmt::Debug>(result: Result<T>) -> i64 {
        match result {
            Err(ActasError::StepUpRequired { max_age_seconds }) => max_age_seconds,
            other => panic!("expected step_up_required, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_start_needs_a_fresh_sign_in_when_the_tenant_asks_for_one() {
        let world = TestWorld::new();
        set(&world, json!({"step_up": {"max_age_seconds": 60}})).await;
        let fresh = signed_in(&world, "acme-admin", Some(5)).await;
        let stale = signed_in(&world, "acme-admin", Some(61)).await;
        let unknown = signed_in(&world, "acme-admin", None).await;
        assert!(matches!(
            start_as(&world, &fresh, Mode::Full, false).await,
            Ok(Started::Now(_))
        ));
        assert_eq!(
            step_up_refusal(start_as(&world, &stale, Mode::Full, false).await),
            60
        );
        assert_eq!(
            step_up_refusal(start_as(&world, &unknown, Mode::Full, false).await),
            60
        );
        // Read-only starts too, until the tenant leaves them out.
        step_up_refusal(start_as(&world, &stale, Mode::ReadOnly, false).await);
        set(&world, json!({"step_up": {"read_only_starts": false}})).await;
        assert!(matches!(
            start_as(&world, &stale, Mode::ReadOnly, false).await,
            Ok(Started::Now(_))
        ));
        step_up_refusal(start_as(&world, &stale, Mode::Full, false).await);
        // Break-glass always, even read-only.
        let glass_stale = signed_in(&world, "acme-super", Some(61)).await;
        step_up_refusal(start_as(&world, &glass_stale, Mode::ReadOnly, true).await);
        let glass_fresh = signed_in(&world, "acme-super", Some(0)).await;
        assert!(matches!(
            start_as(&world, &glass_fresh, Mode::ReadOnly, true).await,
            Ok(Started::Now(_))
        ));
        // Who may start comes first: a team admin asking for full mode is refused (403), not
        // asked to sign in again.
        let team_admin = signed_in(&world, "acme-team-admin", Some(3600)).await;
        assert_eq!(
            start_as(&world, &team_admin, Mode::Full, false)
                .await
                .unwrap_err()
                .status(),
            403
        );
    }

    #[tokio::test]
    async fn an_approver_shortens_and_narrows_and_the_redeeming_start_gets_exactly_that() {
        let world = TestWorld::new();
        let governance = world.governance();
        let state = world.api();
        set(
            &world,
            json!({"approval": {"always": true}, "step_up": {"max_age_seconds": 60}}),
        )
        .await;
        let operator = signed_in(&world, "acme-operator", Some(0)).await;
        let Started::Pending(request) = start_as(&world, &operator, Mode::Full, false)
            .await
            .unwrap()
        else {
            panic!("approval is needed")
        };
        let approve = |terms: ApprovedTerms| Decision {
            approve: true,
            comment: Some("checked".into()),
            terms,
        };
        let origin = RequestOrigin::default();
        let admin = signed_in(&world, "acme-admin", Some(0)).await;
        // Widening is refused; so is a stale approver's sign-in; nothing is decided.
        let longer = ApprovedTerms {
            mode: None,
            duration_seconds: Some(3601),
        };
        let err = decide(
            &state,
            &governance,
            &admin,
            &request.id,
            approve(longer),
            &origin,
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 400, "{err}");
        let stale_admin = signed_in(&world, "acme-admin", Some(61)).await;
        let narrower = ApprovedTerms {
            mode: Some(Mode::ReadOnly),
            duration_seconds: Some(1000),
        };
        step_up_refusal(
            decide(
                &state,
                &governance,
                &stale_admin,
                &request.id,
                approve(narrower),
                &origin,
            )
            .await,
        );
        let denial_with_terms = Decision {
            approve: false,
            comment: None,
            terms: narrower,
        };
        let err = decide(
            &state,
            &governance,
            &admin,
            &request.id,
            denial_with_terms,
            &origin,
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 400, "{err}");

        let approved = decide(
            &state,
            &governance,
            &admin,
            &request.id,
            approve(narrower),
            &origin,
        )
        .await
        .unwrap();
        assert_eq!(approved.status, RequestStatus::Approved);
        assert_eq!(
            (approved.approved_mode, approved.approved_duration_seconds),
            (Some(Mode::ReadOnly), Some(1000))
        );
        let Started::Now(payload) = start_as(&world, &operator, Mode::Full, false)
            .await
            .unwrap()
        else {
            panic!("the approval is redeemed")
        };
        let summary = payload.impersonation.unwrap();
        let grant = world.store.get(&summary.id).await.unwrap().unwrap();
        assert_eq!(grant.mode, Mode::ReadOnly, "the approver's mode");
        assert_eq!(
            grant.ends_at - grant.created_at_millis.div_euclid(1000),
            1000,
            "the approver's duration"
        );
        // On record, with the terms.
        let records = world.store.audit_records();
        let started = records
            .iter()
            .rev()
            .find(|r| r.event == AuditEvent::Started)
            .unwrap();
        assert_eq!(started.request_id.as_deref(), Some(request.id.as_str()));
        assert_eq!(
            started.cause.as_deref(),
            Some("approved by acme-admin on these terms: read_only, at most 1000 s")
        );
        let decided = records
            .iter()
            .find(|r| r.event == AuditEvent::ApprovalApproved)
            .unwrap();
        assert_eq!(
            decided.cause.as_deref(),
            Some("by acme-admin on these terms: read_only, at most 1000 s: checked")
        );
    }
}
