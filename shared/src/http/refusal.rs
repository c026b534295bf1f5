//! Refusals are audited: a 4xx from a start, exchange, revert or stop becomes a `denied` record
//! (`app::refusal`). The route reads its request once (`AuditedRequest`: origin and body) and
//! verifies the caller's token once; a refusal's record takes what the route already has.

use crate::app::governance::Started;
use crate::app::refusal::{audit_refusal, Given, RefusedCaller};
use crate::app::state::Api;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::domain::token::VerifiedToken;
use crate::http::extract::{header, JsonBody};
use crate::http::origin::origin_of;
use crate::http::respond::{json_response, respond};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use std::future::Future;

/// A request of a route whose refusals are audited, read once: where it came from and its body.
pub(crate) struct AuditedRequest<'r> {
    pub req: &'r Request,
    pub origin: RequestOrigin,
    pub body: JsonBody,
}

impl<'r> AuditedRequest<'r> {
    pub(crate) fn read(req: &'r Request) -> AuditedRequest<'r> {
        AuditedRequest {
            req,
            origin: origin_of(req),
            body: JsonBody::read(req),
        }
    }

    /// Verifies the caller's token (`Authorization`) once and, if it verifies, runs the use case
    /// as that caller: the outcome, and the caller a refusal names (`None`: nobody verified).
    pub(crate) async fn as_verified_caller<T, F>(
        &self,
        api: &Api,
        use_case: impl FnOnce(VerifiedToken) -> F,
    ) -> (Result<T>, Option<VerifiedToken>)
    where
        F: Future<Output = Result<T>>,
    {
        match api.verifier.verify_header(self.authorization()).await {
            Ok(token) => (use_case(token.clone()).await, Some(token)),
            Err(err) => (Err(err), None),
        }
    }

    pub(crate) fn authorization(&self) -> Option<&'r str> {
        header(self.req, "authorization")
    }

    /// What a refusal of this request is recorded with: the target as the request named it,
    /// and the caller.
    pub(crate) fn refusal<'a>(
        &'a self,
        target: Option<String>,
        caller: RefusedCaller<'a>,
    ) -> Refusal<'a> {
        Refusal {
            request: self,
            target,
            caller,
        }
    }
}

/// What a refusal of a request is recorded with.
pub(crate) struct Refusal<'a> {
    request: &'a AuditedRequest<'a>,
    target: Option<String>,
    caller: RefusedCaller<'a>,
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
                request,
                target,
                caller,
            } = refusal;
            let given = |name: &str| request.body.given(request.req, name);
            let given = Given {
                target,
                reason: given("reason"),
                ticket: given("ticket"),
                mode: given("mode"),
            };
            audit_refusal(api, err, &request.origin, given, caller).await;
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
