//! What the HTTP functions' use cases work with. Each function builds only what its route uses
//! (`bootstrap` has one builder per function): every route has the common `Api`, and a route's
//! state adds the ports that route needs — the grants and the vault for routes that start or end
//! sessions, the two-step grants and signing keys for the token routes, the API keys for a start.
//! A route's state holds its `Api` as a field (`state.api`), so a use case's signature shows what
//! it uses.

use std::sync::Arc;

use crate::app::audit_trail::AuditTrail;
use crate::app::token_verifier::JwtVerifier;
use crate::domain::settings::{Policy, UserPool};
use crate::ports::clock::Clock;
use crate::ports::grants::ImpersonationStore;
use crate::ports::identity::IdentityProvider;
use crate::ports::vault::RefreshTokenVault;

/// What every API route uses: the deployment's policy, the user pool it serves, the API's
/// public URL, the clock, the verifier of callers' tokens, the pool's directory, and the audit
/// trail (refusals are audited on every route).
pub struct Api {
    pub policy: Policy,
    pub pool: UserPool,
    /// The API's public base URL (`PUBLIC_API_URL`). Unset, it is read from each request.
    /// Impersonated sessions refresh at `{base}/auth/cognito`.
    pub public_api_url: Option<String>,
    pub clock: Arc<dyn Clock>,
    pub verifier: JwtVerifier,
    pub identity: Arc<dyn IdentityProvider>,
    pub audit: AuditTrail,
}

/// What a route that starts or ends sessions adds: the impersonations, and the vault that keeps
/// their refresh tokens sealed so that ending one can revoke it.
#[derive(Clone)]
pub struct Sessions {
    pub impersonations: Arc<dyn ImpersonationStore>,
    pub vault: Arc<dyn RefreshTokenVault>,
}

/// Revert, stop and the session endpoint: sessions are read, minted and ended.
pub struct SessionState {
    pub api: Api,
    pub sessions: Sessions,
}

/// The token check and the listing: impersonations are only read.
pub struct ReadState {
    pub api: Api,
    pub impersonations: Arc<dyn ImpersonationStore>,
}
