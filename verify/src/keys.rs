//! The user pool's signing keys: where they come from (`KeySource`) and the RSA keys they hold.

use crate::error::VerifyError;
#[cfg(feature = "fetch")]
use crate::fetch::{self, LazyClient};
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A JSON Web Key Set, as a Cognito pool publishes it at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One key of a set. Only RSA signing keys are used; the others are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    #[serde(default)]
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// The modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// The public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// Where the verifier gets the pool's keys. The default is `HttpKeySource` (feature `fetch`);
/// tests, deployments with the keys at hand and hosts with an HTTP client of their own (actas
/// fetches over the AWS SDK's connector) supply their own.
#[async_trait]
pub trait KeySource: Send + Sync {
    /// The current key set. A failure is an upstream error (the verifier refuses, never allows).
    async fn fetch(&self) -> Result<Jwks, VerifyError>;
}

/// A JWKS is a few keys; anything much larger is not one.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The key set over HTTP(S): one GET with a timeout, no redirects, at most 64 KiB.
#[cfg(feature = "fetch")]
pub struct HttpKeySource {
    url: String,
    client: LazyClient,
}

#[cfg(feature = "fetch")]
impl HttpKeySource {
    pub fn new(url: impl Into<String>) -> Result<HttpKeySource, VerifyError> {
        let url = url.into();
        fetch::check_url(&url, "the JWKS URL")?;
        Ok(HttpKeySource {
            url,
            client: LazyClient::default(),
        })
    }

    /// With a client of the caller's (its TLS settings, proxies, timeouts).
    pub fn with_client(
        url: impl Into<String>,
        client: reqwest::Client,
    ) -> Result<HttpKeySource, VerifyError> {
        let mut source = HttpKeySource::new(url)?;
        source.client = LazyClient::with(client);
        Ok(source)
    }
}

#[cfg(feature = "fetch")]
#[async_trait]
impl KeySource for HttpKeySource {
    async fn fetch(&self) -> Result<Jwks, VerifyError> {
        const CONTEXT: &str = "fetching the JWKS";
        let (status, body) =
            fetch::get(&self.client, CONTEXT, &self.url, None, MAX_JWKS_BYTES).await?;
        if !(200..300).contains(&status) {
            return Err(VerifyError::upstream(CONTEXT, format!("HTTP {status}")));
        }
        serde_json::from_slice(&body).map_err(|e| VerifyError::upstream(CONTEXT, e))
    }
}

/// An RSA public key, as ring verifies with it.
#[derive(Debug, Clone)]
pub(crate) struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RsaKey {
    /// RS256: RSASSA-PKCS1-v1_5 with SHA-256, a 2048- to 8192-bit modulus.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        ring::signature::RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            message,
            signature,
        )
        .is_ok()
    }
}

/// The RS256-usable keys of a set, by `kid`: RSA, for signatures, with a usable `alg`.
pub(crate) fn rsa_keys(set: &Jwks) -> HashMap<String, RsaKey> {
    set.keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .filter(|k| k.alg.as_deref().is_none_or(|alg| alg == "RS256"))
        .filter(|k| k.key_use.as_deref().is_none_or(|u| u == "sig"))
        .filter_map(|k| {
            let n = URL_SAFE_NO_PAD.decode(k.n.as_deref()?).ok()?;
            let e = URL_SAFE_NO_PAD.decode(k.e.as_deref()?).ok()?;
            Some((k.kid.clone()?, RsaKey { n, e }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rsa_signing_keys_with_an_id_are_kept() {
        let set: Jwks = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "good", "alg": "RS256", "use": "sig", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "no-alg", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "ps256", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AQAB", "y": "AQAB"},
            {"kty": "RSA", "alg": "RS256", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "bad-base64", "n": "A=Q", "e": "AQAB"},
        ]}))
        .unwrap();
        let mut kids: Vec<String> = rsa_keys(&set).into_keys().collect();
        kids.sort();
        assert_eq!(kids, ["good", "no-alg"]);
    }

    #[cfg(feature = "fetch")]
    #[test]
    fn only_http_urls() {
        assert!(HttpKeySource::new("https://cognito-idp.eu-west-1.amazonaws.com/p/x").is_ok());
        assert!(HttpKeySource::new("http://127.0.0.1:4566/p/.well-known/jwks.json").is_ok());
        for bad in ["", "ftp://x/y", "https://", "https:///path", "/local/path"] {
            assert!(
                matches!(HttpKeySource::new(bad), Err(VerifyError::Config(_))),
                "{bad}"
            );
        }
    }
}
