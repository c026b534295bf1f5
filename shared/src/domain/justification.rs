//! Why an impersonation happens: a reason and an optional ticket, bounded, stored with it.

use crate::domain::error::{ActasError, Result};

/// Why an impersonation happens: a reason (required unless the deployment says otherwise) and
/// an optional ticket reference. Stored with the impersonation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Justification {
    pub reason: Option<String>,
    pub ticket: Option<String>,
}

pub const MAX_REASON_CHARS: usize = 500;

pub const MAX_TICKET_CHARS: usize = 200;

impl Justification {
    /// Well-formed but missing or too long is a 422, as issue 4 asks.
    pub fn parse(
        reason: Option<String>,
        ticket: Option<String>,
        reason_required: bool,
    ) -> Result<Justification> {
        let clean = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (reason, ticket) = (clean(reason), clean(ticket));
        if reason_required && reason.is_none() {
            return Err(ActasError::Unprocessable(
                "a reason is required to impersonate".into(),
            ));
        }
        if reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
        {
            return Err(ActasError::Unprocessable(format!(
                "the reason is longer than {MAX_REASON_CHARS} characters"
            )));
        }
        if ticket
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_TICKET_CHARS)
        {
            return Err(ActasError::Unprocessable(format!(
                "the ticket is longer than {MAX_TICKET_CHARS} characters"
            )));
        }
        if [&reason, &ticket]
            .iter()
            .any(|v| v.as_ref().is_some_and(|v| v.chars().any(char::is_control)))
        {
            return Err(ActasError::Unprocessable(
                "reason and ticket must be plain text".into(),
            ));
        }
        Ok(Justification { reason, ticket })
    }
}
