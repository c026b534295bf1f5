//! `GET /api/public/coworkers/{coworkerId}/impersonate` (seed 002). The route is `actas::http::coworker_impersonate`, its use case
//! `actas::app::issue_token`, and what this function builds `actas::bootstrap::coworker_impersonate`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::coworker_impersonate).await?;
    http::runtime::run_http(|req| http::coworker_impersonate::handle(&state, req)).await
}
