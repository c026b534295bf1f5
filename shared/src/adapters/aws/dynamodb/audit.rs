//! The DynamoDB adapter of the audit trail: its own table, append-only (`PutItem` of new
//! records; the one `UpdateItem` counts repeats of an unauthenticated refusal in its window's
//! record), TTL after 400 days, an index by tenant and time, and a stream (new images) that
//! the publish-events function turns into EventBridge events, at least once.

use crate::adapters::aws::dynamodb::items::{insert_optional, tenant_partition};
use crate::adapters::aws::dynamodb::{
    condition_failed, get_n, get_opt_s, get_s, key, n, query_all, s, upstream, Item,
};
use crate::domain::audit::{AuditEvent, AuditRecord};
use crate::domain::error::{ActasError, Result};
use crate::domain::mode::Mode;
use crate::ports::audit::AuditStore;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

const AUDIT_SK: &str = "AUDIT";

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
        ("source_ip", &record.source_ip),
        ("user_agent", &record.user_agent),
    ];
    for (name, value) in optional {
        insert_optional(&mut item, name, value.as_deref());
    }
    insert_optional(&mut item, "mode", record.mode.map(Mode::as_str));
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
}

/// An audit record from a stream image (DynamoDB's JSON: `{"S": ...}`, `{"N": ...}`).
pub fn record_from_image(image: &serde_json::Value) -> Result<AuditRecord> {
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
    audit_from(&item)
}
