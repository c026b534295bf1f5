//! PreTokenGeneration: the `act` and impersonation claims (mode included), the resource server's
//! scopes by mode, no self-service scope, and no Cognito-side refresh for the impersonation client;
//! in a pool actas joined, the pool's own pre-token function's answer under actas's.

use crate::app::directory::note_seen;
use crate::domain::error::{ActasError, Result};
use crate::domain::identity_mapping::IdentityMapping;
use crate::domain::mode::Mode;
use crate::domain::user::{PoolUser, UserRecord};
use crate::triggers::token_overrides::{OverrideDetails, TokenOverride};
use crate::triggers::{
    set_response, TriggerEvent, TriggerState, CLAIM_ACT, CLAIM_IMPERSONATION_EXPIRES_AT,
    CLAIM_IMPERSONATION_ID, CLAIM_IMPERSONATION_MODE, SELF_SERVICE_SCOPE,
};
use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreTokenGenRequest;
use serde::Serialize;
use serde_json::{json, Map, Value};
use tracing::warn;

/// A pre-token event (V2, the version actas's trigger is attached with) as actas reads it. Its
/// request in aws_lambda_events' type for the V1 request: a V2 request is that and `scopes`,
/// which actas does not read and which the crate's V2 type (`...PreTokenGenRequestV2`) requires,
/// where AWS's own event parsers take it as optional; a missing one would fail every sign-in.
/// (Its user attributes are strings, as Cognito and the emulator send them.)
type PreTokenEvent = TriggerEvent<CognitoEventUserPoolsPreTokenGenRequest>;

/// actas's answer, the V2 `response`. actas's own, not aws_lambda_events'
/// `CognitoEventUserPoolsPreTokenGenResponseV2`: its details write every field, empty ones too,
/// and an empty `groupOverrideDetails` would override the user's groups with none
/// (`token_overrides`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PreTokenAnswer {
    claims_and_scope_override_details: OverrideDetails,
}

/// PreTokenGeneration (V2): writes the actor and the mode into the id and access tokens of an
/// impersonated session, and takes the self-service scope out of its access tokens. Every
/// access token gets the read scope; ordinary sessions and `full` impersonations also get the
/// write scope, read-only ones never (a gateway that requires it refuses their writes before
/// any code runs). Idempotent and read-only: the local emulator calls it twice per issuance.
///
/// On the impersonation client every issuance must name the grant it redeemed; a refresh at
/// Cognito names none, so it is refused. Refresh goes through actas, which knows which
/// impersonation a refresh token belongs to and mints fresh tokens for that one only.
///
/// In a pool actas joined, the pool's own pre-token function is called with the same event,
/// alongside actas's reads (a trigger has 5 seconds), and its answer merged under actas's
/// (`token_overrides`): its claims, scopes and groups stay, actas's claims and the scopes actas
/// takes away cannot be touched by it. Its failure fails the sign-in, as it did without actas.
pub async fn pre_token_generation(state: &TriggerState, mut event: Value) -> Result<Value> {
    let parsed = PreTokenEvent::read(&event)?;
    // What is refused from the event alone is refused before anything is read or called.
    let grant_id = if parsed.is_from_client(&state.impersonation_client_id) {
        if parsed.trigger_source() == Some("TokenGeneration_RefreshTokens") {
            warn!("refresh at Cognito refused: impersonated sessions refresh through actas");
            return Err(ActasError::Forbidden(
                "impersonated sessions refresh through actas".into(),
            ));
        }
        Some(parsed.impersonation_id().ok_or_else(|| {
            ActasError::Forbidden("tokens on the impersonation client need a grant".into())
        })?)
    } else {
        None
    };
    let ours = async {
        match grant_id {
            Some(id) => impersonated_session(state, &parsed, id).await,
            None => Ok(ordinary_session(state, &parsed).await),
        }
    };
    let theirs = async {
        match &state.chain {
            Some(chain) => chain.pre_token_generation(&event).await,
            None => Ok(None),
        }
    };
    let (ours, theirs) = tokio::join!(ours, theirs);
    // actas's refusal first: the pool's function's answer never makes a refused session pass.
    let ours = ours?;
    let details = match theirs? {
        Some(theirs) => ours.merged_over(theirs),
        None => ours,
    };
    let answer = PreTokenAnswer {
        claims_and_scope_override_details: details,
    };
    set_response(&mut event, answer)?;
    Ok(event)
}

