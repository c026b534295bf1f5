//! Shared Signals delivery: the audit table's stream (a second consumer beside publish-events)
//! turns every ended impersonation into a CAEP `session-revoked` SET pushed to each receiver's
//! stream; the schedule (and `actas ssf retry`, which invokes it with `{"force": true}`) pushes
//! again what is still pending. The use case is `actas::app::ssf`.

use actas::app::ssf::DeliveryEvent;
use actas::{app, bootstrap};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (state, issuer) = bootstrap::start(bootstrap::ssf::deliver).await?;
    let (state, issuer) = (&state, issuer.as_str());
    // Two kinds of event come here, told apart by `DeliveryEvent::read`: read as JSON first.
    bootstrap::run_event(|event: serde_json::Value| async move {
        let report = match DeliveryEvent::read(event)? {
            DeliveryEvent::Stream(batch) => {
                let decode = bootstrap::audit_image_decoder();
                app::ssf::deliver_stream_batch(state, &batch, decode, issuer).await?
            }
            // The schedule's event, or a forced retry.
            DeliveryEvent::Schedule { force } => app::ssf::retry_pending(state, force).await?,
        };
        Ok(report)
    })
    .await
}
