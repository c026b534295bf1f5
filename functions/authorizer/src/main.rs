//! An API Gateway REST `REQUEST` authorizer for services behind actas: the caller's Cognito
//! token must verify and (by default) actas must say the session is still on; a read-only
//! impersonation's write is denied. Configuration: see `actas_verify::env`.

mod decision;

use actas_verify::env::Settings;
use decision::Authorizer;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use tracing_subscriber::filter::LevelFilter;

/// JSON logs at `AWS_LAMBDA_LOG_LEVEL` (or `RUST_LOG`, a plain level; default INFO).
fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time()
        .with_max_level(level)
        .with_writer(std::io::stdout)
        .init();
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let settings = Settings::from_env()?;
    let guard = settings.guard()?;
    let authorizer = Authorizer { settings, guard };
    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        authorizer.decide(&event.payload).await
    }))
    .await
}
