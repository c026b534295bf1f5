//! The DynamoDB adapter of the Shared Signals store, in the grants table: receivers (with their
//! stream) in one partition `SSF#RECEIVER`, each receiver's pending SETs in its own partition
//! `SSF#PENDING#<receiver id>` (sort key the `jti`; TTL a day after they are dropped).

use crate::adapters::aws::dynamodb::{
    conditional, get_n, get_opt_s, get_s, key, n, query_all, s, upstream, DynamoStore, Item,
};
use crate::domain::error::Result;
use crate::domain::ssf::{
    DeliveryState, PendingDelivery, Receiver, Stream, StreamStatus, PENDING_KEPT_SECS,
};
use crate::ports::ssf::SsfStore;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

const RECEIVERS: &str = "SSF#RECEIVER";

fn pending_pk(receiver_id: &str) -> String {
    format!("SSF#PENDING#{receiver_id}")
}

const STREAM_ATTRIBUTES: [&str; 13] = [
    "stream_id",
    "stream_endpoint",
    "stream_authorization",
    "stream_events",
    "stream_description",
    "stream_status",
    "stream_reason",
    "stream_created_at",
    "last_delivery_at",
    "last_error",
    "last_error_at",
    "delivered",
    "dropped",
];

fn get_opt_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn receiver_from(item: &Item) -> Result<Receiver> {
    let stream = match get_opt_s(item, "stream_id") {
        Some(id) => Some(Stream {
            id,
            endpoint_url: get_s(item, "stream_endpoint")?,
            authorization_sealed: get_opt_s(item, "stream_authorization"),
            events_requested: get_opt_s(item, "stream_events")
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default(),
            description: get_opt_s(item, "stream_description"),
            status: get_opt_s(item, "stream_status")
                .and_then(|s| StreamStatus::parse(&s))
                // Unreadable: delivered to nobody rather than to the wrong place.
                .unwrap_or(StreamStatus::Disabled),
            status_reason: get_opt_s(item, "stream_reason"),
            created_at_millis: get_opt_n(item, "stream_created_at").unwrap_or_default(),
            delivery: DeliveryState {
                last_delivery_at_millis: get_opt_n(item, "last_delivery_at"),
                last_error: get_opt_s(item, "last_error"),
                last_error_at_millis: get_opt_n(item, "last_error_at"),
                delivered: get_opt_n(item, "delivered").unwrap_or_default(),
                dropped: get_opt_n(item, "dropped").unwrap_or_default(),
            },
        }),
        None => None,
    };
    Ok(Receiver {
        id: get_s(item, "sk")?,
        name: get_s(item, "name")?,
        audience: get_s(item, "audience")?,
        secret_hash: get_s(item, "secret_hash")?,
        created_at_millis: get_n(item, "created_at")?,
        stream,
    })
}

fn pending_from(item: &Item) -> Result<PendingDelivery> {
    let pk = get_s(item, "pk")?;
    Ok(PendingDelivery {
        receiver_id: pk.trim_start_matches("SSF#PENDING#").to_string(),
        jti: get_s(item, "sk")?,
        set: get_s(item, "set")?,
        attempts: get_n(item, "attempts")?.clamp(0, u32::MAX as i64) as u32,
        next_attempt_at_millis: get_n(item, "next_attempt_at")?,
        created_at_millis: get_n(item, "created_at")?,
    })
}

fn pending_item(pending: &PendingDelivery) -> Item {
    let mut item = key(pending_pk(&pending.receiver_id), &pending.jti);
    item.insert("set".into(), s(&pending.set));
    item.insert("attempts".into(), n(i64::from(pending.attempts)));
    item.insert("next_attempt_at".into(), n(pending.next_attempt_at_millis));
    item.insert("created_at".into(), n(pending.created_at_millis));
    item.insert(
        "expires_at".into(),
        n(pending.created_at_millis.div_euclid(1000) + PENDING_KEPT_SECS + 86_400),
    );
    item
}

#[async_trait]
impl SsfStore for DynamoStore {
    async fn put_receiver(&self, receiver: &Receiver) -> Result<()> {
        let mut item = key(RECEIVERS.to_string(), &receiver.id);
        item.insert("name".into(), s(&receiver.name));
        item.insert("audience".into(), s(&receiver.audience));
        item.insert("secret_hash".into(), s(&receiver.secret_hash));
        item.insert("created_at".into(), n(receiver.created_at_millis));
        self.put_new(item).await
    }

    async fn get_receiver(&self, id: &str) -> Result<Option<Receiver>> {
        self.get_consistent(RECEIVERS.to_string(), id)
            .await?
            .as_ref()
            .map(receiver_from)
            .transpose()
    }

