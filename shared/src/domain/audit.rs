//! The audit record: what happened (start, token issue, exchange, revert, stop, expiry, refusal),
//! who, from where, and why. Kept 400 days; written, published and counted by `app::audit_trail`.

use crate::domain::mode::Mode;
use crate::domain::time::rfc3339_millis;
use serde::Serialize;

/// Audit records are kept this long (DynamoDB TTL).
pub const RETENTION_SECS: i64 = 400 * 86_400;

pub const EVENT_SOURCE: &str = "actas";

pub const OUTCOME_FAILED: &str = "failed";

/// The stored outcome's name, as one of the three this crate writes.
pub fn outcome_named(stored: &str) -> &'static str {
    match stored {
        "denied" => "denied",
        "failed" => OUTCOME_FAILED,
        _ => "success",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    Started,
    TokenIssued,
    Exchanged,
    Reverted,
    Stopped,
    Expired,
    Denied,
    ApprovalRequested,
    ApprovalApproved,
    ApprovalDenied,
    ConsentGiven,
    ConsentDeclined,
    NoticeSent,
    SettingsChanged,
    ProtectionChanged,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::Started => "started",
            AuditEvent::TokenIssued => "token_issued",
            AuditEvent::Exchanged => "exchanged",
            AuditEvent::Reverted => "reverted",
            AuditEvent::Stopped => "stopped",
            AuditEvent::Expired => "expired",
            AuditEvent::Denied => "denied",
            AuditEvent::ApprovalRequested => "approval_requested",
            AuditEvent::ApprovalApproved => "approval_approved",
            AuditEvent::ApprovalDenied => "approval_denied",
            AuditEvent::ConsentGiven => "consent_given",
            AuditEvent::ConsentDeclined => "consent_declined",
            AuditEvent::NoticeSent => "notice_sent",
            AuditEvent::SettingsChanged => "settings_changed",
            AuditEvent::ProtectionChanged => "protection_changed",
        }
    }

    pub fn parse(value: &str) -> Option<AuditEvent> {
        [
            AuditEvent::Started,
            AuditEvent::TokenIssued,
            AuditEvent::Exchanged,
            AuditEvent::Reverted,
            AuditEvent::Stopped,
            AuditEvent::Expired,
            AuditEvent::Denied,
            AuditEvent::ApprovalRequested,
            AuditEvent::ApprovalApproved,
            AuditEvent::ApprovalDenied,
            AuditEvent::ConsentGiven,
            AuditEvent::ConsentDeclined,
            AuditEvent::NoticeSent,
            AuditEvent::SettingsChanged,
            AuditEvent::ProtectionChanged,
        ]
        .into_iter()
        .find(|e| e.as_str() == value)
    }

    /// The EventBridge detail type.
    pub fn detail_type(self) -> &'static str {
        match self {
            AuditEvent::Started | AuditEvent::Exchanged => "Impersonation Started",
            AuditEvent::TokenIssued => "Impersonation Token Issued",
            AuditEvent::Reverted | AuditEvent::Stopped | AuditEvent::Expired => {
                "Impersonation Ended"
            }
            AuditEvent::Denied => "Impersonation Denied",
            AuditEvent::ApprovalRequested => "Impersonation Approval Requested",
            AuditEvent::ApprovalApproved => "Impersonation Approval Approved",
            AuditEvent::ApprovalDenied => "Impersonation Approval Denied",
            AuditEvent::ConsentGiven => "Impersonation Consent Given",
            AuditEvent::ConsentDeclined => "Impersonation Consent Declined",
            AuditEvent::NoticeSent => "Impersonation Notice Sent",
            AuditEvent::SettingsChanged => "Settings Changed",
            AuditEvent::ProtectionChanged => "Account Protection Changed",
        }
    }
}

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The API's public base URL as this request reached it (scheme, host, stage).
    pub api_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub at: String,
    #[serde(skip)]
    pub at_millis: i64,
    pub event: AuditEvent,
    /// `success`, `denied`, or `failed` (a start whose session could not be minted).
    pub outcome: &'static str,
    /// How many attempts the record stands for: unauthenticated refusals from one source are
    /// recorded once a minute, with their count.
    pub count: u32,
    /// Why it was refused (a policy code, or the refusal's message).
    pub cause: Option<String>,
    pub actor_sub: Option<String>,
    pub actor_username: Option<String>,
    pub target_sub: Option<String>,
    pub target_username: Option<String>,
    pub tenant: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    /// The impersonation's mode (`read_only`, `full`); on a refusal, the mode asked for.
    pub mode: Option<Mode>,
    /// A super-admin's break-glass start (no approval, no consent, always notified).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub break_glass: bool,
    /// The access request a governance record is about (approval, consent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub impersonation_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Longest text an audit record keeps of anything a caller chose (user agent, the target as a
/// request named it, a refusal's cause): records are kept 400 days, so no caller may make them
/// large.
pub const MAX_TEXT_CHARS: usize = 256;

/// `value` without control characters, cut to `max_chars` (with an ellipsis when cut).
pub fn bounded(value: &str, max_chars: usize) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= max_chars {
        return clean;
    }
    let mut cut: String = clean.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl AuditRecord {
    pub fn new(event: AuditEvent, at_millis: i64, origin: &RequestOrigin) -> AuditRecord {
        AuditRecord {
            id: uuid::Uuid::new_v4().to_string(),
            at: rfc3339_millis(at_millis),
            at_millis,
            event,
            outcome: if event == AuditEvent::Denied {
                "denied"
            } else {
                "success"
            },
            count: 1,
            cause: None,
            actor_sub: None,
            actor_username: None,
            target_sub: None,
            target_username: None,
            tenant: None,
            reason: None,
            ticket: None,
            mode: None,
            break_glass: false,
            request_id: None,
            impersonation_id: None,
            source_ip: origin.source_ip.as_deref().map(|ip| bounded(ip, 64)),
            user_agent: origin
                .user_agent
                .as_deref()
                .map(|agent| bounded(agent, MAX_TEXT_CHARS)),
        }
    }

    /// Names the approval a start redeemed, and the approver's terms, when it redeemed one.
    pub fn approved(
        mut self,
        approved: Option<&crate::domain::mode::ApprovedStart>,
    ) -> AuditRecord {
        if let Some(approved) = approved {
            self.request_id = Some(approved.request_id.clone());
            self.cause = Some(bounded(&approved.note, MAX_TEXT_CHARS));
        }
        self
    }

    /// Fills actor, target, tenant, reason and ticket from an impersonation.
    pub fn about(mut self, imp: &crate::domain::grant::Impersonation) -> AuditRecord {
        self.actor_sub = Some(imp.actor_sub.clone());
        self.actor_username = Some(imp.actor_username.clone());
        self.target_sub = Some(imp.target_sub.clone());
        self.target_username = Some(imp.target_username.clone());
        self.tenant = imp.tenant.clone();
        self.reason = imp.reason.clone();
        self.ticket = imp.ticket.clone();
        if imp.kind == crate::domain::grant::GrantKind::Impersonation {
            self.mode = Some(imp.mode);
        }
        self.break_glass = imp.break_glass;
        self.impersonation_id = Some(imp.id.clone());
        self
    }

    /// A start that failed is an event of its own for subscribers.
    pub fn detail_type(&self) -> &'static str {
        if self.outcome == OUTCOME_FAILED {
            "Impersonation Failed"
        } else {
            self.event.detail_type()
        }
    }

    pub fn expires_at(&self) -> i64 {
        self.at_millis.div_euclid(1000) + RETENTION_SECS
    }
}
