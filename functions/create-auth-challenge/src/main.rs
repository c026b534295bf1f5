//! Cognito CreateAuthChallenge trigger: the challenge is answered with a grant's secret.

use actas::config::TriggerConfig;
use actas::triggers::create_auth_challenge;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = TriggerConfig::from_env()?;
    let client_id = config.impersonation_client_id.as_str();
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        create_auth_challenge(client_id, event.payload).map_err(Error::from)
    }))
    .await
}
