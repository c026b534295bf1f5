//! `GET /auth/requests`, `POST /auth/requests/{id}/approve|deny|consent`: access requests.

use crate::app::authenticate::authenticate;
use crate::app::governance::{consent, decide, list_requests, Decision, GovernanceState};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::ApprovedTerms;
use crate::domain::mode::Mode;
use crate::http::extract::{header, json_object_body, path_param, query_param, string_field};
use crate::http::origin::origin_of;
use crate::http::respond::respond;
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use tracing::instrument;

#[instrument(name = "requests", skip_all)]
pub async fn handle(state: &GovernanceState, req: Request) -> Response<Body> {
    respond(requests_request(state, &req).await)
}

async fn requests_request(state: &GovernanceState, req: &Request) -> Result<Value> {
    let caller = authenticate(&state.api, header(req, "authorization")).await?;
    if req.method() == Method::GET {
        let mine = query_param(req, "mine").as_deref() == Some("true");
        let about_me = query_param(req, "target").as_deref() == Some("me");
        let list = list_requests(&state.api, &state.governance, &caller, mine, about_me).await?;
        return to_json(&list);
    }
    let id = path_param(req, "id")
        .filter(|id| !id.is_empty() && id.len() <= 64)
        .ok_or_else(|| ActasError::BadRequest("a request id is required".into()))?;
    let body = json_object_body(req)?;
    let origin = origin_of(req);
    let action = req.uri().path().rsplit('/').next().unwrap_or_default();
    let answer = match action {
        "approve" | "deny" => {
            let decision = Decision {
                approve: action == "approve",
                comment: string_field(body.as_ref(), "comment")?,
                terms: approver_terms(body.as_ref())?,
            };
            decide(
                &state.api,
                &state.governance,
                &caller,
                &id,
                decision,
                &origin,
            )
            .await?
        }
        "consent" => {
            let accept = body
                .as_ref()
                .and_then(|b| b.get("accept"))
                .and_then(Value::as_bool)
                .ok_or_else(|| ActasError::BadRequest("accept must be true or false".into()))?;
            consent(&state.api, &state.governance, &caller, &id, accept, &origin).await?
        }
        _ => return Err(ActasError::NotFound("no such route".into())),
    };
    to_json(&answer)
}

/// An approval's terms as asked: `duration_seconds` (a whole number) and `mode` (`read_only`
/// or `full`); whether they are allowed is the approval's to decide.
fn approver_terms(body: Option<&Map<String, Value>>) -> Result<ApprovedTerms> {
    let duration_seconds = match body.and_then(|b| b.get("duration_seconds")) {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_i64().filter(|s| *s > 0).ok_or_else(|| {
            ActasError::BadRequest("duration_seconds must be a positive whole number".into())
        })?),
    };
    let mode = match string_field(body, "mode")? {
        None => None,
        Some(mode) => Some(
            Mode::parse(mode.trim())
                .ok_or_else(|| ActasError::BadRequest("mode must be read_only or full".into()))?,
        ),
    };
    Ok(ApprovedTerms {
        mode,
        duration_seconds,
    })
}

/// The route's answers (a list, or one request) as one JSON value.
fn to_json(answer: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(answer).map_err(|e| ActasError::Internal(e.to_string()))
}
