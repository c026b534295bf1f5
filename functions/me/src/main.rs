//! `GET /auth/me`. The route is `actas::http::me`, its use case `actas::app::me`, and what this
//! function builds `actas::bootstrap::me`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::me).await?;
    http::runtime::run_http(|req| http::me::handle(&state, req)).await
}
