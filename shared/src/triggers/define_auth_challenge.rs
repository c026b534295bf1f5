//! DefineAuthChallenge: one custom challenge, then tokens, for the impersonation and revert clients only.

use crate::domain::error::Result;
use crate::triggers::chain::{pass_on, CustomAuthSlot};
use crate::triggers::{
    caller_client, set_response, CustomAuthTrigger, TriggerEvent, CUSTOM_CHALLENGE,
};
use serde_json::{json, Value};
use tracing::warn;

/// DefineAuthChallenge: one custom challenge, then tokens if and only if it was answered right.
/// Another client's event is the pool's own (a joined pool's function answers it) or refused.
pub async fn define_auth_challenge(trigger: &CustomAuthTrigger, mut event: Value) -> Result<Value> {
    if !trigger.clients.allows(caller_client(&event)) {
        let slot = CustomAuthSlot::DefineAuthChallenge;
        if let Some(answer) = pass_on(trigger.chain.as_ref(), slot, &event).await? {
            return Ok(answer);
        }
        warn!(client = ?caller_client(&event), "custom auth refused: not the impersonation client");
        set_response(
            &mut event,
            json!({"issueTokens": false, "failAuthentication": true}),
        );
        return Ok(event);
    }
    let parsed = TriggerEvent::read(&event)?;
    let session = parsed.request.session.as_deref().unwrap_or_default();
    let response = if parsed.request.user_not_found {
        warn!("custom auth refused: no such user");
        json!({"issueTokens": false, "failAuthentication": true})
    } else {
        match session {
            [] => {
                json!({"challengeName": CUSTOM_CHALLENGE, "issueTokens": false, "failAuthentication": false})
            }
            [only]
                if only.challenge_name.as_deref() == Some(CUSTOM_CHALLENGE)
                    && only.challenge_result =>
            {
                json!({"issueTokens": true, "failAuthentication": false})
            }
            // A wrong answer ends the attempt: there are no retries against a grant.
            _ => json!({"issueTokens": false, "failAuthentication": true}),
        }
    };
    set_response(&mut event, response);
    Ok(event)
}
