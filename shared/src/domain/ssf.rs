//! Shared Signals (OpenID SSF 1.0, CAEP 1.0): the subset actas transmits. Receivers (downstream
//! services registered by an admin), their push stream (RFC 8935), the Security Event Tokens
//! (RFC 8417) made from audit records, and the retry schedule of a delivery that failed.
//!
//! The subject of every session event is a complex subject (RFC 9493, as SSF 1.0 profiles it):
//! `{"format":"complex","session":{"format":"opaque","id":<impersonation id>},
//!   "user":{"format":"opaque","id":<target sub>}}` — the session id is the tokens'
//! `impersonation_id` claim, which is how a receiver matches a SET to the sessions it sees.

use crate::domain::audit::{AuditEvent, AuditRecord};
use crate::domain::error::{ActasError, Result};
use serde::Serialize;
use serde_json::{json, Map, Value};

pub const SPEC_VERSION: &str = "1_0";
/// RFC 8935 push delivery, the one delivery method actas offers.
pub const PUSH_DELIVERY: &str = "urn:ietf:rfc:8935";
pub const SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
pub const TOKEN_CLAIMS_CHANGE: &str =
    "https://schemas.openid.net/secevent/caep/event-type/token-claims-change";
pub const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";
/// RFC 8417 §2.3: the `typ` of a SET.
pub const SET_TYPE: &str = "secevent+jwt";

/// The events a stream may ask for (verification is always delivered when asked for).
pub const EVENTS_SUPPORTED: [&str; 2] = [SESSION_REVOKED, TOKEN_CLAIMS_CHANGE];

/// The longest a failed delivery waits before its next attempt.
pub const LONGEST_BACKOFF_MILLIS: i64 = 3_600_000;
/// A SET not delivered within this long is dropped (and counted as failed in the status).
pub const PENDING_KEPT_SECS: i64 = 3 * 86_400;

const MAX_URL_CHARS: usize = 2048;
const MAX_AUTHORIZATION_CHARS: usize = 4096;
const MAX_DESCRIPTION_CHARS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    /// Events are delivered.
    Enabled,
    /// Events are kept and delivered when the stream is enabled again.
    Paused,
    /// Events are neither delivered nor kept.
    Disabled,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Enabled => "enabled",
            StreamStatus::Paused => "paused",
            StreamStatus::Disabled => "disabled",
        }
    }

    pub fn parse(value: &str) -> Option<StreamStatus> {
        match value {
            "enabled" => Some(StreamStatus::Enabled),
            "paused" => Some(StreamStatus::Paused),
            "disabled" => Some(StreamStatus::Disabled),
            _ => None,
        }
    }
}

/// How deliveries to a stream have gone: what `GET /ssf/status` and `actas ssf status` show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryState {
    pub last_delivery_at_millis: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at_millis: Option<i64>,
    pub delivered: i64,
    /// SETs dropped after `PENDING_KEPT_SECS` of failed attempts.
    pub dropped: i64,
}

/// A receiver's push stream (one per receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub id: String,
    pub endpoint_url: String,
    /// The `Authorization` header value the receiver asked actas to send, sealed (KMS).
    pub authorization_sealed: Option<String>,
    pub events_requested: Vec<String>,
    pub description: Option<String>,
    pub status: StreamStatus,
    pub status_reason: Option<String>,
    pub created_at_millis: i64,
    pub delivery: DeliveryState,
}

impl Stream {
    /// What is delivered: the requested events actas supports.
    pub fn events_delivered(&self) -> Vec<String> {
        events_delivered(&self.events_requested)
    }

    pub fn wants(&self, event_type: &str) -> bool {
        event_type == VERIFICATION || self.events_delivered().iter().any(|e| e == event_type)
    }
}

pub fn events_delivered(requested: &[String]) -> Vec<String> {
    EVENTS_SUPPORTED
        .iter()
        .filter(|e| requested.iter().any(|r| r == *e))
        .map(|e| e.to_string())
        .collect()
}

/// A downstream service allowed to manage its stream: registered by an admin with the CLI, it
/// authenticates with `ssf.<id>.<secret>` (only the secret's hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    pub id: String,
    pub name: String,
    /// The `aud` of every SET it is sent.
    pub audience: String,
    pub secret_hash: String,
    pub created_at_millis: i64,
    pub stream: Option<Stream>,
}

