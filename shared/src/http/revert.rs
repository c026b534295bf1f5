//! `POST /auth/impersonate/revert` body `{"impersonator_revert_token"}` (seed 000).

use crate::app::refusal::RefusedCaller;
use crate::app::revert::revert;
use crate::app::state::SessionState;
use crate::http::extract::{header, required, string_field, JsonBody};
use crate::http::origin::origin_of;
use crate::http::refusal::{respond_audited, Refusal};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /auth/impersonate/revert` body `{"impersonator_revert_token": ...}` (seed 000). The
/// impersonated session in `Authorization` is verified once, for the revert and, if it is
/// refused, for its record; the body is read once.
#[instrument(name = "revert", skip_all)]
pub async fn handle(state: &SessionState, req: Request) -> Response<Body> {
    let origin = origin_of(&req);
    let body = JsonBody::read(&req);
    let session = state
        .api
        .verifier
        .verify_header(header(&req, "authorization"))
        .await;
    let caller = session.as_ref().ok().cloned();
    let revert_token = body.object().and_then(|b| {
        let token = string_field(b, "impersonator_revert_token")?;
        required(token, "impersonator_revert_token")
    });
    let result = match revert_token {
        Ok(revert_token) => revert(state, &revert_token, session, &origin).await,
        Err(err) => Err(err),
    };
    let refusal = Refusal {
        req: &req,
        body: &body,
        origin: &origin,
        target: None,
        caller: RefusedCaller::Verified(caller.as_ref()),
    };
    respond_audited(&state.api, refusal, result).await
}
