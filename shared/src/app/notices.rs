//! Notices (issue 12): the audit table's stream, read a second time — a start and an end of an
//! impersonation (stop, revert, expiry) send the person acted as an email when their tenant
//! wants it, and always for break-glass. Each notice is an audit record of its own. Never a
//! token in it. A failed send fails the batch, which the stream delivers again (at least once).

use crate::app::audit_trail::AuditTrail;
use crate::app::publish_events::{inserted_records, DecodeImage, StreamBatch};
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::Result;
use crate::domain::governance::TenantSettings;
use crate::domain::user::UserRef;
use crate::ports::clock::Clock;
use crate::ports::governance::{GovernanceStore, Notice, Notifier};
use crate::ports::identity::IdentityProvider;
use std::sync::Arc;

pub struct NoticeState {
    pub settings: Arc<dyn GovernanceStore>,
    pub identity: Arc<dyn IdentityProvider>,
    pub notifier: Arc<dyn Notifier>,
    pub audit: AuditTrail,
    pub clock: Arc<dyn Clock>,
    /// Where "Who acted as me" is (`CONSOLE_URL`), linked from every notice.
    pub console_url: Option<String>,
}

/// Which edge of an impersonation a record is, if any.
fn edge(record: &AuditRecord) -> Option<&'static str> {
    if record.outcome != "success" {
        return None;
    }
    match record.event {
        AuditEvent::Started | AuditEvent::Exchanged => Some("started"),
        AuditEvent::Stopped | AuditEvent::Reverted | AuditEvent::Expired => Some("ended"),
        _ => None,
    }
}

/// The email: who acted, why, how, when — and where to see it all. No token, no secret.
pub fn notice_text(
    record: &AuditRecord,
    edge: &str,
    console_url: Option<&str>,
) -> (String, String) {
    let tenant = record.tenant.as_deref().unwrap_or("your organisation");
    let actor = record.actor_username.as_deref().unwrap_or("someone");
    let subject = format!("Someone acted as you in {tenant}");
    let mode = match record.mode.map(|m| m.as_str()) {
        Some("full") => "full (changes allowed)",
        _ => "read-only (read_only: looking, no changes)",
    };
    let mut text = format!(
        "{actor} {edge} acting as you ({}) in {tenant}.\n\n\
         Actor: {actor}\nReason: {}\nTicket: {}\nMode: {mode}\nAt: {}\n",
        record.target_username.as_deref().unwrap_or("you"),
        record.reason.as_deref().unwrap_or("(none given)"),
        record.ticket.as_deref().unwrap_or("(none)"),
        record.at,
    );
    if let Some(id) = &record.impersonation_id {
        text.push_str(&format!("Impersonation: {id}\n"));
    }
    if record.break_glass {
        text.push_str("\nThis was an emergency (break-glass) access by a super-admin.\n");
    }
    // A start that redeemed an approval names it, and the approver's terms when they set any.
    if let (Some(note), Some(_), "started") = (&record.cause, &record.request_id, edge) {
        text.push_str(&format!("\nThis start was {note}.\n"));
    }
    if let Some(url) = console_url {
        text.push_str(&format!(
            "\nSee every time someone acted as you: {}#/who-acted-as-me\n",
            url
        ));
    }
    text.push_str("\nIf you did not expect this, tell your administrator.\n");
    (subject, text)
}

/// Sends the notices one batch of the audit stream calls for; how many were sent.
pub async fn notice_stream_batch(
    state: &NoticeState,
    batch: &StreamBatch,
    decode: DecodeImage,
) -> Result<usize> {
    let mut sent = 0;
    for record in inserted_records(batch, decode) {
        let record = record?;
        let Some(edge) = edge(&record) else { continue };
        let wanted = record.break_glass || {
            let tenant = record.tenant.as_deref().unwrap_or("-");
            state
                .settings
                .settings(tenant)
                .await?
                .as_ref()
                .is_some_and(|s: &TenantSettings| s.notify_target)
        };
        if !wanted {
            continue;
        }
        let target = match (&record.target_sub, &record.target_username) {
            (Some(sub), _) => state.identity.find_user(&UserRef::parse(sub)?).await?,
            (None, Some(name)) => state.identity.find_user(&UserRef::parse(name)?).await?,
            _ => None,
        };
        let Some(email) = target
            .as_ref()
            .and_then(|t| t.attribute("email"))
            .map(str::to_string)
        else {
            tracing::warn!(record = %record.id, "no email to send a notice to");
            continue;
        };
        let (subject, text) = notice_text(&record, edge, state.console_url.as_deref());
        state
            .notifier
            .send(&Notice {
                to: email,
                subject,
                text,
            })
            .await?;
        let mut notice = AuditRecord::new(
            AuditEvent::NoticeSent,
            state.clock.now_millis(),
            &RequestOrigin::default(),
        );
        notice.actor_sub = record.actor_sub.clone();
        notice.actor_username = record.actor_username.clone();
        notice.target_sub = record.target_sub.clone();
        notice.target_username = record.target_username.clone();
        notice.tenant = record.tenant.clone();
        notice.mode = record.mode;
        notice.break_glass = record.break_glass;
        notice.impersonation_id = record.impersonation_id.clone();
        notice.cause = Some(format!("{edge} notice for record {}", record.id));
        state.audit.record(&notice).await?;
        sent += 1;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mode::Mode;

    fn started() -> AuditRecord {
        let mut record = AuditRecord::new(
            AuditEvent::Started,
            1_764_000_000_000,
            &RequestOrigin::default(),
        );
        record.actor_username = Some("acme-admin".into());
        record.target_username = Some("acme-support-1".into());
        record.tenant = Some("acme".into());
        record.reason = Some("billing question".into());
        record.ticket = Some("SUP-1".into());
        record.mode = Some(Mode::ReadOnly);
        record.impersonation_id = Some("imp-1".into());
        record
    }

    #[test]
    fn a_notice_names_who_why_how_when_and_where_to_look() {
        let (subject, text) = notice_text(&started(), "started", Some("https://x/v1/console/"));
        assert_eq!(subject, "Someone acted as you in acme");
        for needle in [
            "acme-admin started acting as you",
            "Reason: billing question",
            "Ticket: SUP-1",
            "read_only",
            "2025-11-24T16:00:00.000Z",
            "https://x/v1/console/#/who-acted-as-me",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        assert!(!text.contains("break-glass"));
        let mut glass = started();
        glass.break_glass = true;
        glass.mode = Some(Mode::Full);
        let (_, text) = notice_text(&glass, "ended", None);
        assert!(text.contains("break-glass") && text.contains("full") && text.contains("ended"));
    }

    #[test]
    fn only_successful_starts_and_ends_make_notices() {
        assert_eq!(edge(&started()), Some("started"));
        let mut stopped = started();
        stopped.event = AuditEvent::Stopped;
        assert_eq!(edge(&stopped), Some("ended"));
        let mut failed = started();
        failed.outcome = crate::domain::audit::OUTCOME_FAILED;
        assert_eq!(edge(&failed), None);
        let mut issued = started();
        issued.event = AuditEvent::TokenIssued;
        assert_eq!(edge(&issued), None);
    }
}
