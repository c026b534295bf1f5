//! The `PoolAttachment` custom resource: attaches actas to a user pool it did not create on
//! Create, moves it on Update, detaches it on Delete, and always answers CloudFormation. The use
//! case is `actas::app::pool_attachment`, what this function builds `actas::bootstrap::pool_attachment`.

use actas::app::pool_attachment::custom_resource::handle_custom_resource;
use actas::bootstrap;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::pool_attachment).await?;
    bootstrap::run_event(|event| handle_custom_resource(&state, event)).await
}
