//! The audit table's stream → EventBridge: every audit record written is published (source
//! `actas`) at least once; a failed publish fails the batch, and the stream delivers it again.
//! The use case is `actas::app::publish_events`, what this function builds
//! `actas::bootstrap::publish_events`.

use actas::app::publish_events::StreamBatch;
use actas::{app, bootstrap};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let publisher = bootstrap::start(bootstrap::publish_events).await?;
    let publisher = &publisher;
    // The runtime reads the event as a stream batch: one that does not read fails, and comes again.
    bootstrap::run_event(|batch: StreamBatch| async move {
        let published = app::publish_events::publish_stream_batch(
            publisher,
            &batch,
            bootstrap::audit_image_decoder(),
        )
        .await?;
        Ok(serde_json::json!({ "published": published }))
    })
    .await
}
