//! Who is calling: a verified Cognito token whose user still exists and is enabled.

use crate::app::state::Api;
use crate::domain::error::{ActasError, Result};
use crate::domain::policy::{self, Denial, SessionKind};
use crate::domain::token::VerifiedToken;
use crate::domain::user::{UserRecord, UserRef};

/// An authenticated caller: what their token says, and who they are in the pool right now.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: VerifiedToken,
    pub user: UserRecord,
}

impl Caller {
    pub fn session_kind(&self, state: &Api) -> SessionKind {
        if self.token.is_impersonated()
            || self.token.client_id == state.pool.impersonation_client_id
        {
            SessionKind::Impersonated
        } else {
            SessionKind::Own
        }
    }

    /// Refuses an impersonated session what only a person's own session may do (read the
    /// listing or the audit trail): a chained impersonation. Checked before anything the
    /// request asks is read.
    pub fn require_own_session(&self, state: &Api) -> Result<()> {
        match self.session_kind(state) {
            SessionKind::Impersonated => Err(Denial::ChainedImpersonation.into()),
            SessionKind::Own => Ok(()),
        }
    }
}

pub async fn authenticate(state: &Api, authorization: Option<&str>) -> Result<Caller> {
    let token = state.verifier.verify_header(authorization).await?;
    caller_of(state, token).await
}

/// The caller of a verified token, read fresh from the pool. Apart from the token's check (no
/// AWS call once the keys are cached) so that a route can read the caller at the same time as
/// what it reads next.
pub async fn caller_of(state: &Api, token: VerifiedToken) -> Result<Caller> {
    let reference = UserRef::parse(&token.username)
        .map_err(|_| ActasError::Unauthorized("invalid token: unusable username".into()))?;
    let user = state
        .identity
        .find_user(&reference)
        .await?
        .filter(|u| u.sub == token.sub)
        .ok_or_else(|| ActasError::Unauthorized("the token's user no longer exists".into()))?;
    // An unexpired token of a user disabled since sign-in opens no route.
    if !user.enabled {
        return Err(Denial::ActorDisabled.into());
    }
    Ok(Caller { token, user })
}

/// The policy for a start, where a user of another tenant is "not found" like an unknown one:
/// nobody learns who exists outside their tenant (seed 003: "not found in this location").
pub(crate) fn check_may_start(actor: &policy::Principal, target: &UserRecord) -> Result<()> {
    match policy::check(actor, SessionKind::Own, &target.principal()) {
        Err(Denial::OutsideTenant) => Err(ActasError::NotFound("no such user".into())),
        other => other.map_err(ActasError::from),
    }
}

pub(crate) async fn find_target(state: &Api, target: &UserRef) -> Result<UserRecord> {
    state
        .identity
        .find_user(target)
        .await?
        .ok_or_else(|| ActasError::NotFound("no such user".into()))
}
