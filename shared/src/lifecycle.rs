//! After the start: checking a token (seed 000's "is this token valid") and stopping an
//! impersonation. A stopped impersonation reads inactive at once, its refresh token is revoked
//! in Cognito, and stopping twice is harmless.

use serde::Serialize;
use tracing::{info, warn};

use crate::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::clock::rfc3339_millis;
use crate::error::{ActasError, Result};
use crate::identity::UserRef;
use crate::impersonation::{ApiState, Caller};
use crate::jwt::TokenUse;
use crate::payload::ActorSummary;
use crate::policy::{Denial, Role, SessionKind};
use crate::store::{GrantKind, Impersonation, ImpersonationStatus};

/// An impersonation as its readers see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImpersonationView {
    pub id: String,
    pub actor: ActorSummary,
    pub target: ActorSummary,
    pub tenant: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    /// `pending`, `active` or `ended`.
    pub status: String,
    /// Active now: started, not ended or stopped, before its hard end.
    pub active: bool,
    pub started_at: String,
    pub ends_at: String,
    pub ended_at: Option<String>,
}

impl ImpersonationView {
    pub fn of(imp: &Impersonation, now_secs: i64) -> ImpersonationView {
        ImpersonationView {
            id: imp.id.clone(),
            actor: ActorSummary {
                sub: imp.actor_sub.clone(),
                username: imp.actor_username.clone(),
            },
            target: ActorSummary {
                sub: imp.target_sub.clone(),
                username: imp.target_username.clone(),
            },
            tenant: imp.tenant.clone(),
            reason: imp.reason.clone(),
            ticket: imp.ticket.clone(),
            status: imp.status.as_str().to_string(),
            active: imp.is_live(now_secs),
            started_at: rfc3339_millis(imp.created_at_millis),
            ends_at: rfc3339_millis(imp.ends_at * 1000),
            ended_at: imp.ended_at.map(|t| rfc3339_millis(t * 1000)),
        }
    }
}

/// `GET /auth/token`: what the presented token is, and for an impersonated session whether the
/// impersonation is still on, so a downstream service can enforce a stop before `exp`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenStatus {
    /// The signature, issuer, client and expiry check out, and any impersonation is active.
    pub valid: bool,
    pub sub: String,
    pub username: String,
    pub token_use: &'static str,
    pub client_id: String,
    pub expires_at: String,
    pub impersonation: Option<ImpersonationView>,
}

