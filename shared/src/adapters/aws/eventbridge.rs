//! The EventBridge adapter of the event publisher port (source `actas`).

use crate::domain::audit::{AuditRecord, EVENT_SOURCE};
use crate::domain::error::{ActasError, Result};
use crate::ports::audit::EventPublisher;
use async_trait::async_trait;
use tracing::warn;

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
