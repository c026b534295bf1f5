//! DefineAuthChallenge: one custom challenge, then tokens, for the impersonation and revert clients only.

use crate::domain::error::Result;
use crate::triggers::chain::{pass_on, CustomAuthSlot};
use crate::triggers::{
    caller_client, set_response, CustomAuthRequest, CustomAuthTrigger, TriggerEvent,
    CUSTOM_CHALLENGE,
};
use serde::Serialize;
use serde_json::Value;
use tracing::warn;

/// What define answers. actas's own, not aws_lambda_events'
/// `CognitoEventUserPoolsDefineAuthChallengeResponse`: that one writes `"challengeName": null`
/// when it names no challenge, and actas's answer leaves the name out (as it always has; its
/// tests hold it to that). Cognito and the emulator read both alike.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DefineAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge_name: Option<&'static str>,
    issue_tokens: bool,
    fail_authentication: bool,
}

impl DefineAnswer {
    /// Ask the custom challenge (answered by the grant's secret).
    const CHALLENGE: DefineAnswer = DefineAnswer {
        challenge_name: Some(CUSTOM_CHALLENGE),
        issue_tokens: false,
        fail_authentication: false,
    };
    const TOKENS: DefineAnswer = DefineAnswer {
        challenge_name: None,
        issue_tokens: true,
        fail_authentication: false,
    };
    const REFUSED: DefineAnswer = DefineAnswer {
        challenge_name: None,
        issue_tokens: false,
        fail_authentication: true,
    };
}

/// DefineAuthChallenge: one custom challenge, then tokens if and only if it was answered right.
/// Another client's event is the pool's own (a joined pool's function answers it) or refused.
pub async fn define_auth_challenge(trigger: &CustomAuthTrigger, mut event: Value) -> Result<Value> {
    if !trigger.clients.allows(caller_client(&event)) {
        let slot = CustomAuthSlot::DefineAuthChallenge;
        if let Some(answer) = pass_on(trigger.chain.as_ref(), slot, &event).await? {
            return Ok(answer);
        }
        warn!(client = ?caller_client(&event), "custom auth refused: not the impersonation client");
        set_response(&mut event, DefineAnswer::REFUSED)?;
        return Ok(event);
    }
    let parsed = TriggerEvent::<CustomAuthRequest>::read(&event)?;
    let response = if parsed.request.user_not_found {
        warn!("custom auth refused: no such user");
        DefineAnswer::REFUSED
    } else {
        match parsed.request.session.as_slice() {
            [] => DefineAnswer::CHALLENGE,
            [only]
                if only.challenge_name.as_deref() == Some(CUSTOM_CHALLENGE)
                    && only.challenge_result =>
            {
                DefineAnswer::TOKENS
            }
            // A wrong answer ends the attempt: there are no retries against a grant.
            _ => DefineAnswer::REFUSED,
        }
    };
    set_response(&mut event, response)?;
    Ok(event)
}
