//! `POST /api/sys/users/exchange` (seed 003). The route is `actas::http::sys_exchange`, its use case
//! `actas::app::exchange`, and what this function builds `actas::bootstrap::sys_exchange`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::sys_exchange).await?;
    http::runtime::run_http(|req| http::sys_exchange::handle(&state, req)).await
}
