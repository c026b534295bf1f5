//! `POST /auth/cognito`: impersonated sessions' `endpointUrl`. The route is `actas::http::cognito_endpoint`, its use case
//! `actas::app::cognito_endpoint`, and what this function builds `actas::bootstrap::cognito_endpoint`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::cognito_endpoint).await?;
    http::runtime::run_http(|req| http::cognito_endpoint::handle(&state, req)).await
}
