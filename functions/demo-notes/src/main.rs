//! `/demo/notes`: a sample service behind actas, built on actas-verify. Configuration: the
//! layer's (see `actas_verify::env`) and `NOTES_TABLE`.

mod app;
mod dynamodb;
mod handler;
mod notes;
mod runtime;
mod signals;

use actas_verify::env::Settings;
use dynamodb::{DynamoNoteStore, DynamoRevokedSessions};
use handler::Notes;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    actas::bootstrap::init_logging();
    let settings = Settings::from_env();
    let table = std::env::var("NOTES_TABLE")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let (settings, table) = match (settings, table) {
        (Ok(settings), Some(table)) => (settings, table),
        (settings, table) => {
            let mut problems = Vec::new();
            if let Err(err) = settings {
                problems.push(err.to_string());
            }
            if table.is_none() {
                problems.push("NOTES_TABLE is required".to_string());
            }
            return Err(problems.join("; ").into());
        }
    };
    let sdk = actas::bootstrap::sdk_config();
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    // Shared Signals: sessions revoked by actas's SETs are refused at the next request.
    let revoked: Arc<dyn actas_verify::RevokedSessions> =
        Arc::new(DynamoRevokedSessions::new(dynamodb.clone(), table.clone()));
    let guard = settings.guard()?.revoked_sessions(revoked.clone());
    let signals = env("SSF_AUDIENCE").map(|audience| {
        signals::SignalsEndpoint::new(
            audience,
            env("SSF_ISSUER"),
            env("SSF_JWKS_URL"),
            settings.clone(),
            revoked,
        )
    });
    let store = DynamoNoteStore::new(dynamodb, table);
    let service = app::service(
        Notes {
            store: Arc::new(store),
        },
        guard,
        settings,
        signals,
    );
    let service = &service;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(runtime::answer(service, event.payload, Some(event.context)).await)
    }))
    .await
}
