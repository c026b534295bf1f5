//! The DynamoDB adapter of the audit trail: its own table, append-only (`PutItem` of new
//! records; the one `UpdateItem` counts repeats of an unauthenticated refusal in its window's
//! record), TTL after 400 days, an index by tenant and time, and a stream (new images) that
//! the publish-events function turns into EventBridge events, at least once.

use crate::adapters::aws::dynamodb::filtered_page;
use crate::adapters::aws::dynamodb::items::{
    decode_page_token, encode_page_token, insert_optional, tenant_partition,
};
use crate::adapters::aws::dynamodb::{
    condition_failed, get_n, get_opt_s, get_s, key, n, query_all, s, upstream, Item,
};
use crate::domain::audit::{AuditEvent, AuditRecord};
use crate::domain::error::{ActasError, Result};
use crate::domain::mode::Mode;
use crate::ports::audit::{AuditPage, AuditQuery, AuditScope, AuditStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

const AUDIT_SK: &str = "AUDIT";

/// The partition of `gsi2`, which holds every record (sort: time, then id).
const ALL_AUDIT: &str = "AUDIT";

pub struct DynamoAuditStore {
    client: Client,
    table: String,
}

impl DynamoAuditStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoAuditStore {
            client,
            table: table.into(),
        }
    }
}

pub fn audit_item(record: &AuditRecord) -> Item {
    let mut item = key(format!("AUDIT#{}", record.id), AUDIT_SK);
    item.extend([
        ("id".to_string(), s(&record.id)),
        ("at".to_string(), n(record.at_millis)),
        ("event".to_string(), s(record.event.as_str())),
        ("outcome".to_string(), s(record.outcome)),
        ("count".to_string(), n(i64::from(record.count))),
        ("expires_at".to_string(), n(record.expires_at())),
        (
            "gsi1pk".to_string(),
            s(tenant_partition(record.tenant.as_deref())),
        ),
        (
            "gsi1sk".to_string(),
            s(format!("{:013}#{}", record.at_millis, record.id)),
        ),
        // Every tenant's trail, for super-admins.
        ("gsi2pk".to_string(), s(ALL_AUDIT)),
        (
            "gsi2sk".to_string(),
            s(format!("{:013}#{}", record.at_millis, record.id)),
        ),
    ]);
    let optional = [
        ("cause", &record.cause),
        ("actor_sub", &record.actor_sub),
        ("actor_username", &record.actor_username),
        ("target_sub", &record.target_sub),
        ("target_username", &record.target_username),
        ("tenant", &record.tenant),
        ("reason", &record.reason),
        ("ticket", &record.ticket),
        ("impersonation_id", &record.impersonation_id),
        ("request_id", &record.request_id),
        ("source_ip", &record.source_ip),
        ("user_agent", &record.user_agent),
    ];
    for (name, value) in optional {
        insert_optional(&mut item, name, value.as_deref());
    }
    insert_optional(&mut item, "mode", record.mode.map(Mode::as_str));
    if record.break_glass {
        item.insert("break_glass".to_string(), AttributeValue::Bool(true));
    }
    item
}

pub fn audit_from(item: &Item) -> Result<AuditRecord> {
    let event = get_s(item, "event")?;
    let at_millis = get_n(item, "at")?;
    Ok(AuditRecord {
        id: get_s(item, "id")?,
        at: crate::ports::clock::rfc3339_millis(at_millis),
        at_millis,
        event: AuditEvent::parse(&event)
            .ok_or_else(|| ActasError::Internal(format!("unknown event {event}")))?,
        outcome: crate::domain::audit::outcome_named(&get_s(item, "outcome")?),
        count: get_n(item, "count")
            .ok()
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(1),
        cause: get_opt_s(item, "cause"),
        actor_sub: get_opt_s(item, "actor_sub"),
        actor_username: get_opt_s(item, "actor_username"),
        target_sub: get_opt_s(item, "target_sub"),
        target_username: get_opt_s(item, "target_username"),
        tenant: get_opt_s(item, "tenant"),
        reason: get_opt_s(item, "reason"),
        ticket: get_opt_s(item, "ticket"),
        mode: get_opt_s(item, "mode").as_deref().and_then(Mode::parse),
        break_glass: matches!(item.get("break_glass"), Some(AttributeValue::Bool(true))),
        request_id: get_opt_s(item, "request_id"),
        impersonation_id: get_opt_s(item, "impersonation_id"),
        source_ip: get_opt_s(item, "source_ip"),
        user_agent: get_opt_s(item, "user_agent"),
    })
}

