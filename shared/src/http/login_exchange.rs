//! `POST /api/public/auth/login/{token}` (seed 002): a two-step token for a session.

use crate::app::exchange::exchange_token;
use crate::app::exchange::ExchangeState;
use crate::app::issue_token::TokenRoute;
use crate::http::extract::{path_param, required};
use crate::http::origin::origin_of;
use crate::http::refusal::respond_audited;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /api/public/auth/login/{token}` (seed 002).
#[instrument(name = "login_exchange", skip_all)]
pub async fn handle(state: &ExchangeState, req: Request) -> Response<Body> {
    let origin = origin_of(&req);
    let result = match required(path_param(&req, "token"), "token") {
        Ok(token) => exchange_token(state, &token, TokenRoute::Public, &origin).await,
        Err(err) => Err(err),
    };
    respond_audited(&state.api, &req, &origin, None, result).await
}
