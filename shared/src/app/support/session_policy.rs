//! The rules hold for a session's whole life, not only at its start: a live impersonation is
//! checked again, with both people read fresh from the pool, whenever a change could reach it
//! (its token checked, its session refreshed, a change to either person followed by the
//! directory). When the policy a new start would apply no longer allows it — the actor
//! disabled, deleted, demoted or moved out of scope, the target disabled or deleted — it is
//! ended at once (a conditional write), on record with what changed; its refresh token is
//! revoked there and then where the caller can, and by the next cleanup otherwise. A session
//! unused (not refreshed) for its idle timeout is over too, and ends the same way
//! (`PolicyEnd::end_idle`), wherever it is next seen: a refresh, a token check, the cleanup.

use crate::app::audit_trail::AuditTrail;
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::Result;
use crate::domain::grant::Impersonation;
use crate::domain::policy::{self, Denial, SessionKind};
use crate::domain::user::{UserRecord, UserRef};
use crate::ports::clock::Clock;
use crate::ports::grants::ImpersonationStore;
use crate::ports::identity::IdentityProvider;
use tracing::info;

/// A person of an impersonation as the pool has them now; `None` when deleted (or replaced by
/// another user of the same name).
async fn fresh(
    identity: &dyn IdentityProvider,
    username: &str,
    sub: &str,
) -> Result<Option<UserRecord>> {
    let Ok(user) = UserRef::parse(username) else {
        return Ok(None);
    };
    Ok(identity.find_user(&user).await?.filter(|u| u.sub == sub))
}

/// Why the policy no longer allows this impersonation, with both people read fresh (at once);
/// `None` while it still does.
pub async fn denial_now(
    identity: &dyn IdentityProvider,
    imp: &Impersonation,
) -> Result<Option<Denial>> {
    let (actor, target) = tokio::join!(
        fresh(identity, &imp.actor_username, &imp.actor_sub),
        fresh(identity, &imp.target_username, &imp.target_sub),
    );
    Ok(denial_given(imp, actor?.as_ref(), target?.as_ref()))
}

/// `denial_now`, with both people already read fresh (`None`: not found), as a route that reads
/// them together with the impersonation does. A person whose `sub` is not the impersonation's
/// is someone else of the same name: deleted, as far as it is concerned.
pub fn denial_given(
    imp: &Impersonation,
    actor: Option<&UserRecord>,
    target: Option<&UserRecord>,
) -> Option<Denial> {
    // Deleted is the strongest form of disabled.
    let Some(actor) = actor.filter(|u| u.sub == imp.actor_sub) else {
        return Some(Denial::ActorDisabled);
    };
    let Some(target) = target.filter(|u| u.sub == imp.target_sub) else {
        return Some(Denial::TargetDisabled);
    };
    policy::check(&actor.principal(), SessionKind::Own, &target.principal()).err()
}

/// A person of `imp` read by a route before it had `imp` (by the name its token or pointer
/// gave), or read now when that read was of someone else's name.
pub async fn person_of(
    identity: &dyn IdentityProvider,
    read: Option<Result<Option<UserRecord>>>,
    read_as: Option<&str>,
    username: &str,
    sub: &str,
) -> Result<Option<UserRecord>> {
    match read {
        Some(read) if read_as == Some(username) => Ok(read?.filter(|u| u.sub == sub)),
        _ => fresh(identity, username, sub).await,
    }
}

/// The audit cause of an impersonation ended because its session went unused for its idle
/// timeout (the metrics count records whose cause starts with it as ends for idleness).
pub const ENDED_FOR_IDLENESS: &str = "ended for idleness";

/// What ending a live impersonation that nobody stopped needs: the rules no longer allow it (a
/// policy change), or its session went unused for its idle timeout.
pub struct PolicyEnd<'a> {
    pub impersonations: &'a dyn ImpersonationStore,
    pub audit: &'a AuditTrail,
    pub clock: &'a dyn Clock,
}

impl PolicyEnd<'_> {
    /// Ends a live impersonation the policy no longer allows, on record with why. Returns
    /// whether this call ended it (a second caller finds it ended and records nothing).
    pub async fn end(&self, imp: &Impersonation, denial: Denial) -> Result<bool> {
        let ended = self
            .end_with(imp, format!("ended by a policy change: {denial}"))
            .await?;
        if ended {
            info!(impersonation_id = %imp.id, reason = denial.code(), "impersonation ended by a policy change");
        }
        Ok(ended)
    }

    /// Ends an impersonation whose session went unused (not refreshed) for its idle timeout, on
    /// record as ended for idleness. Returns whether this call ended it.
    pub async fn end_idle(&self, imp: &Impersonation) -> Result<bool> {
        let ended = self
            .end_with(
                imp,
                format!(
                    "{ENDED_FOR_IDLENESS}: not refreshed for {} s",
                    imp.idle_secs
                ),
            )
            .await?;
        if ended {
            info!(impersonation_id = %imp.id, idle_secs = imp.idle_secs, "impersonation ended for idleness");
        }
        Ok(ended)
    }

    /// The end (a conditional write) and its `stopped` record with `cause`, written only by the
    /// call that ended it.
    async fn end_with(&self, imp: &Impersonation, cause: String) -> Result<bool> {
        let ended = self
            .impersonations
            .end(&imp.id, None, self.clock.now_secs())
            .await?;
        if ended {
            let mut record = AuditRecord::new(
                AuditEvent::Stopped,
                self.clock.now_millis(),
                &RequestOrigin::default(),
            )
            .about(imp);
            record.cause = Some(cause);
            self.audit.record(&record).await?;
        }
        Ok(ended)
    }
}