    async fn list_receivers(&self) -> Result<Vec<Receiver>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(RECEIVERS))
            .consistent_read(true);
        query_all(query, receiver_from).await
    }

    async fn delete_receiver(&self, id: &str) -> Result<bool> {
        for pending in self.pending(id).await? {
            self.delete_pending(id, &pending.jti).await?;
        }
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(RECEIVERS.to_string(), id)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        conditional("DeleteItem", result)
    }

    async fn put_stream(&self, receiver_id: &str, stream: Option<&Stream>) -> Result<bool> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(RECEIVERS.to_string(), receiver_id)))
            .condition_expression("attribute_exists(pk)");
        let update = match stream {
            None => update.update_expression(format!("REMOVE {}", STREAM_ATTRIBUTES.join(", "))),
            Some(stream) => {
                let mut set = vec![
                    "stream_id = :id",
                    "stream_endpoint = :endpoint",
                    "stream_events = :events",
                    "stream_status = :status",
                    "stream_created_at = :created",
                ];
                let mut remove = Vec::new();
                let mut update = update
                    .expression_attribute_values(":id", s(&stream.id))
                    .expression_attribute_values(":endpoint", s(&stream.endpoint_url))
                    .expression_attribute_values(
                        ":events",
                        s(serde_json::to_string(&stream.events_requested).unwrap_or_default()),
                    )
                    .expression_attribute_values(":status", s(stream.status.as_str()))
                    .expression_attribute_values(":created", n(stream.created_at_millis));
                for (name, placeholder, value) in [
                    (
                        "stream_authorization",
                        ":authorization",
                        &stream.authorization_sealed,
                    ),
                    ("stream_description", ":description", &stream.description),
                    ("stream_reason", ":reason", &stream.status_reason),
                ] {
                    match value {
                        Some(value) => {
                            set.push(match name {
                                "stream_authorization" => "stream_authorization = :authorization",
                                "stream_description" => "stream_description = :description",
                                _ => "stream_reason = :reason",
                            });
                            update = update.expression_attribute_values(placeholder, s(value));
                        }
                        None => remove.push(name),
                    }
                }
                let mut expression = format!("SET {}", set.join(", "));
                if !remove.is_empty() {
                    expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
                }
                update.update_expression(expression)
            }
        };
        conditional("UpdateItem", update.send().await)
    }

    async fn set_stream_status(
        &self,
        receiver_id: &str,
        status: StreamStatus,
        reason: Option<&str>,
    ) -> Result<bool> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(RECEIVERS.to_string(), receiver_id)))
            .condition_expression("attribute_exists(stream_id)")
            .expression_attribute_values(":status", s(status.as_str()));
        let update = match reason {
            Some(reason) => update
                .update_expression("SET stream_status = :status, stream_reason = :reason")
                .expression_attribute_values(":reason", s(reason)),
            None => update.update_expression("SET stream_status = :status REMOVE stream_reason"),
        };
        conditional("UpdateItem", update.send().await)
    }

    async fn record_delivery(
        &self,
        receiver_id: &str,
        at_millis: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(RECEIVERS.to_string(), receiver_id)))
            .condition_expression("attribute_exists(stream_id)")
            .expression_attribute_values(":at", n(at_millis));
        let update = match error {
            None => update
                .update_expression("SET last_delivery_at = :at ADD delivered :one")
                .expression_attribute_values(":one", n(1)),
            Some(error) => update
                .update_expression("SET last_error = :error, last_error_at = :at")
                .expression_attribute_values(":error", s(error)),
        };
        // A stream deleted meanwhile has nothing to record.
        conditional("UpdateItem", update.send().await)?;
        Ok(())
    }

    async fn record_dropped(&self, receiver_id: &str) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(RECEIVERS.to_string(), receiver_id)))
            .condition_expression("attribute_exists(stream_id)")
            .update_expression("ADD dropped :one")
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        conditional("UpdateItem", result)?;
        Ok(())
    }

    async fn put_pending(&self, pending: &PendingDelivery) -> Result<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(pending_item(pending)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        conditional("PutItem", result)
    }

    async fn update_pending(&self, pending: &PendingDelivery) -> Result<()> {
        // Only while it is still pending: a concurrent delivery may have deleted it.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pending_pk(&pending.receiver_id), &pending.jti)))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET attempts = :attempts, next_attempt_at = :next")
            .expression_attribute_values(":attempts", n(i64::from(pending.attempts)))
            .expression_attribute_values(":next", n(pending.next_attempt_at_millis))
            .send()
            .await;
        conditional("UpdateItem", result)?;
        Ok(())
    }

    async fn delete_pending(&self, receiver_id: &str, jti: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pending_pk(receiver_id), jti)))
            .send()
            .await
            .map_err(|e| upstream("DeleteItem", e))?;
        Ok(())
    }

    async fn mark_delivered(&self, receiver_id: &str, jti: &str, at_millis: i64) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pending_pk(receiver_id), jti)))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET delivered_at = :at REMOVE #set")
            .expression_attribute_names("#set", "set")
            .expression_attribute_values(":at", n(at_millis))
            .send()
            .await;
        conditional("UpdateItem", result)?;
        Ok(())
    }

    async fn pending(&self, receiver_id: &str) -> Result<Vec<PendingDelivery>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .filter_expression("attribute_not_exists(delivered_at)")
            .expression_attribute_values(":pk", AttributeValue::S(pending_pk(receiver_id)))
            .consistent_read(true);
        let mut found = query_all(query, pending_from).await?;
        found.sort_by_key(|p| (p.created_at_millis, p.jti.clone()));
        Ok(found)
    }
}
