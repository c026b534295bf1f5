//! A Shared Signals receiver (OpenID SSF 1.0, CAEP 1.0): actas pushes a signed Security Event
//! Token (RFC 8417) for every impersonation that ends; a service that receives it refuses that
//! session from then on, with no online check per request.
//!
//! - [`SetVerifier`] checks a SET: RS256 signature against the transmitter's JWKS
//!   (`{actas}/ssf/jwks`), `typ: secevent+jwt`, `iss`, `aud`, `iat` (not in the future, not older
//!   than `max_age`), `jti`, exactly one event.
//! - [`RevokedSessions`] is where revoked sessions are kept ([`MemoryRevokedSessions`] in one
//!   process; a service with several instances keeps them in its own store), and
//!   [`crate::Guard::revoked_sessions`] makes every request consult it.
//! - [`SetReceiver`] is the push endpoint's logic (RFC 8935): verify, record, and answer `202`,
//!   or `400` with `{"err", "description"}`.
//!
//! The session is the SET's subject: `sub_id` (or the event's `subject`) in actas's complex
//! format, `{"format":"complex","session":{"format":"opaque","id":<impersonation id>}, ...}`,
//! whose session id is the tokens' `impersonation_id` claim.

use crate::error::VerifyError;
use crate::keys::{rsa_keys, HttpKeySource, KeySource, RsaKey};
use crate::verifier::now_secs;
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

pub const SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
pub const TOKEN_CLAIMS_CHANGE: &str =
    "https://schemas.openid.net/secevent/caep/event-type/token-claims-change";
pub const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";

/// A SET is a small token; a much larger body is not one.
const MAX_SET_BYTES: usize = 16 * 1024;

/// Why a SET was refused, with RFC 8935 §2.4's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct SetError {
    /// `invalid_request`, `invalid_key`, `invalid_issuer`, `invalid_audience`.
    pub code: &'static str,
    pub description: String,
}

impl SetError {
    fn new(code: &'static str, description: impl Into<String>) -> SetError {
        SetError {
            code,
            description: description.into(),
        }
    }

    fn request(description: &str) -> SetError {
        SetError::new("invalid_request", description)
    }

    /// The answer's body: `{"err": ..., "description": ...}`.
    pub fn to_json(&self) -> String {
        json!({"err": self.code, "description": self.description}).to_string()
    }
}

/// A verified SET.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEvent {
    pub jti: String,
    pub iat: i64,
    /// The event's type URI (e.g. [`SESSION_REVOKED`]).
    pub event_type: String,
    /// The event's members (`event_timestamp`, `initiating_entity`, `reason_admin`, `claims`...).
    pub event: Value,
    /// The subject's session id: the tokens' `impersonation_id`.
    pub session_id: Option<String>,
    /// The subject's user (`sub` of the impersonated user).
    pub user_sub: Option<String>,
}

/// What a SET must be to be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVerifierConfig {
    /// actas's issuer (its `/.well-known/ssf-configuration` `issuer`).
    pub issuer: String,
    /// The receiver's audience, as registered with `actas ssf receiver add --audience`.
    pub audience: String,
    /// The transmitter's JWKS (`jwks_uri`).
    pub jwks_url: String,
    /// Oldest `iat` accepted (default a week: a SET held while the receiver was down still counts).
    pub max_age: Duration,
    /// Clock skew allowed on `iat` (default 60 s).
    pub leeway: Duration,
}

impl SetVerifierConfig {
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        jwks_url: impl Into<String>,
    ) -> SetVerifierConfig {
        SetVerifierConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: jwks_url.into(),
            max_age: Duration::from_secs(7 * 86_400),
            leeway: Duration::from_secs(60),
        }
    }
}

/// After a failed or useless key fetch, no new fetch for this long.
const REFETCH_AFTER: Duration = Duration::from_secs(10);

/// Verifies SETs; build one per process (it caches the transmitter's keys).
pub struct SetVerifier {
    config: SetVerifierConfig,
    source: Arc<dyn KeySource>,
    keys: RwLock<(HashMap<String, RsaKey>, Option<Instant>)>,
}

impl std::fmt::Debug for SetVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetVerifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SetVerifier {
    pub fn new(config: SetVerifierConfig) -> Result<SetVerifier, VerifyError> {
        let source = Arc::new(HttpKeySource::new(config.jwks_url.clone())?);
        SetVerifier::with_key_source(config, source)
    }

