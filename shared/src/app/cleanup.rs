//! The scheduled cleanup: ends impersonations past their hard end (audit record, event, refresh
//! token revoked) and retries every revocation that failed. It reads the due list, oldest
//! first; what it finishes leaves the list, so a run that runs out of budget leaves the rest at
//! the front and the next run resumes there. A revoke that fails again is put back behind the
//! backlog. Then, within the same budget, it reads the live impersonations (the sparse live
//! index) and ends those whose session went unused for its idle timeout, on record as ended for
//! idleness, and revokes them. Idempotent: ending is a conditional write, so a second run finds
//! nothing to end and writes no second record. Grants and pointers past their `expires_at` are
//! DynamoDB TTL's to delete, audit records the audit table's TTL's: the cleanup reads neither.

use crate::app::audit_trail::AuditTrail;
use crate::app::end::SessionPorts;
use crate::app::session_policy::PolicyEnd;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::Result;
use crate::ports::clock::Clock;
use crate::ports::grants::{CleanupStore, CleanupWork, ImpersonationStore, ListQuery, ListScope};
use crate::ports::identity::IdentityProvider;
use crate::ports::vault::RefreshTokenVault;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{error, info};

/// A revoke that failed is tried again this much later (the next scheduled run, by default).
pub const RETRY_AFTER_SECS: i64 = 300;

/// Live impersonations read per page when looking for idle ones.
const LIVE_PAGE: i32 = 100;

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
    /// Ended at their hard end.
    pub ended: u32,
    /// Ended for idleness: live, but unused for their idle timeout.
    pub ended_idle: u32,
    pub revoked: u32,
    /// Ended with nothing to revoke: taken off the due list.
    pub settled: u32,
    /// Revokes that failed again, put back behind the backlog.
    pub deferred: u32,
    /// False when the budget ran out (or the live list could not be read) before the due list
    /// and the live list were read to their ends.
    pub finished: bool,
}

