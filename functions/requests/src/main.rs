//! `GET /auth/requests`, `POST /auth/requests/{id}/approve|deny|consent`. The route is
//! `actas::http::requests`, its use cases in `actas::app::governance`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::governance).await?;
    http::runtime::run_http(|req| http::requests::handle(&state, req)).await
}
