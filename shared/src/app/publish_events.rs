//! The audit table's stream to EventBridge: every record written is published (source `actas`)
//! at least once; a failed publish fails the batch.

use crate::domain::audit::AuditRecord;
use crate::domain::error::Result;
use crate::ports::audit::EventPublisher;

/// How a stream record's new image becomes an audit record: the audit store adapter's mapping
/// (the audit store's `record_from_image` when deployed, wired by `bootstrap`).
pub type DecodeImage = fn(&serde_json::Value) -> Result<AuditRecord>;

/// Publishes the records of one batch of the audit table's stream (new images only) to
/// EventBridge. Any failure fails the batch, which the stream delivers again: at least once.
pub async fn publish_stream_batch(
    publisher: &dyn EventPublisher,
    batch: &serde_json::Value,
    decode: DecodeImage,
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
        let record = decode(&entry["dynamodb"]["NewImage"])?;
        publisher.publish(&record).await?;
        published += 1;
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::audit_trail::AuditTrail;
    use crate::domain::audit::AuditEvent;
    use crate::domain::audit::AuditRecord;
    use crate::domain::audit::RequestOrigin;
    use crate::domain::audit::OUTCOME_FAILED;
    use crate::domain::error::ActasError;
    use crate::ports::audit::AuditStore;
    use crate::ports::audit::EventPublisher;
    use crate::testkit::memory::{MemoryPublisher, MemoryStore};
    use crate::testkit::stream::{record_from_image, stream_batch};
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::Arc;

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
        assert_eq!(
            publish_stream_batch(&publisher, &batch, record_from_image)
                .await
                .unwrap(),
            2
        );
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
        assert!(publish_stream_batch(&Down, &batch, record_from_image)
            .await
            .is_err());
    }
}
