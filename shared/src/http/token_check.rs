//! `GET /auth/token` (seed 000's token check).

use crate::app::state::ReadState;
use crate::http::extract::header;
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /auth/token` (seed 000's token check).
#[instrument(name = "token_check", skip_all)]
pub async fn handle(state: &ReadState, req: Request) -> Response<Body> {
    respond(crate::app::token_check::check_token(state, header(&req, "authorization")).await)
}
