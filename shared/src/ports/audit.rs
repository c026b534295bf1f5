//! The audit ports: where records are kept (`AuditStore`) and where they are published
//! (`EventPublisher`).

use crate::domain::audit::AuditRecord;
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
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, record: &AuditRecord) -> Result<()>;
}
