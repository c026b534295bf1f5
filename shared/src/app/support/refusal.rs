//! Refusals are audited: a 4xx from a start, exchange, revert or stop becomes a `denied` record
//! with its cause, the actor if their token verifies, and what the request gave (bounded).
//! `http::refusal` reads the request once for what it gave and calls `audit_refusal`.

use crate::app::state::Api;
use crate::domain::audit::{bounded, AuditEvent, AuditRecord, RequestOrigin, MAX_TEXT_CHARS};
use crate::domain::error::ActasError;
use crate::domain::justification::{MAX_REASON_CHARS, MAX_TICKET_CHARS};
use crate::domain::mode::Mode;
use tracing::warn;

/// What a refused request gave, as it gave it (blank values are absent).
#[derive(Debug, Default, Clone)]
pub struct Given {
    pub target: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub mode: Option<String>,
}

/// Records a refusal (a 4xx; any other error is not a refusal and is not recorded) as a `denied`
/// audit record. Refusals of callers nobody knows (no token that verifies) are counted into one
/// record per source and minute. The refusal stands whether or not the record can be written.
pub async fn audit_refusal(
    api: &Api,
    err: &ActasError,
    origin: &RequestOrigin,
    given: Given,
    authorization: Option<&str>,
) {
    if !(400..500).contains(&err.status()) {
        return;
    }
    let mut record = AuditRecord::new(AuditEvent::Denied, api.clock.now_millis(), origin);
    record.cause = Some(match err {
        ActasError::Denied(denial) => denial.code().to_string(),
        other => bounded(&format!("{}: {other}", other.status()), MAX_TEXT_CHARS),
    });
    let given_text = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    record.reason = given_text(given.reason).map(|r| bounded(&r, MAX_REASON_CHARS));
    record.ticket = given_text(given.ticket).map(|t| bounded(&t, MAX_TICKET_CHARS));
    record.mode = given_text(given.mode).as_deref().and_then(Mode::parse);
    record.target_username = given.target.map(|t| bounded(&t, MAX_TEXT_CHARS));
    let recorded = match api.verifier.verify_header(authorization).await {
        Ok(token) => {
            record.actor_sub = Some(token.sub);
            record.actor_username = Some(token.username);
            record.tenant = token.tenant;
            api.audit.record(&record).await
        }
        // Nobody known: one record per source and minute, counting the attempts.
        Err(_) => api.audit.record_unauthenticated(&record).await,
    };
    if let Err(e) = recorded {
        warn!(error = %e, "a refusal could not be audited");
    }
}
