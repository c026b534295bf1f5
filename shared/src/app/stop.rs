//! Stopping an impersonation: `DELETE /auth/impersonations/{id}` by its actor or an admin above
//! them, and `DELETE /auth/impersonate` from the impersonated session. A stopped impersonation
//! reads inactive at once, its refresh token is revoked, and stopping twice is harmless.

use crate::app::authenticate::{caller_of, Caller};
use crate::app::end::{end_and_revoke, StopResult};
use crate::app::state::SessionState;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::{GrantKind, Impersonation};
use crate::domain::policy::{Denial, Role, SessionKind};
use crate::domain::token::VerifiedToken;
use crate::domain::user::UserRef;

pub(crate) async fn find_impersonation(state: &SessionState, id: &str) -> Result<Impersonation> {
    let not_found = || ActasError::NotFound("no such impersonation".into());
    if id.is_empty() || id.len() > 64 {
        return Err(not_found());
    }
    state
        .sessions
        .impersonations
        .get(id)
        .await?
        .filter(|imp| imp.kind == GrantKind::Impersonation)
        .ok_or_else(not_found)
}

/// `DELETE /auth/impersonations/{id}`: by the impersonator, an admin of the tenant who
/// outranks the impersonator, or a super-admin.
pub async fn stop_by_id(
    state: &SessionState,
    caller: &Caller,
    id: &str,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    stop_as(state, async { Ok(caller.clone()) }, id, origin).await
}

/// `stop_by_id` for a verified token whose caller is not read yet: the caller and the
/// impersonation are then read at once.
pub async fn stop_by_id_for(
    state: &SessionState,
    token: VerifiedToken,
    id: &str,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    stop_as(state, caller_of(&state.api, token), id, origin).await
}

async fn stop_as(
    state: &SessionState,
    caller: impl std::future::Future<Output = Result<Caller>>,
    id: &str,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    let (caller, imp) = tokio::join!(caller, find_impersonation(state, id));
    let caller = caller?;
    if caller.session_kind(&state.api) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    let imp = imp?;
    let me = caller.user.principal();
    // Another tenant's impersonation is "not found", like an unknown id: nobody learns what
    // goes on elsewhere.
    if me.sub != imp.actor_sub && me.role != Role::SuperAdmin && me.tenant != imp.tenant {
        return Err(ActasError::NotFound("no such impersonation".into()));
    }
    let permitted = if me.sub == imp.actor_sub || me.role == Role::SuperAdmin {
        true
    } else if me.role == Role::Admin && me.tenant.is_some() && me.tenant == imp.tenant {
        let actor_rank = match UserRef::parse(&imp.actor_username) {
            Ok(actor) => state
                .api
                .identity
                .find_user(&actor)
                .await?
                .map(|a| a.role().rank()),
            Err(_) => None,
        };
        actor_rank.is_none_or(|rank| me.role.rank() > rank)
    } else {
        false
    };
    if !me.enabled || !permitted {
        return Err(ActasError::Forbidden(
            "you may not stop this impersonation".into(),
        ));
    }
    let cause = format!("stopped by {}", caller.user.username);
    end_and_revoke(&state.api, &state.sessions, imp, &cause, origin).await
}

/// `DELETE /auth/impersonate` (seed 000's sign-out): the impersonated session (its verified
/// token) ends itself.
pub async fn stop_own(
    state: &SessionState,
    token: VerifiedToken,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    let id = token
        .impersonation_id
        .as_deref()
        .ok_or_else(|| ActasError::Forbidden("this session is not an impersonation".into()))?;
    let imp = find_impersonation(state, id).await?;
    if imp.target_sub != token.sub {
        return Err(ActasError::Forbidden(
            "this session is not that impersonation".into(),
        ));
    }
    // Whoever holds the impersonated session is its actor (the banner's Stop): the record
    // names them, and says the stop came through the impersonated session.
    let cause = format!(
        "stopped by {} through the impersonated session",
        imp.actor_username
    );
    end_and_revoke(&state.api, &state.sessions, imp, &cause, origin).await
}
