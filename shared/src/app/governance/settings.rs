//! A tenant's settings: who reads and changes them, and the change itself (API and CLI).

use super::{own_session, Governance};
use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::audit::{bounded, AuditEvent, AuditRecord, RequestOrigin, MAX_TEXT_CHARS};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::TenantSettings;
use crate::domain::policy::Role;
use crate::ports::clock::rfc3339_millis;
use serde_json::{Map, Value};

/// Whose settings a caller reads or changes: their own tenant's (admins and operators read,
/// admins change), any tenant's for super-admins.
fn settings_tenant(caller: &Caller, asked: Option<&str>, change: bool) -> Result<String> {
    let me = caller.user.principal();
    let own = me.tenant.clone();
    match me.role {
        Role::SuperAdmin => asked
            .map(str::to_string)
            .or(own)
            .ok_or_else(|| ActasError::BadRequest("tenant is required".into())),
        Role::Admin | Role::Operator if !change || me.role == Role::Admin => {
            let own = own.ok_or_else(|| ActasError::Forbidden("you have no tenant".into()))?;
            match asked {
                Some(other) if other != own => Err(ActasError::Forbidden(
                    "you may only read or change your own tenant's settings".into(),
                )),
                _ => Ok(own),
            }
        }
        _ => Err(ActasError::Forbidden(
            "only the tenant's admins may change its settings, and its operators read them".into(),
        )),
    }
}

pub async fn read_settings(
    state: &Api,
    governance: &Governance,
    caller: &Caller,
    tenant: Option<&str>,
) -> Result<TenantSettings> {
    own_session(state, caller)?;
    let tenant = settings_tenant(caller, tenant, false)?;
    governance.settings_for(Some(&tenant)).await
}

/// Applies a change (the keys it names) to a tenant's settings; 422 for an unknown key or a
/// value out of range, and nothing changes. Audited with what changed.
pub async fn change_settings(
    state: &Api,
    governance: &Governance,
    caller: &Caller,
    tenant: Option<&str>,
    changes: &Map<String, Value>,
    origin: &RequestOrigin,
) -> Result<TenantSettings> {
    own_session(state, caller)?;
    let tenant = settings_tenant(caller, tenant, true)?;
    let by = ChangedBy {
        sub: Some(caller.user.sub.clone()),
        username: caller.user.username.clone(),
    };
    let now = state.clock.now_millis();
    apply_settings_change(governance, &state.audit, &tenant, changes, &by, now, origin).await
}

/// Who changes settings: a signed-in admin, or an operator at the CLI (no `sub`).
pub struct ChangedBy {
    pub sub: Option<String>,
    pub username: String,
}

/// Applies, stores and audits a settings change (the API route and `actas settings set`).
pub async fn apply_settings_change(
    governance: &Governance,
    audit: &crate::app::audit_trail::AuditTrail,
    tenant: &str,
    changes: &Map<String, Value>,
    by: &ChangedBy,
    now_millis: i64,
    origin: &RequestOrigin,
) -> Result<TenantSettings> {
    let mut settings = governance.settings_for(Some(tenant)).await?;
    settings.apply(changes, &governance.limits)?;
    settings.updated_at = Some(rfc3339_millis(now_millis));
    settings.updated_by = Some(by.username.clone());
    governance.store.put_settings(&settings).await?;
    let mut record = AuditRecord::new(AuditEvent::SettingsChanged, now_millis, origin);
    record.actor_sub = by.sub.clone();
    record.actor_username = Some(by.username.clone());
    record.tenant = Some(tenant.to_string());
    record.cause = Some(bounded(
        &Value::Object(changes.clone()).to_string(),
        MAX_TEXT_CHARS,
    ));
    audit.record(&record).await?;
    Ok(settings)
}
