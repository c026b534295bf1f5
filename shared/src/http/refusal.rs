//! Refusals are audited: a 4xx from a start, exchange, revert or stop becomes a `denied` record
//! (`app::refusal`). The handler hands over what it already has: the body it read once, the
//! target it named, and the caller its route verified.

use crate::app::governance::Started;
use crate::app::refusal::{audit_refusal, Given, RefusedCaller};
use crate::app::state::Api;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::http::extract::JsonBody;
use crate::http::respond::{json_response, respond};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// What a refusal of this request is recorded with.
pub(crate) struct Refusal<'r> {
    pub req: &'r Request,
    /// The body as the handler read it (an empty one for routes that take none).
    pub body: &'r JsonBody,
    pub origin: &'r RequestOrigin,
    /// The target as the request named it.
    pub target: Option<String>,
    pub caller: RefusedCaller<'r>,
}

/// Responds, and has a refusal (a 4xx) audited (`app::refusal`) with the target, and the reason,
/// ticket and mode as the request gave them (body, else query).
pub(crate) async fn respond_audited<T: Serialize>(
    api: &Api,
    refusal: Refusal<'_>,
    result: Result<T>,
) -> Response<Body> {
    if let Err(err) = &result {
        if (400..500).contains(&err.status()) {
            let Refusal {
                req,
                body,
                origin,
                target,
                caller,
            } = refusal;
            let given = Given {
                target,
                reason: body.given(req, "reason"),
                ticket: body.given(req, "ticket"),
                mode: body.given(req, "mode"),
            };
            audit_refusal(api, err, origin, given, caller).await;
        }
    }
    respond(result)
}

/// A start's answer: 200 with what it made, or 202 with the request it waits on (approval,
/// consent); refusals audited as above.
pub(crate) async fn respond_started<T: Serialize>(
    api: &Api,
    refusal: Refusal<'_>,
    result: Result<Started<T>>,
) -> Response<Body> {
    match result {
        Ok(Started::Now(made)) => respond(Ok(made)),
        Ok(Started::Pending(request)) => json_response(202, &request),
        Err(err) => respond_audited::<T>(api, refusal, Err(err)).await,
    }
}
