//! `POST /api/sys/users/exchange` body `{"token"}` (seed 003): a two-step token for a session.

use crate::app::exchange::exchange_token;
use crate::app::exchange::ExchangeState;
use crate::app::issue_token::TokenRoute;
use crate::app::refusal::RefusedCaller;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::domain::payload::SessionPayload;
use crate::http::extract::{required, string_field, JsonBody};
use crate::http::refusal::{respond_audited, AuditedRequest};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /api/sys/users/exchange` body `{"token": ...}` (seed 003).
#[instrument(name = "sys_exchange", skip_all)]
pub async fn handle(state: &ExchangeState, req: Request) -> Response<Body> {
    let request = AuditedRequest::read(&req);
    let result = sys_exchange_request(state, &request.body, &request.origin).await;
    // The two-step token is the credential; a header, if one came, names the actor.
    let refusal = request.refusal(None, RefusedCaller::Header(request.authorization()));
    respond_audited(&state.api, refusal, result).await
}

async fn sys_exchange_request(
    state: &ExchangeState,
    body: &JsonBody,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let token = required(string_field(body.object()?, "token")?, "token")?;
    exchange_token(state, &token, TokenRoute::Sys, origin).await
}