pub async fn check_token(state: &ApiState, authorization: Option<&str>) -> Result<TokenStatus> {
    let token = state.verifier.verify_header(authorization).await?;
    let now = state.clock.now_secs();
    // A signature outlives its user: deleted or disabled since sign-in is not valid.
    let user_active = match UserRef::parse(&token.username) {
        Ok(user) => state
            .identity
            .find_user(&user)
            .await?
            .is_some_and(|u| u.sub == token.sub && u.enabled),
        Err(_) => false,
    };
    let impersonation = match token.impersonation_id.as_deref() {
        Some(id) => Some(
            state
                .impersonations
                .get(id)
                .await?
                .filter(|imp| imp.target_sub == token.sub)
                .map(|imp| ImpersonationView::of(&imp, now))
                .ok_or_else(|| {
                    ActasError::Unauthorized("the token names no impersonation of its user".into())
                })?,
        ),
        None => None,
    };
    Ok(TokenStatus {
        valid: user_active && impersonation.as_ref().is_none_or(|i| i.active),
        sub: token.sub,
        username: token.username,
        token_use: match token.token_use {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        },
        client_id: token.client_id,
        expires_at: rfc3339_millis(token.expires_at * 1000),
        impersonation,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StopResult {
    /// Always `ended`: stopping an ended impersonation changes nothing.
    pub status: &'static str,
    pub impersonation: ImpersonationView,
}

async fn find_impersonation(state: &ApiState, id: &str) -> Result<Impersonation> {
    let not_found = || ActasError::NotFound("no such impersonation".into());
    if id.is_empty() || id.len() > 64 {
        return Err(not_found());
    }
    state
        .impersonations
        .get(id)
        .await?
        .filter(|imp| imp.kind == GrantKind::Impersonation)
        .ok_or_else(not_found)
}

/// `DELETE /auth/impersonations/{id}`: by the impersonator, an admin of the tenant who
/// outranks the impersonator, or a super-admin.
pub async fn stop_by_id(
    state: &ApiState,
    caller: &Caller,
    id: &str,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    let imp = find_impersonation(state, id).await?;
    let me = caller.user.principal();
    // Another tenant's impersonation is "not found", like an unknown id: nobody learns what
    // goes on elsewhere.
    if me.sub != imp.actor_sub && me.role != Role::SuperAdmin && me.tenant != imp.tenant {
        return Err(ActasError::NotFound("no such impersonation".into()));
    }
    let permitted = if me.sub == imp.actor_sub {
        true
    } else if me.role == Role::SuperAdmin {
        true
    } else if me.role == Role::Admin && me.tenant.is_some() && me.tenant == imp.tenant {
        let actor_rank = match UserRef::parse(&imp.actor_username) {
            Ok(actor) => state
                .identity
                .find_user(&actor)
                .await?
                .map(|a| a.role().rank()),
            Err(_) => None,
        };
        actor_rank.is_none_or(|rank| me.role.rank() > rank)
    } else {
        false
    };
    if !me.enabled || !permitted {
        return Err(ActasError::Forbidden(
            "you may not stop this impersonation".into(),
        ));
    }
    end_and_revoke(state, imp, &caller.user.username, origin).await
}

/// `DELETE /auth/impersonate` (seed 000's sign-out): the impersonated session ends itself.
pub async fn stop_own(
    state: &ApiState,
    authorization: Option<&str>,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    let token = state.verifier.verify_header(authorization).await?;
    let id = token
        .impersonation_id
        .as_deref()
        .ok_or_else(|| ActasError::Forbidden("this session is not an impersonation".into()))?;
    let imp = find_impersonation(state, id).await?;
    if imp.target_sub != token.sub {
        return Err(ActasError::Forbidden(
            "this session is not that impersonation".into(),
        ));
    }
    end_and_revoke(state, imp, &token.username, origin).await
}

pub async fn end_and_revoke(
    state: &ApiState,
    imp: Impersonation,
    stopped_by: &str,
    origin: &RequestOrigin,
) -> Result<StopResult> {
    let now = state.clock.now_secs();
    let ended_now = state.impersonations.end(&imp.id, None, now).await?;
    info!(impersonation_id = %imp.id, stopped_by, ended_now, "impersonation stopped");
    // The end is on record whether or not the revoke below succeeds.
    let recorded = if ended_now {
        let mut record =
            AuditRecord::new(AuditEvent::Stopped, state.clock.now_millis(), origin).about(&imp);
        record.cause = Some(format!("stopped by {stopped_by}"));
        state.audit.record(&record).await
    } else {
        Ok(())
    };
    // Revoking again on a second stop is harmless, and covers a first stop whose revoke failed.
    revoke_session(state, &imp).await;
    recorded?;
    let current = state.impersonations.get(&imp.id).await?.unwrap_or(imp);
    Ok(StopResult {
        status: "ended",
        impersonation: ImpersonationView::of(&current, now),
    })
}

/// Revokes an ended impersonation's refresh token in Cognito and records when.
pub async fn revoke_session(state: &ApiState, imp: &Impersonation) {
    let ports = SessionPorts {
        impersonations: state.impersonations.as_ref(),
        identity: state.identity.as_ref(),
        vault: state.vault.as_ref(),
        clock: state.clock.as_ref(),
    };
    ports.revoke(imp).await;
}

/// What revoking an ended session needs (the API functions and the cleanup both do it).
pub struct SessionPorts<'a> {
    pub impersonations: &'a dyn crate::store::ImpersonationStore,
    pub identity: &'a dyn crate::identity::IdentityProvider,
    pub vault: &'a dyn crate::vault::RefreshTokenVault,
    pub clock: &'a dyn crate::clock::Clock,
}

impl SessionPorts<'_> {
    /// Revokes the kept refresh token and records `revoked_at`. A failure is logged, not raised:
    /// the impersonation has ended either way, and the next cleanup revokes every ended
    /// impersonation that has no `revoked_at`. Returns whether the revoke succeeded.
    pub async fn revoke(&self, imp: &Impersonation) -> bool {
        let Some(sealed) = &imp.refresh_token_sealed else {
            if imp.status == ImpersonationStatus::Active {
                warn!(impersonation_id = %imp.id, "an active impersonation without a kept refresh token");
            }
            return false;
        };
        let revoked = match self.vault.open(&imp.id, sealed).await {
            Ok(token) => {
                self.identity
                    .revoke_refresh_token(&imp.client_id, &token)
                    .await
            }
            Err(err) => Err(err),
        };
        match revoked {
            Ok(()) => {
                let now = self.clock.now_secs();
                if let Err(err) = self.impersonations.mark_revoked(&imp.id, now).await {
                    warn!(impersonation_id = %imp.id, error = %err, "revoked, but not recorded");
                }
                true
            }
            Err(err) => {
                warn!(impersonation_id = %imp.id, error = %err, "refresh token not revoked; cleanup retries");
                false
            }
        }
    }
}

/// Filters of `GET /auth/impersonations`, as the request gave them.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    pub active: Option<String>,
    /// A username or `sub`.
    pub actor: Option<String>,
    /// `me`, a username or a `sub`.
    pub target: Option<String>,
    /// RFC 3339, or epoch milliseconds.
    pub since: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImpersonationList {
    pub impersonations: Vec<ImpersonationView>,
    /// Pass back as `nextToken`; `null` on the last page.
    pub next_token: Option<String>,
    pub page_size: i32,
}

pub const LIST_PAGE_SIZE: i32 = 50;

fn parse_since(value: &str) -> Result<i64> {
    use aws_smithy_types::date_time::{DateTime, Format};
    if let Ok(millis) = value.parse::<i64>() {
        return Ok(millis);
    }
    DateTime::from_str(value, Format::DateTime)
        .ok()
        .and_then(|d| d.to_millis().ok())
        .ok_or_else(|| {
            ActasError::BadRequest("since must be RFC 3339 or epoch milliseconds".into())
        })
}

/// A user named by username or `sub`, as its `sub`; `None` if there is no such user.
async fn sub_of(state: &ApiState, user: &str) -> Result<Option<String>> {
    Ok(state
        .identity
        .find_user(&UserRef::parse(user)?)
        .await?
        .map(|u| u.sub))
}

/// `GET /auth/impersonations`: super-admins see all, admins and operators their tenant, anyone
/// else what they started; and everyone may list the impersonations of themself (`target=me`).
pub async fn list_impersonations(
    state: &ApiState,
    caller: &Caller,
    filters: ListFilters,
) -> Result<ImpersonationList> {
    use crate::store::{ListQuery, ListScope};
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    let me = caller.user.principal();
    let active_only = match filters.active.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(ActasError::BadRequest(
                "active must be true or false".into(),
            ))
        }
    };
    let since_millis = filters.since.as_deref().map(parse_since).transpose()?;
    let empty = || ImpersonationList {
        impersonations: vec![],
        next_token: None,
        page_size: LIST_PAGE_SIZE,
    };

    let mut actor_sub = match filters.actor.as_deref() {
        Some(actor) => match sub_of(state, actor).await? {
            Some(sub) => Some(sub),
            None => return Ok(empty()),
        },
        None => None,
    };
    let (scope, target_sub) = match filters.target.as_deref() {
        Some("me") => (ListScope::Target(me.sub.clone()), None),
        other => {
            let target_sub = match other {
                Some(target) => match sub_of(state, target).await? {
                    Some(sub) => Some(sub),
                    None => return Ok(empty()),
                },
                None => None,
            };
            let scope = match me.role {
                Role::SuperAdmin => target_sub
                    .clone()
                    .map(ListScope::Target)
                    .unwrap_or(ListScope::All),
                Role::Admin | Role::Operator => ListScope::Tenant(me.tenant.clone()),
                Role::TeamAdmin | Role::User => {
                    // What they started, whatever the filter asked.
                    if actor_sub.as_ref().is_some_and(|a| a != &me.sub) {
                        return Ok(empty());
                    }
                    actor_sub = Some(me.sub.clone());
                    ListScope::Tenant(me.tenant.clone())
                }
            };
            (scope, target_sub)
        }
    };
    let now = state.clock.now_secs();
    let page = state
        .impersonations
        .list(&ListQuery {
            scope,
            actor_sub,
            target_sub,
            active_only,
            since_millis,
            page_token: filters.next_token,
            limit: LIST_PAGE_SIZE,
            now_secs: now,
        })
        .await?;
    Ok(ImpersonationList {
        impersonations: page
            .items
            .iter()
            .map(|i| ImpersonationView::of(i, now))
            .collect(),
        next_token: page.next_token,
        page_size: LIST_PAGE_SIZE,
    })
}
