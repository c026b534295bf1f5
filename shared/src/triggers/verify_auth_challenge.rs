//! VerifyAuthChallengeResponse: redeems a live grant exactly once.

use crate::domain::error::Result;
use crate::triggers::grant::{redeem_grant, GrantAnswer};
use crate::triggers::{set_response, CustomAuthClients, TriggerEvent, TriggerState};
use serde_json::{json, Value};
use tracing::info;

/// VerifyAuthChallengeResponse: the answer must redeem a live, pending grant for this user and
/// client.
pub async fn verify_auth_challenge(state: &TriggerState, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    let answer = parsed
        .request
        .challenge_answer
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or("");
    let clients = CustomAuthClients {
        impersonation_client_id: state.impersonation_client_id.clone(),
        revert_client_id: state.revert_client_id.clone(),
    };
    let client = parsed
        .caller_context
        .client_id
        .as_deref()
        .filter(|c| clients.allows(Some(c)));
    let correct = match (client, parsed.impersonation_id(), &parsed.user_name) {
        // The grant records its client: a grant for one client does not redeem on the other.
        (Some(client_id), Some(id), Some(username)) if !answer.is_empty() => {
            let (store, clock) = (state.store.as_ref(), state.clock.as_ref());
            let grant_answer = GrantAnswer {
                impersonation_id: id,
                remint_id: parsed.remint_id(),
                username,
                client_id,
                answer,
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
    set_response(&mut event, json!({"answerCorrect": correct}));
    Ok(event)
}
