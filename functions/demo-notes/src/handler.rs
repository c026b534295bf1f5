//! The routes, behind `ActasLayer` (which put the caller's `Session` into the request):
//!
//! - `GET /demo/notes`: the caller's notes
//! - `POST /demo/notes` `{"text": "..."}`: 201 and the new note
//! - `DELETE /demo/notes/{id}` or `DELETE /demo/notes?id=`: 200 and the deleted note, or 404
//!
//! The notes are the session's user's (`sub`): in an impersonated session, the impersonated
//! user's, each new one recording who acted. Every answer but a success is in the error shape.

use crate::notes::{check_text, Note, NoteStore};
use actas_verify::Session;
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::{error, info};

const BASE: &str = "/demo/notes";

/// A JSON body larger than this is not a note.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub struct Notes {
    pub store: Arc<dyn NoteStore>,
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &json!({"status": "error", "message": message}))
}

fn note_response(status: StatusCode, note: &Note) -> Response<Body> {
    match serde_json::to_value(note) {
        Ok(value) => json_response(status, &value),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the note could not be shown",
        ),
    }
}

fn unavailable() -> Response<Body> {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the notes are unavailable; try again later",
    )
}

/// The request's path below the stage, as the routes name it. API Gateway's `path` has no
/// stage, but an emulator (or a custom domain's base path) may leave one in front.
pub(crate) fn path(req: &Request) -> String {
    let raw = req.raw_http_path();
    let path = if raw.is_empty() {
        req.uri().path()
    } else {
        raw
    };
    #[allow(unreachable_patterns)] // only the REST variant with lambda_http's features
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.stage.as_deref(),
        _ => None,
    };
    let path = match stage {
        Some(stage) if !path.starts_with("/demo/") => path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(stage))
            .filter(|p| p.starts_with('/'))
            .unwrap_or(path),
        _ => path,
    };
    match path.trim_end_matches('/') {
        "" => "/".to_string(),
        trimmed => trimmed.to_string(),
    }
}

/// Ids are what this service makes: UUIDs. Anything else names no note.
fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, proleptic Gregorian).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub async fn handle(state: &Notes, req: Request) -> Response<Body> {
    // The layer admits only requests with a session; without one, nothing is served.
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return error(StatusCode::UNAUTHORIZED, "missing Authorization header");
    };
    let path = path(&req);
    let path = path.as_str();
    let method = req.method().clone();
    if path == BASE {
        return match method {
            Method::GET => list(state, &session).await,
            Method::POST => create(state, &session, &req).await,
            Method::DELETE => {
                let id = req
                    .query_string_parameters_ref()
                    .and_then(|q| q.first("id"))
                    .map(str::to_string);
                match id {
                    Some(id) => delete(state, &session, &id).await,
                    None => error(
                        StatusCode::BAD_REQUEST,
                        "which note? DELETE /demo/notes/{id} or ?id=",
                    ),
                }
            }
            _ => not_allowed("GET, POST, DELETE"),
        };
    }
    if let Some(id) = path.strip_prefix(BASE).and_then(|p| p.strip_prefix('/')) {
        if id.contains('/') {
            return error(StatusCode::NOT_FOUND, "no such route");
        }
        let id = req
            .path_parameters_ref()
            .and_then(|p| p.first("id"))
            .unwrap_or(id)
            .to_string();
        return match method {
            Method::DELETE => delete(state, &session, &id).await,
            _ => not_allowed("DELETE"),
        };
    }
    error(StatusCode::NOT_FOUND, "no such route")
}

pub(crate) fn not_found() -> Response<Body> {
    error(StatusCode::NOT_FOUND, "no such route")
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    response
}

async fn list(state: &Notes, session: &Session) -> Response<Body> {
    match state.store.list(&session.sub).await {
        Ok(notes) => json_response(StatusCode::OK, &json!({ "notes": notes })),
        Err(err) => {
            error!(error = %err, "listing notes failed");
            unavailable()
        }
    }
}

async fn create(state: &Notes, session: &Session, req: &Request) -> Response<Body> {
    let bytes = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    }
    let Ok(body) = serde_json::from_slice::<Value>(bytes) else {
        return error(StatusCode::BAD_REQUEST, "request body is not valid JSON");
    };
    let Some(text) = body.get("text").and_then(Value::as_str) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "text is required: {\"text\": \"...\"}",
        );
    };
    if let Err(problem) = check_text(text) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, problem);
    }
    let note = Note::by(
        session,
        text.to_string(),
        uuid::Uuid::new_v4().to_string(),
        now_rfc3339(),
    );
    match state.store.put(&note).await {
        Ok(()) => {
            info!(
                note = %note.id,
                sub = %session.sub,
                actor_sub = session.actor.as_ref().map(|a| a.sub.as_str()),
                impersonation_id = session.impersonation_id.as_deref(),
                "note created"
            );
            note_response(StatusCode::CREATED, &note)
        }
        Err(err) => {
            error!(error = %err, "creating a note failed");
            unavailable()
        }
    }
}

async fn delete(state: &Notes, session: &Session, id: &str) -> Response<Body> {
    if !plausible_id(id) {
        return error(StatusCode::NOT_FOUND, "no such note");
    }
    match state.store.delete(&session.sub, id).await {
        Ok(Some(note)) => {
            info!(
                note = %note.id,
                sub = %session.sub,
                actor_sub = session.actor.as_ref().map(|a| a.sub.as_str()),
                impersonation_id = session.impersonation_id.as_deref(),
                "note deleted"
            );
            note_response(StatusCode::OK, &note)
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "no such note"),
        Err(err) => {
            error!(error = %err, "deleting a note failed");
            unavailable()
        }
    }
}

#[cfg(test)]
mod tests;
