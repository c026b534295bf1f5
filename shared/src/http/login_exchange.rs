//! `POST /api/public/auth/login/{token}` (seed 002): a two-step token for a session.

use crate::app::exchange::exchange_token;
use crate::app::exchange::ExchangeState;
use crate::app::issue_token::TokenRoute;
use crate::app::refusal::RefusedCaller;
use crate::http::extract::{header, path_param, required, JsonBody};
use crate::http::origin::origin_of;
use crate::http::refusal::{respond_audited, Refusal};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /api/public/auth/login/{token}` (seed 002).
#[instrument(name = "login_exchange", skip_all)]
pub async fn handle(state: &ExchangeState, req: Request) -> Response<Body> {
    let origin = origin_of(&req);
    let body = JsonBody::read(&req);
    let result = match required(path_param(&req, "token"), "token") {
        Ok(token) => exchange_token(state, &token, TokenRoute::Public, &origin).await,
        Err(err) => Err(err),
    };
    let refusal = Refusal {
        req: &req,
        body: &body,
        origin: &origin,
        target: None,
        // The two-step token is the credential; a header, if one came, names the actor.
        caller: RefusedCaller::Header(header(&req, "authorization")),
    };
    respond_audited(&state.api, refusal, result).await
}
