//! Cognito CreateAuthChallenge trigger: the challenge is answered with a grant's secret.

use actas::config::TriggerConfig;
use actas::triggers::{create_auth_challenge, CustomAuthClients};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = TriggerConfig::from_env()?;
    let clients = CustomAuthClients {
        impersonation_client_id: config.impersonation_client_id,
        revert_client_id: config.revert_client_id,
    };
    let clients = &clients;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        create_auth_challenge(clients, event.payload).map_err(Error::from)
    }))
    .await
}
