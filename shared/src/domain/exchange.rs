//! Two-step impersonation tokens (seeds 002 and 003): their claims, audiences and signing keys.
//! Tokens are JWTs signed by actas (HS256) whose `jti` is a single-use grant; `aud` names the
//! route that issued them, so a public token cannot be exchanged at the sys route and vice versa.

use crate::domain::error::{ActasError, Result};
use crate::domain::secrets::new_secret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const AUDIENCE_PUBLIC: &str = "actas:public";

pub const AUDIENCE_SYS: &str = "actas:sys";

pub(crate) const ISSUER: &str = "actas";

pub(crate) const TOKEN_USE: &str = "impersonation_exchange";

#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub secret: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Reads a key set: actas's `{"keys":[...]}` or the single `{"kid","secret"}` a template
/// generates at deploy time.
pub fn parse_key_set(text: &str) -> Result<Vec<SigningKey>> {
    let bad = || ActasError::Internal("the signing key secret is not a key set".into());
    let value: Value = serde_json::from_str(text).map_err(|_| bad())?;
    let entries = match value.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        _ => vec![value],
    };
    let keys: Vec<SigningKey> = entries
        .iter()
        .filter_map(|k| {
            let kid = k.get("kid")?.as_str()?.to_string();
            let secret = k.get("secret")?.as_str()?.to_string();
            (!kid.is_empty() && secret.len() >= 32).then_some(SigningKey { kid, secret })
        })
        .collect();
    if keys.is_empty() {
        return Err(bad());
    }
    Ok(keys)
}

/// A new key set: a fresh key first, then up to `keep` of the current keys.
pub fn rotate_key_set(current: Option<&str>, keep: usize) -> Result<String> {
    let previous = current
        .and_then(|text| parse_key_set(text).ok())
        .unwrap_or_default();
    let fresh = SigningKey {
        kid: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
        secret: new_secret()?,
    };
    let keys: Vec<Value> = std::iter::once(fresh)
        .chain(previous.into_iter().take(keep))
        .map(|k| json!({"kid": k.kid, "secret": k.secret}))
        .collect();
    Ok(json!({"keys": keys}).to_string())
}

/// The claims of an exchange token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExchangeClaims {
    pub iss: String,
    pub aud: String,
    /// The target's `sub`.
    pub sub: String,
    pub act: crate::domain::token::ActorClaim,
    /// The grant id.
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub token_use: String,
}

impl ExchangeClaims {
    pub fn new(
        audience: &str,
        target_sub: &str,
        actor: crate::domain::token::ActorClaim,
        grant_id: &str,
        iat: i64,
        exp: i64,
    ) -> Self {
        ExchangeClaims {
            iss: ISSUER.into(),
            aud: audience.into(),
            sub: target_sub.into(),
            act: actor,
            jti: grant_id.into(),
            iat,
            exp,
            token_use: TOKEN_USE.into(),
        }
    }
}
