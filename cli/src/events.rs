//! `actas events replay`: re-sends the audit events no stream consumer could handle.
//!
//!   actas events replay [--stack-file .local/stack.json] [--dry-run]
//!
//! A consumer of the audit stream (publish-events, notices) that fails on a batch retries it,
//! then Lambda sends a description of the batch to the failed-events queue: the stream, the
//! shard and the first and last sequence numbers (`DDBStreamBatchInfo`), and the function
//! (`requestContext.functionArn`) — not the records. Replay reads the batch's records back from
//! the stream (DynamoDB Streams keeps them 24 hours), invokes that function with them in the
//! event Lambda gives a stream consumer (`{"Records": [...]}`), and deletes the message only when
//! the function succeeds. The consumers deliver at least once, so records of the batch that had
//! gone through before it failed go through again.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;

use aws_sdk_dynamodbstreams::primitives::Blob;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_lambda::error::DisplayErrorContext;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::doctor::{queue_name, sdk_config, stream_consumers};
use crate::{CliResult, StackFile};

pub const USAGE: &str = "usage: actas events replay [--stack-file FILE] [--dry-run] [--json]";

/// How long a message being replayed stays invisible to another replay.
const VISIBILITY_SECS: i32 = 120;

/// A failed batch as Lambda describes it in the on-failure destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedBatch {
    pub function_arn: String,
    pub stream_arn: String,
    pub shard_id: String,
    pub start_sequence_number: String,
    pub end_sequence_number: String,
    pub batch_size: Option<u64>,
    /// `RetryAttemptsExhausted`, `MaxRecordAgeExceeded`, ...
    pub condition: Option<String>,
}

impl FailedBatch {
    /// Reads an on-failure record of a DynamoDB stream's event source mapping.
    pub fn parse(body: &str) -> CliResult<FailedBatch> {
        let message: Value = serde_json::from_str(body)?;
        let info = &message["DDBStreamBatchInfo"];
        let text = |value: &Value, name: &str| -> CliResult<String> {
            value[name]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("not a stream batch description: no {name}").into())
        };
        Ok(FailedBatch {
            function_arn: text(&message["requestContext"], "functionArn")?,
            stream_arn: text(info, "streamArn")?,
            shard_id: text(info, "shardId")?,
            start_sequence_number: text(info, "startSequenceNumber")?,
            end_sequence_number: text(info, "endSequenceNumber")?,
            batch_size: info["batchSize"].as_u64(),
            condition: message["requestContext"]["condition"]
                .as_str()
                .map(str::to_string),
        })
    }

    /// The function's name (the ARN's last part, without a qualifier).
    pub fn function_name(&self) -> &str {
        function_name_of(&self.function_arn)
    }
}

fn function_name_of(arn: &str) -> &str {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        [_, _, _, _, _, "function", name, ..] => name,
        _ => arn,
    }
}

/// What became of one message of the queue.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReplay {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<FailedBatch>,
    /// The records read back from the stream, one line each.
    pub records: Vec<String>,
    /// `replayed` (invoked, message deleted), `would replay` (dry run), or `kept: <why>`.
    pub outcome: String,
}

impl BatchReplay {
    pub fn replayed(&self) -> bool {
        self.outcome == "replayed"
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayReport {
    pub dry_run: bool,
    pub queues: Vec<String>,
    pub batches: Vec<BatchReplay>,
}

impl ReplayReport {
    /// Every message was replayed (or, in a dry run, could be).
    pub fn complete(&self) -> bool {
        self.batches
            .iter()
            .all(|b| b.replayed() || b.outcome == "would replay")
    }
}

/// A queue's URL and how many messages it holds (visible and in flight), from its ARN.
pub async fn queue_depth(sqs: &aws_sdk_sqs::Client, arn: &str) -> CliResult<(String, u64)> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let url = queue_url(sqs, arn).await?;
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| format!("GetQueueAttributes {arn}: {}", DisplayErrorContext(&e)))?;
    let count = |name: QueueAttributeName| {
        attributes
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let depth = count(QueueAttributeName::ApproximateNumberOfMessages)
        + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible);
    Ok((url, depth))
}

