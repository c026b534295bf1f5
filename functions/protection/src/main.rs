//! `GET|PUT /auth/users/{id}/protection`. The route is `actas::http::protection`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::me).await?;
    http::runtime::run_http(|req| http::protection::handle(&state, req)).await
}
