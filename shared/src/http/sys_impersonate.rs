//! `GET /api/sys/users/impersonate?coworkerId=` (seed 003): a two-step token.

use crate::app::issue_token::IssueTokenState;
use crate::app::issue_token::TokenRoute;
use crate::http::issue_token;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /api/sys/users/impersonate?coworkerId=` (seed 003).
#[instrument(name = "sys_impersonate", skip_all)]
pub async fn handle(state: &IssueTokenState, req: Request) -> Response<Body> {
    issue_token::handle(state, req, TokenRoute::Sys).await
}
