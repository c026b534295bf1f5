//! `GET /auth/requests`, `POST /auth/requests/{id}/approve|deny|consent`: access requests.

use crate::app::authenticate::authenticate;
use crate::app::governance::{consent, decide, list_requests};
use crate::app::state::GovernanceState;
use crate::domain::error::{ActasError, Result};
use crate::http::extract::{header, json_object_body, path_param, query_param, string_field};
use crate::http::origin::origin_of;
use crate::http::respond::respond;
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use tracing::instrument;

#[instrument(name = "requests", skip_all)]
pub async fn handle(state: &GovernanceState, req: Request) -> Response<Body> {
    respond(requests_request(state, &req).await)
}

async fn requests_request(state: &GovernanceState, req: &Request) -> Result<Value> {
    let caller = authenticate(state, header(req, "authorization")).await?;
    if req.method() == Method::GET {
        let mine = query_param(req, "mine").as_deref() == Some("true");
        let about_me = query_param(req, "target").as_deref() == Some("me");
        let list = list_requests(state, &state.governance, &caller, mine, about_me).await?;
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
            let comment = string_field(body.as_ref(), "comment")?;
            decide(
                state,
                &state.governance,
                &caller,
                &id,
                action == "approve",
                comment,
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
            consent(state, &state.governance, &caller, &id, accept, &origin).await?
        }
        _ => return Err(ActasError::NotFound("no such route".into())),
    };
    to_json(&answer)
}

/// The route's answers (a list, or one request) as one JSON value.
fn to_json(answer: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(answer).map_err(|e| ActasError::Internal(e.to_string()))
}
