//! `GET /console/{path}`: the console's files, compiled in (see `build.rs`), and its
//! `config.json`. The route is `actas::http::console`.

use actas::bootstrap::config::{ApiConfig, FromEnv};
use actas::http;
use actas::http::console::ConsoleState;

mod files {
    include!(concat!(env!("OUT_DIR"), "/files.rs"));
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    actas::bootstrap::init_logging();
    let config = ApiConfig::from_env()?;
    let state = ConsoleState::new(&config.pool, files::FILES);
    http::runtime::run_http(|req| http::console::handle(&state, req)).await
}
