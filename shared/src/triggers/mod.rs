//! The Cognito custom-auth and pre-token-generation triggers.
//!
//! An event stays the JSON value Cognito sent: the trigger reads what it needs through a typed
//! view (`TriggerEvent`: aws_lambda_events' header, and the request in the crate's type where
//! that type accepts what Cognito and the local emulator send) and writes its `response` (in the
//! crate's response types where they write what actas answers), passing everything else back as
//! it came. What goes on to a pool's own functions is never a typed event written back: it goes
//! whole (`chain`). Any other client than the impersonation client, and any grant that is
//! missing, used, expired or for another user, gets no tokens from actas. In a pool actas
//! joined, custom auth of other clients is the pool's own (its functions answer, `chain`), and
//! the pool's pre-token function still writes its claims, under actas's (`token_overrides`).
//! Errors fail the authentication: a trigger never guesses.

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
use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsHeader, CognitoEventUserPoolsPreTokenGenRequest,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
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

/// What every trigger event has (`triggerSource`, `userName`, `callerContext`, ...), read by
/// aws_lambda_events. The source is read as a string, not as the crate's enum of a trigger's
/// sources: those lack some that Cognito sends (`TokenGeneration_ClientCredentials`), and a
/// source the enum does not know would fail the sign-in.
pub(crate) type EventHeader = CognitoEventUserPoolsHeader<String>;

/// A trigger event as actas reads it: the header and the trigger's `request` (`R`). A view only:
/// the event answered is the JSON value that came, with its `response` set (`set_response`).
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de> + Default"))]
pub(crate) struct TriggerEvent<R> {
    #[serde(flatten)]
    header: EventHeader,
    #[serde(default, deserialize_with = "nullable")]
    request: R,
}

/// The `request` of the custom-auth events (define, create and verify) as actas reads them.
/// actas's own, not aws_lambda_events' request types: those read `userNotFound` and each
/// `session[].challengeResult` as plain booleans, and `null` comes for both — the local
/// emulator sends `challengeResult: null` for a challenge not answered yet, and a field without a
/// value may be `null` (`nulls_where_aws_has_values_are_read_as_absent`). Those types would
/// refuse the sign-in; here `null` reads as absent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomAuthRequest {
    #[serde(default, deserialize_with = "nullable")]
    session: Vec<SessionEntry>,
    #[serde(default, deserialize_with = "nullable")]
    client_metadata: HashMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    challenge_answer: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    user_not_found: bool,
}

/// One round of a custom-auth session (aws_lambda_events' `CognitoEventUserPoolsChallengeResult`
/// with a result that may be `null`: pending).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionEntry {
    #[serde(default, deserialize_with = "nullable")]
    challenge_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    challenge_result: bool,
}

impl<R: DeserializeOwned + Default> TriggerEvent<R> {
    fn read(event: &Value) -> Result<TriggerEvent<R>> {
        TriggerEvent::deserialize(event)
            .map_err(|e| ActasError::BadRequest(format!("unreadable trigger event: {e}")))
    }
}

impl<R> TriggerEvent<R> {
    fn client_id(&self) -> Option<&str> {
        self.header.caller_context.client_id.as_deref()
    }

    fn is_from_client(&self, client_id: &str) -> bool {
        self.client_id() == Some(client_id)
    }

    fn user_name(&self) -> Option<&str> {
        self.header.user_name.as_deref()
    }

    fn trigger_source(&self) -> Option<&str> {
        self.header.trigger_source.as_deref()
    }
}

/// A request with the client metadata of the authentication (where actas names the grant).
pub(crate) trait WithClientMetadata {
    fn client_metadata(&self) -> &HashMap<String, String>;
}

impl WithClientMetadata for CustomAuthRequest {
    fn client_metadata(&self) -> &HashMap<String, String> {
        &self.client_metadata
    }
}

impl WithClientMetadata for CognitoEventUserPoolsPreTokenGenRequest {
    fn client_metadata(&self) -> &HashMap<String, String> {
        &self.client_metadata
    }
}

impl<R: WithClientMetadata> TriggerEvent<R> {
    /// A value actas put in the client metadata, if it is there and not empty.
    fn metadata(&self, name: &str) -> Option<&str> {
        self.request
            .client_metadata()
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    fn impersonation_id(&self) -> Option<&str> {
        self.metadata(METADATA_IMPERSONATION_ID)
    }

    fn remint_id(&self) -> Option<&str> {
        self.metadata(METADATA_REMINT_ID)
    }
}

/// Writes the trigger's answer into the event's `response`, leaving the rest as it came.
pub(crate) fn set_response(event: &mut Value, response: impl Serialize) -> Result<()> {
    let response = serde_json::to_value(response)
        .map_err(|e| ActasError::Internal(format!("trigger response: {e}")))?;
    if let Some(object) = event.as_object_mut() {
        object.insert("response".to_string(), response);
    }
    Ok(())
}
