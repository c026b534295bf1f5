//! `POST /auth/impersonate/revert` (seed 000). The route is `actas::http::revert`, its use case
//! `actas::app::revert`, and what this function builds `actas::bootstrap::revert`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::revert).await?;
    http::runtime::run_http(|req| http::revert::handle(&state, req)).await
}
