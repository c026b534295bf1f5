//! `POST /auth/cognito` in Cognito's JSON protocol (`X-Amz-Target:
//! AWSCognitoIdentityProviderService.<Operation>`): the operations a front end calls on a
//! session, each answered by `app::cognito_endpoint`; every other operation gets 403.

use crate::app::cognito_endpoint::{refresh_session, session_user, sign_out, AuthenticationResult};
use crate::app::state::SessionState;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::{ActasError, Result};
use crate::http::extract::{header, json_object_body};
use crate::http::origin::origin_of;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};
use tracing::instrument;

/// `POST /auth/cognito`: the `endpointUrl` of impersonated sessions, in Cognito's JSON
/// protocol. Errors carry Cognito's error name (`__type`, `x-amzn-ErrorType`) next to the
/// usual `{"status":"error","message":...}`, so SDKs raise the exception they know.
#[instrument(name = "cognito_endpoint", skip_all)]
pub async fn handle(state: &SessionState, req: Request) -> Response<Body> {
    use crate::http::cognito_endpoint::{error_type, serve, Operation};
    let origin = origin_of(&req);
    let target = header(&req, "x-amz-target").unwrap_or_default().to_string();
    let result = async {
        let operation = Operation::parse(Some(&target))?;
        let body = json_object_body(&req)?.unwrap_or_default();
        serve(state, operation, &target, &body, &origin).await
    }
    .await;
    let mut response = match result {
        Ok(body) => crate::http::respond::json_response(200, &body),
        Err(err) => {
            let mut response = crate::http::respond::error_response(&err);
            let body = serde_json::json!({
                "status": "error",
                "message": err.public_message(),
                "__type": error_type(&err),
            });
            *response.body_mut() = Body::from(body.to_string());
            if let Ok(value) = lambda_http::http::HeaderValue::from_str(error_type(&err)) {
                response.headers_mut().insert("x-amzn-errortype", value);
            }
            response
        }
    };
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    response
}

/// The operations actas serves, by their `X-Amz-Target` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `InitiateAuth` with `REFRESH_TOKEN_AUTH` (or `REFRESH_TOKEN`).
    InitiateAuth,
    GetTokensFromRefreshToken,
    /// Signs the session out: the impersonation ends.
    RevokeToken,
    GetUser,
}

pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

impl Operation {
    /// `Ok(None)`: a Cognito operation that actas refuses for impersonated sessions.
    pub fn parse(target: Option<&str>) -> Result<Option<Operation>> {
        let name = target
            .and_then(|t| t.strip_prefix(TARGET_PREFIX))
            .filter(|n| {
                !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric())
            })
            .ok_or_else(|| {
                ActasError::BadRequest(format!(
                    "X-Amz-Target must name a Cognito operation ({TARGET_PREFIX}<Operation>)"
                ))
            })?;
        Ok(match name {
            "InitiateAuth" => Some(Operation::InitiateAuth),
            "GetTokensFromRefreshToken" => Some(Operation::GetTokensFromRefreshToken),
            "RevokeToken" => Some(Operation::RevokeToken),
            "GetUser" => Some(Operation::GetUser),
            _ => None,
        })
    }
}

/// Largest refresh or access token actas reads.
pub(crate) const MAX_TOKEN_BYTES: usize = 8 * 1024;

pub(crate) fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    match body.get(name) {
        Some(Value::String(v)) if !v.is_empty() && v.len() <= MAX_TOKEN_BYTES => Ok(v),
        Some(Value::String(v)) if !v.is_empty() => {
            Err(ActasError::BadRequest(format!("{name} is too long")))
        }
        Some(Value::String(_)) | None | Some(Value::Null) => Err(ActasError::BadRequest(format!(
            "Missing required parameter {name}"
        ))),
        Some(_) => Err(ActasError::BadRequest(format!("{name} must be a string"))),
    }
}

/// Serves one operation; the body is the request's JSON object.
pub async fn serve(
    state: &SessionState,
    operation: Option<Operation>,
    target: &str,
    body: &Map<String, Value>,
    origin: &RequestOrigin,
) -> Result<Value> {
    let Some(operation) = operation else {
        return Err(ActasError::Forbidden(format!(
            "{} is not allowed for an impersonated session: it may act as the user, never change the account",
            target.strip_prefix(TARGET_PREFIX).unwrap_or(target)
        )));
    };
    let to_json = |v: &AuthenticationResult| serde_json::to_value(v).unwrap_or(Value::Null);
    match operation {
        Operation::InitiateAuth => {
            let flow = body.get("AuthFlow").and_then(Value::as_str).unwrap_or("");
            if flow != "REFRESH_TOKEN_AUTH" && flow != "REFRESH_TOKEN" {
                return Err(ActasError::Forbidden(
                    "only REFRESH_TOKEN_AUTH is served here; sessions are started through actas"
                        .into(),
                ));
            }
            let params = match body.get("AuthParameters") {
                Some(Value::Object(params)) => params,
                _ => {
                    return Err(ActasError::BadRequest(
                        "Missing required parameter AuthParameters".into(),
                    ))
                }
            };
            let result = refresh_session(
                state,
                field(body, "ClientId")?,
                field(params, "REFRESH_TOKEN")?,
            )
            .await?;
            Ok(json!({"AuthenticationResult": to_json(&result), "ChallengeParameters": {}}))
        }
        Operation::GetTokensFromRefreshToken => {
            let result = refresh_session(
                state,
                field(body, "ClientId")?,
                field(body, "RefreshToken")?,
            )
            .await?;
            Ok(json!({"AuthenticationResult": to_json(&result)}))
        }
        Operation::RevokeToken => {
            sign_out(
                state,
                field(body, "ClientId")?,
                field(body, "Token")?,
                origin,
            )
            .await?;
            Ok(json!({}))
        }
        Operation::GetUser => session_user(state, field(body, "AccessToken")?).await,
    }
}

/// Cognito's error name for an actas error, so SDKs raise the exception they know.
pub fn error_type(err: &ActasError) -> &'static str {
    match err {
        ActasError::BadRequest(_) => "InvalidParameterException",
        ActasError::Unauthorized(_)
        | ActasError::StepUpRequired { .. }
        | ActasError::Forbidden(_)
        | ActasError::Denied(_) => "NotAuthorizedException",
        ActasError::NotFound(_) => "UserNotFoundException",
        ActasError::MethodNotAllowed(_) => "InvalidParameterException",
        ActasError::Throttled => "TooManyRequestsException",
        ActasError::Conflict(_) | ActasError::Unprocessable(_) => "InvalidParameterException",
        ActasError::Upstream(_) | ActasError::Internal(_) => "InternalErrorException",
    }
}