    pub fn with_key_source(
        config: SetVerifierConfig,
        source: Arc<dyn KeySource>,
    ) -> Result<SetVerifier, VerifyError> {
        if config.issuer.trim().is_empty() || config.audience.trim().is_empty() {
            return Err(VerifyError::Config(
                "a SET verifier needs an issuer and an audience".into(),
            ));
        }
        Ok(SetVerifier {
            config,
            source,
            keys: RwLock::new((HashMap::new(), None)),
        })
    }

    pub fn config(&self) -> &SetVerifierConfig {
        &self.config
    }

    async fn key(&self, kid: &str) -> Result<RsaKey, SetError> {
        let unknown = || SetError::new("invalid_key", "unknown key");
        {
            let keys = self.keys.read().await;
            if let Some(key) = keys.0.get(kid) {
                return Ok(key.clone());
            }
            if keys.1.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
                return Err(unknown());
            }
        }
        let mut keys = self.keys.write().await;
        if let Some(key) = keys.0.get(kid) {
            return Ok(key.clone());
        }
        if keys.1.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
            return Err(unknown());
        }
        keys.1 = Some(Instant::now());
        let set = self.source.fetch().await.map_err(|e| {
            tracing::warn!(error = %e, "the transmitter's JWKS could not be fetched");
            SetError::new("invalid_key", "the transmitter's keys are unavailable")
        })?;
        keys.0 = rsa_keys(&set);
        keys.0.get(kid).cloned().ok_or_else(unknown)
    }

    /// Verifies a SET and returns its one event.
    pub async fn verify(&self, set: &str) -> Result<SecurityEvent, SetError> {
        let set = set.trim();
        if set.len() > MAX_SET_BYTES {
            return Err(SetError::request("too long"));
        }
        let malformed = || SetError::request("not a signed SET");
        let (input, signature) = set.rsplit_once('.').ok_or_else(malformed)?;
        let (header, payload) = input.split_once('.').ok_or_else(malformed)?;
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed());
        let header: Value = serde_json::from_slice(&decode(header)?).map_err(|_| malformed())?;
        if header["alg"] != "RS256" {
            return Err(SetError::new("invalid_key", "unsupported algorithm"));
        }
        if header["typ"] != "secevent+jwt" {
            return Err(SetError::request("typ must be secevent+jwt"));
        }
        if header.get("crit").is_some() {
            return Err(SetError::request("unsupported critical header"));
        }
        let kid = header["kid"]
            .as_str()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| SetError::new("invalid_key", "no key id"))?;
        let key = self.key(kid).await?;
        if !key.verify(input.as_bytes(), &decode(signature)?) {
            return Err(SetError::new("invalid_key", "bad signature"));
        }
        let claims: Value = serde_json::from_slice(&decode(payload)?).map_err(|_| malformed())?;
        self.event_of(&claims, now_secs())
    }

    fn event_of(&self, claims: &Value, now: i64) -> Result<SecurityEvent, SetError> {
        if claims["iss"].as_str() != Some(self.config.issuer.as_str()) {
            return Err(SetError::new("invalid_issuer", "wrong issuer"));
        }
        let audience = self.config.audience.as_str();
        let for_us = match &claims["aud"] {
            Value::String(aud) => aud == audience,
            Value::Array(list) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !for_us {
            return Err(SetError::new("invalid_audience", "wrong audience"));
        }
        let iat = claims["iat"]
            .as_i64()
            .ok_or_else(|| SetError::request("no iat"))?;
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        if iat > now.saturating_add(secs(self.config.leeway)) {
            return Err(SetError::request("issued in the future"));
        }
        if iat < now.saturating_sub(secs(self.config.max_age)) {
            return Err(SetError::request("too old"));
        }
        let jti = claims["jti"]
            .as_str()
            .filter(|j| !j.is_empty())
            .ok_or_else(|| SetError::request("no jti"))?;
        if claims.get("exp").is_some() {
            // RFC 8417 §2.2: a SET is not an access token; one with `exp` may be one in disguise.
            return Err(SetError::request("a SET has no exp"));
        }
        let events = claims["events"]
            .as_object()
            .ok_or_else(|| SetError::request("no events"))?;
        let (event_type, event) = match events.iter().collect::<Vec<_>>().as_slice() {
            [(event_type, event)] if event.is_object() => {
                (event_type.to_string(), (*event).clone())
            }
            _ => return Err(SetError::request("exactly one event is expected")),
        };
        let subject = claims
            .get("sub_id")
            .or_else(|| event.get("subject"))
            .cloned()
            .unwrap_or(Value::Null);
        let opaque = |value: &Value| {
            (value["format"] == "opaque")
                .then(|| value["id"].as_str().map(str::to_string))
                .flatten()
        };
        let (session_id, user_sub) = if subject["format"] == "complex" {
            (opaque(&subject["session"]), opaque(&subject["user"]))
        } else {
            (None, None)
        };
        if matches!(event_type.as_str(), SESSION_REVOKED | TOKEN_CLAIMS_CHANGE)
            && session_id.is_none()
        {
            return Err(SetError::request("the subject names no session"));
        }
        Ok(SecurityEvent {
            jti: jti.to_string(),
            iat,
            event_type,
            event,
            session_id,
            user_sub,
        })
    }
}

