//! `DELETE /auth/impersonations/{id}` and `DELETE /auth/impersonate` (sign-out).

use crate::app::refusal::RefusedCaller;
use crate::app::state::SessionState;
use crate::app::stop::{stop_by_id_for, stop_own};
use crate::http::extract::path_param;
use crate::http::refusal::{respond_audited, AuditedRequest};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `DELETE /auth/impersonations/{id}` by the impersonator or an admin above them, and
/// `DELETE /auth/impersonate` from the impersonated session itself (seed 000's sign-out). The
/// caller's token is verified once, for the stop and, if it is refused, for its record.
#[instrument(name = "stop", skip_all)]
pub async fn handle(state: &SessionState, req: Request) -> Response<Body> {
    let request = AuditedRequest::read(&req);
    let id = path_param(&req, "id");
    let origin = &request.origin;
    let (result, caller) = request
        .as_verified_caller(&state.api, |token| async {
            match &id {
                Some(id) => stop_by_id_for(state, token, id, origin).await,
                None => stop_own(state, token, origin).await,
            }
        })
        .await;
    let refusal = request.refusal(None, RefusedCaller::Verified(caller.as_ref()));
    respond_audited(&state.api, refusal, result).await
}
