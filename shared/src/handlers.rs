//! The HTTP handlers: extract, call the domain, map the result. Nothing more.

use lambda_http::{Body, Request, Response};
use tracing::instrument;

use crate::error::{ActasError, Result};
use crate::http::{header, json_object_body, query_param, respond, string_field};
use crate::identity::UserRef;
use crate::impersonation::{authenticate, start_impersonation, ApiState, Dialect, StartRequest};
use crate::payload::SessionPayload;

/// `POST /auth/impersonate` — body `{"username": ...}` (seed 001) or `?uuid=<sub>` (seed 000).
#[instrument(name = "impersonate", skip_all)]
pub async fn impersonate(state: &ApiState, req: Request) -> Response<Body> {
    respond(impersonate_request(state, &req).await)
}

async fn impersonate_request(state: &ApiState, req: &Request) -> Result<SessionPayload> {
    let caller = authenticate(state, header(req, "authorization")).await?;
    let body = json_object_body(req)?;
    let username = string_field(body.as_ref(), "username")?;
    let uuid = query_param(req, "uuid").filter(|v| !v.trim().is_empty());
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
    start_impersonation(
        state,
        &caller,
        StartRequest {
            target,
            dialect,
            api_key: header(req, "x-api-key"),
        },
    )
    .await
}
