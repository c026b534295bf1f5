//! `POST /auth/impersonate/revert` body `{"impersonator_revert_token"}` (seed 000).

use crate::app::refusal::RefusedCaller;
use crate::app::revert::revert;
use crate::app::state::SessionState;
use crate::http::extract::{required, string_field};
use crate::http::refusal::{respond_audited, AuditedRequest};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /auth/impersonate/revert` body `{"impersonator_revert_token": ...}` (seed 000). The
/// impersonated session in `Authorization` is verified once, for the revert and, if it is
/// refused, for its record; the body is read once.
#[instrument(name = "revert", skip_all)]
pub async fn handle(state: &SessionState, req: Request) -> Response<Body> {
    let request = AuditedRequest::read(&req);
    // Verified before the use case runs, but judged by it: a malformed revert token is refused
    // before a missing session is.
    let session = state
        .api
        .verifier
        .verify_header(request.authorization())
        .await;
    let caller = session.as_ref().ok().cloned();
    let revert_token = request.body.object().and_then(|b| {
        let token = string_field(b, "impersonator_revert_token")?;
        required(token, "impersonator_revert_token")
    });
    let result = match revert_token {
        Ok(revert_token) => revert(state, &revert_token, session, &request.origin).await,
        Err(err) => Err(err),
    };
    let refusal = request.refusal(None, RefusedCaller::Verified(caller.as_ref()));
    respond_audited(&state.api, refusal, result).await
}
