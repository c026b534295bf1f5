//! VerifyAuthChallengeResponse: redeems a live grant exactly once.

use crate::domain::error::Result;
use crate::triggers::chain::{pass_on, CustomAuthSlot};
use crate::triggers::grant::{redeem_grant, GrantAnswer};
use crate::triggers::{
    caller_client, set_response, CustomAuthClients, CustomAuthRequest, TriggerEvent, TriggerState,
};
use aws_lambda_events::event::cognito::CognitoEventUserPoolsVerifyAuthChallengeResponse;
use serde_json::Value;
use tracing::info;

/// The answer, in aws_lambda_events' response (`{"answerCorrect": ...}`; `#[non_exhaustive]`:
/// built from its default).
fn answer(correct: bool) -> CognitoEventUserPoolsVerifyAuthChallengeResponse {
    let mut response = CognitoEventUserPoolsVerifyAuthChallengeResponse::default();
    response.answer_correct = correct;
    response
}

/// VerifyAuthChallengeResponse: the answer must redeem a live, pending grant for this user and
/// client. Another client's event is the pool's own (a joined pool's function answers it) or
/// refused.
pub async fn verify_auth_challenge(state: &TriggerState, mut event: Value) -> Result<Value> {
    let clients = CustomAuthClients {
        impersonation_client_id: state.impersonation_client_id.clone(),
        revert_client_id: state.revert_client_id.clone(),
    };
    if !clients.allows(caller_client(&event)) {
        let slot = CustomAuthSlot::VerifyAuthChallengeResponse;
        if let Some(answer) = pass_on(state.chain.as_ref(), slot, &event).await? {
            return Ok(answer);
        }
        set_response(&mut event, answer(false))?;
        return Ok(event);
    }
    let parsed = TriggerEvent::<CustomAuthRequest>::read(&event)?;
    let secret = parsed
        .request
        .challenge_answer
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or("");
    let client = parsed.client_id().filter(|c| clients.allows(Some(c)));
    let correct = match (client, parsed.impersonation_id(), parsed.user_name()) {
        // The grant records its client: a grant for one client does not redeem on the other.
        (Some(client_id), Some(id), Some(username)) if !secret.is_empty() => {
            let (store, clock) = (state.store.as_ref(), state.clock.as_ref());
            let grant_answer = GrantAnswer {
                impersonation_id: id,
                remint_id: parsed.remint_id(),
                username,
                client_id,
                answer: secret,
            };
            let redeemed = redeem_grant(store, clock, &grant_answer).await?;
            info!(
                impersonation_id = id,
                client_id, redeemed, "grant redemption"
            );
            redeemed
        }
        _ => false,
    };
    set_response(&mut event, answer(correct))?;
    Ok(event)
}
