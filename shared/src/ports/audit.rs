//! The audit ports: where records are kept (`AuditStore`) and where they are published
//! (`EventPublisher`).

use crate::domain::audit::{AuditEvent, AuditRecord};
use crate::domain::error::Result;
use async_trait::async_trait;

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn put_audit(&self, record: &AuditRecord) -> Result<()>;
    /// Writes the record if its id is new; otherwise counts one more attempt in the record
    /// already there. Returns whether it was new.
    async fn put_audit_counted(&self, record: &AuditRecord) -> Result<bool>;
    /// Records of one tenant (`None`: no tenant) at or after `since_millis`, oldest first.
    async fn audit_for_tenant(
        &self,
        tenant: Option<&str>,
        since_millis: i64,
    ) -> Result<Vec<AuditRecord>>;
    /// One page of records in a scope, newest first, filtered (a page may be short; reading
    /// stops at twice the page size).
    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage>;
}

/// Whose records a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    /// Every tenant's (super-admins).
    All,
    /// One tenant's (`None`: records without a tenant).
    Tenant(Option<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub scope: AuditScope,
    pub actor_sub: Option<String>,
    pub target_sub: Option<String>,
    /// Any of these events; empty: every event.
    pub events: Vec<AuditEvent>,
    /// At or after (epoch milliseconds).
    pub since_millis: Option<i64>,
    /// Before (epoch milliseconds).
    pub until_millis: Option<i64>,
    pub page_token: Option<String>,
    pub limit: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next_token: Option<String>,
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, record: &AuditRecord) -> Result<()>;
}
