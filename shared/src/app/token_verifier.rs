//! Verification of the Cognito tokens callers present.
//!
//! RS256 only; the pool's JWKS is fetched once per container and cached. A token signed with a
//! `kid` the cache does not know triggers at most one refetch (keys rotate), and refetches are
//! spaced out so a stream of made-up `kid`s cannot turn into a stream of JWKS downloads.

use crate::domain::error::{ActasError, Result};
use crate::domain::token::{TokenUse, VerifiedToken};
use crate::ports::jwks::JwksSource;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

#[derive(Debug, Deserialize)]
pub(crate) struct CognitoClaims {
    sub: String,
    exp: i64,
    token_use: String,
    #[serde(default)]
    aud: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default, rename = "cognito:username")]
    cognito_username: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    act: Option<serde_json::Value>,
    #[serde(default)]
    impersonation_id: Option<String>,
    #[serde(default, rename = "custom:tenant_id")]
    tenant: Option<String>,
    #[serde(default)]
    auth_time: Option<i64>,
}

pub(crate) struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

pub struct JwtVerifier {
    source: Arc<dyn JwksSource>,
    cache: RwLock<KeyCache>,
    issuer: String,
    accepted_clients: Vec<String>,
    min_refetch_interval: Duration,
    /// After a failed fetch, requests fail fast until the back-off allows the next attempt.
    fetch_backoff: crate::app::backoff::Backoff,
}

pub(crate) const LEEWAY_SECS: u64 = 5;

pub(crate) fn invalid(reason: &str) -> ActasError {
    ActasError::Unauthorized(format!("invalid token: {reason}"))
}

