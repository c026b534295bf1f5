//! One Lambda event to one API Gateway REST (v1) proxy response, through the service and its
//! layer. Reading the event and writing the proxy response are actas's own
//! (`actas::http::runtime`): an event `lambda_http` cannot read (a header with a control byte)
//! gets a 400 in the error shape, not a failed invocation (a 502 at the gateway).

use actas::http::respond::error_response;
use actas::http::runtime::{proxy_response, request_from_event};
use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyResponse;
use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, RequestExt, Response};
use lambda_runtime::Context;
use serde_json::Value;
use std::convert::Infallible;

/// The answer to an event's payload (with the invocation's context, which tests do without).
pub async fn answer<S>(
    service: &S,
    payload: Value,
    context: Option<Context>,
) -> ApiGatewayProxyResponse
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone,
{
    let response = match request_from_event(payload) {
        Ok(mut request) => {
            if let Some(context) = context {
                request = request.with_lambda_context(context);
            }
            match service.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
        Err(err) => error_response(&err),
    };
    proxy_response(response)
}
