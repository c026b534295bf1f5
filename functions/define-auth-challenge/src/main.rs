//! Cognito DefineAuthChallenge trigger: one custom challenge, then tokens only if it was met.
//! The trigger is `actas::triggers::define_auth_challenge`, what this function builds `actas::bootstrap::define_auth_challenge`.

use actas::{bootstrap, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bootstrap::start_without_aws(bootstrap::define_auth_challenge)?;
    bootstrap::run_event(|event| async {
        triggers::define_auth_challenge::define_auth_challenge(&clients, event).await
    })
    .await
}
