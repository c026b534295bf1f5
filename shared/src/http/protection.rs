//! `GET|PUT /auth/users/{id}/protection`: whether an account is protected (`{id}`: `me`, or a
//! user the caller may act as).

use crate::app::authenticate::authenticate;
use crate::app::governance::{read_protection, set_protection, Protection};
use crate::app::state::Api;
use crate::domain::error::{ActasError, Result};
use crate::http::extract::{header, json_object_body, path_param};
use crate::http::origin::origin_of;
use crate::http::respond::respond;
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

#[instrument(name = "protection", skip_all)]
pub async fn handle(state: &Api, req: Request) -> Response<Body> {
    respond(protection_request(state, &req).await)
}

async fn protection_request(state: &Api, req: &Request) -> Result<Protection> {
    let caller = authenticate(state, header(req, "authorization")).await?;
    let id = path_param(req, "id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ActasError::BadRequest("a user is required".into()))?;
    if req.method() == Method::GET {
        return read_protection(state, &caller, &id).await;
    }
    let protected = json_object_body(req)?
        .as_ref()
        .and_then(|b| b.get("protected"))
        .and_then(serde_json::Value::as_bool)
        .ok_or_else(|| ActasError::BadRequest("protected must be true or false".into()))?;
    set_protection(state, &caller, &id, protected, &origin_of(req)).await
}
