//! `GET /api/public/coworkers/profiles` (seeds 002/003). The route is `actas::http::profiles`, its use case
//! `actas::app::profiles`, and what this function builds `actas::bootstrap::profiles`.

use actas::{bootstrap, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let state = bootstrap::start(bootstrap::profiles).await?;
    http::runtime::run_http(|req| http::profiles::handle(&state, req)).await
}
