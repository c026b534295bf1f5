//! Verification of a Cognito id or access token against the pool's keys.
//!
//! The compact JWS is taken apart and checked here, with ring doing the RSA: RS256 is the one
//! algorithm accepted, decided before any key is looked at, so neither `none` nor an HMAC
//! "signed" with the public key can get through. The key set is cached; a token signed with a
//! `kid` the cache does not know triggers at most one refetch per interval (keys rotate), so a
//! stream of made-up `kid`s cannot turn into a stream of JWKS downloads.

use crate::backoff::Backoff;
use crate::claims::Claims;
use crate::error::VerifyError;
#[cfg(feature = "fetch")]
use crate::keys::HttpKeySource;
use crate::keys::{rsa_keys, KeySource, RsaKey};
use crate::session::{Actor, Mode, Session};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::RwLock;

/// Cognito's tokens are a few KiB; a much longer header value is not one of them.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What a verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The pool's issuer, `https://cognito-idp.{region}.amazonaws.com/{pool id}` on AWS.
    pub issuer: String,
    /// The pool's key set, `{issuer}/.well-known/jwks.json` on AWS.
    pub jwks_url: String,
    /// The app clients whose tokens are accepted (`aud` of id tokens, `client_id` of access
    /// tokens): for actas, the sign-in, impersonation and revert clients.
    pub client_ids: Vec<String>,
    /// Clock skew allowed on `exp`, `nbf` and the impersonation's end.
    pub leeway: Duration,
    /// The shortest time between two key fetches caused by unknown `kid`s.
    pub refetch_interval: Duration,
}

impl VerifierConfig {
    /// With a leeway of 5 s and one refetch per 30 s at most.
    pub fn new(
        issuer: impl Into<String>,
        jwks_url: impl Into<String>,
        client_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> VerifierConfig {
        VerifierConfig {
            issuer: issuer.into(),
            jwks_url: jwks_url.into(),
            client_ids: client_ids.into_iter().map(Into::into).collect(),
            leeway: Duration::from_secs(5),
            refetch_interval: Duration::from_secs(30),
        }
    }
}

struct KeyCache {
    keys: HashMap<String, RsaKey>,
    fetched_at: Option<Instant>,
}

/// Verifies tokens; build one per process and share it (it caches the pool's keys).
pub struct Verifier {
    config: VerifierConfig,
    source: Arc<dyn KeySource>,
    cache: RwLock<KeyCache>,
    /// After a failed key fetch, requests are refused without asking again: 1 s, then 2, 4, ...
    /// up to 30 s while the fetches keep failing.
    fetch_backoff: Backoff,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The value of an `Authorization` header without its `Bearer ` scheme (the bare token is
/// accepted too, as actas accepts it).
pub fn bearer_token(header: Option<&str>) -> Result<&str, VerifyError> {
    let value = header
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| VerifyError::Unauthorized("missing Authorization header".into()))?;
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => Ok(rest.trim()),
        Some(_) => Err(VerifyError::invalid("expected a Bearer token")),
        None => Ok(value),
    }
}

impl Verifier {
    /// Fetches the keys from `config.jwks_url` (on first use, not now).
    #[cfg(feature = "fetch")]
    pub fn new(config: VerifierConfig) -> Result<Verifier, VerifyError> {
        let source = Arc::new(HttpKeySource::new(config.jwks_url.clone())?);
        Verifier::with_key_source(config, source)
    }

    /// Gets the keys from `source` instead of `config.jwks_url` (which is then not used).
    pub fn with_key_source(
        config: VerifierConfig,
        source: Arc<dyn KeySource>,
    ) -> Result<Verifier, VerifyError> {
        if config.issuer.trim().is_empty() {
            return Err(VerifyError::Config("the issuer is empty".into()));
        }
        if config.client_ids.iter().all(|c| c.trim().is_empty()) {
            return Err(VerifyError::Config("no accepted client ids".into()));
        }
        Ok(Verifier {
            config,
            source,
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched_at: None,
            }),
            fetch_backoff: Backoff::default(),
        })
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Verifies an `Authorization` header's value: `Bearer <jwt>` or the bare JWT.
    pub async fn verify_header(&self, header: Option<&str>) -> Result<Session, VerifyError> {
        self.verify(bearer_token(header)?).await
    }

