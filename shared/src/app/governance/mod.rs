//! Governance (issue 12): a tenant's settings, the approval and consent a start may need, and
//! protected accounts; one file per use case: `admission` (what every start must pass: `admit`),
//! `requests` (list, approve or deny, consent), `settings`, `protection`.

mod admission;
mod protection;
mod requests;
mod settings;

pub use admission::*;
pub use protection::*;
pub use requests::*;
pub use settings::*;

use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::audit::{bounded, AuditEvent, AuditRecord, RequestOrigin, MAX_TEXT_CHARS};
use crate::domain::error::Result;
use crate::domain::governance::{AccessRequest, DeploymentLimits, TenantSettings};
use crate::domain::policy::{Denial, SessionKind};
use crate::domain::settings::Policy;
use crate::ports::governance::GovernanceStore;
use std::sync::Arc;

/// The governance a route needs: the store, and the deployment's limits and request window.
#[derive(Clone)]
pub struct Governance {
    pub store: Arc<dyn GovernanceStore>,
    pub limits: DeploymentLimits,
    /// How long a request waits for its approval and consent (`REQUEST_WINDOW_SECONDS`).
    pub request_window_secs: i64,
}

/// The governance routes (settings, requests, protection): the common `Api` and the store.
pub struct GovernanceState {
    pub api: Api,
    pub governance: Governance,
}

impl Governance {
    pub fn new(store: Arc<dyn GovernanceStore>, policy: &Policy) -> Governance {
        Governance {
            store,
            limits: DeploymentLimits {
                max_duration_seconds: policy.impersonation_max_secs,
                full_mode_roles: policy.mode_rules.full_roles.clone(),
                token_horizon_seconds: policy.token_horizon_secs(),
                idle_seconds: policy.impersonation_idle_secs,
                step_up_max_age_seconds: policy.step_up_max_age_secs,
            },
            request_window_secs: policy.request_window_secs,
        }
    }

    /// The tenant's settings, or the defaults when it never set any.
    pub async fn settings_for(&self, tenant: Option<&str>) -> Result<TenantSettings> {
        let tenant = tenant.unwrap_or("-");
        Ok(match self.store.settings(tenant).await? {
            Some(settings) => settings.normalized(&self.limits),
            None => TenantSettings::defaults(tenant, &self.limits),
        })
    }
}

async fn record(
    state: &Api,
    event: AuditEvent,
    request: &AccessRequest,
    origin: &RequestOrigin,
    cause: Option<String>,
) -> Result<()> {
    let mut record = AuditRecord::new(event, state.clock.now_millis(), origin);
    record.actor_sub = Some(request.requester_sub.clone());
    record.actor_username = Some(request.requester_username.clone());
    record.target_sub = Some(request.target_sub.clone());
    record.target_username = Some(request.target_username.clone());
    record.tenant = request.tenant.clone();
    record.reason = request.reason.clone();
    record.ticket = request.ticket.clone();
    record.mode = Some(request.mode);
    record.request_id = Some(request.id.clone());
    record.cause = cause.map(|c| bounded(&c, MAX_TEXT_CHARS));
    state.audit.record(&record).await
}

fn own_session(state: &Api, caller: &Caller) -> Result<()> {
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
