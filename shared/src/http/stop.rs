//! `DELETE /auth/impersonations/{id}` and `DELETE /auth/impersonate` (sign-out).

use crate::app::state::SessionState;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::http::extract::{header, path_param};
use crate::http::origin::origin_of;
use crate::http::refusal::respond_audited;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `DELETE /auth/impersonations/{id}` by the impersonator or an admin above them, and
/// `DELETE /auth/impersonate` from the impersonated session itself (seed 000's sign-out).
#[instrument(name = "stop", skip_all)]
pub async fn handle(state: &SessionState, req: Request) -> Response<Body> {
    let origin = origin_of(&req);
    let result = stop_request(state, &req, &origin).await;
    respond_audited(&state.api, &req, &origin, None, result).await
}

pub(crate) async fn stop_request(
    state: &SessionState,
    req: &Request,
    origin: &RequestOrigin,
) -> Result<crate::app::end::StopResult> {
    let authorization = header(req, "authorization");
    match path_param(req, "id") {
        Some(id) => {
            let token = state.api.verifier.verify_header(authorization).await?;
            crate::app::stop::stop_by_id_for(state, token, &id, origin).await
        }
        None => crate::app::stop::stop_own(state, authorization, origin).await,
    }
}