    /// Verifies a token (`Bearer ` prefix allowed).
    pub async fn verify(&self, token: &str) -> Result<Session, VerifyError> {
        let claims = self.verify_claims(token).await?;
        self.session_of(claims, now_secs())
    }

    /// Verifies a token's signature and the claims every token must pass (issuer, expiry,
    /// not-before, subject, id or access token, an accepted client) and hands back its claims,
    /// for a caller that reads more of them than [`Session`] does (actas itself). The
    /// impersonation claims are not checked here; [`Verifier::verify`] checks them.
    pub async fn verify_claims(&self, token: &str) -> Result<Claims, VerifyError> {
        let token = bearer_token(Some(token))?;
        let jws = Jws::parse(token)?;
        let key = self.key_for(&jws.kid).await?;
        if !key.verify(jws.signing_input.as_bytes(), &jws.signature) {
            return Err(VerifyError::invalid("bad signature"));
        }
        let claims: Claims =
            serde_json::from_slice(&jws.payload).map_err(|_| VerifyError::invalid("malformed"))?;
        self.check(&claims, now_secs())?;
        Ok(claims)
    }

    fn leeway(&self) -> i64 {
        i64::try_from(self.config.leeway.as_secs()).unwrap_or(i64::MAX)
    }

    /// The checks of [`Verifier::verify_claims`], on claims whose signature checked out.
    fn check(&self, claims: &Claims, now: i64) -> Result<(), VerifyError> {
        let leeway = self.leeway();
        if claims.iss.as_deref() != Some(self.config.issuer.as_str()) {
            return Err(VerifyError::invalid("wrong issuer"));
        }
        let exp = claims
            .exp
            .ok_or_else(|| VerifyError::invalid("no expiry"))?;
        if now > exp.saturating_add(leeway) {
            return Err(VerifyError::invalid("expired"));
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(leeway))
        {
            return Err(VerifyError::invalid("not yet valid"));
        }
        if claims.sub.as_deref().is_none_or(str::is_empty) {
            return Err(VerifyError::invalid("no subject"));
        }
        if claims.kind().is_none() {
            return Err(VerifyError::invalid("not an id or access token"));
        }
        let client_id = claims
            .client()
            .ok_or_else(|| VerifyError::invalid("no client"))?;
        if !self.config.client_ids.iter().any(|c| c == client_id) {
            return Err(VerifyError::invalid("issued to another client"));
        }
        Ok(())
    }

