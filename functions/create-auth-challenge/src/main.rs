//! Cognito CreateAuthChallenge trigger: the challenge is answered with a grant's secret.
//! The trigger is `actas::triggers::create_auth_challenge`, what this function builds `actas::bootstrap::create_auth_challenge`.

use actas::{bootstrap, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bootstrap::start_without_aws(bootstrap::create_auth_challenge)?;
    bootstrap::run_event(|event| async {
        triggers::create_auth_challenge::create_auth_challenge(&clients, event).await
    })
    .await
}
