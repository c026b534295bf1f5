//! Refusals are audited: a 4xx from a start, exchange, revert or stop becomes a `denied` record
//! with its cause, the actor if their token verified, and what the request gave (bounded).
//! `http::refusal` passes what the handler already read (the body, once) and the caller its
//! route already verified: a refusal reads and verifies nothing a second time.

use crate::app::state::Api;
use crate::domain::audit::{bounded, AuditEvent, AuditRecord, RequestOrigin, MAX_TEXT_CHARS};
use crate::domain::error::ActasError;
use crate::domain::justification::{MAX_REASON_CHARS, MAX_TICKET_CHARS};
use crate::domain::mode::Mode;
use crate::domain::token::VerifiedToken;
use tracing::warn;

/// What a refused request gave, as it gave it (blank values are absent).
#[derive(Debug, Default, Clone)]
pub struct Given {
    pub target: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub mode: Option<String>,
}

/// Who was refused, as far as the route knows.
#[derive(Debug, Clone, Copy)]
pub enum RefusedCaller<'a> {
    /// The route verified the caller's token before its use case ran: `None` if no token
    /// verified (the refusal is counted per source and minute).
    Verified(Option<&'a VerifiedToken>),
    /// The route takes no caller token (a two-step exchange: the token is the credential). An
    /// `Authorization` header, if one came, is verified for the record only, here and once.
    Header(Option<&'a str>),
}

/// Records a refusal (a 4xx; any other error is not a refusal and is not recorded) as a `denied`
/// audit record. Refusals of callers nobody knows (no token that verifies) are counted into one
/// record per source and minute. The refusal stands whether or not the record can be written.
pub async fn audit_refusal(
    api: &Api,
    err: &ActasError,
    origin: &RequestOrigin,
    given: Given,
    caller: RefusedCaller<'_>,
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
    let header_token;
    let token = match caller {
        RefusedCaller::Verified(token) => token,
        RefusedCaller::Header(authorization) => {
            header_token = api.verifier.verify_header(authorization).await.ok();
            header_token.as_ref()
        }
    };
    let recorded = match token {
        Some(token) => {
            record.actor_sub = Some(token.sub.clone());
            record.actor_username = Some(token.username.clone());
            record.tenant = token.tenant.clone();
            api.audit.record(&record).await
        }
        // Nobody known: one record per source and minute, counting the attempts.
        None => api.audit.record_unauthenticated(&record).await,
    };
    if let Err(e) = recorded {
        warn!(error = %e, "a refusal could not be audited");
    }
}
