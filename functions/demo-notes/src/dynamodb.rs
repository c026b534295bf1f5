//! Notes in DynamoDB: partition key `owner` (the user's sub), sort key `id`.

use crate::notes::{Note, NoteStore, Person, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

/// A listing stops here: a demo user does not have more notes than that.
const MAX_LISTED: usize = 1000;

pub struct DynamoNoteStore {
    client: Client,
    table: String,
}

impl DynamoNoteStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoNoteStore {
        DynamoNoteStore {
            client,
            table: table.into(),
        }
    }
}

type Item = HashMap<String, AttributeValue>;

fn item_of(note: &Note) -> Item {
    let mut item = HashMap::from([
        (
            "owner".to_string(),
            AttributeValue::S(note.user.sub.clone()),
        ),
        ("id".to_string(), AttributeValue::S(note.id.clone())),
        ("text".to_string(), AttributeValue::S(note.text.clone())),
        (
            "created_at".to_string(),
            AttributeValue::S(note.created_at.clone()),
        ),
        (
            "username".to_string(),
            AttributeValue::S(note.user.username.clone()),
        ),
    ]);
    let mut optional = |name: &str, value: Option<&String>| {
        if let Some(value) = value {
            item.insert(name.to_string(), AttributeValue::S(value.clone()));
        }
    };
    optional("actor_sub", note.actor.as_ref().map(|a| &a.sub));
    optional("actor_username", note.actor.as_ref().map(|a| &a.username));
    optional("impersonation_id", note.impersonation_id.as_ref());
    optional("mode", note.mode.as_ref());
    item
}

fn note_of(item: &Item) -> Option<Note> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some(Note {
        id: text("id")?,
        text: text("text")?,
        created_at: text("created_at").unwrap_or_default(),
        user: Person {
            sub: text("owner")?,
            username: text("username").unwrap_or_default(),
        },
        actor: text("actor_sub").map(|sub| Person {
            username: text("actor_username").unwrap_or_else(|| sub.clone()),
            sub,
        }),
        impersonation_id: text("impersonation_id"),
        mode: text("mode"),
    })
}

fn failed(operation: &str, error: impl std::error::Error) -> StoreError {
    StoreError(format!("{operation}: {}", DisplayErrorContext(error)))
}

#[async_trait]
impl NoteStore for DynamoNoteStore {
    async fn put(&self, note: &Note) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_of(note)))
            // A fresh id: never overwrite.
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await
            .map_err(|e| failed("PutItem", e))?;
        Ok(())
    }

    async fn list(&self, owner: &str) -> Result<Vec<Note>, StoreError> {
        let mut notes = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#owner = :owner")
                .expression_attribute_names("#owner", "owner")
                .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| failed("Query", e))?;
            notes.extend(page.items().iter().filter_map(note_of));
            start = page.last_evaluated_key().cloned();
            if start.is_none() || notes.len() >= MAX_LISTED {
                break;
            }
        }
        notes.truncate(MAX_LISTED);
        notes.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(notes)
    }

    async fn delete(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("owner", AttributeValue::S(owner.to_string()))
            .key("id", AttributeValue::S(id.to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| failed("DeleteItem", e))?;
        Ok(deleted.attributes().and_then(note_of))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip() {
        let plain = Note {
            id: "n1".into(),
            text: "hello".into(),
            created_at: "2026-01-02T03:04:05Z".into(),
            user: Person {
                sub: "u".into(),
                username: "bob".into(),
            },
            actor: None,
            impersonation_id: None,
            mode: None,
        };
        let acted = Note {
            actor: Some(Person {
                sub: "a".into(),
                username: "admin".into(),
            }),
            impersonation_id: Some("imp".into()),
            mode: Some("full".into()),
            ..plain.clone()
        };
        for note in [plain, acted] {
            let item = item_of(&note);
            assert_eq!(item["owner"], AttributeValue::S("u".into()));
            assert_eq!(note_of(&item), Some(note));
        }
        assert_eq!(note_of(&HashMap::new()), None);
    }
}

/// The sessions Shared Signals revoked, kept beside the notes (partition `#ssf-revoked`, one
/// item per impersonation id, with a TTL) so every instance of the service sees them.
pub struct DynamoRevokedSessions {
    client: Client,
    table: String,
}

const REVOKED_PARTITION: &str = "#ssf-revoked";

impl DynamoRevokedSessions {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoRevokedSessions {
        DynamoRevokedSessions {
            client,
            table: table.into(),
        }
    }
}

fn store_failed(operation: &str, error: impl std::error::Error) -> actas_verify::VerifyError {
    tracing::error!(operation, error = %DisplayErrorContext(&error), "revoked sessions store failed");
    actas_verify::VerifyError::Upstream {
        context: "revoked sessions",
        detail: operation.to_string(),
    }
}

#[async_trait]
impl actas_verify::RevokedSessions for DynamoRevokedSessions {
    async fn revoke(&self, session_id: &str, until: i64) -> Result<(), actas_verify::VerifyError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("owner", AttributeValue::S(REVOKED_PARTITION.into()))
            .item("id", AttributeValue::S(session_id.to_string()))
            .item("expires_at", AttributeValue::N(until.to_string()))
            .send()
            .await
            .map_err(|e| store_failed("PutItem", e))?;
        Ok(())
    }

    async fn is_revoked(&self, session_id: &str) -> Result<bool, actas_verify::VerifyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("owner", AttributeValue::S(REVOKED_PARTITION.into()))
            .key("id", AttributeValue::S(session_id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_failed("GetItem", e))?;
        Ok(output.item().is_some())
    }
}
