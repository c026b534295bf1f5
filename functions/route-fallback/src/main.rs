//! ANY /{proxy+}: every request no route serves gets 404 (unknown path) or 405 (known path,
//! other method) in the error shape. It needs no configuration and no AWS client.

use actas::http;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    actas::bootstrap::init_logging();
    http::runtime::run_http(|req| async move { http::routes::no_route(&req) }).await
}
