//! The audit trail: every start, token issue, exchange, revert, stop, expiry and every refused
//! attempt. Each record is kept in the table for 400 days, written as a structured log line, and
//! published to EventBridge (source `actas`) for notifications and webhooks.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use tracing::{info, warn};

use crate::clock::rfc3339_millis;
use crate::error::{ActasError, Result};

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
            impersonation_id: None,
            source_ip: origin.source_ip.as_deref().map(|ip| bounded(ip, 64)),
            user_agent: origin
                .user_agent
                .as_deref()
                .map(|agent| bounded(agent, MAX_TEXT_CHARS)),
        }
    }

    /// Fills actor, target, tenant, reason and ticket from an impersonation.
    pub fn about(mut self, imp: &crate::store::Impersonation) -> AuditRecord {
        self.actor_sub = Some(imp.actor_sub.clone());
        self.actor_username = Some(imp.actor_username.clone());
        self.target_sub = Some(imp.target_sub.clone());
        self.target_username = Some(imp.target_username.clone());
        self.tenant = imp.tenant.clone();
        self.reason = imp.reason.clone();
        self.ticket = imp.ticket.clone();
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

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn put_audit(&self, record: &AuditRecord) -> Result<()>;
    /// Writes the record if its id is new; otherwise counts one more attempt in the record
    /// already there. Returns whether it was new.
    async fn put_audit_counted(&self, record: &AuditRecord) -> Result<bool>;
    /// Records of one tenant (`None`: no tenant) at or after `since_millis`, oldest first.
    async fn audit_for_tenant(
        &self,
        tenant: Option<&str>,
        since_millis: i64,
    ) -> Result<Vec<AuditRecord>>;
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, record: &AuditRecord) -> Result<()>;
}

pub struct EventBridgePublisher {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        EventBridgePublisher {
            client,
            bus: bus.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, record: &AuditRecord) -> Result<()> {
        let detail =
            serde_json::to_string(record).map_err(|e| ActasError::Internal(e.to_string()))?;
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .source(EVENT_SOURCE)
            .detail_type(record.detail_type())
            .detail(detail)
            .event_bus_name(&self.bus)
            .build();
        let output = self.client.put_events().entries(entry).send().await.map_err(|e| {
            warn!(error = %aws_sdk_eventbridge::error::DisplayErrorContext(&e), "PutEvents failed");
            ActasError::Upstream("PutEvents".into())
        })?;
        if output.failed_entry_count() > 0 {
            return Err(ActasError::Upstream("PutEvents: an entry failed".into()));
        }
        Ok(())
    }
}

/// Writes audit records and logs them. Events are published from the audit table's stream (the
/// publish-events function), so a record that is written is announced at least once, whatever
/// happens to the function that wrote it.
#[derive(Clone)]
pub struct AuditTrail {
    pub store: Arc<dyn AuditStore>,
}

impl AuditTrail {
    /// Writes the record (an error here fails the caller) and logs it.
    pub async fn record(&self, record: &AuditRecord) -> Result<()> {
        self.store.put_audit(record).await?;
        log_record(record);
        Ok(())
    }

    /// An unauthenticated refusal: one record per source and minute, counting the attempts, so
    /// a flood of anonymous requests cannot flood the trail (nor its 400 days of retention).
    pub async fn record_unauthenticated(&self, record: &AuditRecord) -> Result<()> {
        let minute = record.at_millis.div_euclid(60_000);
        let source = record.source_ip.as_deref().unwrap_or("unknown");
        let mut windowed = record.clone();
        windowed.id = format!("unauth-{}-{minute}", bounded(source, 64));
        if self.store.put_audit_counted(&windowed).await? {
            log_record(&windowed);
        }
        Ok(())
    }
}

fn log_record(record: &AuditRecord) {
    info!(
        audit_id = %record.id,
        event = record.event.as_str(),
        outcome = record.outcome,
        cause = record.cause.as_deref(),
        actor = record.actor_username.as_deref(),
        target = record.target_username.as_deref(),
        tenant = record.tenant.as_deref(),
        impersonation_id = record.impersonation_id.as_deref(),
        source_ip = record.source_ip.as_deref(),
        "audit"
    );
}

