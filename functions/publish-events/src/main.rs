//! The audit table's stream → EventBridge: every audit record written is published (source
//! `actas`) at least once. A failed publish fails the batch, and the stream delivers it again.

use actas::audit::{publish_stream_batch, EventBridgePublisher};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let bus = std::env::var("EVENT_BUS_NAME").unwrap_or_else(|_| "default".into());
    let sdk = aws_config::load_from_env().await;
    let publisher = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk), bus);
    let publisher = &publisher;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let published = publish_stream_batch(publisher, &event.payload)
            .await
            .map_err(Error::from)?;
        Ok::<_, Error>(json!({"published": published}))
    }))
    .await
}
