//! ANY /{proxy+}: every request no route serves gets 404 (unknown path) or 405 (known path,
//! other method) in the error shape. It needs no configuration and no AWS client.

use actas::http_runtime::run_http;
use actas::routes::no_route;
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    run_http(|req| async move { no_route(&req) }).await
}
