//! Ending an impersonation, whichever path ends it (stop, sign-out, revert, expiry): a conditional
//! write, the refresh token revoked, and `revoked_at` recorded so cleanup can retry.

use crate::app::state::{Api, Sessions};
use crate::app::token_check::ImpersonationView;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::Result;
use crate::domain::grant::{Impersonation, ImpersonationStatus};
use serde::Serialize;
use tracing::{info, warn};

/// What ending an impersonation answers (stop, sign-out).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StopResult {
    /// Always `ended`: stopping an ended impersonation changes nothing.
    pub status: &'static str,
    pub impersonation: ImpersonationView,
}

pub async fn end_and_revoke(
    state: &Api,
    sessions: &Sessions,
    imp: Impersonation,
    cause: &str,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    let now = state.clock.now_secs();
    let ports = SessionPorts {
        impersonations: sessions.impersonations.as_ref(),
        identity: state.identity.as_ref(),
        vault: sessions.vault.as_ref(),
        clock: state.clock.as_ref(),
    };
    // The refresh token is opened while the impersonation ends (a conditional write); then the
    // end is recorded while the token is revoked and the result read: three waves of calls,
    // and `revoked_at` after the revoke.
    let (ended_now, opened) = tokio::join!(
        sessions.impersonations.end(&imp.id, None, now),
        ports.open(&imp)
    );
    let ended_now = ended_now?;
    info!(impersonation_id = %imp.id, cause, ended_now, "impersonation stopped");
    // The end is on record whether or not the revoke succeeds.
    let recording = async {
        if ended_now {
            let mut record =
                AuditRecord::new(AuditEvent::Stopped, state.clock.now_millis(), origin).about(&imp);
            record.cause = Some(cause.to_string());
            state.audit.record(&record).await
        } else {
            Ok(())
        }
    };
    // Revoking again on a second stop is harmless, and covers a first stop whose revoke failed.
    let (recorded, _, current) = tokio::join!(
        recording,
        ports.revoke_opened(&imp, opened),
        sessions.impersonations.get(&imp.id)
    );
    recorded?;
    let current = current?.unwrap_or(imp);
    Ok(StopResult {
        status: "ended",
        impersonation: ImpersonationView::of(&current, now),
    })
}

/// Revokes an ended impersonation's refresh token in Cognito and records when.
pub async fn revoke_session(state: &Api, sessions: &Sessions, imp: &Impersonation) {
    let ports = SessionPorts {
        impersonations: sessions.impersonations.as_ref(),
        identity: state.identity.as_ref(),
        vault: sessions.vault.as_ref(),
        clock: state.clock.as_ref(),
    };
    ports.revoke(imp).await;
}

/// What revoking an ended session needs (the API functions and the cleanup both do it).
pub struct SessionPorts<'a> {
    pub impersonations: &'a dyn crate::ports::grants::ImpersonationStore,
    pub identity: &'a dyn crate::ports::identity::IdentityProvider,
    pub vault: &'a dyn crate::ports::vault::RefreshTokenVault,
    pub clock: &'a dyn crate::ports::clock::Clock,
}

impl SessionPorts<'_> {
    /// Revokes the kept refresh token and records `revoked_at`. A failure is logged, not raised:
    /// the impersonation has ended either way, and the next cleanup revokes every ended
    /// impersonation that has no `revoked_at`. Returns whether the revoke succeeded.
    pub async fn revoke(&self, imp: &Impersonation) -> bool {
        let opened = self.open(imp).await;
        self.revoke_opened(imp, opened).await
    }

    /// The kept refresh token, opened (`None`: none was kept).
    pub async fn open(&self, imp: &Impersonation) -> Option<Result<String>> {
        let Some(sealed) = &imp.refresh_token_sealed else {
            if imp.status == ImpersonationStatus::Active {
                warn!(impersonation_id = %imp.id, "an active impersonation without a kept refresh token");
            }
            return None;
        };
        Some(self.vault.open(&imp.id, sealed).await)
    }

    /// `revoke`, with the refresh token already opened (`open`).
    pub async fn revoke_opened(&self, imp: &Impersonation, opened: Option<Result<String>>) -> bool {
        let Some(opened) = opened else {
            return false;
        };
        let revoked = match opened {
            Ok(token) => {
                self.identity
                    .revoke_refresh_token(&imp.client_id, &token)
                    .await
            }
            Err(err) => Err(err),
        };
        match revoked {
            Ok(()) => {
                let now = self.clock.now_secs();
                if let Err(err) = self.impersonations.mark_revoked(&imp.id, now).await {
                    warn!(impersonation_id = %imp.id, error = %err, "revoked, but not recorded");
                }
                true
            }
            Err(err) => {
                warn!(impersonation_id = %imp.id, error = %err, "refresh token not revoked; cleanup retries");
                false
            }
        }
    }
}