/// A SET not yet accepted by its receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    pub receiver_id: String,
    pub jti: String,
    /// The signed SET (no secret in it: ids and the event).
    pub set: String,
    pub attempts: u32,
    pub next_attempt_at_millis: i64,
    pub created_at_millis: i64,
}

/// The wait before attempt `attempts + 1`: 10 s, 20 s, 40 s, ... at most an hour.
pub fn backoff_millis(attempts: u32) -> i64 {
    let doubled = 10_000_i64.saturating_mul(1_i64 << attempts.saturating_sub(1).min(20));
    doubled.min(LONGEST_BACKOFF_MILLIS)
}

/// A stream's new settings, as a receiver asked for them (`POST`, `PUT` or `PATCH /ssf/streams`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamRequest {
    pub stream_id: Option<String>,
    pub endpoint_url: Option<String>,
    /// `Some(None)`: asked to be cleared.
    pub authorization_header: Option<Option<String>>,
    pub events_requested: Option<Vec<String>>,
    pub description: Option<Option<String>>,
}

impl StreamRequest {
    /// Reads a stream configuration object (SSF 1.0). Unknown members are ignored, as
    /// the spec asks; members the transmitter decides (`iss`, `aud`, `events_supported`, ...)
    /// are read-only and ignored too. Malformed members are a 400, unusable ones a 422.
    pub fn parse(body: &Map<String, Value>) -> Result<StreamRequest> {
        let mut request = StreamRequest {
            stream_id: optional_string(body, "stream_id")?,
            ..StreamRequest::default()
        };
        if let Some(delivery) = body.get("delivery") {
            let delivery = delivery
                .as_object()
                .ok_or_else(|| ActasError::BadRequest("delivery must be an object".into()))?;
            if let Some(method) = optional_string(delivery, "method")? {
                if method != PUSH_DELIVERY {
                    return Err(ActasError::Unprocessable(format!(
                        "delivery method {method:?} is not supported (only {PUSH_DELIVERY}, push)"
                    )));
                }
            }
            if let Some(url) = optional_string(delivery, "endpoint_url")? {
                request.endpoint_url = Some(check_endpoint_url(&url)?);
            }
            if delivery.contains_key("authorization_header") {
                let value = optional_string(delivery, "authorization_header")?
                    .filter(|v| !v.trim().is_empty());
                if let Some(value) = &value {
                    if value.len() > MAX_AUTHORIZATION_CHARS
                        || value.chars().any(|c| c.is_control())
                    {
                        return Err(ActasError::Unprocessable(
                            "authorization_header must be one header value of at most 4096 characters".into(),
                        ));
                    }
                }
                request.authorization_header = Some(value);
            }
        }
        if let Some(events) = body.get("events_requested") {
            let list = events.as_array().ok_or_else(|| {
                ActasError::BadRequest("events_requested must be an array".into())
            })?;
            let mut requested = Vec::new();
            for event in list {
                let event = event.as_str().ok_or_else(|| {
                    ActasError::BadRequest("events_requested must be an array of strings".into())
                })?;
                if event.len() <= 256 && !requested.iter().any(|e| e == event) {
                    requested.push(event.to_string());
                }
            }
            request.events_requested = Some(requested);
        }
        if body.contains_key("description") {
            let description = optional_string(body, "description")?;
            if description
                .as_ref()
                .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
            {
                return Err(ActasError::Unprocessable(
                    "description must be at most 256 characters".into(),
                ));
            }
            request.description = Some(description);
        }
        Ok(request)
    }
}

fn optional_string(body: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ActasError::BadRequest(format!("{name} must be a string"))),
    }
}

/// An `http(s)` URL with a host, of sensible length: where SETs are pushed.
pub fn check_endpoint_url(url: &str) -> Result<String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(host)
            if !host.is_empty()
                && url.len() <= MAX_URL_CHARS
                && !url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(url.to_string())
        }
        _ => Err(ActasError::Unprocessable(
            "delivery.endpoint_url must be an http(s) URL".into(),
        )),
    }
}

