//! `GET /auth/token` (seed 000): is this token valid, and whose impersonation is it.

use crate::app::session_policy::{denial_given, person_of, PolicyEnd};
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
    /// Active now: started, not ended or stopped, before its hard end, and not idle.
    pub active: bool,
    pub started_at: String,
    pub ends_at: String,
    pub ended_at: Option<String>,
    /// When its session is over unless it is refreshed before (each refresh moves it on by the
    /// idle timeout); `None` without an idle timeout.
    pub idle_ends_at: Option<String>,
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
            active: imp.is_in_use(now_secs),
            started_at: rfc3339_millis(imp.created_at_millis),
            ends_at: rfc3339_millis(imp.ends_at * 1000),
            ended_at: imp.ended_at.map(|t| rfc3339_millis(t * 1000)),
            idle_ends_at: (imp.idle_secs > 0)
                .then(|| rfc3339_millis(imp.idle_ends_at().saturating_mul(1000))),
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
    let token = state.api.verifier.verify_header(authorization).await?;
    let now = state.api.clock.now_secs();
    // A signature outlives its user: deleted or disabled since sign-in is not valid. The user,
    // the impersonation and its actor (as the token's `act` names them) are read at once: one
    // wave of calls. The user is the impersonation's target, read fresh.
    let user_lookup = async {
        match UserRef::parse(&token.username) {
            Ok(user) => state.api.identity.find_user(&user).await,
            Err(_) => Ok(None),
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
    let actor_named = token
        .impersonation_id
        .as_ref()
        .and(token.act.as_ref())
        .and_then(|act| act.get("username")?.as_str())
        .filter(|name| UserRef::parse(name).is_ok());
    let actor_lookup = async {
        match actor_named.map(UserRef::parse) {
            Some(Ok(actor)) => Some(state.api.identity.find_user(&actor).await),
            _ => None,
        }
    };
    let (user, imp, actor) = tokio::join!(user_lookup, impersonation_lookup, actor_lookup);
    let (user, mut imp) = (user?, imp?);
    let user_active = user
        .as_ref()
        .is_some_and(|u| u.sub == token.sub && u.enabled);
    // The rules hold for the whole session: a session unused for its idle timeout is over, the
    // actor is read fresh too, and an impersonation the policy no longer allows (actor
    // disabled, demoted, moved; target gone) ends here. Its refresh token is revoked by the
    // next cleanup (this route cannot open it).
    if let Some(live) = imp.as_ref().filter(|i| i.is_live(now)) {
        let ending = PolicyEnd {
            impersonations: state.impersonations.as_ref(),
            audit: &state.api.audit,
            clock: state.api.clock.as_ref(),
        };
        let ended = if live.is_idle(now) {
            ending.end_idle(live).await?;
            true
        } else {
            let identity = state.api.identity.as_ref();
            let (actor, target) = tokio::join!(
                person_of(
                    identity,
                    actor,
                    actor_named,
                    &live.actor_username,
                    &live.actor_sub
                ),
                person_of(
                    identity,
                    Some(Ok(user)),
                    Some(token.username.as_str()),
                    &live.target_username,
                    &live.target_sub
                ),
            );
            match denial_given(live, actor?.as_ref(), target?.as_ref()) {
                Some(denial) => {
                    ending.end(live, denial).await?;
                    true
                }
                None => false,
            }
        };
        if ended {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditEvent;
    use crate::domain::grant::GrantKind;
    use crate::ports::clock::Clock;
    use crate::testkit::clock::ManualClock;
    use crate::testkit::{now_secs, TestWorld};
    use std::sync::Arc;

    /// A read-only impersonation of acme-support-1 by `actor`, started on record; its id.
    async fn started_read_only(world: &TestWorld, actor: &str) -> String {
        let payload = world
            .start_session(actor, "acme-support-1", Mode::ReadOnly)
            .await;
        payload.impersonation.map(|i| i.id).unwrap_or_default()
    }

    #[tokio::test]
    async fn the_impersonations_own_actor_decides_whoever_the_tokens_act_names() {
        // The actor is read at once with the rest, by the name the token's `act` gives; a name
        // that is not the impersonation's actor's is read again by the impersonation's.
        let world = TestWorld::new();
        let id = started_read_only(&world, "acme-operator").await;
        let check = |actor: &str| {
            let bearer = format!(
                "Bearer {}",
                world.impersonated_access_token("acme-support-1", actor, &id)
            );
            let state = world.read_state();
            async move { check_token(&state, Some(&bearer)).await.unwrap() }
        };
        for named in ["acme-operator", "acme-admin"] {
            let status = check(named).await;
            assert!(status.valid, "act naming {named}: {status:?}");
        }
        world
            .identity
            .update_user("acme-operator", |u| u.enabled = false);
        let status = check("acme-admin").await;
        assert!(!status.valid, "{status:?}");
        assert_eq!(
            status.impersonation.map(|i| i.status).as_deref(),
            Some("ended"),
            "ended by the policy"
        );
    }

    #[tokio::test]
    async fn an_idle_session_is_not_valid_and_ends_on_record() {
        let mut world = TestWorld::new();
        let clock = Arc::new(ManualClock::at_millis(now_secs() * 1000));
        world.clock = clock.clone();
        let id = started_read_only(&world, "acme-admin").await;
        let token = world.impersonated_access_token("acme-support-1", "acme-admin", &id);
        let bearer = format!("Bearer {token}");
        let idle = world.policy.impersonation_idle_secs;
        let idle_end = rfc3339_millis((clock.now_secs() + idle) * 1000);

        clock.advance_secs(idle - 1);
        let before = check_token(&world.read_state(), Some(&bearer))
            .await
            .unwrap();
        assert!(before.valid, "valid a second before its idle end");
        let view = before.impersonation.expect("the impersonation");
        assert!(view.active);
        assert_eq!(view.idle_ends_at.as_deref(), Some(idle_end.as_str()));

        clock.advance_secs(1);
        let after = check_token(&world.read_state(), Some(&bearer))
            .await
            .unwrap();
        assert!(!after.valid, "not valid once idle");
        let view = after.impersonation.expect("the impersonation");
        assert!(!view.active);
        assert_eq!(view.status, "ended", "ended, not only reported idle");
        let causes: Vec<String> = world
            .store
            .audit_records()
            .into_iter()
            .filter(|r| {
                r.impersonation_id.as_deref() == Some(&id) && r.event == AuditEvent::Stopped
            })
            .filter_map(|r| r.cause)
            .collect();
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert!(causes[0].starts_with("ended for idleness"), "{causes:?}");

        // Checked again: still not valid, and on record once.
        let again = check_token(&world.read_state(), Some(&bearer))
            .await
            .unwrap();
        assert!(!again.valid);
        assert_eq!(
            world
                .store
                .audit_records()
                .iter()
                .filter(|r| r.impersonation_id.as_deref() == Some(&id)
                    && r.event == AuditEvent::Stopped)
                .count(),
            1
        );
    }

    #[test]
    fn an_idle_impersonation_reads_inactive_before_anything_ends_it() {
        let mut imp = crate::domain::grant::Impersonation {
            id: "i".into(),
            kind: GrantKind::Impersonation,
            actor_sub: "a".into(),
            actor_username: "acme-admin".into(),
            target_sub: "t".into(),
            target_username: "acme-support-1".into(),
            tenant: Some("acme".into()),
            reason: None,
            ticket: None,
            mode: Mode::ReadOnly,
            break_glass: false,
            client_id: "c".into(),
            status: crate::domain::grant::ImpersonationStatus::Active,
            created_at_millis: 1_000_000,
            ends_at: 5_000,
            mint_deadline: 1_060,
            mint_secret_hash: "h".into(),
            revert_secret_hash: "h".into(),
            expires_at: 100_000,
            refresh_token_sealed: None,
            ended_at: None,
            revoked_at: None,
            last_active_at: 1_000,
            idle_secs: 600,
        };
        assert!(ImpersonationView::of(&imp, 1_599).active);
        let idle = ImpersonationView::of(&imp, 1_600);
        assert!(!idle.active);
        assert_eq!(idle.status, "active", "idle, until something ends it");
        assert_eq!(
            idle.idle_ends_at.as_deref(),
            Some("1970-01-01T00:26:40.000Z")
        );
        imp.idle_secs = 0;
        let timeless = ImpersonationView::of(&imp, 4_999);
        assert!(timeless.active);
        assert_eq!(timeless.idle_ends_at, None);
    }
}
