//! Scheduled cleanup: ends impersonations past their hard end, deletes expired grants. The use
//! case is `actas::app::cleanup`, what this function builds `actas::bootstrap::cleanup`.

use actas::{app, bootstrap};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::cleanup).await?;
    // The schedule's event says nothing cleanup needs: read as any JSON.
    bootstrap::run_event(|_schedule: serde_json::Value| app::cleanup::run_cleanup(&state)).await
}
