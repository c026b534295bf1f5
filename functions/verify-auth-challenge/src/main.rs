//! Cognito VerifyAuthChallengeResponse trigger: redeems a live grant exactly once.

use actas::config::TriggerConfig;
use actas::triggers::verify_auth_challenge;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = TriggerConfig::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let state = actas::bootstrap::trigger_state(config, &sdk);
    let state = &state;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        verify_auth_challenge(state, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
