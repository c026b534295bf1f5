//! Refusals are audited: a 4xx from a start, exchange, revert or stop becomes a `denied` record
//! (`app::refusal`); here, what the request gave is read for it.

use crate::app::refusal::{audit_refusal, Given};
use crate::app::state::Api;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::http::extract::{header, json_object_body, query_param};
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Responds, and has a refusal (a 4xx) audited (`app::refusal`) with the target, and the reason,
/// ticket and mode as the request gave them (body, else query).
pub(crate) async fn respond_audited<T: Serialize>(
    state: &Api,
    req: &Request,
    origin: &RequestOrigin,
    target: Option<String>,
    result: Result<T>,
) -> Response<Body> {
    if let Err(err) = &result {
        if (400..500).contains(&err.status()) {
            let body = json_object_body(req).ok().flatten();
            let given = |name: &str| {
                body.as_ref()
                    .and_then(|b| b.get(name)?.as_str().map(str::to_string))
                    .or_else(|| query_param(req, name))
                    .filter(|v| !v.trim().is_empty())
            };
            let given = Given {
                target,
                reason: given("reason"),
                ticket: given("ticket"),
                mode: given("mode"),
            };
            audit_refusal(state, err, origin, given, header(req, "authorization")).await;
        }
    }
    respond(result)
}

/// A start's answer: 200 with what it made, or 202 with the request it waits on (approval,
/// consent); refusals audited as above.
pub(crate) async fn respond_started<T: Serialize>(
    state: &Api,
    req: &Request,
    origin: &RequestOrigin,
    target: Option<String>,
    result: Result<crate::app::governance::Started<T>>,
) -> Response<Body> {
    use crate::app::governance::Started;
    match result {
        Ok(Started::Now(made)) => respond_audited(state, req, origin, target, Ok(made)).await,
        Ok(Started::Pending(request)) => crate::http::respond::json_response(202, &request),
        Err(err) => respond_audited::<T>(state, req, origin, target, Err(err)).await,
    }
}
