//! CreateAuthChallenge: the challenge has no public parameters; the answer is the grant's secret.

use crate::domain::error::{ActasError, Result};
use crate::triggers::chain::{pass_on, CustomAuthSlot};
use crate::triggers::{
    caller_client, set_response, CustomAuthRequest, CustomAuthTrigger, TriggerEvent,
};
use aws_lambda_events::event::cognito::CognitoEventUserPoolsCreateAuthChallengeResponse;
use serde_json::Value;
use std::collections::HashMap;

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
    TriggerEvent::<CustomAuthRequest>::read(&event)?;
    // aws_lambda_events' response writes what actas answers: the three fields, no others (the
    // type is `#[non_exhaustive]`: built from its default).
    let mut response = CognitoEventUserPoolsCreateAuthChallengeResponse::default();
    response.public_challenge_parameters =
        HashMap::from([("challenge".to_string(), "actas-grant".to_string())]);
    response.challenge_metadata = Some("ACTAS_GRANT".into());
    set_response(&mut event, response)?;
    Ok(event)
}
