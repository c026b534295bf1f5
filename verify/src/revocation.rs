//! Asking actas whether a session is still on (`GET {api}/auth/token`). A signature stays valid
//! until `exp`; a stopped impersonation or a disabled user does not: only actas knows.
//!
//! Fail closed: unless actas answers `valid: true`, the request is refused — `valid: false` or
//! actas's own 401 as a revoked token, anything else (unreachable, 5xx, not its answer) as an
//! upstream failure.

use crate::error::VerifyError;
use crate::fetch::{self, LazyClient};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// actas's answer is a small object; more is not it.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Positive answers kept at most (the cache is a hedge against bursts, not a store).
const MAX_CACHED: usize = 4096;

const CONTEXT: &str = "checking the token with actas";

/// The online check. A stop makes actas answer `valid: false` at once, so a cache of positive
/// answers delays a stop by its TTL: there is none unless `cache_for` asks for one.
pub struct RevocationCheck {
    api_url: Option<String>,
    ttl: Duration,
    client: LazyClient,
    /// SHA-256 of (API URL, token) → when the positive answer expires.
    cache: Mutex<HashMap<[u8; 32], Instant>>,
}

impl std::fmt::Debug for RevocationCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationCheck")
            .field("api_url", &self.api_url)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenStatus {
    valid: bool,
}

impl RevocationCheck {
    /// Checks at `{api_url}/auth/token` (actas's stage URL, e.g.
    /// `https://abc123.execute-api.eu-west-1.amazonaws.com/v1`). An empty URL means "per
    /// request": `check_at` must then be given one (the layer's `api_url_from` does).
    pub fn new(api_url: impl Into<String>) -> RevocationCheck {
        let api_url = api_url.into();
        let api_url = api_url.trim().trim_end_matches('/');
        RevocationCheck {
            api_url: (!api_url.is_empty()).then(|| api_url.to_string()),
            ttl: Duration::ZERO,
            client: LazyClient::default(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps positive answers for `ttl` (a stop then takes up to `ttl` to bite).
    pub fn cache_for(mut self, ttl: Duration) -> RevocationCheck {
        self.ttl = ttl;
        self
    }

    /// With a client of the caller's (its TLS settings, proxies, timeouts).
    pub fn with_client(mut self, client: reqwest::Client) -> RevocationCheck {
        self.client = LazyClient::with(client);
        self
    }

    /// The fixed actas URL, if one was given.
    pub fn api_url(&self) -> Option<&str> {
        self.api_url.as_deref()
    }

    /// Checks a token (bare or `Bearer `) at the fixed URL.
    pub async fn check(&self, token: &str) -> Result<(), VerifyError> {
        match self.api_url.as_deref() {
            Some(url) => self.check_at(url, token).await,
            None => Err(VerifyError::upstream(
                CONTEXT,
                "no actas API URL is configured for this request",
            )),
        }
    }

    /// Checks a token (bare or `Bearer `) at `api_url`.
    pub async fn check_at(&self, api_url: &str, token: &str) -> Result<(), VerifyError> {
        let token = crate::verifier::bearer_token(Some(token))?;
        let api_url = api_url.trim_end_matches('/');
        fetch::check_url(api_url, "the actas API URL")
            .map_err(|e| VerifyError::upstream(CONTEXT, e))?;
        let key = self.cache_key(api_url, token);
        if self.cached(&key) {
            return Ok(());
        }
        let url = format!("{api_url}/auth/token");
        let (status, body) = fetch::get(
            &self.client,
            CONTEXT,
            &url,
            Some(&format!("Bearer {token}")),
            MAX_ANSWER_BYTES,
        )
        .await?;
        match status {
            200 => {
                let answer: TokenStatus = serde_json::from_slice(&body)
                    .map_err(|_| VerifyError::upstream(CONTEXT, "not a token status"))?;
                if !answer.valid {
                    return Err(VerifyError::Revoked);
                }
                self.remember(key);
                Ok(())
            }
            401 => Err(VerifyError::Revoked),
            other => Err(VerifyError::upstream(CONTEXT, format!("HTTP {other}"))),
        }
    }

    fn cache_key(&self, api_url: &str, token: &str) -> [u8; 32] {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(api_url.as_bytes());
        context.update(b"\n");
        context.update(token.as_bytes());
        let mut key = [0; 32];
        key.copy_from_slice(context.finish().as_ref());
        key
    }

    fn cached(&self, key: &[u8; 32]) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let Ok(cache) = self.cache.lock() else {
            return false;
        };
        cache.get(key).is_some_and(|until| Instant::now() < *until)
    }

    fn remember(&self, key: [u8; 32]) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        let now = Instant::now();
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, until| now < *until);
        }
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, now + self.ttl);
    }
}

#[cfg(test)]
mod tests;
