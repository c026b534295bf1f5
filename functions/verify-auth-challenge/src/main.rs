//! Cognito VerifyAuthChallengeResponse trigger: redeems a live grant exactly once.
//! The trigger is `actas::triggers::verify_auth_challenge`, what this function builds `actas::bootstrap::verify_auth_challenge`.

use actas::{bootstrap, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::verify_auth_challenge).await?;
    bootstrap::run_event(|event| {
        triggers::verify_auth_challenge::verify_auth_challenge(&state, event)
    })
    .await
}
