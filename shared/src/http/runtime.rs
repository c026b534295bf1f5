//! Runs an HTTP handler on Lambda, owning the event's deserialization: every event a function
//! receives ends in the handler's answer or in a 400 in the error shape — never a runtime error
//! (a header with a control byte used to fail `lambda_http`'s deserializer before any handler
//! ran, and API Gateway answered 502).

use crate::domain::error::ActasError;
use crate::http::respond::error_response;
use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyResponse;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, RequestExt, Response};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use std::future::Future;
use tracing::warn;

/// Reads an API Gateway REST (v1) event into a request, or says why it cannot be read.
pub fn request_from_event(event: Value) -> Result<Request, ActasError> {
    serde_json::from_value::<LambdaRequest>(event)
        .map(Request::from)
        .map_err(|e| {
            warn!(error = %e, "unreadable request event");
            ActasError::BadRequest(
                "the request could not be read: a header, parameter or body is malformed (control characters are not allowed)".into(),
            )
        })
}

/// The REST (v1) proxy response for a response.
pub fn proxy_response(response: Response<Body>) -> ApiGatewayProxyResponse {
    let (parts, body) = response.into_parts();
    let (is_base64_encoded, body) = match body {
        Body::Empty => (false, None),
        b @ Body::Text(_) => (false, Some(b)),
        b @ Body::Binary(_) => (true, Some(b)),
        _ => (false, None),
    };
    let mut proxy = ApiGatewayProxyResponse::default();
    proxy.status_code = i64::from(parts.status.as_u16());
    proxy.multi_value_headers = parts.headers;
    proxy.body = body;
    proxy.is_base64_encoded = is_base64_encoded;
    proxy
}

/// One event to one proxy response.
pub async fn answer<F, Fut>(handler: &F, event: LambdaEvent<Value>) -> ApiGatewayProxyResponse
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let response = match request_from_event(event.payload) {
        Ok(request) => handler(request.with_lambda_context(event.context)).await,
        Err(err) => error_response(&err),
    };
    proxy_response(response)
}

/// The Lambda loop of every HTTP function: `main` builds the state, then calls this.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(answer(handler, event).await)
    }))
    .await
}

#[cfg(test)]
mod tests {
    /// The reason an event cannot be read is logged: it must not carry the request's values
    /// (a control byte may sit in an `Authorization` header, next to a token).
    #[test]
    fn an_unreadable_event_is_logged_without_its_values() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/token-check.json");
        let mut ev: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("event")).expect("JSON");
        let poisoned = "Bearer SECRET-TOKEN\u{1}";
        ev["headers"]["Authorization"] = serde_json::json!(poisoned);
        ev["multiValueHeaders"]["Authorization"] = serde_json::json!([poisoned]);
        let err = serde_json::from_value::<super::LambdaRequest>(ev).expect_err("unreadable");
        assert!(!err.to_string().contains("SECRET-TOKEN"), "{err}");
    }
}
