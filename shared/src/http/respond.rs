//! The one place that turns a result into a response. A handler never returns `Err`: every
//! outcome is a response, errors in the `{"status":"error","message":...}` shape.

use crate::domain::error::{ActasError, Result};
use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::json;
use tracing::{error, info, warn};

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

pub(crate) fn error_body(message: &str) -> String {
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
    let mut body = json!({"status": "error", "message": err.public_message()});
    // The machine-readable part of a step-up refusal: why, and how fresh a sign-in must be.
    if let ActasError::StepUpRequired { max_age_seconds } = err {
        body["reason"] = json!("step_up_required");
        body["max_age_seconds"] = json!(max_age_seconds);
    }
    json_response(status, &body)
}

pub fn respond<T: Serialize>(result: Result<T>) -> Response<Body> {
    match result {
        Ok(body) => json_response(200, &body),
        Err(err) => error_response(&err),
    }
}
