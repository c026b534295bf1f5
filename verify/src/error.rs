//! Why a request is refused, and how a refusal is answered.

use serde_json::json;

/// Every refusal of this crate. `status()` and `message()` are what a caller may see;
/// `Display` adds the detail of an upstream failure, for logs (it never contains a token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No token, or one that is malformed, badly signed, expired, for another issuer or client.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid on its face, but actas says the session is over (stopped, ended, user disabled).
    #[error("token revoked: the session has ended")]
    Revoked,
    /// A read-only impersonated session asked for a write.
    #[error("read-only impersonation: this session cannot make changes")]
    ReadOnly,
    /// The pool's keys or actas could not be reached or answered nonsense: refused, never allowed.
    #[error("upstream failure ({context}): {detail}")]
    Upstream {
        context: &'static str,
        detail: String,
    },
    /// The verifier was built with an unusable setting (at start-up, not per request).
    #[error("configuration: {0}")]
    Config(String),
}

pub(crate) const UPSTREAM_MESSAGE: &str =
    "the authorization service is unavailable; try again later";

impl VerifyError {
    pub(crate) fn invalid(reason: &str) -> VerifyError {
        VerifyError::Unauthorized(format!("invalid token: {reason}"))
    }

    pub(crate) fn upstream(context: &'static str, detail: impl std::fmt::Display) -> VerifyError {
        VerifyError::Upstream {
            context,
            detail: detail.to_string(),
        }
    }

    /// The HTTP status of the refusal: 401 bad or revoked token, 403 read-only write,
    /// 502 upstream failure, 500 misconfiguration.
    pub fn status(&self) -> u16 {
        match self {
            VerifyError::Unauthorized(_) | VerifyError::Revoked => 401,
            VerifyError::ReadOnly => 403,
            VerifyError::Upstream { .. } => 502,
            VerifyError::Config(_) => 500,
        }
    }

    /// What the caller is told: no upstream detail, never a token.
    pub fn message(&self) -> String {
        match self {
            VerifyError::Upstream { .. } => UPSTREAM_MESSAGE.to_string(),
            VerifyError::Config(_) => "the service is misconfigured".to_string(),
            other => other.to_string(),
        }
    }

    /// The refusal's body: `{"status":"error","message":...}`.
    pub fn to_json(&self) -> String {
        json!({"status": "error", "message": self.message()}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_safe_messages() {
        let cases = [
            (
                VerifyError::invalid("expired"),
                401,
                "invalid token: expired",
            ),
            (VerifyError::Revoked, 401, "token revoked"),
            (VerifyError::ReadOnly, 403, "read-only"),
            (
                VerifyError::upstream("fetching the JWKS", "connection refused to 10.0.0.1"),
                502,
                "unavailable",
            ),
            (VerifyError::Config("bad URL".into()), 500, "misconfigured"),
        ];
        for (error, status, message) in cases {
            assert_eq!(error.status(), status, "{error}");
            assert!(error.message().contains(message), "{error}");
            let body: serde_json::Value = serde_json::from_str(&error.to_json()).unwrap();
            assert_eq!(body["status"], "error");
            assert_eq!(body["message"], error.message());
        }
        let upstream = VerifyError::upstream("fetching the JWKS", "connection refused");
        assert!(
            !upstream.message().contains("refused"),
            "no detail for callers"
        );
        assert!(upstream.to_string().contains("refused"), "detail for logs");
    }
}
