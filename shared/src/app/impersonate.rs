//! `POST /auth/impersonate` (seeds 000/001): operators, admins and super-admins start an
//! impersonation and get the target's session at once.

use crate::app::api_keys::{check_api_key, UsagePlan};
use crate::app::authenticate::{check_may_start, find_target, Caller};
use crate::app::governance::{admit, Admission, Governance, RequestView, StartAsk, Started};
use crate::app::mint::mint_session_payload;
use std::sync::Arc;

use crate::app::directory::note_seen;
use crate::app::state::{Api, Sessions};
use crate::domain::audit::{AuditEvent, RequestOrigin};
use crate::domain::error::Result;
use crate::domain::grant::ApiKeyRequirement;
use crate::domain::grant::GrantKind;
use crate::domain::justification::Justification;
use crate::domain::mode::{Mode, Terms};
use crate::domain::payload::SessionPayload;
use crate::domain::policy::{self, Denial, Role, SessionKind};
use crate::domain::user::UserRef;
use crate::ports::directory::Directory;
use crate::ports::grants::ApiKeyStore;

/// What the impersonate function builds: sessions are minted, and seed 001's API keys checked.
pub struct ImpersonateState {
    pub api: Api,
    pub sessions: Sessions,
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Both users of every start are written to it, as just read.
    pub directory: Arc<dyn Directory>,
    /// Approval, consent and the tenant's limits (issue 12).
    pub governance: Governance,
}

impl std::ops::Deref for ImpersonateState {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

/// Which seed's request shape named the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Seed 001: body `{"username": ...}` with `X-API-Key`.
    Username,
    /// Seed 000: `?uuid=<sub>`.
    Uuid,
}

pub struct StartRequest<'a> {
    pub target: UserRef,
    pub dialect: Dialect,
    pub api_key: Option<&'a str>,
    pub justification: Justification,
    /// `None`: the deployment's default mode.
    pub mode: Option<Mode>,
    /// A super-admin's break-glass start (reason and ticket required).
    pub break_glass: bool,
    pub origin: RequestOrigin,
}

/// `POST /auth/impersonate`: operators, admins and super-admins.
pub async fn start_impersonation(
    state: &ImpersonateState,
    caller: &Caller,
    request: StartRequest<'_>,
) -> Result<Started<SessionPayload>> {
    let needs_key = request.api_key.is_some()
        || request.dialect == Dialect::Username
        || state.config.api_key_requirement == ApiKeyRequirement::Always;
    let actor = caller.user.principal();
    if needs_key {
        check_api_key(
            state.api_keys.as_ref(),
            request.api_key,
            actor.tenant.as_deref(),
            UsagePlan {
                default_requests_per_minute: state.config.api_key_requests_per_minute,
                now_millis: state.clock.now_millis(),
            },
        )
        .await?;
    }
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    policy::check_route_role(&actor, Role::Operator)?;
    let target = find_target(state, &request.target).await?;
    note_seen(state.directory.as_ref(), &[&caller.user, &target]).await;
    check_may_start(&actor, &target)?;
    let mode = state
        .config
        .mode_rules
        .resolve(request.mode, &actor, &request.justification)?;
    let admission = admit(
        state,
        &state.governance,
        StartAsk {
            actor: &caller.user,
            target: &target,
            mode,
            justification: &request.justification,
            break_glass: request.break_glass,
            origin: &request.origin,
        },
    )
    .await?;
    let (max_duration_secs, idle_secs) = match admission {
        Admission::Proceed {
            max_duration_secs,
            idle_secs,
        } => (max_duration_secs, idle_secs),
        Admission::Pending(waiting) => {
            return Ok(Started::Pending(Box::new(RequestView::of(
                &waiting,
                state.clock.now_secs(),
            ))))
        }
    };
    let mut terms = Terms::new(request.justification, mode);
    terms.max_duration_secs = Some(max_duration_secs);
    terms.idle_secs = Some(idle_secs);
    terms.break_glass = request.break_glass;
    mint_session_payload(
        state,
        &state.sessions,
        &caller.user,
        &target,
        GrantKind::Impersonation,
        &terms,
        Some((AuditEvent::Started, &request.origin)),
    )
    .await
    .map(Started::Now)
}
