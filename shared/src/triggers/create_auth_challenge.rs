//! CreateAuthChallenge: the challenge has no public parameters; the answer is the grant's secret.

use crate::domain::error::{ActasError, Result};
use crate::triggers::chain::{pass_on, CustomAuthSlot};
use crate::triggers::{caller_client, set_response, CustomAuthTrigger, TriggerEvent};
use serde_json::{json, Value};

/// CreateAuthChallenge: the challenge carries nothing; the answer is the grant's secret, which
/// only actas knows. Another client's event is the pool's own (a joined pool's function answers
/// it) or refused.
pub async fn create_auth_challenge(trigger: &CustomAuthTrigger, mut event: Value) -> Result<Value> {
    if !trigger.clients.allows(caller_client(&event)) {
        let slot = CustomAuthSlot::CreateAuthChallenge;
        return pass_on(trigger.chain.as_ref(), slot, &event)
            .await?
            .ok_or_else(|| {
                ActasError::Forbidden("custom auth is only for the impersonation client".into())
            });
    }
    // Read only to refuse an event that is not one, as before.
    TriggerEvent::read(&event)?;
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
