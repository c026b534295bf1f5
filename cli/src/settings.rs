//! `actas settings show|set`: a tenant's governance settings from the operator's desk. The same
//! rules, storage and audit record as `PUT /auth/settings` (`app::governance`), with the
//! operator named `cli:<user>` on the record.

use std::sync::Arc;

use actas::adapters::aws::dynamodb::audit::DynamoAuditStore;
use actas::adapters::aws::dynamodb::DynamoStore;
use actas::app::audit_trail::AuditTrail;
use actas::app::governance::{apply_settings_change, ChangedBy, Governance};
use actas::domain::governance::{DeploymentLimits, TenantSettings};
use actas::domain::mode::ModeRules;
use actas::ports::clock::{Clock, SystemClock};

use crate::CliResult;

/// Where settings live, with the deployment's limits from the environment
/// (`IMPERSONATION_MAX_SECONDS`, `IMPERSONATION_IDLE_SECONDS`, `FULL_MODE_ROLES`,
/// `STEP_UP_MAX_AGE_SECONDS`; the template's defaults otherwise).
pub fn governance(sdk: &aws_config::SdkConfig, table: &str) -> Governance {
    let max_duration_seconds = std::env::var("IMPERSONATION_MAX_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3600);
    let full_mode_roles = std::env::var("FULL_MODE_ROLES")
        .ok()
        .and_then(|v| ModeRules::parse_roles(&v))
        .unwrap_or_else(|| ModeRules::default().full_roles);
    Governance {
        store: Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table)),
        limits: DeploymentLimits {
            max_duration_seconds,
            full_mode_roles,
            // The stack's defaults: the mint window and the impersonated tokens' validity.
            token_horizon_seconds: env_secs("MINT_WINDOW_SECONDS", 60)
                + env_secs("IMPERSONATION_TOKEN_MINUTES", 5) * 60,
            idle_seconds: env_secs("IMPERSONATION_IDLE_SECONDS", 1800),
            step_up_max_age_seconds: env_secs("STEP_UP_MAX_AGE_SECONDS", 0),
        },
        request_window_secs: 900,
    }
}

fn env_secs(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub async fn show(governance: &Governance, tenant: &str) -> CliResult<TenantSettings> {
    Ok(governance.settings_for(Some(tenant)).await?)
}

/// Applies `changes` (a JSON object of the keys to change) and records who did it.
pub async fn set(
    governance: &Governance,
    sdk: &aws_config::SdkConfig,
    audit_table: &str,
    tenant: &str,
    changes: &serde_json::Value,
) -> CliResult<TenantSettings> {
    let changes = changes
        .as_object()
        .ok_or("the change must be a JSON object")?;
    let audit = AuditTrail {
        store: Arc::new(DynamoAuditStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            audit_table,
        )),
    };
    let by = ChangedBy {
        sub: None,
        username: std::env::var("USER")
            .map(|user| format!("cli:{user}"))
            .unwrap_or_else(|_| "cli".into()),
    };
    Ok(apply_settings_change(
        governance,
        &audit,
        tenant,
        changes,
        &by,
        SystemClock.now_millis(),
        &Default::default(),
    )
    .await?)
}
