//! The audit table's stream as DynamoDB delivers it, for the stream consumers' tests: records
//! written as the audit store writes them, and the store's own decoder.

use crate::domain::audit::AuditRecord;
use serde_json::{json, Value};

/// Decodes a stream image as the deployed consumers do (the audit store's decoder).
pub use crate::adapters::aws::dynamodb::audit::record_from_image;

/// The stream batch DynamoDB would deliver for these records' inserts.
pub fn stream_batch(records: &[AuditRecord]) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue;
    let entries: Vec<Value> = records
        .iter()
        .map(|record| {
            let image: serde_json::Map<String, Value> =
                crate::adapters::aws::dynamodb::audit::audit_item(record)
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
