//! `POST /auth/impersonate` (seeds 000/001): operators, admins and super-admins start an
//! impersonation and get the target's session at once.

use crate::app::api_keys::{count_api_key, find_api_key, UsagePlan};
use crate::app::authenticate::{caller_of, check_may_start, find_target, Caller};
use crate::app::governance::{admit_under, Admission, Governance, RequestView, StartAsk, Started};
use crate::app::mint::mint_session_payload;
use std::sync::Arc;

use crate::app::directory::note_seen;
use crate::app::state::{Api, Sessions};
use crate::domain::audit::{AuditEvent, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::ApiKeyRequirement;
use crate::domain::grant::GrantKind;
use crate::domain::justification::Justification;
use crate::domain::mode::{Mode, Terms};
use crate::domain::payload::SessionPayload;
use crate::domain::policy::{self, Denial, Role, SessionKind};
use crate::domain::token::VerifiedToken;
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
    start(state, async { Ok(caller.clone()) }, request).await
}

/// `start_impersonation` for a verified token whose caller is not read yet: the caller, the
/// target and the API key are then read at once.
pub async fn start_impersonation_by(
    state: &ImpersonateState,
    token: VerifiedToken,
    request: StartRequest<'_>,
) -> Result<Started<SessionPayload>> {
    start(state, caller_of(&state.api, token), request).await
}

/// A start in waves of calls that do not wait for one another: (1) the caller, the target and
/// the API key are read at once; (2) the key's use is counted, both people are written to the
/// directory and the tenant's settings are read, at once; then the grant, the mint, and the
/// refresh token kept while the start is recorded. Every check is made in the order it always
/// was, on what was read: the answer to a refused start is the same as if it had been read one
/// call after another. A refused start writes what it did before (the key's count, the
/// directory's copy of its people as just read) and nothing else.
async fn start(
    state: &ImpersonateState,
    caller: impl std::future::Future<Output = Result<Caller>>,
    request: StartRequest<'_>,
) -> Result<Started<SessionPayload>> {
    let needs_key = request.api_key.is_some()
        || request.dialect == Dialect::Username
        || state.api.policy.api_key_requirement == ApiKeyRequirement::Always;
    let key = async {
        if needs_key {
            find_api_key(state.api_keys.as_ref(), request.api_key)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let (caller, key, target) = tokio::join!(caller, key, find_target(&state.api, &request.target));
    let caller = caller?;
    let key = key?;
    let actor = caller.user.principal();
    // What used to follow the key's count, decided on what was read (no call).
    let allowed = (|| -> Result<()> {
        if caller.session_kind(&state.api) == SessionKind::Impersonated {
            return Err(Denial::ChainedImpersonation.into());
        }
        policy::check_route_role(&actor, Role::Operator)?;
        Ok(())
    })();
    let seen = match (&allowed, &target) {
        (Ok(()), Ok(target)) => Some(target.clone()),
        _ => None,
    };
    let checked = allowed.and_then(|()| {
        let target = target?;
        check_may_start(&actor, &target)?;
        let mode =
            state
                .api
                .policy
                .mode_rules
                .resolve(request.mode, &actor, &request.justification)?;
        Ok((target, mode))
    });
    let count = async {
        match &key {
            Some(key) => {
                count_api_key(
                    state.api_keys.as_ref(),
                    key,
                    actor.tenant.as_deref(),
                    UsagePlan {
                        default_requests_per_minute: state.api.policy.api_key_requests_per_minute,
                        now_millis: state.api.clock.now_millis(),
                    },
                )
                .await
            }
            None => Ok(()),
        }
    };
    let directory = async {
        if let Some(target) = &seen {
            note_seen(state.directory.as_ref(), &[&caller.user, target]).await;
        }
    };
    let settings = async {
        match &checked {
            Ok((target, _)) => Some(
                state
                    .governance
                    .settings_for(target.principal().tenant.as_deref())
                    .await,
            ),
            Err(_) => None,
        }
    };
    let (counted, (), settings) = tokio::join!(count, directory, settings);
    counted?;
    let (target, mode) = checked?;
    let settings = settings.ok_or_else(|| ActasError::Internal("settings not read".into()))??;
    let admission = admit_under(
        &state.api,
        &state.governance,
        StartAsk {
            actor: &caller.user,
            target: &target,
            mode,
            justification: &request.justification,
            break_glass: request.break_glass,
            origin: &request.origin,
            signed_in_at: caller.token.auth_time,
        },
        settings,
    )
    .await?;
    let (max_duration_secs, idle_secs, mode, approved) = match admission {
        Admission::Proceed {
            max_duration_secs,
            idle_secs,
            mode,
            approved,
        } => (max_duration_secs, idle_secs, mode, approved),
        Admission::Pending(waiting) => {
            return Ok(Started::Pending(Box::new(RequestView::of(
                &waiting,
                state.api.clock.now_secs(),
            ))))
        }
    };
    let mut terms = Terms::new(request.justification, mode);
    terms.max_duration_secs = Some(max_duration_secs);
    terms.idle_secs = Some(idle_secs);
    terms.break_glass = request.break_glass;
    terms.approved = approved;
    mint_session_payload(
        &state.api,
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