impl JwtVerifier {
    pub fn new(
        source: Arc<dyn JwksSource>,
        issuer: impl Into<String>,
        accepted_clients: Vec<String>,
    ) -> Self {
        crate::domain::jwt_crypto::install();
        JwtVerifier {
            source,
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched_at: None,
            }),
            issuer: issuer.into(),
            accepted_clients,
            min_refetch_interval: Duration::from_secs(30),
            fetch_backoff: crate::app::backoff::Backoff::default(),
        }
    }

    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// Verifies the value of an `Authorization` header (`Bearer <jwt>` or the bare JWT).
    pub async fn verify_header(&self, header: Option<&str>) -> Result<VerifiedToken> {
        let value = header
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ActasError::Unauthorized("missing Authorization header".into()))?;
        let token = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            Some(_) => return Err(invalid("expected a Bearer token")),
            None => value,
        };
        self.verify(token).await
    }

    pub async fn verify(&self, token: &str) -> Result<VerifiedToken> {
        let header = decode_header(token).map_err(|_| invalid("malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid("unsupported algorithm"));
        }
        let kid = header.kid.ok_or_else(|| invalid("no key id"))?;
        let key = self.key_for(&kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_nbf = true;
        validation.validate_aud = false; // id tokens carry `aud`, access tokens `client_id`: checked below
        validation.leeway = LEEWAY_SECS;
        let data = decode::<CognitoClaims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => invalid("expired"),
                ErrorKind::ImmatureSignature => invalid("not yet valid"),
                ErrorKind::InvalidIssuer => invalid("wrong issuer"),
                ErrorKind::InvalidSignature => invalid("bad signature"),
                _ => invalid("malformed"),
            }
        })?;
        let claims = data.claims;

        let (token_use, client_id, username) = match claims.token_use.as_str() {
            "id" => (TokenUse::Id, claims.aud, claims.cognito_username),
            "access" => (TokenUse::Access, claims.client_id, claims.username),
            _ => return Err(invalid("not an id or access token")),
        };
        let client_id = client_id.ok_or_else(|| invalid("no client"))?;
        if !self.accepted_clients.iter().any(|c| c == &client_id) {
            return Err(invalid("issued to another client"));
        }
        Ok(VerifiedToken {
            username: username.unwrap_or_else(|| claims.sub.clone()),
            sub: claims.sub,
            token_use,
            client_id,
            expires_at: claims.exp,
            act: claims.act,
            impersonation_id: claims.impersonation_id,
            tenant: claims.tenant.filter(|t| !t.is_empty()),
            auth_time: claims.auth_time,
        })
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey> {
        {
            let cache = self.cache.read().await;
            if let Some(key) = cache.keys.get(kid) {
                return Ok(key.clone());
            }
            let recently_fetched = cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.min_refetch_interval);
            if recently_fetched {
                return Err(invalid("unknown key"));
            }
        }
        let mut cache = self.cache.write().await;
        // Another request may have refreshed the cache while this one waited for the lock.
        if let Some(key) = cache.keys.get(kid) {
            return Ok(key.clone());
        }
        if cache
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.min_refetch_interval)
        {
            return Err(invalid("unknown key"));
        }
        if !self.fetch_backoff.ready() {
            return Err(ActasError::Upstream(
                "the pool's signing keys are unavailable (backing off)".into(),
            ));
        }
        let set = match self.source.fetch().await {
            Ok(set) => {
                self.fetch_backoff.succeeded();
                set
            }
            Err(err) => {
                self.fetch_backoff.failed();
                return Err(err);
            }
        };
        cache.keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some((kid, key))
            })
            .collect();
        cache.fetched_at = Some(Instant::now());
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| invalid("unknown key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::TokenUse;
    use crate::ports::jwks::JwksSource;
    use crate::testkit::{
        access_token_claims, id_token_claims, now_secs, StaticJwks, TestSigner, ISSUER,
        SIGN_IN_CLIENT,
    };
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    fn verifier(signer: &TestSigner) -> (JwtVerifier, Arc<StaticJwks>) {
        let jwks = Arc::new(StaticJwks::new(signer.jwks()));
        let verifier = JwtVerifier::new(jwks.clone(), ISSUER, vec![SIGN_IN_CLIENT.to_string()])
            .with_min_refetch_interval(Duration::ZERO);
        (verifier, jwks)
    }

    fn with(
        mut claims: serde_json::Value,
        key: &str,
        value: serde_json::Value,
    ) -> serde_json::Value {
        claims[key] = value;
        claims
    }

    async fn refusal(verifier: &JwtVerifier, token: &str) -> String {
        match verifier.verify_header(Some(token)).await {
            Ok(_) => panic!("token should be refused"),
            Err(err) => {
                assert_eq!(err.status(), 401, "{err}");
                err.to_string()
            }
        }
    }

    #[tokio::test]
    async fn accepts_valid_id_and_access_tokens_with_or_without_bearer() {
        let signer = TestSigner::generate("k1");
        let (verifier, _) = verifier(&signer);
        let id = signer.sign(&id_token_claims("sub-1", "alice"));
        let verified = verifier
            .verify_header(Some(&format!("Bearer {id}")))
            .await
            .unwrap();
        assert_eq!(
            (verified.sub.as_str(), verified.username.as_str()),
            ("sub-1", "alice")
        );
        assert_eq!(verified.token_use, TokenUse::Id);
        assert!(!verified.is_impersonated());

        let access = signer.sign(&access_token_claims("sub-1", "alice"));
        let verified = verifier.verify_header(Some(&access)).await.unwrap();
        assert_eq!(verified.token_use, TokenUse::Access);
        assert_eq!(verified.username, "alice");
    }

    #[tokio::test]
    async fn refuses_every_kind_of_bad_token() {
        let signer = TestSigner::generate("k1");
        let other_signer = TestSigner::generate("k1");
        let (verifier, _) = verifier(&signer);
        let good = id_token_claims("sub-1", "alice");
        let now = now_secs();

        let mut hs256 = Header::new(Algorithm::HS256);
        hs256.kid = Some("k1".into());
        let hs256_with_public_key = encode(
            &hs256,
            &good,
            &EncodingKey::from_secret(signer.public_key_bytes()),
        )
        .unwrap();

        let unsigned = {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1","typ":"JWT"}"#);
            let body = URL_SAFE_NO_PAD.encode(good.to_string());
            format!("{header}.{body}.")
        };

        let tampered = {
            let token = signer.sign(&good);
            let parts: Vec<&str> = token.split('.').collect();
            let evil =
                URL_SAFE_NO_PAD.encode(with(good.clone(), "sub", json!("sub-2")).to_string());
            format!("{}.{}.{}", parts[0], evil, parts[2])
        };

        let cases: Vec<(&str, String, &str)> = vec![
            (
                "expired",
                signer.sign(&with(good.clone(), "exp", json!(now - 600))),
                "expired",
            ),
            (
                "not yet valid",
                signer.sign(&with(good.clone(), "nbf", json!(now + 600))),
                "not yet valid",
            ),
            (
                "wrong issuer",
                signer.sign(&with(
                    good.clone(),
                    "iss",
                    json!("https://evil.example/pool"),
                )),
                "wrong issuer",
            ),
            (
                "wrong client",
                signer.sign(&with(good.clone(), "aud", json!("another-client"))),
                "another client",
            ),
            (
                "refresh token",
                signer.sign(&with(good.clone(), "token_use", json!("refresh"))),
                "not an id or access",
            ),
            ("alg none", unsigned, "malformed"),
            (
                "HS256 with the public key",
                hs256_with_public_key,
                "unsupported algorithm",
            ),
            (
                "signed by another key with the same kid",
                other_signer.sign(&good),
                "bad signature",
            ),
            ("tampered payload", tampered, "bad signature"),
            ("garbage", "not-a-jwt".to_string(), "malformed"),
            (
                "wrong scheme",
                format!("Basic {}", signer.sign(&good)),
                "Bearer",
            ),
        ];
        for (name, token, expected) in cases {
            let message = refusal(&verifier, &token).await;
            assert!(message.contains(expected), "{name}: {message}");
        }
        let missing = verifier.verify_header(None).await.unwrap_err();
        assert_eq!(missing.status(), 401);
    }

    #[tokio::test]
    async fn unknown_kid_triggers_one_refetch_and_then_fails() {
        let signer = TestSigner::generate("k1");
        let stranger = TestSigner::generate("k2");
        let (verifier, jwks) = verifier(&signer);
        verifier
            .verify(&signer.sign(&id_token_claims("s", "u")))
            .await
            .unwrap();
        verifier
            .verify(&signer.sign(&id_token_claims("s", "u")))
            .await
            .unwrap();
        assert_eq!(jwks.fetch_count(), 1, "the JWKS is fetched once and cached");

        let message = refusal(&verifier, &stranger.sign(&id_token_claims("s", "u"))).await;
        assert!(message.contains("unknown key"));
        assert_eq!(
            jwks.fetch_count(),
            2,
            "an unknown kid costs exactly one refetch"
        );
    }

    #[tokio::test]
    async fn refetches_are_spaced_out() {
        let signer = TestSigner::generate("k1");
        let stranger = TestSigner::generate("k2");
        let jwks = Arc::new(StaticJwks::new(signer.jwks()));
        let verifier = JwtVerifier::new(jwks.clone(), ISSUER, vec![SIGN_IN_CLIENT.to_string()]);
        verifier
            .verify(&signer.sign(&id_token_claims("s", "u")))
            .await
            .unwrap();
        for _ in 0..5 {
            refusal(&verifier, &stranger.sign(&id_token_claims("s", "u"))).await;
        }
        assert_eq!(
            jwks.fetch_count(),
            1,
            "made-up kids within the interval cause no downloads"
        );
    }

    #[tokio::test]
    async fn reports_the_act_claim_of_impersonated_sessions() {
        let signer = TestSigner::generate("k1");
        let (verifier, _) = verifier(&signer);
        let claims = with(
            id_token_claims("target", "bob"),
            "act",
            json!({"sub": "actor", "username": "alice"}),
        );
        let verified = verifier.verify(&signer.sign(&claims)).await.unwrap();
        assert!(verified.is_impersonated());
    }

    /// A JWKS endpoint that is down, counting how often it is asked.
    struct DownJwks(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl JwksSource for DownJwks {
        async fn fetch(&self) -> Result<JwkSet> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(ActasError::Upstream("JWKS down".into()))
        }
    }

    #[tokio::test]
    async fn a_failing_jwks_is_not_fetched_again_on_every_request() {
        let signer = TestSigner::generate("k1");
        let source = Arc::new(DownJwks(Default::default()));
        let verifier = JwtVerifier::new(source.clone(), ISSUER, vec![SIGN_IN_CLIENT.to_string()])
            .with_min_refetch_interval(Duration::ZERO);
        let token = signer.sign(&id_token_claims("s", "u"));
        for _ in 0..5 {
            assert!(matches!(
                verifier.verify(&token).await,
                Err(ActasError::Upstream(_))
            ));
        }
        assert_eq!(
            source.0.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "one fetch, then back-off"
        );
    }
}
