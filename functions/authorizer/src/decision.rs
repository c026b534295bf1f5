//! The authorizer's decision for one API Gateway REST `REQUEST` authorizer event.
//!
//! API Gateway acts on the answer: `Err("Unauthorized")` is a 401, a `Deny` policy a 403, any
//! other error a 500 (`AUTHORIZER_FAILURE`), and an `Allow` policy passes the request on with
//! the `context` (strings only) in `requestContext.authorizer`.

use actas_verify::env::Settings;
use actas_verify::{Guard, Session};
use http::Method;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tracing::{error, info};

/// Built once per container.
pub struct Authorizer {
    pub settings: Settings,
    pub guard: Guard,
}

/// Why no policy is returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No, bad, expired or revoked token: API Gateway answers 401.
    Unauthorized,
    /// The decision could not be made (actas or the keys unreachable, a malformed event): the
    /// request is refused with a 500, never let through.
    Failed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            // The exact message API Gateway maps to 401.
            Refusal::Unauthorized => "Unauthorized",
            Refusal::Failed => "authorization failed",
        })
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for Diagnostic {
    fn from(refusal: Refusal) -> Diagnostic {
        Diagnostic {
            error_type: match refusal {
                Refusal::Unauthorized => "Unauthorized",
                Refusal::Failed => "AuthorizerFailure",
            }
            .into(),
            error_message: refusal.to_string(),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    pub principal_id: String,
    pub policy_document: PolicyDocument,
    pub context: BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub action: &'static str,
    pub effect: &'static str,
    pub resource: String,
}

/// A string field of the event; `null`, absent and non-strings read as absent.
fn text<'a>(event: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(event, |value, key| value.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A header, by case-insensitive name, from `headers` or else `multiValueHeaders`.
fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    let find = |field: &str| {
        event
            .get(field)?
            .as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };
    find("headers")
        .and_then(Value::as_str)
        .or_else(|| find("multiValueHeaders")?.get(0)?.as_str())
}

fn context_of(session: &Session) -> BTreeMap<&'static str, String> {
    let actor = session.actor.as_ref();
    BTreeMap::from([
        ("sub", session.sub.clone()),
        ("username", session.username.clone()),
        ("actorSub", actor.map(|a| a.sub.clone()).unwrap_or_default()),
        (
            "actorUsername",
            actor.map(|a| a.username.clone()).unwrap_or_default(),
        ),
        (
            "impersonationId",
            session.impersonation_id.clone().unwrap_or_default(),
        ),
        (
            "mode",
            session
                .mode
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        ),
        (
            "impersonationEndsAt",
            session.ends_at.map(|t| t.to_string()).unwrap_or_default(),
        ),
    ])
}

fn policy(session: &Session, effect: &'static str, method_arn: &str) -> AuthorizerResponse {
    AuthorizerResponse {
        principal_id: session.sub.clone(),
        policy_document: PolicyDocument {
            version: "2012-10-17",
            statement: vec![Statement {
                action: "execute-api:Invoke",
                effect,
                resource: method_arn.to_string(),
            }],
        },
        context: context_of(session),
    }
}

impl Authorizer {
    pub async fn decide(&self, event: &Value) -> Result<AuthorizerResponse, Refusal> {
        let (Some(method_arn), Some(method)) = (
            text(event, &["methodArn"]),
            text(event, &["httpMethod"]).or_else(|| text(event, &["requestContext", "httpMethod"])),
        ) else {
            error!("not a REQUEST authorizer event: no methodArn or httpMethod");
            return Err(Refusal::Failed);
        };
        let Ok(method) = Method::from_bytes(method.as_bytes()) else {
            error!("not a REQUEST authorizer event: the method is not an HTTP method");
            return Err(Refusal::Failed);
        };
        // actas shares the gateway: its URL comes from the context API Gateway writes, never
        // from the Host header, which the caller chooses.
        let api_url = if self.guard.needs_api_url() {
            match (
                text(event, &["requestContext", "apiId"]),
                text(event, &["requestContext", "stage"]),
            ) {
                (Some(api_id), Some(stage)) => self.settings.actas_api_url_for(api_id, stage),
                _ => None,
            }
        } else {
            None
        };
        let authorization = header(event, "authorization");
        let session = match self.guard.session(authorization, api_url.as_deref()).await {
            Ok(session) => session,
            Err(err) if err.status() == 401 => {
                info!(method = %method, reason = %err, "unauthorized");
                return Err(Refusal::Unauthorized);
            }
            Err(err) => {
                error!(method = %method, error = %err, "authorization failed; refusing");
                return Err(Refusal::Failed);
            }
        };
        // A read-only session's write is denied by policy: API Gateway answers 403.
        let effect = match session.authorize(&method, self.guard.rule()) {
            Ok(()) => "Allow",
            Err(_) => "Deny",
        };
        info!(
            effect,
            method = %method,
            sub = %session.sub,
            actor_sub = session.actor.as_ref().map(|a| a.sub.as_str()),
            impersonation_id = session.impersonation_id.as_deref(),
            mode = session.mode.map(|m| m.as_str()),
            "decided"
        );
        Ok(policy(&session, effect, method_arn))
    }
}

#[cfg(test)]
mod tests;
