//! Two-step impersonation (seeds 002 and 003): a short-lived token, then its exchange for a
//! session. Tokens are JWTs signed by actas (HS256) whose `jti` is a single-use grant; `aud`
//! names the route that issued them, so a public token cannot be exchanged at the sys route and
//! vice versa.
//!
//! Signing keys live in a secret (Secrets Manager): `{"keys":[{"kid","secret"}, ...]}`, the first
//! signs, all verify. Rotation prepends a new key and keeps the previous ones for at least a
//! token's lifetime, so no token in flight is refused. Functions reload the set every few minutes
//! and at once (rate-limited) when a token names a key they do not know.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::RwLock;
use tracing::warn;

use crate::error::{ActasError, Result};
use crate::secrets::new_secret;

pub const AUDIENCE_PUBLIC: &str = "actas:public";
pub const AUDIENCE_SYS: &str = "actas:sys";
const ISSUER: &str = "actas";
const TOKEN_USE: &str = "impersonation_exchange";

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

#[async_trait]
pub trait SigningKeySource: Send + Sync {
    async fn load(&self) -> Result<Vec<SigningKey>>;
}

pub struct SecretsManagerKeys {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

impl SecretsManagerKeys {
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerKeys {
            client,
            secret_id: secret_id.into(),
        }
    }
}

#[async_trait]
impl SigningKeySource for SecretsManagerKeys {
    async fn load(&self) -> Result<Vec<SigningKey>> {
        let output = self.client.get_secret_value().secret_id(&self.secret_id).send().await.map_err(|e| {
            warn!(error = %aws_sdk_secretsmanager::error::DisplayErrorContext(&e), "GetSecretValue failed");
            ActasError::Upstream("GetSecretValue".into())
        })?;
        parse_key_set(output.secret_string().unwrap_or_default())
    }
}

/// The claims of an exchange token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExchangeClaims {
    pub iss: String,
    pub aud: String,
    /// The target's `sub`.
    pub sub: String,
    pub act: crate::jwt::ActorClaim,
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
        actor: crate::jwt::ActorClaim,
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

struct KeyCache {
    keys: Vec<SigningKey>,
    loaded_at: Instant,
}

pub struct ExchangeTokens {
    source: Arc<dyn SigningKeySource>,
    cache: RwLock<Option<KeyCache>>,
    max_age: Duration,
    min_reload_interval: Duration,
    /// After a failed load, requests fail fast (or keep the keys they have) until the back-off
    /// allows the next attempt.
    load_backoff: crate::backoff::Backoff,
}

fn invalid() -> ActasError {
    ActasError::Unauthorized("invalid or expired impersonation token".into())
}

impl ExchangeTokens {
    pub fn new(source: Arc<dyn SigningKeySource>) -> Self {
        ExchangeTokens {
            source,
            cache: RwLock::new(None),
            max_age: Duration::from_secs(300),
            min_reload_interval: Duration::from_secs(10),
            load_backoff: crate::backoff::Backoff::default(),
        }
    }

    async fn keys(&self, force: bool) -> Result<Vec<SigningKey>> {
        let held = {
            let cache = self.cache.read().await;
            if let Some(c) = cache.as_ref() {
                let fresh = c.loaded_at.elapsed() < self.max_age;
                let recently = c.loaded_at.elapsed() < self.min_reload_interval;
                if (fresh && !force) || recently {
                    return Ok(c.keys.clone());
                }
            }
            cache.as_ref().map(|c| c.keys.clone())
        };
        if !self.load_backoff.ready() {
            // The keys held are better than none while the store is failing.
            return held.ok_or_else(|| {
                ActasError::Upstream("the signing keys are unavailable (backing off)".into())
            });
        }
        let keys = match self.source.load().await {
            Ok(keys) => {
                self.load_backoff.succeeded();
                keys
            }
            Err(err) => {
                self.load_backoff.failed();
                return held.ok_or(err);
            }
        };
        *self.cache.write().await = Some(KeyCache {
            keys: keys.clone(),
            loaded_at: Instant::now(),
        });
        Ok(keys)
    }

    pub async fn sign(&self, claims: &ExchangeClaims) -> Result<String> {
        let keys = self.keys(false).await?;
        let current = keys
            .first()
            .ok_or_else(|| ActasError::Internal("no signing key".into()))?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(current.kid.clone());
        encode(
            &header,
            claims,
            &EncodingKey::from_secret(current.secret.as_bytes()),
        )
        .map_err(|e| ActasError::Internal(format!("signing: {e}")))
    }

