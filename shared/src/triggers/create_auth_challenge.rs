//! CreateAuthChallenge: the challenge has no public parameters; the answer is the grant's secret.

use crate::domain::error::{ActasError, Result};
use crate::triggers::{set_response, CustomAuthClients, TriggerEvent};
use serde_json::{json, Value};

/// CreateAuthChallenge: the challenge carries nothing; the answer is the grant's secret, which
/// only actas knows.
pub fn create_auth_challenge(clients: &CustomAuthClients, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    if !clients.allows(parsed.caller_context.client_id.as_deref()) {
        return Err(ActasError::Forbidden(
            "custom auth is only for the impersonation client".into(),
        ));
    }
    set_response(
        &mut event,
        json!({
            "publicChallengeParameters": {"challenge": "actas-grant"},
            "privateChallengeParameters": {},
            "challengeMetadata": "ACTAS_GRANT",
        }),
    );
    Ok(event)
}