/// The sign-in client's own sessions (and the revert client's): no claims, both scopes. The
/// user they are for, as Cognito sends them, refreshes the directory.
async fn ordinary_session(state: &TriggerState, parsed: &PreTokenEvent) -> OverrideDetails {
    if let Some(user) = signed_in_user(&state.identity_mapping, parsed) {
        note_seen(state.directory.as_ref(), &[&user]).await;
    }
    OverrideDetails {
        access_token_generation: Some(TokenOverride {
            scopes_to_add: vec![state.scopes.read.clone(), state.scopes.write.clone()],
            ..TokenOverride::default()
        }),
        ..OverrideDetails::default()
    }
}

/// An impersonated session: the grant it redeemed must be live and for this user.
async fn impersonated_session(
    state: &TriggerState,
    parsed: &PreTokenEvent,
    id: &str,
) -> Result<OverrideDetails> {
    let imp = state
        .store
        .get(id)
        .await?
        .ok_or_else(|| ActasError::Forbidden("no such impersonation".into()))?;
    if imp.kind != crate::domain::grant::GrantKind::Impersonation {
        return Err(ActasError::Forbidden("not an impersonation grant".into()));
    }
    let same_user = match parsed.request.user_attributes.get("sub") {
        Some(sub) => *sub == imp.target_sub,
        None => parsed.user_name() == Some(imp.target_username.as_str()),
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
    let claims = Map::from_iter([
        (
            CLAIM_ACT.to_string(),
            json!({"sub": imp.actor_sub, "username": imp.actor_username}),
        ),
        (CLAIM_IMPERSONATION_ID.to_string(), json!(imp.id)),
        (
            CLAIM_IMPERSONATION_EXPIRES_AT.to_string(),
            json!(imp.ends_at),
        ),
        (
            CLAIM_IMPERSONATION_MODE.to_string(),
            json!(imp.mode.as_str()),
        ),
    ]);
    let (read, write) = (state.scopes.read.clone(), state.scopes.write.clone());
    let (scopes_to_add, scopes_to_suppress) = match imp.mode {
        Mode::Full => (vec![read, write], vec![SELF_SERVICE_SCOPE.to_string()]),
        Mode::ReadOnly => (vec![read], vec![SELF_SERVICE_SCOPE.to_string(), write]),
    };
    Ok(OverrideDetails {
        id_token_generation: Some(TokenOverride {
            claims_to_add_or_override: claims.clone(),
            ..TokenOverride::default()
        }),
        access_token_generation: Some(TokenOverride {
            claims_to_add_or_override: claims,
            scopes_to_add,
            scopes_to_suppress,
            ..TokenOverride::default()
        }),
        group_override_details: None,
    })
}

/// The signed-in user as the event describes them: name, attributes, groups (a disabled user
/// cannot sign in).
fn signed_in_user(mapping: &IdentityMapping, parsed: &PreTokenEvent) -> Option<UserRecord> {
    let username = parsed.user_name()?.to_string();
    let request = &parsed.request;
    Some(UserRecord::read(
        mapping,
        PoolUser {
            sub: request.user_attributes.get("sub")?.clone(),
            username,
            enabled: true,
            groups: request.group_configuration.groups_to_override.clone(),
            attributes: request.user_attributes.clone(),
            created_at_millis: None,
            updated_at_millis: None,
        },
    ))
}