async fn queue_url(sqs: &aws_sdk_sqs::Client, arn: &str) -> CliResult<String> {
    let account = arn.split(':').nth(4).filter(|a| !a.is_empty());
    Ok(sqs
        .get_queue_url()
        .queue_name(queue_name(arn))
        .set_queue_owner_aws_account_id(account.map(str::to_string))
        .send()
        .await
        .map_err(|e| format!("GetQueueUrl {arn}: {}", DisplayErrorContext(&e)))?
        .queue_url()
        .ok_or_else(|| format!("no URL for {arn}"))?
        .to_string())
}

/// `actas events replay`.
pub async fn run(stack_file: &Path, dry_run: bool) -> CliResult<ReplayReport> {
    let stack = StackFile::load(stack_file)?;
    let sdk = sdk_config(&stack).await;
    replay(&sdk, &stack, dry_run).await
}

/// Replays every message of the stack's failed-events queue(s).
pub async fn replay(
    sdk: &aws_config::SdkConfig,
    stack: &StackFile,
    dry_run: bool,
) -> CliResult<ReplayReport> {
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let streams = aws_sdk_dynamodbstreams::Client::new(sdk);
    let consumers = stream_consumers(&lambda, stack).await?;
    let mut queues: Vec<String> = consumers
        .iter()
        .filter_map(|c| c.on_failure.clone())
        .collect();
    queues.sort();
    queues.dedup();
    if queues.is_empty() {
        return Err(
            "the stream consumers have no on-failure destination (no failed-events queue)".into(),
        );
    }
    // Only this stack's consumers are invoked, whatever a message names.
    let ours: Vec<&str> = consumers.iter().map(|c| c.function_name.as_str()).collect();
    let mut report = ReplayReport {
        dry_run,
        queues: queues.iter().map(|q| queue_name(q).to_string()).collect(),
        batches: Vec::new(),
    };
    for arn in &queues {
        let url = queue_url(&sqs, arn).await?;
        let mut seen: Vec<String> = Vec::new();
        let mut to_release = Vec::new();
        loop {
            let received = sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .visibility_timeout(VISIBILITY_SECS)
                .wait_time_seconds(1)
                .send()
                .await
                .map_err(|e| format!("ReceiveMessage {arn}: {}", DisplayErrorContext(&e)))?;
            let messages = received.messages();
            if messages.is_empty() {
                break;
            }
            let mut fresh = 0;
            for message in messages {
                let id = message.message_id().unwrap_or_default().to_string();
                let receipt = message.receipt_handle().unwrap_or_default().to_string();
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id.clone());
                fresh += 1;
                let replay = replay_message(
                    &lambda,
                    &streams,
                    &ours,
                    &id,
                    message.body().unwrap_or_default(),
                    dry_run,
                )
                .await;
                if replay.replayed() {
                    sqs.delete_message()
                        .queue_url(&url)
                        .receipt_handle(&receipt)
                        .send()
                        .await
                        .map_err(|e| {
                            format!(
                                "replayed {id}, but DeleteMessage failed (it will be replayed again): {}",
                                DisplayErrorContext(&e)
                            )
                        })?;
                } else {
                    to_release.push(receipt);
                }
                report.batches.push(replay);
            }
            if fresh == 0 {
                break;
            }
        }
        // What was not replayed is visible again at once, for the next replay or the alarm.
        for receipt in to_release {
            let _ = sqs
                .change_message_visibility()
                .queue_url(&url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send()
                .await;
        }
    }
    Ok(report)
}

