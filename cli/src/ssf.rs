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

/// The sample service's audience (its `SSF_AUDIENCE` in the template).
pub const DEMO_AUDIENCE: &str = "actas-demo-notes";
const DEMO_RECEIVER: &str = "demo-notes";

/// Registers the sample service (when deployed) as a receiver with a push stream to its
/// `POST /demo/ssf/events`, once: a stop is then refused by the sample at its next request with
/// its online check off. Kept as it is when already there.
pub async fn ensure_demo_receiver(
    sdk: &aws_config::SdkConfig,
    stack: &crate::StackFile,
) -> CliResult<()> {
    if !stack.functions.contains_key("DemoNotesFunction") {
        return Ok(());
    }
    let store = store(sdk, &stack.table_name);
    for receiver in store.list_receivers().await? {
        if receiver.name == DEMO_RECEIVER {
            if receiver.stream.is_some() {
                return Ok(());
            }
            store.delete_receiver(&receiver.id).await?;
        }
    }
    let added = add_receiver(sdk, &stack.table_name, DEMO_RECEIVER, DEMO_AUDIENCE).await?;
    let credential = added["credential"].as_str().unwrap_or_default();
    let response = reqwest::Client::new()
        .post(format!("{}/ssf/streams", stack.api_url))
        .bearer_auth(credential)
        .json(&json!({
            "delivery": {
                "method": actas::domain::ssf::PUSH_DELIVERY,
                "endpoint_url": format!("{}/demo/ssf/events", stack.api_url),
            },
            "events_requested": [actas::domain::ssf::SESSION_REVOKED],
            "description": "the sample service (actas demo seed)",
        }))
        .send()
        .await?;
    if response.status().as_u16() != 201 {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(format!("the sample's stream was not created: HTTP {status} {body}").into());
    }
    Ok(())
}
