//! `GET /auth/impersonations`. The route is `actas::http::list_impersonations`, its use case
//! `actas::app::list_impersonations`, and what this function builds `actas::bootstrap::list_impersonations`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::list_impersonations).await?;
    http::runtime::run_http(|req| http::list_impersonations::handle(&state, req)).await
}
