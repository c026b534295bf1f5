//! The one error type of actas and the only place that decides its HTTP status and the message
//! a caller may see. Upstream details are logged where they happen, never sent to the caller.

use crate::domain::policy::Denial;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ActasError {
    /// The request is malformed: bad JSON, a missing or unusable parameter.
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or credentials that are not valid (bad signature, expired, unknown user).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's sign-in is older than this needs (step-up): sign in again. A 401 whose body
    /// also says `reason: step_up_required` and the maximum age, so a client can ask for a fresh
    /// sign-in and try again.
    #[error("sign in again: this needs a sign-in from the last {max_age_seconds} seconds")]
    StepUpRequired { max_age_seconds: i64 },
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The policy refused the impersonation.
    #[error("{0}")]
    Denied(Denial),
    #[error("{0}")]
    NotFound(String),
    /// A known path asked with a method it does not serve.
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but invalid (e.g. a reason that is too long).
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many requests")]
    Throttled,
    /// An AWS call failed. The string is for the log only.
    #[error("upstream failure: {0}")]
    Upstream(String),
    /// A broken invariant on our side. The string is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ActasError {
    pub fn status(&self) -> u16 {
        match self {
            ActasError::BadRequest(_) => 400,
            ActasError::Unauthorized(_) | ActasError::StepUpRequired { .. } => 401,
            ActasError::Forbidden(_) | ActasError::Denied(_) => 403,
            ActasError::NotFound(_) => 404,
            ActasError::MethodNotAllowed(_) => 405,
            ActasError::Conflict(_) => 409,
            ActasError::Unprocessable(_) => 422,
            ActasError::Throttled => 429,
            ActasError::Upstream(_) => 502,
            ActasError::Internal(_) => 500,
        }
    }

    /// What the caller is told. Upstream and internal errors get a generic text.
    pub fn public_message(&self) -> String {
        match self {
            ActasError::Upstream(_) => "an upstream service failed; try again later".to_string(),
            ActasError::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        }
    }

    pub fn upstream(context: &str, err: impl std::fmt::Display) -> Self {
        ActasError::Upstream(format!("{context}: {err}"))
    }
}

impl From<Denial> for ActasError {
    fn from(denial: Denial) -> Self {
        ActasError::Denied(denial)
    }
}

pub type Result<T, E = ActasError> = std::result::Result<T, E>;
