//! Scheduled cleanup: ends impersonations past their hard end, deletes expired grants.

use actas::cleanup::{run_cleanup, CleanupConfig};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = CleanupConfig::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let state = actas::bootstrap::cleanup_state(config, &sdk);
    let state = &state;
    run(service_fn(move |_event: LambdaEvent<Value>| async move {
        let report = run_cleanup(state).await.map_err(Error::from)?;
        serde_json::to_value(report).map_err(Error::from)
    }))
    .await
}
