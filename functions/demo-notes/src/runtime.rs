//! One Lambda event to one API Gateway REST (v1) proxy response. The event is read here rather
//! than by `lambda_http::run`: an event `lambda_http` cannot read (a header with a control
//! byte) must still get a 400 in the error shape, not fail the invocation (a 502 at the gateway).

use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyResponse;
use lambda_http::http::StatusCode;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, RequestExt, Response};
use lambda_runtime::Context;
use serde_json::{json, Value};
use std::convert::Infallible;
use tracing::warn;

fn unreadable() -> Response<Body> {
    let body = json!({
        "status": "error",
        "message": "the request could not be read: a header, parameter or body is malformed",
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    response
}

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

/// The answer to an event's payload (with the invocation's context, which tests do without).
pub async fn answer<S>(
    service: &S,
    payload: Value,
    context: Option<Context>,
) -> ApiGatewayProxyResponse
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone,
{
    let response = match serde_json::from_value::<LambdaRequest>(payload) {
        Ok(request) => {
            let mut request = Request::from(request);
            if let Some(context) = context {
                request = request.with_lambda_context(context);
            }
            match service.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
        Err(err) => {
            // The serde error names a position, not the values (a token may sit in a header).
            warn!(
                line = err.line(),
                column = err.column(),
                "unreadable request event"
            );
            unreadable()
        }
    };
    proxy_response(response)
}
