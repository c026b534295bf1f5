//! The scheduled cleanup: ends impersonations past their hard end (audit record, event, refresh
//! token revoked) and retries every revocation that failed. It reads only the due list, oldest
//! first; what it finishes leaves the list, so a run that runs out of budget leaves the rest at
//! the front and the next run resumes there. A revoke that fails again is put back behind the
//! backlog. Idempotent: ending is a conditional write, so a second run finds nothing to end and
//! writes no second expiry record. Grants and pointers past their `expires_at` are DynamoDB
//! TTL's to delete, audit records the audit table's TTL's: the cleanup reads neither.

use crate::app::audit_trail::AuditTrail;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::Result;
use crate::ports::clock::Clock;
use crate::ports::grants::{CleanupStore, CleanupWork, ImpersonationStore};
use crate::ports::identity::IdentityProvider;
use crate::ports::vault::RefreshTokenVault;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::info;

/// A revoke that failed is tried again this much later (the next scheduled run, by default).
pub const RETRY_AFTER_SECS: i64 = 300;

pub struct CleanupState {
    pub impersonations: Arc<dyn ImpersonationStore>,
    pub cleanup: Arc<dyn CleanupStore>,
    pub identity: Arc<dyn IdentityProvider>,
    pub vault: Arc<dyn RefreshTokenVault>,
    pub audit: AuditTrail,
    pub clock: Arc<dyn Clock>,
    pub impersonation_client_id: String,
    pub budget: Duration,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CleanupReport {
    pub pages: u32,
    pub ended: u32,
    pub revoked: u32,
    /// Ended with nothing to revoke: taken off the due list.
    pub settled: u32,
    /// Revokes that failed again, put back behind the backlog.
    pub deferred: u32,
    /// False when the budget ran out before the due list was read to its end.
    pub finished: bool,
}

pub async fn run_cleanup(state: &CleanupState) -> Result<CleanupReport> {
    let started = Instant::now();
    let now = state.clock.now_secs();
    let origin = RequestOrigin {
        user_agent: Some("actas-cleanup".into()),
        ..RequestOrigin::default()
    };
    let ports = crate::app::end::SessionPorts {
        impersonations: state.impersonations.as_ref(),
        identity: state.identity.as_ref(),
        vault: state.vault.as_ref(),
        clock: state.clock.as_ref(),
    };
    let mut report = CleanupReport::default();
    let mut page_token = None;
    loop {
        if started.elapsed() > state.budget {
            break;
        }
        let page = state.cleanup.cleanup_page(page_token.take(), now).await?;
        report.pages += 1;
        for work in page.work {
            match work {
                CleanupWork::End(imp) => {
                    if !state.impersonations.end(&imp.id, None, now).await? {
                        continue; // ended meanwhile, by a stop or an earlier run
                    }
                    report.ended += 1;
                    let mut record =
                        AuditRecord::new(AuditEvent::Expired, state.clock.now_millis(), &origin)
                            .about(&imp);
                    record.cause = Some("reached its hard end".into());
                    // Recorded before the revoke: an end is on record even if the revoke fails.
                    state.audit.record(&record).await?;
                    if imp.refresh_token_sealed.is_none() {
                        // Never minted (or sealed): nothing to revoke, off the due list.
                        state.cleanup.settle(&imp.id).await?;
                        report.settled += 1;
                    } else if ports.revoke(&imp).await {
                        report.revoked += 1;
                    } else {
                        state.cleanup.defer(&imp.id, now + RETRY_AFTER_SECS).await?;
                        report.deferred += 1;
                    }
                }
                CleanupWork::Revoke(imp) => {
                    if ports.revoke(&imp).await {
                        report.revoked += 1;
                    } else {
                        state.cleanup.defer(&imp.id, now + RETRY_AFTER_SECS).await?;
                        report.deferred += 1;
                    }
                }
                CleanupWork::Settle(id) => {
                    state.cleanup.settle(&id).await?;
                    report.settled += 1;
                }
            }
        }
        match page.next_token {
            Some(token) => page_token = Some(token),
            None => {
                report.finished = true;
                break;
            }
        }
    }
    info!(
        pages = report.pages,
        ended = report.ended,
        revoked = report.revoked,
        settled = report.settled,
        deferred = report.deferred,
        finished = report.finished,
        "cleanup run"
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::grant::{ExchangeGrant, GrantKind, Impersonation, ImpersonationStatus};
    use crate::ports::audit::AuditStore;
    use crate::ports::grants::ExchangeStore;
    use crate::testkit::clock::ManualClock;
    use crate::testkit::memory::{MemoryIdentityProvider, MemoryStore, MemoryVault};

    const NOW: i64 = 1_800_000_000;

    fn impersonation(id: &str, ends_at: i64, status: ImpersonationStatus) -> Impersonation {
        Impersonation {
            id: id.into(),
            kind: GrantKind::Impersonation,
            actor_sub: "a".into(),
            actor_username: "acme-admin".into(),
            target_sub: format!("target-{id}"),
            target_username: format!("user-{id}"),
            tenant: Some("acme".into()),
            reason: Some("r".into()),
            ticket: None,
            mode: crate::domain::mode::Mode::Full,
            break_glass: false,
            client_id: "client".into(),
            status,
            created_at_millis: (ends_at - 3600) * 1000,
            ends_at,
            mint_deadline: ends_at - 3540,
            mint_secret_hash: "h".into(),
            revert_secret_hash: "h".into(),
            expires_at: ends_at + 86_400,
            refresh_token_sealed: Some(format!("sealed:{id}:refresh-{id}")),
            ended_at: None,
            revoked_at: None,
        }
    }

    #[tokio::test]
    async fn ends_what_is_past_its_end_retries_revokes_and_is_idempotent() {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::at_millis(NOW * 1000));
        for imp in [
            impersonation("over", NOW - 10, ImpersonationStatus::Active),
            impersonation("live", NOW + 600, ImpersonationStatus::Active),
            impersonation("gone", NOW - 90_000, ImpersonationStatus::Ended),
        ] {
            store.create(&imp).await.unwrap();
        }
        let grant = |id: &str, expires_at: i64| ExchangeGrant {
            id: id.into(),
            audience: "actas:sys".into(),
            actor_sub: "a".into(),
            actor_username: "acme-admin".into(),
            target_sub: "t".into(),
            target_username: "u".into(),
            reason: None,
            ticket: None,
            mode: crate::domain::mode::Mode::Full,
            token_expires_at: expires_at - 86_400,
            expires_at,
        };
        store.put_exchange(&grant("old", NOW - 1)).await.unwrap();
        store.put_exchange(&grant("new", NOW + 100)).await.unwrap();
        let identity = Arc::new(MemoryIdentityProvider::new(
            vec![],
            store.clone(),
            clock.clone(),
        ));
        let state = CleanupState {
            impersonations: store.clone(),
            cleanup: store.clone(),
            identity: identity.clone(),
            vault: Arc::new(MemoryVault),
            audit: AuditTrail {
                store: store.clone(),
            },
            clock,
            impersonation_client_id: "client".into(),
            budget: Duration::from_secs(5),
        };

        let first = run_cleanup(&state).await.unwrap();
        assert_eq!(
            (first.ended, first.revoked, first.deferred, first.finished),
            (1, 2, 0, true),
            "over: ended and revoked; gone: its revoke retried"
        );
        assert_eq!(
            store.get("over").await.unwrap().unwrap().status,
            ImpersonationStatus::Ended
        );
        assert_eq!(
            store.get("live").await.unwrap().unwrap().status,
            ImpersonationStatus::Active
        );
        assert!(
            store.get("gone").await.unwrap().is_some(),
            "past its expires_at, but deleting is TTL's job"
        );
        let mut revoked = identity.revoked.lock().unwrap().clone();
        revoked.sort();
        assert_eq!(revoked, ["refresh-gone", "refresh-over"]);

        let second = run_cleanup(&state).await.unwrap();
        assert_eq!(
            (second.ended, second.revoked),
            (0, 0),
            "a second run changes nothing"
        );
        let expiries: Vec<_> = store
            .audit_for_tenant(Some("acme"), 0)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.event == AuditEvent::Expired)
            .collect();
        assert_eq!(expiries.len(), 1, "one expiry record per impersonation");
        assert_eq!(expiries[0].impersonation_id.as_deref(), Some("over"));
    }

