//! `POST /api/public/auth/login/{token}` (seed 002): a two-step token for a session.

use crate::app::exchange::exchange_token;
use crate::app::exchange::ExchangeState;
use crate::app::issue_token::TokenRoute;
use crate::app::refusal::RefusedCaller;
use crate::http::extract::{path_param, required};
use crate::http::refusal::{respond_audited, AuditedRequest};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /api/public/auth/login/{token}` (seed 002).
#[instrument(name = "login_exchange", skip_all)]
pub async fn handle(state: &ExchangeState, req: Request) -> Response<Body> {
    let request = AuditedRequest::read(&req);
    let result = match required(path_param(&req, "token"), "token") {
        Ok(token) => exchange_token(state, &token, TokenRoute::Public, &request.origin).await,
        Err(err) => Err(err),
    };
    // The two-step token is the credential; a header, if one came, names the actor.
    let refusal = request.refusal(None, RefusedCaller::Header(request.authorization()));
    respond_audited(&state.api, refusal, result).await
}
