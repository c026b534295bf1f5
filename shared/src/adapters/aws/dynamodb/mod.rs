//! The DynamoDB adapter of the store ports. One table: `pk`/`sk`, two GSIs (`gsi1`: by target,
//! `gsi2`: by tenant), and the `expires_at` TTL attribute. Single use is enforced with
//! conditional writes, never by reading first.

mod api_keys;
pub mod audit;
mod cleanup;
mod directory;
mod exchanges;
mod governance;
mod impersonations;
pub mod items;
mod pool_attachment;
mod ssf;

use crate::domain::error::{ActasError, Result};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use tracing::warn;

pub type Item = HashMap<String, AttributeValue>;

pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// One item by key, read consistently (grants are checked right after they are written).
    async fn get_consistent(&self, pk: String, sk: &str) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| upstream("GetItem", e))?;
        Ok(output.item().cloned())
    }

    /// Writes an item that must not exist yet.
    async fn put_new(&self, item: Item) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| upstream("PutItem", e))?;
        Ok(())
    }
}

pub(crate) fn upstream<E, R>(operation: &str, err: SdkError<E, R>) -> ActasError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().unwrap_or("unknown").to_string();
    warn!(operation, code, error = %DisplayErrorContext(&err), "DynamoDB call failed");
    ActasError::Upstream(format!("{operation}: {code}"))
}

/// Whether a write was refused by its condition: for a conditional write that is an answer
/// (`Ok(false)`), not a failure.
pub(crate) fn condition_failed<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// The outcome of a conditional write: done, refused by its condition, or failed.
pub(crate) fn conditional<T, E, R>(
    operation: &str,
    result: std::result::Result<T, SdkError<E, R>>,
) -> Result<bool>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if condition_failed(&err) => Ok(false),
        Err(err) => Err(upstream(operation, err)),
    }
}

/// One page of a filtered listing: the query is run on from `start`, asking only for what is
/// missing, until `limit` items matched or twice `limit` were read (the page is then short,
/// with a key to go on from). Returns the items, that key and how many items were read.
pub(crate) async fn filtered_page<T>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    mut start: Option<Item>,
    limit: i32,
    read_item: impl Fn(&Item) -> Result<T>,
) -> Result<(Vec<T>, Option<Item>, i32)> {
    let limit = limit.max(1);
    let mut items = Vec::new();
    let mut read = 0;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start)
            // What is missing, and never past twice the page size in all.
            .limit((limit - items.len() as i32).min(2 * limit - read).max(1))
            .send()
            .await
            .map_err(|e| upstream("Query", e))?;
        read += page.scanned_count();
        for item in page.items() {
            items.push(read_item(item)?);
        }
        start = page.last_evaluated_key().filter(|k| !k.is_empty()).cloned();
        if start.is_none() || items.len() as i32 >= limit || read >= 2 * limit {
            return Ok((items, start, read));
        }
    }
}

/// Every page of a query, each item read by `read`.
pub(crate) async fn query_all<T>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    read: impl Fn(&Item) -> Result<T>,
) -> Result<Vec<T>> {
    let mut found = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| upstream("Query", e))?;
        for item in page.items() {
            found.push(read(item)?);
        }
        match page.last_evaluated_key() {
            Some(last) if !last.is_empty() => start = Some(last.clone()),
            _ => return Ok(found),
        }
    }
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(crate) fn get_s(item: &Item, name: &str) -> Result<String> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| ActasError::Internal(format!("stored item lacks {name}")))
}

pub(crate) fn get_opt_s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn get_n(item: &Item, name: &str) -> Result<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ActasError::Internal(format!("stored item lacks {name}")))
}
