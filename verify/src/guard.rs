//! The whole admission decision for one request: token, revocation, write rule.

use crate::error::VerifyError;
use crate::revocation::RevocationCheck;
use crate::session::Session;
use crate::set::RevokedSessions;
use crate::verifier::{bearer_token, Verifier};
use crate::write_rule::WriteRule;
use http::Method;
use std::sync::Arc;

/// A verifier, optionally the online revocation check and the sessions revoked by Shared
/// Signals, and the write rule. Cheap to clone.
#[derive(Clone)]
pub struct Guard {
    verifier: Arc<Verifier>,
    revocation: Option<Arc<RevocationCheck>>,
    revoked: Option<Arc<dyn RevokedSessions>>,
    write_rule: WriteRule,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("verifier", &self.verifier)
            .field("revocation", &self.revocation)
            .field("revoked_sessions", &self.revoked.is_some())
            .field("write_rule", &self.write_rule)
            .finish()
    }
}

impl Guard {
    pub fn new(verifier: impl Into<Arc<Verifier>>) -> Guard {
        Guard {
            verifier: verifier.into(),
            revocation: None,
            revoked: None,
            write_rule: WriteRule::default(),
        }
    }

    /// Asks actas about every token the verifier accepts.
    pub fn revocation(mut self, check: impl Into<Arc<RevocationCheck>>) -> Guard {
        self.revocation = Some(check.into());
        self
    }

    /// Refuses every session a Shared Signals `session-revoked` SET named (see
    /// [`crate::SetReceiver`]): offline, from the next request on. A store failure refuses.
    pub fn revoked_sessions(mut self, revoked: Arc<dyn RevokedSessions>) -> Guard {
        self.revoked = Some(revoked);
        self
    }

    pub fn write_rule(mut self, rule: WriteRule) -> Guard {
        self.write_rule = rule;
        self
    }

    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub fn revocation_check(&self) -> Option<&RevocationCheck> {
        self.revocation.as_deref()
    }

    /// Whether a revocation check needs an actas URL from the request (none is fixed).
    pub fn needs_api_url(&self) -> bool {
        self.revocation
            .as_ref()
            .is_some_and(|check| check.api_url().is_none())
    }

    pub fn rule(&self) -> &WriteRule {
        &self.write_rule
    }

    /// Admits a request or says why not: `session`, then a write must come from a session
    /// that may write.
    pub async fn admit(
        &self,
        method: &Method,
        authorization: Option<&str>,
        api_url: Option<&str>,
    ) -> Result<Session, VerifyError> {
        let session = self.session(authorization, api_url).await?;
        session.authorize(method, &self.write_rule)?;
        Ok(session)
    }

    /// The caller's session: the `Authorization` header's token must verify, then (when
    /// configured) actas must say it is still valid — at its fixed URL, else at `api_url`.
    /// The write rule is not applied (see `admit`).
    pub async fn session(
        &self,
        authorization: Option<&str>,
        api_url: Option<&str>,
    ) -> Result<Session, VerifyError> {
        let token = bearer_token(authorization)?;
        let session = self.verifier.verify(token).await?;
        if let (Some(revoked), Some(id)) = (&self.revoked, session.impersonation_id.as_deref()) {
            if revoked.is_revoked(id).await? {
                return Err(VerifyError::Revoked);
            }
        }
        if let Some(check) = &self.revocation {
            match (check.api_url(), api_url) {
                (Some(_), _) => check.check(token).await?,
                (None, Some(url)) => check.check_at(url, token).await?,
                (None, None) => {
                    return Err(VerifyError::upstream(
                        "checking the token with actas",
                        "no actas API URL for this request",
                    ))
                }
            }
        }
        Ok(session)
    }
}
