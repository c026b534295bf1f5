//! The Shared Signals transmitter's routes: `GET /.well-known/ssf-configuration`,
//! `GET /ssf/jwks`, `/ssf/streams`, `/ssf/status`, `POST /ssf/verify`. The routes are
//! `actas::http::ssf`, the use cases `actas::app::ssf`, what this function builds
//! `actas::bootstrap::ssf::routes`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let routes = bootstrap::start(bootstrap::ssf::routes).await?;
    http::runtime::run_http(|req| http::ssf::handle(&routes, req)).await
}
