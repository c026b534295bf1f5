//! `DELETE /auth/impersonations/{id}` and `DELETE /auth/impersonate`. The route is `actas::http::stop`, its use case
//! `actas::app::stop`, and what this function builds `actas::bootstrap::stop`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::stop).await?;
    http::runtime::run_http(|req| http::stop::handle(&state, req)).await
}
