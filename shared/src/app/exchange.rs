//! Exchanging a two-step token for a session (seeds 002 `login-exchange` and 003
//! `sys-exchange`): once, at the route that issued it, with the policy checked again.

use crate::app::authenticate::find_target;
use crate::app::governance::Governance;
use crate::app::issue_token::TokenRoute;
use crate::app::mint::mint_session_payload;
use crate::app::session_policy::person_of;
use std::sync::Arc;

use crate::app::directory::note_seen;
use crate::app::exchange_tokens::ExchangeTokens;
use crate::app::state::{Api, Sessions};
use crate::domain::audit::{AuditEvent, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::GrantKind;
use crate::domain::justification::Justification;
use crate::domain::mode::Terms;
use crate::domain::payload::SessionPayload;
use crate::domain::policy::{self, Denial, SessionKind};
use crate::domain::user::UserRef;
use crate::ports::directory::Directory;
use crate::ports::grants::ExchangeStore;

/// What the two exchange functions build: tokens are verified, grants consumed, sessions minted.
pub struct ExchangeState {
    pub api: Api,
    pub sessions: Sessions,
    pub exchanges: Arc<dyn ExchangeStore>,
    pub tokens: ExchangeTokens,
    /// Both users of every exchange are written to it, as just read.
    pub directory: Arc<dyn Directory>,
    /// The tenant's maximum duration.
    pub governance: Governance,
}

/// Seeds 002/003: exchanges a token for the session payload, once. The policy is checked again:
/// an actor disabled or demoted since the token was issued is refused.
pub async fn exchange_token(
    state: &ExchangeState,
    token: &str,
    route: TokenRoute,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let claims = state.tokens.verify(token, route.audience()).await?;
    // In waves of calls that do not wait for one another: (1) the grant is consumed while the
    // actor its token names is read; (2) the target is read with the actor's tenant's settings
    // (the target's, unless a super-admin crossed tenants: then those are read after); (3) both
    // people are written to the directory while the session is minted.
    let actor_named = claims
        .act
        .username
        .clone()
        .filter(|name| UserRef::parse(name).is_ok());
    let actor_read = async {
        match actor_named.as_deref().map(UserRef::parse) {
            Some(Ok(actor)) => Some(state.api.identity.find_user(&actor).await),
            _ => None,
        }
    };
    let (grant, actor_read) = tokio::join!(
        state
            .exchanges
            .consume_exchange(&claims.jti, route.audience(), state.api.clock.now_secs()),
        actor_read
    );
    let grant = grant?
        .ok_or_else(|| ActasError::Unauthorized("invalid or expired impersonation token".into()))?;
    if grant.target_sub != claims.sub || grant.actor_sub != claims.act.sub {
        return Err(ActasError::Unauthorized(
            "invalid or expired impersonation token".into(),
        ));
    }
    let actor = person_of(
        state.api.identity.as_ref(),
        actor_read,
        actor_named.as_deref(),
        &grant.actor_username,
        &grant.actor_sub,
    )
    .await?
    .ok_or_else(|| ActasError::Unauthorized("the impersonator no longer exists".into()))?;
    let actor_principal = actor.principal();
    let target_ref = UserRef::parse(&grant.target_username)?;
    let (target, settings) = tokio::join!(
        find_target(&state.api, &target_ref),
        state
            .governance
            .settings_for(actor_principal.tenant.as_deref())
    );
    // Bound to the person, not the name: a target deleted and re-created under the same
    // username is someone else.
    let target = target
        .ok()
        .filter(|t| t.sub == grant.target_sub)
        .ok_or_else(|| ActasError::Unauthorized("the impersonated user no longer exists".into()))?;
    let checked = (|| -> Result<Terms> {
        if !actor_principal.enabled {
            return Err(Denial::ActorDisabled.into());
        }
        policy::check_route_role(&actor_principal, route.minimum_role())?;
        policy::check(&actor_principal, SessionKind::Own, &target.principal())?;
        let justification = Justification {
            reason: grant.reason.clone(),
            ticket: grant.ticket.clone(),
        };
        // The mode too: an actor no longer allowed a full session does not get one.
        let mode = state.api.policy.mode_rules.resolve(
            Some(grant.mode),
            &actor_principal,
            &justification,
        )?;
        Ok(Terms::new(justification, mode))
    })();
    let minting = async {
        let mut terms = checked?;
        // The tenant's limits as they are now (approval, if it needed any, was given at the
        // token).
        let tenant = target.principal().tenant;
        let settings = if tenant == actor_principal.tenant {
            settings?
        } else {
            state.governance.settings_for(tenant.as_deref()).await?
        };
        // No longer than an approver allowed, when one shortened it.
        terms.max_duration_secs = Some(
            grant
                .max_duration_secs
                .map_or(settings.max_duration_seconds, |approved| {
                    approved.min(settings.max_duration_seconds)
                }),
        );
        terms.idle_secs = Some(settings.idle_seconds);
        terms.approved = grant.approved.clone();
        mint_session_payload(
            &state.api,
            &state.sessions,
            &actor,
            &target,
            GrantKind::Impersonation,
            &terms,
            Some((AuditEvent::Exchanged, origin)),
        )
        .await
    };
    let people = [&actor, &target];
    let ((), minted) = tokio::join!(note_seen(state.directory.as_ref(), &people), minting);
    minted
}