/// The complex subject of a session: the impersonation id (the tokens' `impersonation_id`) and
/// the impersonated user's `sub`.
pub fn session_subject(impersonation_id: &str, user_sub: Option<&str>) -> Value {
    let mut subject = json!({
        "format": "complex",
        "session": {"format": "opaque", "id": impersonation_id},
    });
    if let Some(sub) = user_sub {
        subject["user"] = json!({"format": "opaque", "id": sub});
    }
    subject
}

/// Who ended a session, in CAEP's terms: the impersonator themself (`user`: a revert, the
/// banner's stop, a sign-out), an admin (`admin`: a stop by someone else), or a rule
/// (`policy`: the hard end, the idle timeout, a directory change the policy no longer allows).
fn initiating_entity(record: &AuditRecord) -> &'static str {
    let cause = record.cause.as_deref().unwrap_or_default();
    match record.event {
        AuditEvent::Reverted => "user",
        AuditEvent::Expired => "policy",
        _ if cause.contains("through the impersonated session") => "user",
        _ if cause.starts_with("stopped by ") => "admin",
        _ => "policy",
    }
}

/// The event a record stands for, if any: every impersonation that ends (`stopped`,
/// `reverted`, `expired`) is a CAEP `session-revoked` about its session.
pub fn event_of(record: &AuditRecord) -> Option<(&'static str, Value)> {
    if record.outcome != "success" {
        return None;
    }
    record
        .impersonation_id
        .as_deref()
        .filter(|id| !id.is_empty())?;
    match record.event {
        AuditEvent::Stopped | AuditEvent::Reverted | AuditEvent::Expired => {
            let reason = record
                .cause
                .clone()
                .unwrap_or_else(|| format!("the impersonation {}", record.event.as_str()));
            Some((
                SESSION_REVOKED,
                json!({
                    "event_timestamp": record.at_millis.div_euclid(1000),
                    "initiating_entity": initiating_entity(record),
                    "reason_admin": {"en": reason},
                }),
            ))
        }
        _ => None,
    }
}

/// A CAEP `token-claims-change` about a session whose mode became `mode` (the claim is the
/// tokens' `impersonation_mode`).
pub fn claims_change(mode: &str, at_secs: i64) -> Value {
    json!({
        "event_timestamp": at_secs,
        "initiating_entity": "admin",
        "claims": {"impersonation_mode": mode},
    })
}

/// The claims of one SET (RFC 8417, SSF 1.0): `iss`, `jti`, `iat`, `aud`, the subject
/// as a top-level `sub_id`, `txn` (the audit record it came from), and one event.
pub struct SetClaims<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub jti: &'a str,
    pub iat: i64,
    pub subject: Value,
    pub txn: Option<&'a str>,
    pub event_type: &'a str,
    pub event: Value,
}

impl SetClaims<'_> {
    pub fn to_json(&self) -> Value {
        let mut claims = json!({
            "iss": self.issuer,
            "jti": self.jti,
            "iat": self.iat,
            "aud": self.audience,
            "sub_id": self.subject,
            "events": {self.event_type: self.event},
        });
        if let Some(txn) = self.txn {
            claims["txn"] = json!(txn);
        }
        claims
    }
}

