//! `DELETE /auth/impersonations/{id}` and `DELETE /auth/impersonate` (sign-out).

use crate::app::refusal::RefusedCaller;
use crate::app::state::SessionState;
use crate::http::extract::{header, path_param, JsonBody};
use crate::http::origin::origin_of;
use crate::http::refusal::{respond_audited, Refusal};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `DELETE /auth/impersonations/{id}` by the impersonator or an admin above them, and
/// `DELETE /auth/impersonate` from the impersonated session itself (seed 000's sign-out). The
/// caller's token is verified once, for the stop and, if it is refused, for its record.
#[instrument(name = "stop", skip_all)]
pub async fn handle(state: &SessionState, req: Request) -> Response<Body> {
    let origin = origin_of(&req);
    let body = JsonBody::read(&req);
    let (result, caller) = match state
        .api
        .verifier
        .verify_header(header(&req, "authorization"))
        .await
    {
        Ok(token) => {
            let stopped = match path_param(&req, "id") {
                Some(id) => {
                    crate::app::stop::stop_by_id_for(state, token.clone(), &id, &origin).await
                }
                None => crate::app::stop::stop_own(state, token.clone(), &origin).await,
            };
            (stopped, Some(token))
        }
        Err(err) => (Err(err), None),
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