async fn replay_message(
    lambda: &aws_sdk_lambda::Client,
    streams: &aws_sdk_dynamodbstreams::Client,
    ours: &[&str],
    message_id: &str,
    body: &str,
    dry_run: bool,
) -> BatchReplay {
    let mut replay = BatchReplay {
        message_id: message_id.to_string(),
        batch: None,
        records: Vec::new(),
        outcome: String::new(),
    };
    let batch = match FailedBatch::parse(body) {
        Ok(batch) => batch,
        Err(e) => {
            replay.outcome = format!("kept: {e}");
            return replay;
        }
    };
    replay.batch = Some(batch.clone());
    if !ours.contains(&batch.function_name()) {
        replay.outcome = format!(
            "kept: {} is not a stream consumer of this stack",
            batch.function_name()
        );
        return replay;
    }
    let records = match read_batch(streams, &batch).await {
        Ok(records) => records,
        Err(e) => {
            replay.outcome = format!("kept: {e}");
            return replay;
        }
    };
    replay.records = records.iter().map(describe_record).collect();
    if dry_run {
        replay.outcome = "would replay".into();
        return replay;
    }
    let event = json!({ "Records": records });
    match lambda
        .invoke()
        .function_name(&batch.function_arn)
        .payload(aws_sdk_lambda::primitives::Blob::new(event.to_string()))
        .send()
        .await
    {
        Ok(output) if output.function_error().is_none() => replay.outcome = "replayed".into(),
        Ok(output) => {
            let answer = output
                .payload()
                .map(|p| {
                    String::from_utf8_lossy(p.as_ref())
                        .chars()
                        .take(300)
                        .collect::<String>()
                })
                .unwrap_or_default();
            replay.outcome = format!(
                "kept: {} failed again ({}): {answer}",
                batch.function_name(),
                output.function_error().unwrap_or_default()
            );
        }
        Err(e) => {
            replay.outcome = format!(
                "kept: Invoke {}: {}",
                batch.function_name(),
                DisplayErrorContext(&e)
            );
        }
    }
    replay
}

/// Compares two sequence numbers (decimal strings of any length).
fn sequence_order(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// How many empty pages in a row end a read (an open shard can answer empty pages before the
/// records; AWS says to keep reading).
const EMPTY_PAGES: usize = 5;

/// The batch's records, read back from the stream, as Lambda hands them to a consumer.
pub async fn read_batch(
    streams: &aws_sdk_dynamodbstreams::Client,
    batch: &FailedBatch,
) -> CliResult<Vec<Value>> {
    let mut iterator = streams
        .get_shard_iterator()
        .stream_arn(&batch.stream_arn)
        .shard_id(&batch.shard_id)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(&batch.start_sequence_number)
        .send()
        .await
        .map_err(|e| trimmed_or(e, "GetShardIterator"))?
        .shard_iterator
        .ok_or("GetShardIterator: no iterator")?;
    let mut records = Vec::new();
    let mut empty = 0;
    loop {
        let page = streams
            .get_records()
            .shard_iterator(&iterator)
            .limit(1000)
            .send()
            .await
            .map_err(|e| trimmed_or(e, "GetRecords"))?;
        if page.records().is_empty() {
            empty += 1;
        } else {
            empty = 0;
        }
        for record in page.records() {
            let sequence = record
                .dynamodb()
                .and_then(|d| d.sequence_number())
                .unwrap_or_default();
            if sequence_order(sequence, &batch.end_sequence_number) == Ordering::Greater {
                return Ok(records);
            }
            records.push(lambda_record(record, &batch.stream_arn));
            if sequence_order(sequence, &batch.end_sequence_number) == Ordering::Equal {
                return Ok(records);
            }
        }
        match page.next_shard_iterator() {
            Some(next) if empty < EMPTY_PAGES => iterator = next.to_string(),
            _ => break,
        }
    }
    if records.is_empty() {
        return Err(format!(
            "the stream holds no records from {} to {}",
            batch.start_sequence_number, batch.end_sequence_number
        )
        .into());
    }
    // The shard ended (or stayed empty) before the batch's last record: replay what there is.
    Ok(records)
}

fn trimmed_or<E, R>(err: aws_sdk_dynamodbstreams::error::SdkError<E, R>, call: &str) -> String
where
    E: std::error::Error + aws_sdk_dynamodbstreams::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_dynamodbstreams::error::ProvideErrorMetadata;
    match err.code() {
        Some("TrimmedDataAccessException") | Some("ResourceNotFoundException") => format!(
            "the stream no longer holds this batch (DynamoDB Streams keeps records 24 hours; \
             the audit records themselves are in the audit table: actas audit --tenant T --since \
             EPOCH_MS): {}",
            err.message().unwrap_or_default()
        ),
        _ => format!(
            "{call}: {}",
            aws_sdk_dynamodbstreams::error::DisplayErrorContext(&err)
        ),
    }
}

