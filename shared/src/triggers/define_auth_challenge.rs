//! DefineAuthChallenge: one custom challenge, then tokens, for the impersonation and revert clients only.

use crate::domain::error::Result;
use crate::triggers::{set_response, CustomAuthClients, TriggerEvent, CUSTOM_CHALLENGE};
use serde_json::{json, Value};
use tracing::warn;

/// DefineAuthChallenge: one custom challenge, then tokens if and only if it was answered right.
pub fn define_auth_challenge(clients: &CustomAuthClients, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    let session = parsed.request.session.as_deref().unwrap_or_default();
    let response = if !clients.allows(parsed.caller_context.client_id.as_deref())
        || parsed.request.user_not_found
    {
        warn!(client = ?parsed.caller_context.client_id, "custom auth refused: not the impersonation client");
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
