//! GET /auth/token (seed 000): is this token valid, and is its impersonation still on?

use actas::handlers;
use actas::http_runtime::run_http;
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = actas::bootstrap::api_state_from_env().await?;
    let state = &state;
    // Every event ends in a response: the handler answers, or an unreadable event gets a 400.
    run_http(|req| handlers::token_check(state, req)).await
}
