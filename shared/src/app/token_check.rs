//! `GET /auth/token` (seed 000): is this token valid, and whose impersonation is it.

use crate::app::session_policy::{enforce, PolicyEnd};
use crate::app::state::ReadState;
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::Impersonation;
use crate::domain::mode::Mode;
use crate::domain::payload::ActorSummary;
use crate::domain::token::TokenUse;
use crate::domain::user::UserRef;
use crate::ports::clock::rfc3339_millis;
use serde::Serialize;

/// An impersonation as its readers see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImpersonationView {
    pub id: String,
    pub actor: ActorSummary,
    pub target: ActorSummary,
    pub tenant: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    /// `read_only` or `full`.
    pub mode: Mode,
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
            mode: imp.mode,
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

pub async fn check_token(state: &ReadState, authorization: Option<&str>) -> Result<TokenStatus> {
    let token = state.verifier.verify_header(authorization).await?;
    let now = state.clock.now_secs();
    // A signature outlives its user: deleted or disabled since sign-in is not valid. The user
    // and the impersonation are read at once.
    let user_lookup = async {
        match UserRef::parse(&token.username) {
            Ok(user) => Ok(state
                .identity
                .find_user(&user)
                .await?
                .is_some_and(|u| u.sub == token.sub && u.enabled)),
            Err(_) => Ok::<bool, ActasError>(false),
        }
    };
    let impersonation_lookup = async {
        match token.impersonation_id.as_deref() {
            Some(id) => state
                .impersonations
                .get(id)
                .await?
                .filter(|imp| imp.target_sub == token.sub)
                .map(Some)
                .ok_or_else(|| {
                    ActasError::Unauthorized("the token names no impersonation of its user".into())
                }),
            None => Ok(None),
        }
    };
    let (user_active, imp) = tokio::join!(user_lookup, impersonation_lookup);
    let (user_active, mut imp) = (user_active?, imp?);
    // The rules hold for the whole session: the actor is read fresh too, and an impersonation
    // the policy no longer allows (actor disabled, demoted, moved; target gone) ends here.
    if let Some(live) = imp.as_ref().filter(|i| i.is_live(now)) {
        let ending = PolicyEnd {
            impersonations: state.impersonations.as_ref(),
            audit: &state.audit,
            clock: state.clock.as_ref(),
        };
        if enforce(state.identity.as_ref(), &ending, live).await?.is_some() {
            imp = state.impersonations.get(&live.id).await?;
        }
    }
    let impersonation = imp.map(|imp| ImpersonationView::of(&imp, now));
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