/// Where a service keeps the sessions it was told are revoked. Must fail closed: an error makes
/// the guard refuse the request.
#[async_trait]
pub trait RevokedSessions: Send + Sync {
    /// Remembers a revoked session (an impersonation id) until `until` (epoch seconds: after it
    /// the session's tokens are expired anyway).
    async fn revoke(&self, session_id: &str, until: i64) -> Result<(), VerifyError>;
    async fn is_revoked(&self, session_id: &str) -> Result<bool, VerifyError>;
}

/// Revoked sessions in this process's memory (a single-instance service, or tests).
#[derive(Debug, Default)]
pub struct MemoryRevokedSessions {
    revoked: Mutex<HashMap<String, i64>>,
}

#[async_trait]
impl RevokedSessions for MemoryRevokedSessions {
    async fn revoke(&self, session_id: &str, until: i64) -> Result<(), VerifyError> {
        let mut revoked = self
            .revoked
            .lock()
            .map_err(|_| VerifyError::upstream("revoked sessions", "lock poisoned"))?;
        let now = now_secs();
        revoked.retain(|_, until| *until >= now);
        revoked.insert(session_id.to_string(), until);
        Ok(())
    }

    async fn is_revoked(&self, session_id: &str) -> Result<bool, VerifyError> {
        let revoked = self
            .revoked
            .lock()
            .map_err(|_| VerifyError::upstream("revoked sessions", "lock poisoned"))?;
        Ok(revoked.contains_key(session_id))
    }
}

/// How long a revocation is remembered: longer than any token of the session lives.
pub const REMEMBER_REVOKED: Duration = Duration::from_secs(2 * 86_400);

/// The push endpoint's logic: a SET verified, a `session-revoked` recorded.
pub struct SetReceiver {
    verifier: Arc<SetVerifier>,
    revoked: Arc<dyn RevokedSessions>,
}

impl SetReceiver {
    pub fn new(verifier: impl Into<Arc<SetVerifier>>, revoked: Arc<dyn RevokedSessions>) -> Self {
        SetReceiver {
            verifier: verifier.into(),
            revoked,
        }
    }

    /// Verifies a pushed SET and, for `session-revoked`, records its session. A store failure
    /// is an error (the transmitter retries), not an acceptance.
    pub async fn receive(&self, body: &[u8]) -> Result<SecurityEvent, ReceiveError> {
        let text = std::str::from_utf8(body).map_err(|_| SetError::request("not text"))?;
        let event = self.verifier.verify(text).await?;
        if event.event_type == SESSION_REVOKED {
            if let Some(session) = &event.session_id {
                let until = now_secs().saturating_add(REMEMBER_REVOKED.as_secs() as i64);
                self.revoked.revoke(session, until).await?;
                tracing::info!(session = %session, jti = %event.jti, "session revoked by a SET");
            }
        }
        Ok(event)
    }

    /// RFC 8935's answer: `202` with no body, `400` `{"err", "description"}`, or `503` when the
    /// revocation could not be kept (the transmitter tries again).
    pub fn answer(result: &Result<SecurityEvent, ReceiveError>) -> (u16, Option<String>) {
        match result {
            Ok(_) => (202, None),
            Err(ReceiveError::Refused(err)) => (400, Some(err.to_json())),
            Err(ReceiveError::Store(_)) => (
                503,
                Some(
                    json!({"err": "temporarily_unavailable", "description": "try again"})
                        .to_string(),
                ),
            ),
        }
    }
}

/// A SET refused, or not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveError {
    #[error("SET refused: {0}")]
    Refused(#[from] SetError),
    #[error("revocation not kept: {0}")]
    Store(#[from] VerifyError),
}

#[cfg(test)]
mod tests;
