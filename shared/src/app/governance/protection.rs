//! Protected accounts: who reads or sets an account's protection.

use super::own_session;
use crate::app::authenticate::Caller;
use crate::app::state::Api;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::policy::{self, Denial, Role, SessionKind};
use crate::domain::user::{UserRecord, UserRef};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Protection {
    pub sub: String,
    pub username: String,
    pub protected: bool,
}

/// The account a protection call is about: `me`, or someone the caller may act as (an admin
/// for them).
async fn protection_subject(state: &Api, caller: &Caller, id: &str) -> Result<UserRecord> {
    if id == "me" {
        return Ok(caller.user.clone());
    }
    let user = state
        .identity
        .find_user(&UserRef::parse(id)?)
        .await?
        .ok_or_else(|| ActasError::NotFound("no such user".into()))?;
    if user.sub == caller.user.sub {
        return Ok(user);
    }
    match policy::check(
        &caller.user.principal(),
        SessionKind::Own,
        &user.principal(),
    ) {
        Ok(()) => Ok(user),
        Err(Denial::OutsideTenant) => Err(ActasError::NotFound("no such user".into())),
        Err(_) => Err(ActasError::Forbidden(
            "only the user, or someone who may act as them, may change their protection".into(),
        )),
    }
}

pub async fn read_protection(state: &Api, caller: &Caller, id: &str) -> Result<Protection> {
    own_session(state, caller)?;
    let user = protection_subject(state, caller, id).await?;
    Ok(Protection {
        protected: user.is_protected(),
        sub: user.sub,
        username: user.username,
    })
}

pub async fn set_protection(
    state: &Api,
    caller: &Caller,
    id: &str,
    protected: bool,
    origin: &RequestOrigin,
) -> Result<Protection> {
    own_session(state, caller)?;
    let user = protection_subject(state, caller, id).await?;
    // Someone who may act as the user can protect them, but lifting it is the user's own call
    // (or a super-admin's): otherwise the people it guards against could switch it off.
    let lifting_for_someone_else = !protected && user.sub != caller.user.sub;
    if lifting_for_someone_else && caller.user.principal().role != Role::SuperAdmin {
        return Err(ActasError::Forbidden(
            "only the user (or a super-admin) may lift their account's protection".into(),
        ));
    }
    state
        .identity
        .set_protected(&user.username, protected)
        .await?;
    let mut record = AuditRecord::new(
        AuditEvent::ProtectionChanged,
        state.clock.now_millis(),
        origin,
    );
    record.actor_sub = Some(caller.user.sub.clone());
    record.actor_username = Some(caller.user.username.clone());
    record.target_sub = Some(user.sub.clone());
    record.target_username = Some(user.username.clone());
    record.tenant = user.principal().tenant;
    record.cause = Some(
        if protected {
            "protected"
        } else {
            "unprotected"
        }
        .into(),
    );
    state.audit.record(&record).await?;
    Ok(Protection {
        sub: user.sub,
        username: user.username,
        protected,
    })
}
