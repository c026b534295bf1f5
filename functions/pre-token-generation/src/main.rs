//! Cognito PreTokenGeneration (V2) trigger: writes the actor (`act`) into impersonated tokens.
//! The trigger is `actas::triggers::pre_token_generation`, what this function builds `actas::bootstrap::pre_token_generation`.

use actas::{bootstrap, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::pre_token_generation).await?;
    bootstrap::run_event(|event| {
        triggers::pre_token_generation::pre_token_generation(&state, event)
    })
    .await
}
