//! `GET /auth/audit`. The route is `actas::http::audit_log`, its use case `actas::app::audit_log`,
//! and what this function builds `actas::bootstrap::audit_log`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::audit_log).await?;
    http::runtime::run_http(|req| http::audit_log::handle(&state, req)).await
}