/// A Streams record as Lambda puts it into a consumer's event (`eventSourceARN` added; images in
/// DynamoDB's JSON).
pub fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let mut entry = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            entry.insert(name.to_string(), value);
        }
    };
    put("eventID", record.event_id().map(|v| json!(v)));
    put("eventName", record.event_name().map(|v| json!(v.as_str())));
    put("eventVersion", record.event_version().map(|v| json!(v)));
    put("eventSource", record.event_source().map(|v| json!(v)));
    put("awsRegion", record.aws_region().map(|v| json!(v)));
    if let Some(stream) = record.dynamodb() {
        let mut change = Map::new();
        let mut set = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                change.insert(name.to_string(), value);
            }
        };
        set(
            "ApproximateCreationDateTime",
            stream
                .approximate_creation_date_time()
                .map(|t| json!(t.secs())),
        );
        set("Keys", stream.keys().map(image));
        set("NewImage", stream.new_image().map(image));
        set("OldImage", stream.old_image().map(image));
        set("SequenceNumber", stream.sequence_number().map(|v| json!(v)));
        set("SizeBytes", stream.size_bytes().map(|v| json!(v)));
        set(
            "StreamViewType",
            stream.stream_view_type().map(|v| json!(v.as_str())),
        );
        put("dynamodb", Some(Value::Object(change)));
    }
    put(
        "userIdentity",
        record
            .user_identity()
            .map(|u| json!({"type": u.r#type(), "principalId": u.principal_id()})),
    );
    put("eventSourceARN", Some(json!(stream_arn)));
    Value::Object(entry)
}

fn image(attributes: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        attributes
            .iter()
            .map(|(name, value)| (name.clone(), attribute(value)))
            .collect(),
    )
}

/// An attribute value in DynamoDB's JSON (`{"S": "..."}`, `{"N": "1"}`, binary as base64).
fn attribute(value: &AttributeValue) -> Value {
    let blob = |b: &Blob| json!(STANDARD.encode(b.as_ref()));
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": blob(b) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(n) => json!({ "NULL": n }),
        AttributeValue::Ss(values) => json!({ "SS": values }),
        AttributeValue::Ns(values) => json!({ "NS": values }),
        AttributeValue::Bs(values) => {
            json!({ "BS": values.iter().map(blob).collect::<Vec<_>>() })
        }
        AttributeValue::L(values) => {
            json!({ "L": values.iter().map(attribute).collect::<Vec<_>>() })
        }
        AttributeValue::M(map) => json!({ "M": image(map) }),
        _ => Value::Null,
    }
}

/// One line for a record: its audit event, impersonation and tenant when it is an audit record.
fn describe_record(record: &Value) -> String {
    let sequence = record["dynamodb"]["SequenceNumber"].as_str().unwrap_or("?");
    let operation = record["eventName"].as_str().unwrap_or("?");
    // The image as the consumers read it (DynamoDB's typed JSON), then as they decode it.
    let audit = serde_json::from_value(record["dynamodb"]["NewImage"].clone())
        .map_err(|e| e.to_string())
        .and_then(|image| {
            actas::adapters::aws::dynamodb::audit::record_from_image(&image)
                .map_err(|e| e.to_string())
        });
    match audit {
        Ok(audit) => format!(
            "{sequence} {operation}: {} {} (impersonation {}, tenant {})",
            audit.event.as_str(),
            audit.outcome,
            audit.impersonation_id.as_deref().unwrap_or("-"),
            audit.tenant.as_deref().unwrap_or("-"),
        ),
        Err(_) => format!("{sequence} {operation}"),
    }
}

