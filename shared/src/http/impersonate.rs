//! `POST /auth/impersonate` (seeds 000/001): body `{"username"}` or `?uuid=`, a reason, a ticket and a mode.

use crate::app::authenticate::caller_of;
use crate::app::governance::Started;
use crate::app::impersonate::ImpersonateState;
use crate::app::impersonate::{start_impersonation_by, Dialect, StartRequest};
use crate::app::refusal::RefusedCaller;
use crate::domain::error::{ActasError, Result};
use crate::domain::justification::Justification;
use crate::domain::mode::Mode;
use crate::domain::payload::SessionPayload;
use crate::domain::token::VerifiedToken;
use crate::domain::user::UserRef;
use crate::http::extract::{header, query_param, string_field};
use crate::http::refusal::{respond_started, AuditedRequest};
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `POST /auth/impersonate` — body `{"username": ...}` (seed 001) or `?uuid=<sub>` (seed 000).
/// The body is read once and the caller's token verified once: the start and, if it is
/// refused, its audit record use the same.
#[instrument(name = "impersonate", skip_all)]
pub async fn handle(state: &ImpersonateState, req: Request) -> Response<Body> {
    let request = AuditedRequest::read(&req);
    let target = query_param(&req, "uuid").or_else(|| request.body.given(&req, "username"));
    let (result, caller) = request
        .as_verified_caller(&state.api, |token| {
            impersonate_request(state, token, &request)
        })
        .await;
    let refusal = request.refusal(target, RefusedCaller::Verified(caller.as_ref()));
    respond_started(&state.api, refusal, result).await
}

async fn impersonate_request(
    state: &ImpersonateState,
    token: VerifiedToken,
    request: &AuditedRequest<'_>,
) -> Result<Started<SessionPayload>> {
    match start_request(state, request) {
        // The caller is read with the target and the API key, at once.
        Ok(start) => start_impersonation_by(state, token, start).await,
        // A bad request from someone no longer in the pool is still a 401 first.
        Err(err) => {
            caller_of(&state.api, token).await?;
            Err(err)
        }
    }
}

fn start_request<'r>(
    state: &ImpersonateState,
    request: &AuditedRequest<'r>,
) -> Result<StartRequest<'r>> {
    let (req, origin) = (request.req, &request.origin);
    let body = request.body.object()?;
    let username = string_field(body, "username")?;
    let uuid = query_param(req, "uuid").filter(|v| !v.trim().is_empty());
    // POST: reason and ticket in the body; seed 000's call has no body, so the query works too.
    let reason = string_field(body, "reason")?.or_else(|| query_param(req, "reason"));
    let ticket = string_field(body, "ticket")?.or_else(|| query_param(req, "ticket"));
    let mode = string_field(body, "mode")?.or_else(|| query_param(req, "mode"));
    let break_glass = match body.and_then(|b| b.get("break_glass")) {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(flag)) => *flag,
        Some(_) => {
            return Err(ActasError::BadRequest(
                "break_glass must be true or false".into(),
            ))
        }
    };
    let (target, dialect) = match (username, uuid) {
        (Some(username), None) => (UserRef::parse(&username)?, Dialect::Username),
        (None, Some(uuid)) => (UserRef::parse(&uuid)?, Dialect::Uuid),
        (Some(_), Some(_)) => {
            return Err(ActasError::BadRequest(
                "give either username (body) or uuid (query), not both".into(),
            ))
        }
        (None, None) => {
            return Err(ActasError::BadRequest(
                "username (body) or uuid (query) is required".into(),
            ))
        }
    };
    let justification = Justification::parse(reason, ticket, state.api.policy.reason_required)?;
    let mode = Mode::requested(mode.as_deref())?;
    let api_key = header(req, "x-api-key");
    let origin = origin.clone();
    Ok(StartRequest {
        target,
        dialect,
        api_key,
        justification,
        mode,
        break_glass,
        origin,
    })
}
