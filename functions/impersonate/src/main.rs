//! `POST /auth/impersonate` (seeds 000/001). The route is `actas::http::impersonate`, its use case
//! `actas::app::impersonate`, and what this function builds `actas::bootstrap::impersonate`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::impersonate).await?;
    http::runtime::run_http(|req| http::impersonate::handle(&state, req)).await
}
