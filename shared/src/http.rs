//! HTTP glue for API Gateway REST (v1) events: reading requests, and the one place that turns a
//! result into a response. A handler never returns `Err`: every outcome is a response.

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tracing::{error, info, warn};

use crate::error::{ActasError, Result};

/// Largest request body actas reads; anything bigger is not a request it understands.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
}

/// The body as a JSON object; `None` when there is no body at all.
pub fn json_object_body(req: &Request) -> Result<Option<Map<String, Value>>> {
    let bytes = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ActasError::BadRequest("request body too large".into()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(ActasError::BadRequest(
            "request body must be a JSON object".into(),
        )),
        Err(_) => Err(ActasError::BadRequest(
            "request body is not valid JSON".into(),
        )),
    }
}

/// A string field of a JSON body: absent is `None`, present but not a string is a 400.
pub fn string_field(body: Option<&Map<String, Value>>, name: &str) -> Result<Option<String>> {
    match body.and_then(|b| b.get(name)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ActasError::BadRequest(format!("{name} must be a string"))),
    }
}

pub fn json_response(status: u16, body: &impl Serialize) -> Response<Body> {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(e) => {
            error!(error = %e, "response serialization failed");
            (500, error_body("internal error"))
        }
    };
    let mut response = Response::new(Body::from(text));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn error_body(message: &str) -> String {
    json!({"status": "error", "message": message}).to_string()
}

/// Seed 001's error shape, `{"status":"error","message":...}`, with the status the error maps to.
pub fn error_response(err: &ActasError) -> Response<Body> {
    let status = err.status();
    match err {
        ActasError::Upstream(_) | ActasError::Internal(_) => {
            error!(status, error = %err, "request failed")
        }
        ActasError::Denied(denial) => info!(status, denial = denial.code(), "request denied"),
        _ => warn!(status, error = %err, "request refused"),
    }
    json_response(
        status,
        &json!({"status": "error", "message": err.public_message()}),
    )
}

pub fn respond<T: Serialize>(result: Result<T>) -> Response<Body> {
    match result {
        Ok(body) => json_response(200, &body),
        Err(err) => error_response(&err),
    }
}
