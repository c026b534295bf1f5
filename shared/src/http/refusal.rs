//! Refusals are audited: a 4xx from a start, exchange, revert or stop becomes a `denied` record,
//! here, where the request's origin is known.

use crate::app::state::Api;
use crate::domain::audit::{bounded, AuditEvent, AuditRecord, RequestOrigin, MAX_TEXT_CHARS};
use crate::domain::error::{ActasError, Result};
use crate::domain::justification::{MAX_REASON_CHARS, MAX_TICKET_CHARS};
use crate::domain::mode::Mode;
use crate::http::extract::{header, json_object_body, query_param};
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use tracing::warn;

/// Responds, and records a refusal (a 4xx) as a `denied` audit record with its cause, the actor
/// if their token verifies, and the target, reason and ticket as the request gave them (bounded).
/// Refusals of callers nobody knows are counted into one record per source and minute. The
/// refusal stands whether or not the record can be written.
pub(crate) async fn respond_audited<T: Serialize>(
    state: &Api,
    req: &Request,
    origin: &RequestOrigin,
    target: Option<String>,
    result: Result<T>,
) -> Response<Body> {
    if let Err(err) = &result {
        if (400..500).contains(&err.status()) {
            let mut record = AuditRecord::new(AuditEvent::Denied, state.clock.now_millis(), origin);
            record.cause = Some(match err {
                ActasError::Denied(denial) => denial.code().to_string(),
                other => bounded(&format!("{}: {other}", other.status()), MAX_TEXT_CHARS),
            });
            // The reason and ticket the request gave, as it gave them (bounded).
            let body = json_object_body(req).ok().flatten();
            let given = |name: &str| {
                body.as_ref()
                    .and_then(|b| b.get(name)?.as_str().map(str::to_string))
                    .or_else(|| query_param(req, name))
                    .filter(|v| !v.trim().is_empty())
            };
            record.reason = given("reason").map(|r| bounded(&r, MAX_REASON_CHARS));
            record.ticket = given("ticket").map(|t| bounded(&t, MAX_TICKET_CHARS));
            record.mode = given("mode").as_deref().and_then(Mode::parse);
            record.target_username = target.map(|t| bounded(&t, MAX_TEXT_CHARS));
            let caller = state
                .verifier
                .verify_header(header(req, "authorization"))
                .await;
            let recorded = match caller {
                Ok(token) => {
                    record.actor_sub = Some(token.sub);
                    record.actor_username = Some(token.username);
                    record.tenant = token.tenant;
                    state.audit.record(&record).await
                }
                // Nobody known: one record per source and minute, counting the attempts.
                Err(_) => state.audit.record_unauthenticated(&record).await,
            };
            if let Err(e) = recorded {
                warn!(error = %e, "a refusal could not be audited");
            }
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