/// Checks a live impersonation again and ends it if the policy no longer allows it. Returns
/// why it was ended, or `None` while it stands.
pub async fn enforce(
    identity: &dyn IdentityProvider,
    ending: &PolicyEnd<'_>,
    imp: &Impersonation,
) -> Result<Option<Denial>> {
    if !imp.is_live(ending.clock.now_secs()) {
        return Ok(None);
    }
    match denial_now(identity, imp).await? {
        Some(denial) => {
            ending.end(imp, denial).await?;
            Ok(Some(denial))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::directory::{apply_change_event, DirectoryState};
    use crate::app::token_check::check_token;
    use crate::domain::mode::Mode;
    use crate::testkit::TestWorld;
    use serde_json::json;
    use std::sync::Arc;

    async fn started(world: &TestWorld, actor: &str, target: &str) -> String {
        let payload = world.start_session(actor, target, Mode::Full).await;
        payload.impersonation.map(|i| i.id).unwrap_or_default()
    }

    fn ended_by_policy(world: &TestWorld, id: &str) -> Option<String> {
        world
            .store
            .audit_records()
            .into_iter()
            .find(|r| r.impersonation_id.as_deref() == Some(id) && r.event == AuditEvent::Stopped)
            .and_then(|r| r.cause)
    }

    #[tokio::test]
    async fn the_token_check_reads_the_actor_fresh_and_ends_what_the_policy_refuses() {
        for (change, expected) in [
            ("disabled", "your account is disabled"),
            ("demoted", "not permitted"),
            ("moved", "tenant"),
        ] {
            let world = TestWorld::new();
            let id = started(&world, "acme-admin", "acme-support-1").await;
            let token = world.impersonated_access_token("acme-support-1", "acme-admin", &id);
            let bearer = format!("Bearer {token}");
            let before = check_token(&world.read_state(), Some(&bearer))
                .await
                .unwrap();
            assert!(before.valid, "{change}: valid before");
            world.identity.update_user("acme-admin", |u| match change {
                "disabled" => u.enabled = false,
                "demoted" => u.groups.clear(),
                _ => {
                    u.attributes
                        .insert("custom:tenant_id".into(), "globex".into());
                }
            });
            let after = check_token(&world.read_state(), Some(&bearer))
                .await
                .unwrap();
            assert!(!after.valid, "{change}: not valid after");
            assert!(!after.impersonation.unwrap().active, "{change}: ended");
            let cause = ended_by_policy(&world, &id).unwrap_or_default();
            assert!(
                cause.starts_with("ended by a policy change") && cause.contains(expected),
                "{change}: {cause}"
            );
        }
    }

    #[tokio::test]
    async fn a_change_event_ends_the_live_impersonations_of_the_actor_or_target_it_disallows() {
        let world = TestWorld::new();
        let by_admin = started(&world, "acme-admin", "acme-support-1").await;
        let of_other = started(&world, "acme-operator", "acme-support-2").await;
        let state = DirectoryState {
            identity: world.identity.clone(),
            directory: world.store.clone(),
            user_pool_id: "us-east-1_test".into(),
            impersonations: world.store.clone(),
            audit: AuditTrail {
                store: world.store.clone(),
            },
            clock: Arc::new(crate::ports::clock::SystemClock),
        };
        let event = |call: &str, username: &str| {
            json!({"detail": {
                "eventSource": "cognito-idp.amazonaws.com", "eventName": call,
                "requestParameters": {"userPoolId": "us-east-1_test", "username": username},
            }})
        };
        // A change that the policy still allows ends nothing.
        let applied = apply_change_event(
            &state,
            &event("AdminUpdateUserAttributes", "acme-support-1"),
        )
        .await
        .unwrap();
        assert!(applied.ended.is_empty());
        // The target disabled: their impersonation ends, the other goes on.
        world
            .identity
            .update_user("acme-support-1", |u| u.enabled = false);
        let applied = apply_change_event(&state, &event("AdminDisableUser", "acme-support-1"))
            .await
            .unwrap();
        assert_eq!(applied.ended, vec![by_admin.clone()]);
        assert!(ended_by_policy(&world, &by_admin).is_some());
        assert!(ended_by_policy(&world, &of_other).is_none());
        // The actor deleted.
        world.identity.remove_user("acme-operator");
        let applied = apply_change_event(&state, &event("AdminDeleteUser", "acme-operator"))
            .await
            .unwrap();
        assert_eq!(applied.outcome, "removed");
        assert_eq!(applied.ended, vec![of_other.clone()]);
    }
}