#[async_trait]
impl AuditStore for DynamoAuditStore {
    async fn put_audit(&self, record: &AuditRecord) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(audit_item(record)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }

    async fn put_audit_counted(&self, record: &AuditRecord) -> Result<bool> {
        match self.put_audit(record).await {
            Ok(()) => return Ok(true),
            Err(ActasError::Upstream(_)) => {}
            Err(other) => return Err(other),
        }
        // The window's record exists (or the put failed): count this one in it.
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("AUDIT#{}", record.id), AUDIT_SK)))
            .update_expression("ADD #count :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match counted {
            Ok(_) => Ok(false),
            Err(err) if condition_failed(&err) => Err(ActasError::Upstream(
                "the refusal could not be recorded".into(),
            )),
            Err(err) => Err(upstream("UpdateItem", err)),
        }
    }

    async fn audit_for_tenant(
        &self,
        tenant: Option<&str>,
        since_millis: i64,
    ) -> Result<Vec<AuditRecord>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk AND gsi1sk >= :from")
            .expression_attribute_values(":pk", s(tenant_partition(tenant)))
            .expression_attribute_values(":from", s(format!("{:013}", since_millis.max(0))));
        query_all(query, audit_from).await
    }

    async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage> {
        let (index, partition_attribute, sort_attribute, partition) = match &q.scope {
            AuditScope::All => ("gsi2", "gsi2pk", "gsi2sk", ALL_AUDIT.to_string()),
            AuditScope::Tenant(tenant) => (
                "gsi1",
                "gsi1pk",
                "gsi1sk",
                tenant_partition(tenant.as_deref()),
            ),
        };
        let mut names = HashMap::from([
            ("#pk".to_string(), partition_attribute.to_string()),
            ("#sk".to_string(), sort_attribute.to_string()),
        ]);
        let mut values = HashMap::from([(":pk".to_string(), s(&partition))]);
        // Time bounds are on the sort key: only the window is read.
        let from = format!("{:013}", q.since_millis.unwrap_or(0).max(0));
        let to = format!("{:013}", q.until_millis.unwrap_or(9_999_999_999_999).max(0));
        values.insert(":from".to_string(), s(from));
        values.insert(":to".to_string(), s(to));
        let key_condition = "#pk = :pk AND #sk BETWEEN :from AND :to".to_string();
        let mut filters = Vec::new();
        let mut filter = |attribute: &str, value: Option<String>| {
            if let Some(value) = value {
                let n = filters.len();
                names.insert(format!("#f{n}"), attribute.to_string());
                values.insert(format!(":f{n}"), s(value));
                filters.push(format!("#f{n} = :f{n}"));
            }
        };
        filter("actor_sub", q.actor_sub.clone());
        filter("target_sub", q.target_sub.clone());
        if !q.events.is_empty() {
            let n = filters.len();
            names.insert(format!("#f{n}"), "event".to_string());
            let mut options = Vec::new();
            for (i, event) in q.events.iter().enumerate() {
                values.insert(format!(":f{n}e{i}"), s(event.as_str()));
                options.push(format!(":f{n}e{i}"));
            }
            filters.push(format!("#f{n} IN ({})", options.join(", ")));
        }
        let start = decode_page_token(
            q.page_token.as_deref(),
            Some((partition_attribute, partition.as_str(), sort_attribute)),
        )?;
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression(key_condition)
            .set_filter_expression((!filters.is_empty()).then(|| filters.join(" AND ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(false);
        let (records, start, _read) = filtered_page(query, start, q.limit, audit_from).await?;
        Ok(AuditPage {
            records,
            next_token: start.map(|k| encode_page_token(&k)),
        })
    }
}

/// An audit record from a stream image (a stream record's `NewImage`, DynamoDB's typed JSON as
/// `serde_dynamo` reads it): its attributes become the SDK's, read as a stored item is.
pub fn record_from_image(image: &serde_dynamo::Item) -> Result<AuditRecord> {
    // A stream record without a new image reads as an empty one (aws_lambda_events defaults it).
    if image.is_empty() {
        return Err(ActasError::Internal(
            "a stream record without a new image".into(),
        ));
    }
    let item: Item = image
        .iter()
        .map(|(name, value)| (name.clone(), AttributeValue::from(value.clone())))
        .collect();
    audit_from(&item)
}
