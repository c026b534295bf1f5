//! PreTokenGeneration: the `act` and impersonation claims (mode included), the resource server's
//! scopes by mode, no self-service scope, and no Cognito-side refresh for the impersonation client.

use crate::app::directory::note_seen;
use crate::domain::error::{ActasError, Result};
use crate::domain::identity_mapping::IdentityMapping;
use crate::domain::mode::Mode;
use crate::domain::user::{PoolUser, UserRecord};
use crate::triggers::{
    set_response, TriggerEvent, TriggerState, CLAIM_ACT, CLAIM_IMPERSONATION_EXPIRES_AT,
    CLAIM_IMPERSONATION_ID, CLAIM_IMPERSONATION_MODE, SELF_SERVICE_SCOPE,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use tracing::warn;

/// PreTokenGeneration (V2): writes the actor and the mode into the id and access tokens of an
/// impersonated session, and takes the self-service scope out of its access tokens. Every
/// access token gets the read scope; ordinary sessions and `full` impersonations also get the
/// write scope, read-only ones never (a gateway that requires it refuses their writes before
/// any code runs). Idempotent and read-only: the local emulator calls it twice per issuance.
///
/// On the impersonation client every issuance must name the grant it redeemed; a refresh at
/// Cognito names none, so it is refused. Refresh goes through actas, which knows which
/// impersonation a refresh token belongs to and mints fresh tokens for that one only.
pub async fn pre_token_generation(state: &TriggerState, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    if !parsed.is_from_client(&state.impersonation_client_id) {
        // The sign-in client's own sessions pass through unchanged; the user they are for, as
        // Cognito sends them, refreshes the directory.
        if let Some(user) = signed_in_user(&state.identity_mapping, &event) {
            note_seen(state.directory.as_ref(), &[&user]).await;
        }
        set_response(
            &mut event,
            json!({
                "claimsAndScopeOverrideDetails": {
                    "accessTokenGeneration": {
                        "scopesToAdd": [state.scopes.read, state.scopes.write],
                    },
                }
            }),
        );
        return Ok(event);
    }
    if parsed.trigger_source.as_deref() == Some("TokenGeneration_RefreshTokens") {
        warn!("refresh at Cognito refused: impersonated sessions refresh through actas");
        return Err(ActasError::Forbidden(
            "impersonated sessions refresh through actas".into(),
        ));
    }
    let id = parsed.impersonation_id().ok_or_else(|| {
        ActasError::Forbidden("tokens on the impersonation client need a grant".into())
    })?;
    let imp = state
        .store
        .get(id)
        .await?
        .ok_or_else(|| ActasError::Forbidden("no such impersonation".into()))?;
    if imp.kind != crate::domain::grant::GrantKind::Impersonation {
        return Err(ActasError::Forbidden("not an impersonation grant".into()));
    }
    let same_user = match parsed.user_sub() {
        Some(sub) => sub == imp.target_sub,
        None => parsed.user_name.as_deref() == Some(imp.target_username.as_str()),
    };
    if !same_user
        || imp.client_id != state.impersonation_client_id
        || !imp.is_live(state.clock.now_secs())
    {
        warn!(
            impersonation_id = id,
            "token generation refused: impersonation not live for this user"
        );
        return Err(ActasError::Forbidden("impersonation is not live".into()));
    }
    let claims = json!({
        CLAIM_ACT: {"sub": imp.actor_sub, "username": imp.actor_username},
        CLAIM_IMPERSONATION_ID: imp.id,
        CLAIM_IMPERSONATION_EXPIRES_AT: imp.ends_at,
        CLAIM_IMPERSONATION_MODE: imp.mode.as_str(),
    });
    let (scopes_to_add, scopes_to_suppress) = match imp.mode {
        Mode::Full => (
            vec![state.scopes.read.as_str(), state.scopes.write.as_str()],
            vec![SELF_SERVICE_SCOPE],
        ),
        Mode::ReadOnly => (
            vec![state.scopes.read.as_str()],
            vec![SELF_SERVICE_SCOPE, state.scopes.write.as_str()],
        ),
    };
    set_response(
        &mut event,
        json!({
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {"claimsToAddOrOverride": claims.clone()},
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": claims,
                    "scopesToAdd": scopes_to_add,
                    "scopesToSuppress": scopes_to_suppress,
                },
            }
        }),
    );
    Ok(event)
}

/// The signed-in user as the event describes them: name, attributes, groups (a disabled user
/// cannot sign in).
fn signed_in_user(mapping: &IdentityMapping, event: &Value) -> Option<UserRecord> {
    let username = event["userName"].as_str()?.to_string();
    let attributes: HashMap<String, String> = event["request"]["userAttributes"]
        .as_object()?
        .iter()
        .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_string())))
        .collect();
    let groups = event["request"]["groupConfiguration"]["groupsToOverride"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Some(UserRecord::read(
        mapping,
        PoolUser {
            sub: attributes.get("sub")?.clone(),
            username,
            enabled: true,
            groups,
            attributes,
            created_at_millis: None,
            updated_at_millis: None,
        },
    ))
}
