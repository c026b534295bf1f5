//! An API Gateway REST `REQUEST` authorizer for services behind actas: the caller's Cognito
//! token must verify and (by default) actas must say the session is still on; a read-only
//! impersonation's write is denied. Configuration: see `actas_verify::env`.

mod decision;

use actas_verify::env::Settings;
use decision::Authorizer;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    actas::bootstrap::init_logging();
    let settings = Settings::from_env()?;
    let guard = settings.guard()?;
    let authorizer = Authorizer { settings, guard };
    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        authorizer.decide(&event.payload).await
    }))
    .await
}
