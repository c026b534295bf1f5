//! The audit table's stream to EventBridge: every record written is published (source `actas`)
//! at least once; a failed publish fails the batch.

use crate::domain::audit::AuditRecord;
use crate::domain::error::Result;
use crate::ports::audit::EventPublisher;

/// One batch of the audit table's stream, as Lambda delivers it (the event type of
/// `aws_lambda_events`: its records' images are DynamoDB's typed JSON, `serde_dynamo::Item`).
pub use aws_lambda_events::event::dynamodb::Event as StreamBatch;

/// How a stream record's new image becomes an audit record: the audit store adapter's mapping
/// (the audit store's `record_from_image` when deployed, wired by `bootstrap`).
pub type DecodeImage = fn(&serde_dynamo::Item) -> Result<AuditRecord>;

/// The audit records a batch inserted, in its order, decoded one at a time as they are read.
/// Only inserts are new events: a repeat counted into a window's record is a MODIFY (its image
/// is not read) and a record's expiry a REMOVE (it has none). An insert whose image is missing
/// or does not decode is an error, which fails the batch.
pub fn inserted_records(
    batch: &StreamBatch,
    decode: DecodeImage,
) -> impl Iterator<Item = Result<AuditRecord>> + '_ {
    batch
        .records
        .iter()
        .filter(|entry| entry.event_name == "INSERT")
        .map(move |entry| decode(&entry.change.new_image))
}

/// Publishes the records of one batch of the audit table's stream (new images only) to
/// EventBridge. Any failure fails the batch, which the stream delivers again: at least once.
pub async fn publish_stream_batch(
    publisher: &dyn EventPublisher,
    batch: &StreamBatch,
    decode: DecodeImage,
) -> Result<usize> {
    let mut published = 0;
    for record in inserted_records(batch, decode) {
        publisher.publish(&record?).await?;
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
    use crate::testkit::stream::{record_from_image, stream_batch, stream_record};
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
        batch.records.push(stream_record("MODIFY", None));
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

    /// One record as the local emulator (ministack's `_build_change_record`) builds it: every
    /// field it sends, `ApproximateCreationDateTime` an integer, and the images it has.
    fn emulator_record(operation: &str, new_image: Option<&AuditRecord>) -> serde_json::Value {
        let keys = json!({"pk": {"S": "AUDIT#R"}, "sk": {"S": "AUDIT"}});
        let mut change = json!({
            "ApproximateCreationDateTime": 1_764_000_000,
            "Keys": keys,
            "SequenceNumber": "000017640000000000000000001",
            "SizeBytes": 0,
            "StreamViewType": "NEW_IMAGE",
        });
        if let Some(record) = new_image {
            let image = stream_record(operation, Some(record)).change.new_image;
            change["NewImage"] = serde_json::to_value(image).unwrap();
        }
        json!({
            "eventID": "5f0c3c1e-0000-4000-8000-000000000001",
            "eventName": operation,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": change,
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/actas-AuditTable/stream/2026-01-01T00:00:00.000",
        })
    }

    #[tokio::test]
    async fn the_emulators_batch_reads_and_records_without_a_new_image_are_skipped() {
        let origin = RequestOrigin::default();
        let started = AuditRecord::new(AuditEvent::Started, 1_800_000_000_000, &origin);
        let mut counted = AuditRecord::new(AuditEvent::Denied, 1_800_000_000_001, &origin);
        counted.count = 2;
        let event = json!({"Records": [
            emulator_record("INSERT", Some(&started)),
            // A repeat counted into a window's record: a new image, but not a new event.
            emulator_record("MODIFY", Some(&counted)),
            // A MODIFY of a stream without images, and a record's expiry (TTL): no new image.
            emulator_record("MODIFY", None),
            emulator_record("REMOVE", None),
        ]});
        let batch: StreamBatch = serde_json::from_value(event).unwrap();
        assert_eq!(batch.records.len(), 4);
        let change = &batch.records[0].change;
        assert_eq!(
            change.approximate_creation_date_time.timestamp(),
            1_764_000_000
        );
        assert!(batch.records[3].change.new_image.is_empty());

        let publisher = MemoryPublisher::default();
        let published = publish_stream_batch(&publisher, &batch, record_from_image)
            .await
            .unwrap();
        assert_eq!(published, 1);
        assert_eq!(*publisher.published.lock().unwrap(), vec![started]);
    }

    #[tokio::test]
    async fn an_insert_without_a_new_image_or_with_one_that_does_not_decode_fails_the_batch() {
        let publisher = MemoryPublisher::default();
        let event = json!({"Records": [emulator_record("INSERT", None)]});
        let batch: StreamBatch = serde_json::from_value(event).unwrap();
        assert!(publish_stream_batch(&publisher, &batch, record_from_image)
            .await
            .is_err());

        let record = AuditRecord::new(AuditEvent::Started, 1_800_000_000_000, &Default::default());
        let mut event = json!({"Records": [emulator_record("INSERT", Some(&record))]});
        event["Records"][0]["dynamodb"]["NewImage"]["event"] = json!({"S": "no-such-event"});
        let batch: StreamBatch = serde_json::from_value(event).unwrap();
        assert!(publish_stream_batch(&publisher, &batch, record_from_image)
            .await
            .is_err());
        assert!(publisher.published.lock().unwrap().is_empty());
    }
}
