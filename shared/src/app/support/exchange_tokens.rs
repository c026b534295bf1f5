//! Signing and verifying two-step tokens with the current keys, fetched from the signing-key
//! port and cached, with back-off after a failure.

use crate::domain::error::{ActasError, Result};
use crate::domain::exchange::{ExchangeClaims, SigningKey, ISSUER, TOKEN_USE};
use crate::ports::signing_keys::SigningKeySource;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

pub(crate) struct KeyCache {
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
    load_backoff: crate::app::backoff::Backoff,
}

pub(crate) fn invalid() -> ActasError {
    ActasError::Unauthorized("invalid or expired impersonation token".into())
}

impl ExchangeTokens {
    pub fn new(source: Arc<dyn SigningKeySource>) -> Self {
        crate::domain::jwt_crypto::install();
        ExchangeTokens {
            source,
            cache: RwLock::new(None),
            max_age: Duration::from_secs(300),
            min_reload_interval: Duration::from_secs(10),
            load_backoff: crate::app::backoff::Backoff::default(),
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
    use crate::domain::exchange::parse_key_set;
    use crate::domain::exchange::rotate_key_set;
    use crate::domain::exchange::ExchangeClaims;
    use crate::domain::exchange::SigningKey;
    use crate::domain::exchange::AUDIENCE_PUBLIC;
    use crate::domain::exchange::AUDIENCE_SYS;
    use crate::domain::token::ActorClaim;
    use crate::ports::signing_keys::SigningKeySource;
    use async_trait::async_trait;
    use std::sync::Mutex;

    struct StaticKeys(Mutex<String>);

    #[async_trait]
    impl SigningKeySource for StaticKeys {
        async fn load(&self) -> Result<Vec<SigningKey>> {
            parse_key_set(&self.0.lock().unwrap())
        }
    }

    fn claims(audience: &str, exp_in: i64) -> ExchangeClaims {
        let now = crate::testkit::now_secs();
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
