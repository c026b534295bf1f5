//! Keeps the directory in step with the pool: EventBridge delivers CloudTrail's record of every
//! Cognito admin call that changes a user, and the user it names is read fresh and written (or
//! removed); a schedule rebuilds the whole directory. The use case is `actas::app::directory`, what this function builds
//! `actas::bootstrap::directory_events`.

use actas::{app, bootstrap};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::directory_events).await?;
    let state = &state;
    bootstrap::run_event(|event| async move { app::directory::handle_event(state, &event).await })
        .await
}
