//! `GET|PUT /auth/settings`. The route is `actas::http::settings`, its use cases in
//! `actas::app::governance`, and what this function builds `actas::bootstrap::governance`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::governance).await?;
    http::runtime::run_http(|req| http::settings::handle(&state, req)).await
}