    /// Verifies signature, issuer, audience and expiry; every failure is the same 401.
    pub async fn verify(&self, token: &str, audience: &str) -> Result<ExchangeClaims> {
        let header = decode_header(token).map_err(|_| invalid())?;
        if header.alg != Algorithm::HS256 {
            return Err(invalid());
        }
        let kid = header.kid.ok_or_else(invalid)?;
        let mut keys = self.keys(false).await?;
        if !keys.iter().any(|k| k.kid == kid) {
            keys = self.keys(true).await?;
        }
        let key = keys.iter().find(|k| k.kid == kid).ok_or_else(invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "jti"]);
        validation.leeway = 0;
        let data = decode::<ExchangeClaims>(
            token,
            &DecodingKey::from_secret(key.secret.as_bytes()),
            &validation,
        )
        .map_err(|_| invalid())?;
        if data.claims.token_use != TOKEN_USE {
            return Err(invalid());
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::ActorClaim;
    use std::sync::Mutex;

    struct StaticKeys(Mutex<String>);

    #[async_trait]
    impl SigningKeySource for StaticKeys {
        async fn load(&self) -> Result<Vec<SigningKey>> {
            parse_key_set(&self.0.lock().unwrap())
        }
    }

    fn claims(audience: &str, exp_in: i64) -> ExchangeClaims {
        let now = crate::testing::now_secs();
        ExchangeClaims::new(
            audience,
            "target",
            ActorClaim {
                sub: "a".into(),
                username: Some("admin".into()),
            },
            "g1",
            now,
            now + exp_in,
        )
    }

    #[test]
    fn parses_both_key_set_shapes_and_rotates() {
        let generated = r#"{"kid":"initial","secret":"0123456789abcdef0123456789abcdef0123"}"#;
        assert_eq!(parse_key_set(generated).unwrap()[0].kid, "initial");
        let rotated = rotate_key_set(Some(generated), 2).unwrap();
        let keys = parse_key_set(&rotated).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].kid, "initial", "the previous key still verifies");
        assert_ne!(keys[0].secret, keys[1].secret);
        let thrice = rotate_key_set(Some(&rotate_key_set(Some(&rotated), 2).unwrap()), 2).unwrap();
        assert_eq!(
            parse_key_set(&thrice).unwrap().len(),
            3,
            "at most `keep` old keys"
        );
        assert!(parse_key_set(r#"{"kid":"k","secret":"short"}"#).is_err());
        assert!(parse_key_set("not json").is_err());
        assert!(
            format!("{:?}", keys[0]).find(&keys[0].secret).is_none(),
            "Debug hides the secret"
        );
    }

    #[tokio::test]
    async fn tokens_verify_for_their_audience_only_and_survive_rotation() {
        let source = Arc::new(StaticKeys(Mutex::new(rotate_key_set(None, 2).unwrap())));
        let tokens = ExchangeTokens::new(source.clone());
        let public = tokens.sign(&claims(AUDIENCE_PUBLIC, 120)).await.unwrap();
        assert_eq!(
            tokens.verify(&public, AUDIENCE_PUBLIC).await.unwrap().jti,
            "g1"
        );
        assert_eq!(
            tokens
                .verify(&public, AUDIENCE_SYS)
                .await
                .unwrap_err()
                .status(),
            401
        );

        let expired = tokens.sign(&claims(AUDIENCE_SYS, -1)).await.unwrap();
        assert_eq!(
            tokens
                .verify(&expired, AUDIENCE_SYS)
                .await
                .unwrap_err()
                .status(),
            401
        );

        let mut tampered = public.clone();
        tampered.pop();
        tampered.push(if public.ends_with('A') { 'B' } else { 'A' });
        assert!(tokens.verify(&tampered, AUDIENCE_PUBLIC).await.is_err());

        // Rotate: a token signed before still verifies; a token from a stranger's key does not.
        let rotated = rotate_key_set(Some(&source.0.lock().unwrap()), 2).unwrap();
        *source.0.lock().unwrap() = rotated;
        let fresh = ExchangeTokens::new(source.clone());
        assert!(fresh.verify(&public, AUDIENCE_PUBLIC).await.is_ok());
        let stranger = ExchangeTokens::new(Arc::new(StaticKeys(Mutex::new(
            rotate_key_set(None, 0).unwrap(),
        ))));
        let forged = stranger.sign(&claims(AUDIENCE_PUBLIC, 120)).await.unwrap();
        assert!(fresh.verify(&forged, AUDIENCE_PUBLIC).await.is_err());
    }
}
