//! `POST /auth/impersonate/revert` body `{"impersonator_revert_token"}` (seed 000).

use crate::app::revert::revert;
use crate::app::state::SessionState;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::domain::payload::SessionPayload;
use crate::http::extract::{header, json_object_body, required, string_field};
use crate::http::origin::origin_of;
use crate::http::refusal::respond_audited;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /auth/impersonate/revert` body `{"impersonator_revert_token": ...}` (seed 000).
#[instrument(name = "revert", skip_all)]
pub async fn handle(state: &SessionState, req: Request) -> Response<Body> {
    let origin = origin_of(&req);
    let result = revert_request(state, &req, &origin).await;
    respond_audited(&state.api, &req, &origin, None, result).await
}

pub(crate) async fn revert_request(
    state: &SessionState,
    req: &Request,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let body = json_object_body(req)?;
    let token = required(
        string_field(body.as_ref(), "impersonator_revert_token")?,
        "impersonator_revert_token",
    )?;
    revert(state, &token, header(req, "authorization"), origin).await
}
