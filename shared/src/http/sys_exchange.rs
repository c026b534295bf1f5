//! `POST /api/sys/users/exchange` body `{"token"}` (seed 003): a two-step token for a session.

use crate::app::exchange::exchange_token;
use crate::app::exchange::ExchangeState;
use crate::app::issue_token::TokenRoute;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::domain::payload::SessionPayload;
use crate::http::extract::{json_object_body, required, string_field};
use crate::http::origin::origin_of;
use crate::http::refusal::respond_audited;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /api/sys/users/exchange` body `{"token": ...}` (seed 003).
#[instrument(name = "sys_exchange", skip_all)]
pub async fn handle(state: &ExchangeState, req: Request) -> Response<Body> {
    let origin = origin_of(&req);
    let result = sys_exchange_request(state, &req, &origin).await;
    respond_audited(&state.api, &req, &origin, None, result).await
}

pub(crate) async fn sys_exchange_request(
    state: &ExchangeState,
    req: &Request,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let body = json_object_body(req)?;
    let token = required(string_field(body.as_ref(), "token")?, "token")?;
    exchange_token(state, &token, TokenRoute::Sys, origin).await
}
