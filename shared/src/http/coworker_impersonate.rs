//! `GET /api/public/coworkers/{coworkerId}/impersonate` (seed 002): a two-step token.

use crate::app::issue_token::IssueTokenState;
use crate::app::issue_token::TokenRoute;
use crate::http::issue_token;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /api/public/coworkers/{coworkerId}/impersonate` (seed 002).
#[instrument(name = "coworker_impersonate", skip_all)]
pub async fn handle(state: &IssueTokenState, req: Request) -> Response<Body> {
    issue_token::handle(state, req, TokenRoute::Public).await
}
