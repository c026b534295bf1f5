//! GET /auth/impersonations: who impersonated whom, scoped to the caller.

use actas::config::ApiConfig;
use actas::handlers;
use actas::impersonation::ApiState;
use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = ApiConfig::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let state = ApiState::from_aws(config, &sdk)?;
    let state = &state;
    // The handler turns every outcome into a response; the runtime never sees an error.
    run(service_fn(move |req| async move {
        Ok::<_, Error>(handlers::list_impersonations(state, req).await)
    }))
    .await
}
