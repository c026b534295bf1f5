//! Issuing a two-step token (seeds 002 `coworker-impersonate` and 003 `sys-impersonate`): the
//! policy is checked, a single-use grant written, and a short-lived token signed for it.

use crate::app::authenticate::{caller_of, check_may_start, find_target, Caller};
use crate::app::governance::{admit, Admission, Governance, RequestView, StartAsk, Started};
use std::sync::Arc;

use crate::app::exchange_tokens::ExchangeTokens;
use crate::app::state::Api;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::exchange::{ExchangeClaims, AUDIENCE_PUBLIC, AUDIENCE_SYS};
use crate::domain::grant::ExchangeGrant;
use crate::domain::justification::Justification;
use crate::domain::mode::Mode;
use crate::domain::payload::TokenResponse;
use crate::domain::policy::{self, Denial, Role, SessionKind};
use crate::domain::token::{ActorClaim, VerifiedToken};
use crate::domain::user::UserRef;
use crate::ports::grants::ExchangeStore;
use tracing::info;

/// What the two token-issuing functions build: two-step grants are written and tokens signed.
pub struct IssueTokenState {
    pub api: Api,
    pub exchanges: Arc<dyn ExchangeStore>,
    pub tokens: ExchangeTokens,
    pub governance: Governance,
}

/// The two routes that issue a two-step token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRoute {
    /// Seed 002: `GET /api/public/coworkers/{coworkerId}/impersonate`, for team admins and up.
    Public,
    /// Seed 003: `GET /api/sys/users/impersonate?coworkerId=`, for operators and up.
    Sys,
}

impl TokenRoute {
    pub(crate) fn audience(self) -> &'static str {
        match self {
            TokenRoute::Public => AUDIENCE_PUBLIC,
            TokenRoute::Sys => AUDIENCE_SYS,
        }
    }

    pub(crate) fn minimum_role(self) -> Role {
        match self {
            TokenRoute::Public => Role::TeamAdmin,
            TokenRoute::Sys => Role::Operator,
        }
    }
}

/// Seeds 002/003: a short-lived token whose `jti` is a single-use grant bound to actor and
/// target. The caller (of a verified token) and the target are read at once.
pub async fn issue_exchange_token_by(
    state: &IssueTokenState,
    token: VerifiedToken,
    ask: TokenAsk<'_>,
) -> Result<Started<TokenResponse>> {
    issue(state, caller_of(&state.api, token), ask).await
}

/// What a two-step token is asked for.
pub struct TokenAsk<'a> {
    pub target: &'a UserRef,
    pub route: TokenRoute,
    pub justification: Justification,
    pub requested_mode: Option<Mode>,
    pub origin: &'a RequestOrigin,
}

/// The caller and the target are read at once; every check is then made in the order it was
/// when the target was read after the caller's checks.
async fn issue(
    state: &IssueTokenState,
    caller: impl std::future::Future<Output = Result<Caller>>,
    ask: TokenAsk<'_>,
) -> Result<Started<TokenResponse>> {
    let TokenAsk {
        target,
        route,
        justification,
        requested_mode,
        origin,
    } = ask;
    let (caller, target_user) = tokio::join!(caller, find_target(&state.api, target));
    let caller = caller?;
    let actor = caller.user.principal();
    if caller.session_kind(&state.api) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    if policy::check_route_role(&actor, route.minimum_role()).is_err() {
        return Err(match route {
            // Seed 003: "Standard customer sessions will receive a 401 Unauthorized response."
            TokenRoute::Sys => {
                ActasError::Unauthorized("an operator or admin session is required".into())
            }
            TokenRoute::Public => Denial::RoleNotPermitted.into(),
        });
    }
    let target_user = target_user?;
    let target_principal = target_user.principal();
    check_may_start(&actor, &target_user)?;
    let mode = state
        .api
        .policy
        .mode_rules
        .resolve(requested_mode, &actor, &justification)?;
    let admission = admit(
        &state.api,
        &state.governance,
        StartAsk {
            actor: &caller.user,
            target: &target_user,
            mode,
            justification: &justification,
            break_glass: false,
            origin,
            signed_in_at: caller.token.auth_time,
        },
    )
    .await?;
    // An approval's terms travel with the token: the exchanged session gets exactly them.
    let (mode, max_duration_secs, approved) = match admission {
        Admission::Pending(waiting) => {
            return Ok(Started::Pending(Box::new(RequestView::of(
                &waiting,
                state.api.clock.now_secs(),
            ))))
        }
        Admission::Proceed {
            mode,
            max_duration_secs,
            approved,
            ..
        } => (
            mode,
            approved.is_some().then_some(max_duration_secs),
            approved,
        ),
    };

    let now = state.api.clock.now_secs();
    let exp = now + state.api.policy.exchange_token_secs;
    let grant = ExchangeGrant {
        id: uuid::Uuid::new_v4().to_string(),
        audience: route.audience().to_string(),
        actor_sub: caller.user.sub.clone(),
        actor_username: caller.user.username.clone(),
        target_sub: target_user.sub.clone(),
        target_username: target_user.username.clone(),
        reason: justification.reason,
        ticket: justification.ticket,
        mode,
        max_duration_secs,
        approved,
        token_expires_at: exp,
        expires_at: exp + 86_400,
    };
    state.exchanges.put_exchange(&grant).await?;
    // The token is not handed out unless its issue is on record.
    let mut record = AuditRecord::new(
        AuditEvent::TokenIssued,
        state.api.clock.now_millis(),
        origin,
    )
    .approved(grant.approved.as_ref());
    record.actor_sub = Some(grant.actor_sub.clone());
    record.actor_username = Some(grant.actor_username.clone());
    record.target_sub = Some(grant.target_sub.clone());
    record.target_username = Some(grant.target_username.clone());
    record.tenant = target_principal.tenant.clone();
    record.reason = grant.reason.clone();
    record.ticket = grant.ticket.clone();
    record.mode = Some(grant.mode);
    state.api.audit.record(&record).await?;
    let actor_claim = ActorClaim {
        sub: grant.actor_sub.clone(),
        username: Some(grant.actor_username.clone()),
    };
    let claims = ExchangeClaims::new(
        route.audience(),
        &grant.target_sub,
        actor_claim,
        &grant.id,
        now,
        exp,
    );
    let token = state.tokens.sign(&claims).await?;
    info!(grant = %grant.id, actor = %grant.actor_username, target = %grant.target_username, "exchange token issued");
    Ok(Started::Now(TokenResponse { token }))
}