/// Publishes the records of one batch of the audit table's stream (new images only) to
/// EventBridge. Any failure fails the batch, which the stream delivers again: at least once.
pub async fn publish_stream_batch(
    publisher: &dyn EventPublisher,
    batch: &serde_json::Value,
) -> Result<usize> {
    let mut published = 0;
    for entry in batch["Records"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if entry["eventName"] != "INSERT" {
            continue; // a repeat counted into a window's record is not a new event
        }
        let record = record_from_image(&entry["dynamodb"]["NewImage"])?;
        publisher.publish(&record).await?;
        published += 1;
    }
    Ok(published)
}

/// An audit record from a stream image (DynamoDB's JSON: `{"S": ...}`, `{"N": ...}`).
pub fn record_from_image(image: &serde_json::Value) -> Result<AuditRecord> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let fields = image
        .as_object()
        .ok_or_else(|| ActasError::Internal("a stream record without a new image".into()))?;
    let item = fields
        .iter()
        .filter_map(|(name, value)| {
            let value = if let Some(text) = value["S"].as_str() {
                AttributeValue::S(text.to_string())
            } else {
                AttributeValue::N(value["N"].as_str()?.to_string())
            };
            Some((name.clone(), value))
        })
        .collect();
    crate::dynamodb_audit::audit_from(&item)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::memory::{MemoryPublisher, MemoryStore};
    use serde_json::{json, Value};

    /// The stream batch DynamoDB would deliver for these records' inserts.
    pub(crate) fn stream_batch(records: &[AuditRecord]) -> Value {
        use aws_sdk_dynamodb::types::AttributeValue;
        let entries: Vec<Value> = records
            .iter()
            .map(|record| {
                let image: serde_json::Map<String, Value> =
                    crate::dynamodb_audit::audit_item(record)
                        .into_iter()
                        .map(|(name, value)| {
                            let typed = match value {
                                AttributeValue::N(n) => json!({"N": n}),
                                AttributeValue::S(s) => json!({"S": s}),
                                other => panic!("unexpected attribute {other:?}"),
                            };
                            (name, typed)
                        })
                        .collect();
                json!({"eventName": "INSERT", "dynamodb": {"NewImage": image}})
            })
            .collect();
        json!({"Records": entries})
    }

    #[tokio::test]
    async fn unauthenticated_refusals_count_into_one_record_per_source_and_minute() {
        let store = Arc::new(MemoryStore::default());
        let trail = AuditTrail {
            store: store.clone(),
        };
        let origin = RequestOrigin {
            source_ip: Some("198.51.100.7".into()),
            ..RequestOrigin::default()
        };
        let at = 1_800_000_000_000;
        for offset in [0, 1_000, 59_000, 60_000] {
            let record = AuditRecord::new(AuditEvent::Denied, at + offset, &origin);
            trail.record_unauthenticated(&record).await.unwrap();
        }
        let other = RequestOrigin {
            source_ip: Some("198.51.100.8".into()),
            ..RequestOrigin::default()
        };
        let record = AuditRecord::new(AuditEvent::Denied, at, &other);
        trail.record_unauthenticated(&record).await.unwrap();
        let records = store.audit_for_tenant(None, 0).await.unwrap();
        let counts: Vec<u32> = records.iter().map(|r| r.count).collect();
        assert_eq!(counts, [3, 1, 1], "{records:?}");
    }

    #[tokio::test]
    async fn only_inserts_are_published_and_a_failure_fails_the_batch() {
        let origin = RequestOrigin::default();
        let mut failed = AuditRecord::new(AuditEvent::Started, 1_800_000_000_000, &origin);
        failed.outcome = OUTCOME_FAILED;
        failed.cause = Some("the session could not be minted".into());
        let records = vec![
            failed,
            AuditRecord::new(AuditEvent::Stopped, 1_800_000_000_001, &origin),
        ];
        let mut batch = stream_batch(&records);
        batch["Records"]
            .as_array_mut()
            .unwrap()
            .push(json!({"eventName": "MODIFY", "dynamodb": {"NewImage": {}}}));
        let publisher = MemoryPublisher::default();
        assert_eq!(publish_stream_batch(&publisher, &batch).await.unwrap(), 2);
        let published = publisher.published.lock().unwrap().clone();
        assert_eq!(published, records);
        assert_eq!(published[0].detail_type(), "Impersonation Failed");

        struct Down;
        #[async_trait]
        impl EventPublisher for Down {
            async fn publish(&self, _: &AuditRecord) -> Result<()> {
                Err(ActasError::Upstream("PutEvents".into()))
            }
        }
        assert!(publish_stream_batch(&Down, &batch).await.is_err());
    }
}
