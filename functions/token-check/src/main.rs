//! `GET /auth/token` (seed 000). The route is `actas::http::token_check`, its use case
//! `actas::app::token_check`, and what this function builds `actas::bootstrap::token_check`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::token_check).await?;
    http::runtime::run_http(|req| http::token_check::handle(&state, req)).await
}
