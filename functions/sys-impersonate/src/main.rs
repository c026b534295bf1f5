//! `GET /api/sys/users/impersonate?coworkerId=` (seed 003). The route is `actas::http::sys_impersonate`, its use case
//! `actas::app::issue_token`, and what this function builds `actas::bootstrap::sys_impersonate`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::sys_impersonate).await?;
    http::runtime::run_http(|req| http::sys_impersonate::handle(&state, req)).await
}