/// A SET's `jti` for one record and one receiver: the same on every delivery of the stream
/// batch, so a batch delivered twice does not make a second SET (the pending write is
/// conditional on it).
pub fn jti_for(record_id: &str, receiver_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{record_id}\n{receiver_id}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::RequestOrigin;

    fn ended(event: AuditEvent, cause: Option<&str>) -> AuditRecord {
        let mut record = AuditRecord::new(event, 1_800_000_000_500, &RequestOrigin::default());
        record.impersonation_id = Some("imp-1".into());
        record.target_sub = Some("target".into());
        record.cause = cause.map(str::to_string);
        record
    }

    #[test]
    fn every_end_is_a_session_revoked_with_who_ended_it() {
        let cases = [
            (AuditEvent::Stopped, Some("stopped by acme-admin"), "admin"),
            (
                AuditEvent::Stopped,
                Some("stopped by alice through the impersonated session"),
                "user",
            ),
            (
                AuditEvent::Stopped,
                Some("signed out by alice through the impersonated session"),
                "user",
            ),
            (
                AuditEvent::Stopped,
                Some("the actor was disabled"),
                "policy",
            ),
            (
                AuditEvent::Reverted,
                Some("reverted by the impersonator"),
                "user",
            ),
            (AuditEvent::Expired, Some("reached its hard end"), "policy"),
        ];
        for (event, cause, entity) in cases {
            let (kind, body) = event_of(&ended(event, cause)).expect("an event");
            assert_eq!(kind, SESSION_REVOKED);
            assert_eq!(body["initiating_entity"], entity, "{cause:?}");
            assert_eq!(body["event_timestamp"], 1_800_000_000);
            assert_eq!(body["reason_admin"]["en"], cause.unwrap());
        }
        for other in [
            AuditEvent::Started,
            AuditEvent::TokenIssued,
            AuditEvent::Denied,
        ] {
            assert!(event_of(&ended(other, None)).is_none(), "{other:?}");
        }
        let mut failed = ended(AuditEvent::Stopped, None);
        failed.outcome = "failed";
        assert!(event_of(&failed).is_none());
        let mut anonymous = ended(AuditEvent::Stopped, None);
        anonymous.impersonation_id = None;
        assert!(event_of(&anonymous).is_none());
    }

    #[test]
    fn a_stream_request_is_read_strictly() {
        let parse = |body: Value| StreamRequest::parse(body.as_object().unwrap());
        let good = parse(json!({
            "delivery": {"method": PUSH_DELIVERY, "endpoint_url": "https://svc.example/ssf", "authorization_header": "Bearer x"},
            "events_requested": [SESSION_REVOKED, SESSION_REVOKED, "urn:other"],
            "description": "svc",
            "iss": "ignored",
        }))
        .unwrap();
        assert_eq!(
            good.endpoint_url.as_deref(),
            Some("https://svc.example/ssf")
        );
        assert_eq!(good.authorization_header, Some(Some("Bearer x".into())));
        assert_eq!(
            events_delivered(good.events_requested.as_ref().unwrap()),
            [SESSION_REVOKED]
        );
        let cases = [
            (json!({"delivery": "x"}), 400),
            (json!({"delivery": {"method": "urn:ietf:rfc:8936"}}), 422),
            (json!({"delivery": {"endpoint_url": "ftp://x"}}), 422),
            (json!({"delivery": {"endpoint_url": "https://"}}), 422),
            (json!({"delivery": {"endpoint_url": 5}}), 400),
            (json!({"events_requested": "x"}), 400),
            (json!({"events_requested": [1]}), 400),
            (json!({"stream_id": 1}), 400),
            (json!({"description": "d".repeat(257)}), 422),
        ];
        for (body, status) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.status(), status, "{body}");
        }
    }

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff_millis(1), 10_000);
        assert_eq!(backoff_millis(2), 20_000);
        assert_eq!(backoff_millis(3), 40_000);
        assert_eq!(backoff_millis(40), LONGEST_BACKOFF_MILLIS);
    }

    #[test]
    fn a_jti_is_stable_per_record_and_receiver() {
        assert_eq!(jti_for("r1", "a"), jti_for("r1", "a"));
        assert_ne!(jti_for("r1", "a"), jti_for("r1", "b"));
        assert_eq!(jti_for("r1", "a").len(), 36);
    }

    #[test]
    fn set_claims_carry_the_session_subject() {
        let claims = SetClaims {
            issuer: "https://actas.example/v1",
            audience: "svc",
            jti: "j",
            iat: 5,
            subject: session_subject("imp-1", Some("u")),
            txn: Some("rec"),
            event_type: SESSION_REVOKED,
            event: json!({"event_timestamp": 5}),
        }
        .to_json();
        assert_eq!(claims["sub_id"]["format"], "complex");
        assert_eq!(claims["sub_id"]["session"]["id"], "imp-1");
        assert_eq!(claims["sub_id"]["user"]["id"], "u");
        assert_eq!(claims["events"][SESSION_REVOKED]["event_timestamp"], 5);
        assert_eq!(claims["txn"], "rec");
    }
}
