//! `POST /auth/impersonate/revert` (seed 000): the actor's own session back, once, and only from
//! the impersonated session.

use crate::app::end::SessionPorts;
use crate::app::mint::mint_session_payload;
use crate::app::session_policy::person_of;
use crate::app::state::SessionState;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::GrantKind;
use crate::domain::mode::Terms;
use crate::domain::payload::SessionPayload;
use crate::domain::policy::Denial;
use crate::domain::secrets::secret_matches;
use crate::domain::token::VerifiedToken;
use crate::domain::user::UserRef;
use tracing::info;

/// Seed 000: ends the impersonation named by its revert token (single use) and returns the
/// impersonator's own fresh session. The revert token alone is not enough: the request must
/// also carry the impersonated session itself (`Authorization`: its id or access token), whose
/// `impersonation_id` names the same live impersonation. A revert token that leaked without
/// its session mints nothing. `session` is the outcome of verifying that token (the handler
/// verifies it once).
pub async fn revert(
    state: &SessionState,
    revert_token: &str,
    session: Result<VerifiedToken>,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let refused = || ActasError::Unauthorized("invalid or used revert token".into());
    let (id, secret) = revert_token.trim().split_once('.').ok_or_else(refused)?;
    if id.is_empty() || secret.is_empty() || id.len() > 64 {
        return Err(refused());
    }
    let session = session.map_err(|_| {
        ActasError::Unauthorized(
            "a revert needs the impersonated session's token in Authorization".into(),
        )
    })?;
    if session.impersonation_id.as_deref() != Some(id) {
        return Err(ActasError::Unauthorized(
            "the session in Authorization is not the impersonation this token reverts".into(),
        ));
    }
    // In waves of calls that do not wait for one another: the impersonation and its actor (as
    // the session's `act` names them); the end (single use) and the refresh token opened; the
    // record and the revoke; the own session's grant and `revoked_at`; the mint.
    let actor_named = session
        .act
        .as_ref()
        .and_then(|act| act.get("username")?.as_str())
        .filter(|name| UserRef::parse(name).is_ok());
    let actor_read = async {
        match actor_named.map(UserRef::parse) {
            Some(Ok(actor)) => Some(state.api.identity.find_user(&actor).await),
            _ => None,
        }
    };
    let (imp, actor_read) = tokio::join!(state.sessions.impersonations.get(id), actor_read);
    let imp = imp?.ok_or_else(refused)?;
    if imp.kind != GrantKind::Impersonation
        || imp.target_sub != session.sub
        || !secret_matches(secret, &imp.revert_secret_hash)
        || !imp.is_live(state.api.clock.now_secs())
    {
        return Err(refused());
    }
    let ports = SessionPorts {
        impersonations: state.sessions.impersonations.as_ref(),
        identity: state.api.identity.as_ref(),
        vault: state.sessions.vault.as_ref(),
        clock: state.api.clock.as_ref(),
    };
    let (ended, opened) = tokio::join!(
        state.sessions.impersonations.end(
            id,
            Some(&imp.revert_secret_hash),
            state.api.clock.now_secs()
        ),
        ports.open(&imp)
    );
    if !ended? {
        return Err(refused());
    }
    info!(impersonation_id = id, actor = %imp.actor_username, "impersonation reverted");
    let mut reverted =
        AuditRecord::new(AuditEvent::Reverted, state.api.clock.now_millis(), origin).about(&imp);
    reverted.cause = Some("reverted by the impersonator".into());
    // The own session only once the revert is on record; the revoke whatever happens.
    let own = async {
        state.api.audit.record(&reverted).await?;
        let actor = person_of(
            state.api.identity.as_ref(),
            actor_read,
            actor_named,
            &imp.actor_username,
            &imp.actor_sub,
        )
        .await?
        .ok_or_else(|| ActasError::Unauthorized("the impersonator no longer exists".into()))?;
        if !actor.enabled {
            return Err(Denial::ActorDisabled.into());
        }
        mint_session_payload(
            &state.api,
            &state.sessions,
            &actor,
            &actor,
            GrantKind::OwnSession,
            &Terms::own_session(),
            None,
        )
        .await
    };
    let (_, own) = tokio::join!(ports.revoke_opened(&imp, opened), own);
    own
}
