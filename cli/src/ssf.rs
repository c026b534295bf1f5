//! `actas ssf ...`: Shared Signals receivers (register, list, remove), their streams' status,
//! and a retry of pending SETs now (the deployed delivery function, invoked with `force`).

use crate::CliResult;
use actas::adapters::aws::dynamodb::DynamoStore;
use actas::app::ssf::{add_receiver as register, receiver_summary};
use actas::ports::clock::SystemClock;
use actas::ports::ssf::SsfStore;
use serde_json::{json, Value};

fn store(sdk: &aws_config::SdkConfig, table: &str) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table)
}

/// Registers a receiver: `{"id", "name", "audience", "credential"}` — the credential
/// (`ssf.<id>.<secret>`, its bearer token for `/ssf/streams`) is shown once.
pub async fn add_receiver(
    sdk: &aws_config::SdkConfig,
    table: &str,
    name: &str,
    audience: &str,
) -> CliResult<Value> {
    let (receiver, credential) = register(&store(sdk, table), &SystemClock, name, audience).await?;
    Ok(json!({
        "id": receiver.id,
        "name": receiver.name,
        "audience": receiver.audience,
        "credential": credential,
    }))
}

/// Every receiver with its stream's status and delivery state.
pub async fn list_receivers(sdk: &aws_config::SdkConfig, table: &str) -> CliResult<Vec<Value>> {
    let store = store(sdk, table);
    let mut listed = Vec::new();
    for receiver in store.list_receivers().await? {
        listed.push(receiver_summary(&store, &receiver).await?);
    }
    Ok(listed)
}

/// Removes a receiver, its stream and what was pending for it. Whether it existed.
pub async fn remove_receiver(
    sdk: &aws_config::SdkConfig,
    table: &str,
    id: &str,
) -> CliResult<bool> {
    Ok(store(sdk, table).delete_receiver(id).await?)
}

/// Pushes every pending SET now (the deployed delivery function with `{"force": true}`).
pub async fn retry(sdk: &aws_config::SdkConfig, function_name: &str) -> CliResult<Value> {
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let output = lambda
        .invoke()
        .function_name(function_name)
        .payload(aws_sdk_lambda::primitives::Blob::new(
            json!({"force": true}).to_string(),
        ))
        .send()
        .await?;
    let payload: Value = output
        .payload()
        .map(|p| serde_json::from_slice(p.as_ref()))
        .transpose()?
        .unwrap_or(Value::Null);
    if let Some(error) = output.function_error() {
        return Err(format!("{function_name} failed ({error}): {payload}").into());
    }
    Ok(payload)
}
