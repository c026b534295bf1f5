//! A Cognito token once verified: who, which client, and (for an impersonated session) the
//! RFC 8693 `act` claim naming the actor.

use serde::Deserialize;

/// Which of Cognito's tokens it is: the kit's type (one token format for actas and the
/// services behind it).
pub use actas_verify::TokenUse;

/// RFC 8693 actor claim, as actas writes it into impersonated tokens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ActorClaim {
    pub sub: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// What a verified token says about its bearer.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub sub: String,
    pub username: String,
    pub token_use: TokenUse,
    pub client_id: String,
    pub expires_at: i64,
    /// Present when the token belongs to an impersonated session.
    pub act: Option<serde_json::Value>,
    pub impersonation_id: Option<String>,
    /// `custom:tenant_id`, which id tokens carry (access tokens do not).
    pub tenant: Option<String>,
    /// When the bearer signed in (`auth_time`, epoch seconds): Cognito keeps it across refreshes,
    /// so it says how fresh the sign-in is, not the token. `None` when the token has none.
    pub auth_time: Option<i64>,
}

impl VerifiedToken {
    pub fn is_impersonated(&self) -> bool {
        self.act.is_some() || self.impersonation_id.is_some()
    }
}