pub async fn run_cleanup(state: &CleanupState) -> Result<CleanupReport> {
    let started = Instant::now();
    let now = state.clock.now_secs();
    let origin = RequestOrigin {
        user_agent: Some("actas-cleanup".into()),
        ..RequestOrigin::default()
    };
    let ports = SessionPorts {
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
    if report.finished {
        // The due list comes first: ends at the hard end and revokes are owed. A live list that
        // cannot be read is logged, and leaves the run unfinished, not failed: what was done
        // above stands, and refresh and the token check refuse an idle session anyway.
        match end_idle(state, &ports, started, now, &mut report).await {
            Ok(finished) => report.finished = finished,
            Err(err) => {
                error!(error = %err, "cleanup could not read the live impersonations");
                report.finished = false;
            }
        }
    }
    info!(
        pages = report.pages,
        ended = report.ended,
        ended_idle = report.ended_idle,
        revoked = report.revoked,
        settled = report.settled,
        deferred = report.deferred,
        finished = report.finished,
        "cleanup run"
    );
    // Revokes that failed again this run: the alarm on RevokesPending says when they pile up.
    let pending = crate::domain::metrics::MetricPoint {
        name: "RevokesPending",
        value: f64::from(report.deferred),
        dimensions: vec![],
    };
    println!("{}", pending.emf_line(state.clock.now_millis()));
    Ok(report)
}

/// Ends the live impersonations whose session went unused for its idle timeout, reading the
/// live index page by page while the budget lasts. Returns whether it read it to its end.
async fn end_idle(
    state: &CleanupState,
    ports: &SessionPorts<'_>,
    started: Instant,
    now: i64,
    report: &mut CleanupReport,
) -> Result<bool> {
    let ending = PolicyEnd {
        impersonations: state.impersonations.as_ref(),
        audit: &state.audit,
        clock: state.clock.as_ref(),
    };
    let mut page_token = None;
    loop {
        if started.elapsed() > state.budget {
            return Ok(false);
        }
        let page = state
            .impersonations
            .list(&ListQuery {
                scope: ListScope::All,
                actor_sub: None,
                target_sub: None,
                active_only: Some(true),
                since_millis: None,
                page_token: page_token.take(),
                limit: LIVE_PAGE,
                now_secs: now,
            })
            .await?;
        report.pages += 1;
        for imp in page
            .items
            .iter()
            .filter(|i| i.is_live(now) && i.is_idle(now))
        {
            if !ending.end_idle(imp).await? {
                continue; // ended meanwhile
            }
            report.ended_idle += 1;
            if imp.refresh_token_sealed.is_none() {
                state.cleanup.settle(&imp.id).await?;
                report.settled += 1;
            } else if ports.revoke(imp).await {
                report.revoked += 1;
            } else {
                state.cleanup.defer(&imp.id, now + RETRY_AFTER_SECS).await?;
                report.deferred += 1;
            }
        }
        match page.next_token {
            Some(token) => page_token = Some(token),
            None => return Ok(true),
        }
    }
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
            // Used just now (or at its end): only the idle test makes one idle.
            last_active_at: NOW.min(ends_at),
            idle_secs: 1800,
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
            max_duration_secs: None,
            approved: None,
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
    async fn ends_live_sessions_unused_for_their_idle_timeout_and_only_those() {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::at_millis(NOW * 1000));
        let mut idle = impersonation("idle", NOW + 600, ImpersonationStatus::Active);
        idle.last_active_at = NOW - 1800;
        let mut busy = impersonation("busy", NOW + 600, ImpersonationStatus::Active);
        busy.last_active_at = NOW - 1799;
        // Written before idle timeouts: only its hard end counts.
        let mut timeless = impersonation("timeless", NOW + 600, ImpersonationStatus::Active);
        (timeless.last_active_at, timeless.idle_secs) = (NOW - 90_000, 0);
        let mut stopped = impersonation("stopped", NOW + 600, ImpersonationStatus::Ended);
        (stopped.last_active_at, stopped.ended_at) = (NOW - 3000, Some(NOW - 2000));
        stopped.revoked_at = Some(NOW - 2000);
        for imp in [&idle, &busy, &timeless, &stopped] {
            store.create(imp).await.unwrap();
        }
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
            clock: clock.clone(),
            impersonation_client_id: "client".into(),
            budget: Duration::from_secs(5),
        };
        let status = |id: &'static str| {
            let store = store.clone();
            async move { store.get(id).await.unwrap().unwrap().status }
        };
        let idle_records = || {
            store
                .audit_records()
                .into_iter()
                .filter(|r| r.event == AuditEvent::Stopped)
                .map(|r| {
                    (
                        r.impersonation_id.unwrap_or_default(),
                        r.cause.unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        };

        let first = run_cleanup(&state).await.unwrap();
        assert_eq!(
            (first.ended, first.ended_idle, first.revoked, first.finished),
            (0, 1, 1, true),
            "{first:?}"
        );
        assert_eq!(status("idle").await, ImpersonationStatus::Ended);
        assert_eq!(status("busy").await, ImpersonationStatus::Active);
        assert_eq!(status("timeless").await, ImpersonationStatus::Active);
        assert_eq!(*identity.revoked.lock().unwrap(), ["refresh-idle"]);
        let records = idle_records();
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0].0, "idle");
        assert!(
            records[0].1.starts_with("ended for idleness"),
            "{records:?}"
        );

        // A second later the busy one is idle too; the first is not ended twice.
        clock.advance_secs(1);
        let second = run_cleanup(&state).await.unwrap();
        assert_eq!(second.ended_idle, 1, "{second:?}");
        assert_eq!(status("busy").await, ImpersonationStatus::Ended);
        assert_eq!(status("timeless").await, ImpersonationStatus::Active);
        let ended: Vec<String> = idle_records().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ended, ["idle", "busy"]);
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
