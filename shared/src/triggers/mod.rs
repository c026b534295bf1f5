//! The Cognito custom-auth and pre-token-generation triggers.
//!
//! Events are handled as JSON values: the trigger reads the few fields it needs and writes its
//! `response`, passing everything else back as Cognito sent it. Any other client than the
//! impersonation client, and any grant that is missing, used, expired or for another user, gets
//! no tokens from actas. In a pool actas joined, custom auth of other clients is the pool's own
//! (its functions answer, `chain`), and the pool's pre-token function still writes its claims,
//! under actas's (`token_overrides`). Errors fail the authentication: a trigger never guesses.

pub mod chain;
pub mod create_auth_challenge;
pub mod define_auth_challenge;
pub mod grant;
pub mod pre_token_generation;
pub mod token_overrides;
pub mod verify_auth_challenge;

#[cfg(test)]
mod chain_tests;
#[cfg(test)]
mod tests;

use crate::domain::error::{ActasError, Result};
use crate::ports::clock::Clock;
use crate::ports::grants::ImpersonationStore;
use crate::ports::identity::{METADATA_IMPERSONATION_ID, METADATA_REMINT_ID};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

pub const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// Claims actas adds to impersonated tokens: named where the services behind actas read them
/// (`actas_verify::claims`).
pub const CLAIM_ACT: &str = actas_verify::claims::ACT;

pub const CLAIM_IMPERSONATION_ID: &str = actas_verify::claims::IMPERSONATION_ID;

pub const CLAIM_IMPERSONATION_EXPIRES_AT: &str = actas_verify::claims::IMPERSONATION_EXPIRES_AT;

/// `read_only` or `full`, next to `act`: what the session may do downstream.
pub const CLAIM_IMPERSONATION_MODE: &str = actas_verify::claims::IMPERSONATION_MODE;

/// The scope that lets an access token call Cognito's self-service API (change email,
/// password, MFA, attributes; sign out everywhere; delete the account). Impersonated access
/// tokens never carry it: acting as a user in apps must never take the account over.
pub const SELF_SERVICE_SCOPE: &str = "aws.cognito.signin.user.admin";

/// Reads `null` as the field's default: Cognito (and the local emulator more so) sends `null`
/// for fields it has no value for.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

pub struct TriggerState {
    pub impersonation_client_id: String,
    pub revert_client_id: String,
    pub store: Arc<dyn ImpersonationStore>,
    /// Refreshed with every sign-in the pre-token trigger sees (profiles read it).
    pub directory: Arc<dyn crate::ports::directory::Directory>,
    /// The resource server's scopes: read for every access token, write unless read-only.
    pub scopes: crate::domain::scopes::SessionScopes,
    pub clock: Arc<dyn Clock>,
    /// How the directory reads a signed-in user's role, tenant and team.
    pub identity_mapping: crate::domain::identity_mapping::IdentityMapping,
    /// In a pool actas joined (`CHAIN_POOL_TRIGGERS`), the pool's own functions: verify passes
    /// other clients' events to its function, pre-token merges its function's answer.
    pub chain: Option<chain::PoolTriggerChain>,
}

/// The clients custom auth is for: impersonated sessions, and impersonators' own sessions
/// handed back by a revert.
#[derive(Debug, Clone)]
pub struct CustomAuthClients {
    pub impersonation_client_id: String,
    pub revert_client_id: String,
}

impl CustomAuthClients {
    fn allows(&self, client_id: Option<&str>) -> bool {
        client_id.is_some_and(|c| c == self.impersonation_client_id || c == self.revert_client_id)
    }
}

/// What the define and create triggers are built with: actas's clients and, in a pool actas
/// joined, the pool's own functions that every other client's events go to.
pub struct CustomAuthTrigger {
    pub clients: CustomAuthClients,
    pub chain: Option<chain::PoolTriggerChain>,
}

impl From<CustomAuthClients> for CustomAuthTrigger {
    /// A pool actas created: nothing to pass on.
    fn from(clients: CustomAuthClients) -> Self {
        CustomAuthTrigger {
            clients,
            chain: None,
        }
    }
}

/// The app client a custom-auth event is for, read alone: whether an event is actas's is decided
/// before anything else of it is read, and an event that is not goes on exactly as it came.
pub(crate) fn caller_client(event: &Value) -> Option<&str> {
    event
        .pointer("/callerContext/clientId")
        .and_then(Value::as_str)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallerContext {
    #[serde(default, deserialize_with = "nullable")]
    client_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionEntry {
    #[serde(default, deserialize_with = "nullable")]
    challenge_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    challenge_result: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TriggerRequest {
    #[serde(default, deserialize_with = "nullable")]
    session: Option<Vec<SessionEntry>>,
    #[serde(default, deserialize_with = "nullable")]
    client_metadata: Option<std::collections::HashMap<String, String>>,
    #[serde(default, deserialize_with = "nullable")]
    challenge_answer: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    user_not_found: bool,
    #[serde(default, deserialize_with = "nullable")]
    user_attributes: Option<std::collections::HashMap<String, Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TriggerEvent {
    #[serde(default, deserialize_with = "nullable")]
    trigger_source: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    user_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    caller_context: CallerContext,
    #[serde(default, deserialize_with = "nullable")]
    request: TriggerRequest,
}

impl TriggerEvent {
    fn read(event: &Value) -> Result<TriggerEvent> {
        TriggerEvent::deserialize(event)
            .map_err(|e| ActasError::BadRequest(format!("unreadable trigger event: {e}")))
    }

    fn is_from_client(&self, client_id: &str) -> bool {
        self.caller_context.client_id.as_deref() == Some(client_id)
    }

    fn impersonation_id(&self) -> Option<&str> {
        self.request
            .client_metadata
            .as_ref()
            .and_then(|m| m.get(METADATA_IMPERSONATION_ID))
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }

    fn remint_id(&self) -> Option<&str> {
        self.request
            .client_metadata
            .as_ref()
            .and_then(|m| m.get(METADATA_REMINT_ID))
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }

    fn user_sub(&self) -> Option<&str> {
        self.request.user_attributes.as_ref()?.get("sub")?.as_str()
    }
}

pub(crate) fn set_response(event: &mut Value, response: Value) {
    if let Some(object) = event.as_object_mut() {
        object.insert("response".to_string(), response);
    }
}
