//! `POST /auth/impersonate/revert` (seed 000): the actor's own session back, once, and only from
//! the impersonated session.

use crate::app::mint::mint_session_payload;
use crate::app::state::SessionState;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::GrantKind;
use crate::domain::mode::Terms;
use crate::domain::payload::SessionPayload;
use crate::domain::policy::Denial;
use crate::domain::secrets::secret_matches;
use crate::domain::user::UserRef;
use tracing::info;

/// Seed 000: ends the impersonation named by its revert token (single use) and returns the
/// impersonator's own fresh session. The revert token alone is not enough: the request must
/// also carry the impersonated session itself (`Authorization`: its id or access token), whose
/// `impersonation_id` names the same live impersonation. A revert token that leaked without
/// its session mints nothing.
pub async fn revert(
    state: &SessionState,
    revert_token: &str,
    authorization: Option<&str>,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let refused = || ActasError::Unauthorized("invalid or used revert token".into());
    let (id, secret) = revert_token.trim().split_once('.').ok_or_else(refused)?;
    if id.is_empty() || secret.is_empty() || id.len() > 64 {
        return Err(refused());
    }
    let session = state
        .verifier
        .verify_header(authorization)
        .await
        .map_err(|_| {
            ActasError::Unauthorized(
                "a revert needs the impersonated session's token in Authorization".into(),
            )
        })?;
    if session.impersonation_id.as_deref() != Some(id) {
        return Err(ActasError::Unauthorized(
            "the session in Authorization is not the impersonation this token reverts".into(),
        ));
    }
    let imp = state
        .sessions
        .impersonations
        .get(id)
        .await?
        .ok_or_else(refused)?;
    if imp.kind != GrantKind::Impersonation
        || imp.target_sub != session.sub
        || !secret_matches(secret, &imp.revert_secret_hash)
        || !imp.is_live(state.clock.now_secs())
    {
        return Err(refused());
    }
    if !state
        .sessions
        .impersonations
        .end(id, Some(&imp.revert_secret_hash), state.clock.now_secs())
        .await?
    {
        return Err(refused());
    }
    info!(impersonation_id = id, actor = %imp.actor_username, "impersonation reverted");
    let mut reverted =
        AuditRecord::new(AuditEvent::Reverted, state.clock.now_millis(), origin).about(&imp);
    reverted.cause = Some("reverted by the impersonator".into());
    let recorded = state.audit.record(&reverted).await;
    crate::app::end::revoke_session(state, &state.sessions, &imp).await;
    recorded?;
    let actor = state
        .identity
        .find_user(&UserRef::parse(&imp.actor_username)?)
        .await?
        .filter(|u| u.sub == imp.actor_sub)
        .ok_or_else(|| ActasError::Unauthorized("the impersonator no longer exists".into()))?;
    if !actor.enabled {
        return Err(Denial::ActorDisabled.into());
    }
    mint_session_payload(
        state,
        &state.sessions,
        &actor,
        &actor,
        GrantKind::OwnSession,
        &Terms::own_session(),
        None,
    )
    .await
}
