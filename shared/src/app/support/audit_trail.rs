//! The audit trail: every record is written to the audit store and logged as a structured line;
//! the store's stream publishes it.

use crate::domain::audit::{bounded, AuditRecord};
use crate::domain::error::Result;
use crate::ports::audit::AuditStore;
use std::sync::Arc;
use tracing::info;

/// Writes audit records and logs them. Events are published from the audit table's stream (the
/// publish-events function), so a record that is written is announced at least once, whatever
/// happens to the function that wrote it.
#[derive(Clone)]
pub struct AuditTrail {
    pub store: Arc<dyn AuditStore>,
}

impl AuditTrail {
    /// Writes the record (an error here fails the caller) and logs it.
    pub async fn record(&self, record: &AuditRecord) -> Result<()> {
        self.store.put_audit(record).await?;
        log_record(record);
        Ok(())
    }

    /// An unauthenticated refusal: one record per source and minute, counting the attempts, so
    /// a flood of anonymous requests cannot flood the trail (nor its 400 days of retention).
    pub async fn record_unauthenticated(&self, record: &AuditRecord) -> Result<()> {
        let minute = record.at_millis.div_euclid(60_000);
        let source = record.source_ip.as_deref().unwrap_or("unknown");
        let mut windowed = record.clone();
        windowed.id = format!("unauth-{}-{minute}", bounded(source, 64));
        if self.store.put_audit_counted(&windowed).await? {
            log_record(&windowed);
        }
        Ok(())
    }
}

pub(crate) fn log_record(record: &AuditRecord) {
    // CloudWatch metrics (Embedded Metric Format): one JSON line per data point, no API call.
    for point in crate::domain::metrics::points_of(record) {
        println!("{}", point.emf_line(record.at_millis));
    }
    info!(
        audit_id = %record.id,
        event = record.event.as_str(),
        outcome = record.outcome,
        cause = record.cause.as_deref(),
        actor = record.actor_username.as_deref(),
        target = record.target_username.as_deref(),
        tenant = record.tenant.as_deref(),
        impersonation_id = record.impersonation_id.as_deref(),
        source_ip = record.source_ip.as_deref(),
        "audit"
    );
}
