//! `POST /api/public/auth/login/{token}` (seed 002). The route is `actas::http::login_exchange`, its use case
//! `actas::app::exchange`, and what this function builds `actas::bootstrap::login_exchange`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::login_exchange).await?;
    http::runtime::run_http(|req| http::login_exchange::handle(&state, req)).await
}
