//! The audit table's stream → notices: the person acted as gets an email at the start and the
//! end when their tenant wants it (always for break-glass). The use case is
//! `actas::app::notices`, what this function builds `actas::bootstrap::notices`.

use actas::app::publish_events::StreamBatch;
use actas::{app, bootstrap};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::notices).await?;
    let state = &state;
    // The runtime reads the event as a stream batch: one that does not read fails, and comes again.
    bootstrap::run_event(|batch: StreamBatch| async move {
        let sent =
            app::notices::notice_stream_batch(state, &batch, bootstrap::audit_image_decoder())
                .await?;
        Ok(serde_json::json!({ "sent": sent }))
    })
    .await
}
