//! Shared Signals delivery: the audit table's stream (a second consumer beside publish-events)
//! turns every ended impersonation into a CAEP `session-revoked` SET pushed to each receiver's
//! stream; the schedule (and `actas ssf retry`, which invokes it with `{"force": true}`) pushes
//! again what is still pending. The use case is `actas::app::ssf`.

use actas::{app, bootstrap};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (state, issuer) = bootstrap::start(bootstrap::ssf::deliver).await?;
    let (state, issuer) = (&state, issuer.as_str());
    bootstrap::run_event(|event| async move {
        let report = if event.get("Records").is_some() {
            app::ssf::deliver_stream_batch(state, &event, bootstrap::audit_image_decoder(), issuer)
                .await?
        } else {
            // The schedule's event, or a forced retry.
            let force = event["force"] == serde_json::Value::Bool(true);
            app::ssf::retry_pending(state, force).await?
        };
        Ok(report)
    })
    .await
}