    /// The session of claims that passed [`Verifier::check`], the impersonation claims checked.
    fn session_of(&self, claims: Claims, now: i64) -> Result<Session, VerifyError> {
        let leeway = self.leeway();
        let malformed = || VerifyError::invalid("malformed");
        let token_use = claims.kind().ok_or_else(malformed)?;
        let client_id = claims.client().ok_or_else(malformed)?.to_string();
        let username = claims.user_name().map(str::to_string);
        let sub = claims.sub.clone().ok_or_else(malformed)?;
        let exp = claims.exp.ok_or_else(malformed)?;

        let actor = claims.act.map(actor_of).transpose()?;
        let impersonation_id = claims.impersonation_id.filter(|id| !id.is_empty());
        let impersonated = actor.is_some() || impersonation_id.is_some();
        let mode = match (impersonated, claims.impersonation_mode.as_deref()) {
            (true, claim) => Some(Mode::of_claim(claim)),
            // A mode on a token without `act`: nothing actas mints, so trusted only to restrict.
            (false, Some(claim)) if Mode::of_claim(Some(claim)) == Mode::ReadOnly => {
                Some(Mode::ReadOnly)
            }
            (false, _) => None,
        };
        let ends_at = claims
            .impersonation_expires_at
            .map(|v| epoch_secs(&v).ok_or_else(malformed))
            .transpose()?;
        if impersonated && ends_at.is_some_and(|end| now > end.saturating_add(leeway)) {
            return Err(VerifyError::invalid("the impersonation has ended"));
        }
        Ok(Session {
            username: username
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| sub.clone()),
            sub,
            token_use,
            client_id,
            expires_at: exp,
            actor,
            impersonation_id,
            mode,
            ends_at,
            scopes: claims
                .scope
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            groups: claims.groups.unwrap_or_default(),
            tenant: claims.tenant.filter(|t| !t.is_empty()),
        })
    }

    async fn key_for(&self, kid: &str) -> Result<RsaKey, VerifyError> {
        {
            let cache = self.cache.read().await;
            if let Some(key) = cache.keys.get(kid) {
                return Ok(key.clone());
            }
            self.may_fetch(&cache)?;
        }
        let mut cache = self.cache.write().await;
        // Another request may have refreshed the keys while this one waited for the lock.
        if let Some(key) = cache.keys.get(kid) {
            return Ok(key.clone());
        }
        self.may_fetch(&cache)?;
        match self.source.fetch().await {
            Ok(set) => {
                cache.keys = rsa_keys(&set);
                cache.fetched_at = Some(Instant::now());
                self.fetch_backoff.succeeded();
            }
            Err(err) => {
                self.fetch_backoff.failed();
                return Err(err);
            }
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| VerifyError::invalid("unknown key"))
    }

    /// Whether a fetch is allowed now: not while backing off after failed ones, not more often
    /// than the refetch interval.
    fn may_fetch(&self, cache: &KeyCache) -> Result<(), VerifyError> {
        if !self.fetch_backoff.ready() {
            return Err(VerifyError::upstream(
                "fetching the JWKS",
                "the last fetch failed; retrying shortly",
            ));
        }
        if cache
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.config.refetch_interval)
        {
            return Err(VerifyError::invalid("unknown key"));
        }
        Ok(())
    }
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A compact JWS taken apart, its signature not yet checked.
struct Jws<'a> {
    kid: String,
    /// `header.payload`, the bytes the signature covers.
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

#[derive(Deserialize)]
struct JoseHeader {
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    /// Extensions the verifier must understand (RFC 7515 §4.1.11): none are.
    #[serde(default)]
    crit: Option<Value>,
}

impl<'a> Jws<'a> {
    fn parse(token: &'a str) -> Result<Jws<'a>, VerifyError> {
        let malformed = || VerifyError::invalid("malformed");
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::invalid("too long"));
        }
        let (signing_input, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or_else(malformed)?;
        if payload.contains('.') {
            return Err(malformed());
        }
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed());
        let header: JoseHeader =
            serde_json::from_slice(&decode(header)?).map_err(|_| malformed())?;
        if header.alg.as_deref() != Some("RS256") {
            return Err(VerifyError::invalid("unsupported algorithm"));
        }
        if header.crit.is_some() {
            return Err(VerifyError::invalid("unsupported critical header"));
        }
        let kid = header
            .kid
            .filter(|k| !k.is_empty())
            .ok_or_else(|| VerifyError::invalid("no key id"))?;
        Ok(Jws {
            kid,
            signing_input,
            payload: decode(payload)?,
            signature: decode(signature)?,
        })
    }
}

/// `act` as actas writes it, `{"sub", "username"}`; some token pipelines hand JSON-valued
/// claims on as a string of JSON, which is read the same way. Anything else is malformed.
fn actor_of(act: Value) -> Result<Actor, VerifyError> {
    let act = match act {
        Value::String(text) => {
            serde_json::from_str(&text).map_err(|_| VerifyError::invalid("malformed actor"))?
        }
        other => other,
    };
    let sub = act
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| VerifyError::invalid("malformed actor"))?;
    let username = act
        .get("username")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .unwrap_or(sub);
    Ok(Actor {
        sub: sub.to_string(),
        username: username.to_string(),
    })
}

/// Epoch seconds as a number or a string of digits (claims added by a trigger may be either).
fn epoch_secs(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
