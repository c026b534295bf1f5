//! The audit table's stream as DynamoDB delivers it, for the stream consumers' tests: records
//! written as the audit store writes them, and the store's own decoder.

use crate::app::publish_events::StreamBatch;
use crate::domain::audit::AuditRecord;
use aws_lambda_events::event::dynamodb::EventRecord;

/// Decodes a stream image as the deployed consumers do (the audit store's decoder).
pub use crate::adapters::aws::dynamodb::audit::record_from_image;

/// One record of the stream: `operation` (`INSERT`, `MODIFY`, `REMOVE`) with this new image, if
/// any. The event types are `#[non_exhaustive]`: built from their defaults.
pub fn stream_record(operation: &str, new_image: Option<&AuditRecord>) -> EventRecord {
    let mut entry = EventRecord::default();
    entry.event_name = operation.to_string();
    entry.event_source = Some("aws:dynamodb".into());
    entry.aws_region = "us-east-1".into();
    if let Some(record) = new_image {
        let item = crate::adapters::aws::dynamodb::audit::audit_item(record);
        entry.change.new_image = serde_dynamo::Item::from(item);
    }
    entry
}

/// The stream batch DynamoDB would deliver for these records' inserts.
pub fn stream_batch(records: &[AuditRecord]) -> StreamBatch {
    let mut batch = StreamBatch::default();
    batch.records = records
        .iter()
        .map(|record| stream_record("INSERT", Some(record)))
        .collect();
    batch
}