    #[tokio::test]
    async fn a_revoke_that_fails_again_waits_behind_the_backlog_then_is_retried() {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::at_millis(NOW * 1000));
        let mut broken = impersonation("broken", NOW - 600, ImpersonationStatus::Ended);
        // Sealed for another impersonation: the vault refuses to open it.
        broken.refresh_token_sealed = Some("sealed:elsewhere:token".into());
        broken.ended_at = Some(NOW - 600);
        store.create(&broken).await.unwrap();
        let state = CleanupState {
            impersonations: store.clone(),
            cleanup: store.clone(),
            identity: Arc::new(MemoryIdentityProvider::new(
                vec![],
                store.clone(),
                clock.clone(),
            )),
            vault: Arc::new(MemoryVault),
            audit: AuditTrail {
                store: store.clone(),
            },
            clock: clock.clone(),
            impersonation_client_id: "client".into(),
            budget: Duration::from_secs(5),
        };
        let first = run_cleanup(&state).await.unwrap();
        assert_eq!((first.revoked, first.deferred), (0, 1));
        let again = run_cleanup(&state).await.unwrap();
        assert_eq!(
            (again.revoked, again.deferred),
            (0, 0),
            "not due again until later"
        );
        clock.advance_secs(RETRY_AFTER_SECS);
        let later = run_cleanup(&state).await.unwrap();
        assert_eq!(later.deferred, 1, "retried once due again");
    }
}