/// What replay did, as the command prints it.
pub fn describe(report: &ReplayReport) -> String {
    let mut lines = Vec::new();
    if report.batches.is_empty() {
        lines.push(format!(
            "Nothing to replay: {} is empty.",
            report.queues.join(", ")
        ));
        return lines.join("\n");
    }
    for replay in &report.batches {
        match &replay.batch {
            Some(batch) => lines.push(format!(
                "{} {} record(s) to {} (sequence {}..{}{}): {}",
                if replay.replayed() {
                    "Replayed"
                } else if report.dry_run {
                    "Would replay"
                } else {
                    "Did not replay"
                },
                replay.records.len(),
                batch.function_name(),
                batch.start_sequence_number,
                batch.end_sequence_number,
                batch
                    .condition
                    .as_deref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default(),
                replay.outcome,
            )),
            None => lines.push(format!("Message {}: {}", replay.message_id, replay.outcome)),
        }
        lines.extend(replay.records.iter().map(|r| format!("  {r}")));
    }
    let replayed = report.batches.iter().filter(|b| b.replayed()).count();
    let kept = report
        .batches
        .iter()
        .filter(|b| b.outcome.starts_with("kept"))
        .count();
    lines.push(if report.dry_run {
        format!(
            "Dry run: {} message(s) read, nothing invoked or deleted.",
            report.batches.len()
        )
    } else {
        format!("{replayed} message(s) replayed and deleted, {kept} kept in the queue.")
    });
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_record_names_the_function_and_the_batch() {
        let body = json!({
            "requestContext": {"functionArn": "arn:aws:lambda:us-east-1:1:function:actas-Publish:$LATEST", "condition": "RetryAttemptsExhausted"},
            "DDBStreamBatchInfo": {
                "shardId": "shardId-1", "startSequenceNumber": "100", "endSequenceNumber": "1000",
                "batchSize": 3, "streamArn": "arn:aws:dynamodb:us-east-1:1:table/t/stream/x"
            }
        });
        let batch = FailedBatch::parse(&body.to_string()).expect("a batch");
        assert_eq!(batch.function_name(), "actas-Publish");
        assert_eq!(batch.batch_size, Some(3));
        assert!(FailedBatch::parse("{\"hello\": 1}").is_err());
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert_eq!(sequence_order("900", "1000"), Ordering::Less);
        assert_eq!(sequence_order("0100", "100"), Ordering::Equal);
        assert_eq!(sequence_order("21", "3"), Ordering::Greater);
    }

    /// A record read from DynamoDB Streams, as replay hands it to a stream consumer: it reads as
    /// the typed batch the consumers take, and its image decodes as the audit record written.
    #[test]
    fn a_replayed_record_reads_as_the_consumers_batch() {
        use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};
        let origin = actas::domain::audit::RequestOrigin::default();
        let written = actas::domain::audit::AuditRecord::new(
            actas::domain::audit::AuditEvent::Started,
            1_800_000_000_000,
            &origin,
        );
        let image = actas::adapters::aws::dynamodb::audit::audit_item(&written)
            .into_iter()
            .map(|(name, value)| {
                let value = match value {
                    aws_sdk_dynamodb::types::AttributeValue::S(s) => AttributeValue::S(s),
                    aws_sdk_dynamodb::types::AttributeValue::N(n) => AttributeValue::N(n),
                    other => panic!("unexpected attribute {other:?}"),
                };
                (name, value)
            })
            .collect();
        let record = Record::builder()
            .event_id("1")
            .event_name(OperationType::Insert)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("us-east-1")
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(
                        aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(1_800_000_000),
                    )
                    .set_new_image(Some(image))
                    .sequence_number("100")
                    .size_bytes(300)
                    .stream_view_type(StreamViewType::NewImage)
                    .build(),
            )
            .build();
        let entry = lambda_record(&record, "arn:aws:dynamodb:us-east-1:1:table/t/stream/x");
        let batch: actas::app::publish_events::StreamBatch =
            serde_json::from_value(json!({ "Records": [entry.clone()] })).expect("a stream batch");
        let decoded = actas::adapters::aws::dynamodb::audit::record_from_image(
            &batch.records[0].change.new_image,
        )
        .expect("an audit record");
        assert_eq!(decoded, written);
        assert!(describe_record(&entry).starts_with("100 INSERT: started success"));
    }
}
