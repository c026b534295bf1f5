//! What an impersonated session asks of its `endpointUrl` (`POST /auth/cognito`): refresh (only
//! while its own impersonation is live, not idle, and the policy still holds), sign out, read
//! the user.

use crate::app::session_policy::{denial_given, person_of, PolicyEnd, ENDED_FOR_IDLENESS};
use crate::app::state::SessionState;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::{GrantKind, Impersonation, Remint};
use crate::domain::secrets::{hash_secret, new_secret};
use crate::domain::token::TokenUse;
use crate::domain::user::{UserRecord, UserRef};
use crate::ports::grants::RefreshPointer;
use crate::ports::identity::MintRequest;
use serde::Serialize;
use serde_json::{json, Value};
use tracing::{info, warn};

/// What a refresh returns: Cognito's `AuthenticationResult`, without a new refresh token (the
/// session keeps its own, as with Cognito when rotation is off).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AuthenticationResult {
    pub access_token: String,
    pub id_token: String,
    pub expires_in: i64,
    pub token_type: &'static str,
}

pub(crate) fn invalid_refresh_token() -> ActasError {
    ActasError::Unauthorized("Invalid Refresh Token".into())
}

/// The impersonation a refresh token was minted for, if the token is this client's.
pub(crate) async fn impersonation_of(
    state: &SessionState,
    client_id: &str,
    refresh_token: &str,
) -> Result<Impersonation> {
    let pointer = pointer_of(state, client_id, refresh_token).await?;
    state
        .sessions
        .impersonations
        .get(&pointer.impersonation_id)
        .await?
        .filter(|imp| imp.kind == GrantKind::Impersonation)
        .ok_or_else(invalid_refresh_token)
}

/// The pointer of a refresh token of this client.
async fn pointer_of(
    state: &SessionState,
    client_id: &str,
    refresh_token: &str,
) -> Result<RefreshPointer> {
    if client_id != state.api.pool.impersonation_client_id {
        return Err(invalid_refresh_token());
    }
    state
        .sessions
        .impersonations
        .find_by_refresh_token(&hash_secret(refresh_token))
        .await?
        .ok_or_else(invalid_refresh_token)
}

/// A person read by the username a pointer gives (`None`: the pointer gives none).
async fn read_named(
    state: &SessionState,
    username: Option<&str>,
) -> Option<Result<Option<UserRecord>>> {
    let user = UserRef::parse(username?).ok()?;
    Some(state.api.identity.find_user(&user).await)
}

/// Fresh id and access tokens for the impersonation that minted `refresh_token`, and no other.
pub async fn refresh_session(
    state: &SessionState,
    client_id: &str,
    refresh_token: &str,
) -> Result<AuthenticationResult> {
    // Two waves before the mint: the pointer; then the impersonation, both its people (read
    // fresh, by the names the pointer carries) and the remint's one-time secret, at once. A
    // remint written for a refresh then refused is burnt (and was never usable: its secret is
    // dropped, and the verify trigger redeems remints only for a live impersonation).
    let pointer = pointer_of(state, client_id, refresh_token).await?;
    let now = state.api.clock.now_secs();
    let secret = new_secret()?;
    let remint = Remint {
        impersonation_id: pointer.impersonation_id.clone(),
        remint_id: uuid::Uuid::new_v4().to_string(),
        secret_hash: hash_secret(&secret),
        deadline: now + state.api.policy.mint_window_secs,
    };
    let actor_as = pointer.actor_username.as_deref();
    let target_as = pointer.target_username.as_deref();
    let (imp, actor, target, written) = tokio::join!(
        state.sessions.impersonations.get(&pointer.impersonation_id),
        read_named(state, actor_as),
        read_named(state, target_as),
        state.sessions.impersonations.put_remint(&remint),
    );
    let checked = async {
        let imp = imp?
            .filter(|imp| imp.kind == GrantKind::Impersonation)
            .ok_or_else(invalid_refresh_token)?;
        if !imp.is_live(now) {
            return Err(ActasError::Unauthorized(
                "Refresh Token has been revoked: the impersonation has ended".into(),
            ));
        }
        if !imp.is_idle(now) && now + state.api.policy.token_validity_secs > imp.ends_at {
            return Err(ActasError::Unauthorized(
                "the impersonation ends before refreshed tokens would".into(),
            ));
        }
        still_in_use(
            state,
            &imp,
            "Refresh Token",
            (actor_as, actor),
            (target_as, target),
        )
        .await?;
        Ok(imp)
    };
    let imp = match checked.await {
        Ok(imp) => {
            written?;
            imp
        }
        Err(err) => {
            if written.is_ok() {
                burn(state, &remint).await;
            }
            return Err(err);
        }
    };
    let tokens = state
        .api
        .identity
        .mint_session(MintRequest {
            client_id: &imp.client_id,
            username: &imp.target_username,
            impersonation_id: &imp.id,
            remint_id: Some(&remint.remint_id),
            is_revert: false,
            secret: &secret,
        })
        .await?;
    // The session was used: its idle timeout counts from now (as its new tokens' `iat`, which
    // the banner reads). Had it ended or gone idle meanwhile, the tokens just minted are not
    // handed out.
    if !state
        .sessions
        .impersonations
        .touch(&imp.id, imp.idle_secs, state.api.clock.now_secs())
        .await?
    {
        return Err(ActasError::Unauthorized(
            "Refresh Token has been revoked: the impersonation has ended".into(),
        ));
    }
    info!(impersonation_id = %imp.id, actor = %imp.actor_username, "impersonated session refreshed");
    let refreshed = crate::domain::metrics::MetricPoint {
        name: "Refreshes",
        value: 1.0,
        dimensions: vec![("Tenant", imp.tenant.clone().unwrap_or_else(|| "-".into()))],
    };
    println!("{}", refreshed.emf_line(state.api.clock.now_millis()));
    Ok(AuthenticationResult {
        access_token: tokens.access_token,
        id_token: tokens.id_token,
        expires_in: tokens.expires_in_secs.min(imp.ends_at - now),
        token_type: "Bearer",
    })
}

/// Takes back a remint written for a refresh that was then refused (its one-time secret is
/// redeemed here, so nothing can). A failure leaves it to expire at its deadline, unusable.
async fn burn(state: &SessionState, remint: &Remint) {
    let burnt = state
        .sessions
        .impersonations
        .redeem_remint(
            &remint.impersonation_id,
            &remint.remint_id,
            &remint.secret_hash,
            state.api.clock.now_secs(),
        )
        .await;
    if let Err(err) = burnt {
        warn!(impersonation_id = %remint.impersonation_id, error = %err, "a refused refresh's remint was not taken back; it expires unused");
    }
}

/// Ends a session that went unused for its idle timeout (on record as ended for idleness) and
/// revokes its refresh token. Whoever ended it, it is over.
async fn end_idle_session(
    state: &SessionState,
    ending: &PolicyEnd<'_>,
    imp: &Impersonation,
) -> Result<()> {
    if ending.end_idle(imp).await? {
        crate::app::end::revoke_session(&state.api, &state.sessions, imp).await;
    }
    Ok(())
}

/// A live session used through the endpoint (`what`: the token it used) must still be in use
/// and allowed: unused for its idle timeout, or no longer allowed by the policy a new start
/// would apply (both people read fresh), it ends here, its refresh token is revoked, and the
/// call is refused.
async fn still_in_use(
    state: &SessionState,
    imp: &Impersonation,
    what: &str,
    actor: EarlyRead<'_>,
    target: EarlyRead<'_>,
) -> Result<()> {
    let ending = PolicyEnd {
        impersonations: state.sessions.impersonations.as_ref(),
        audit: &state.api.audit,
        clock: state.api.clock.as_ref(),
    };
    if imp.is_idle(state.api.clock.now_secs()) {
        end_idle_session(state, &ending, imp).await?;
        return Err(ended_for_idleness(what));
    }
    let identity = state.api.identity.as_ref();
    let (actor, target) = tokio::join!(
        person_of(
            identity,
            actor.1,
            actor.0,
            &imp.actor_username,
            &imp.actor_sub
        ),
        person_of(
            identity,
            target.1,
            target.0,
            &imp.target_username,
            &imp.target_sub
        ),
    );
    if let Some(denial) = denial_given(imp, actor?.as_ref(), target?.as_ref()) {
        if ending.end(imp, denial).await? {
            crate::app::end::revoke_session(&state.api, &state.sessions, imp).await;
        }
        return Err(ActasError::Unauthorized(format!(
            "{what} has been revoked: {denial}"
        )));
    }
    Ok(())
}

/// A person read before the impersonation was: by this username (`None`: not read), with this
/// result.
type EarlyRead<'a> = (Option<&'a str>, Option<Result<Option<UserRecord>>>);

/// The refusal of a session that went unused for its idle timeout (`what`: the token it used).
fn ended_for_idleness(what: &str) -> ActasError {
    ActasError::Unauthorized(format!(
        "{what} has been revoked: the impersonation {ENDED_FOR_IDLENESS}"
    ))
}

/// `RevokeToken`: the session signs out, so its impersonation ends (audited, refresh token
/// revoked in Cognito). Signing out twice is harmless.
pub async fn sign_out(
    state: &SessionState,
    client_id: &str,
    refresh_token: &str,
    origin: &RequestOrigin,
) -> Result<()> {
    let imp = impersonation_of(state, client_id, refresh_token).await?;
    let cause = format!(
        "signed out by {} through the impersonated session",
        imp.actor_username
    );
    crate::app::end::end_and_revoke(&state.api, &state.sessions, imp, &cause, origin).await?;
    Ok(())
}

/// `GetUser`: the impersonated user's attributes, for a live impersonated access token.
pub async fn session_user(state: &SessionState, access_token: &str) -> Result<Value> {
    let token = state.api.verifier.verify(access_token).await?;
    let not_this = || ActasError::Unauthorized("Invalid Access Token".into());
    if token.token_use != TokenUse::Access
        || token.client_id != state.api.pool.impersonation_client_id
    {
        return Err(not_this());
    }
    let id = token.impersonation_id.as_deref().ok_or_else(not_this)?;
    let imp = state
        .sessions
        .impersonations
        .get(id)
        .await?
        .filter(|imp| imp.target_sub == token.sub)
        .ok_or_else(not_this)?;
    let now = state.api.clock.now_secs();
    if !imp.is_live(now) {
        return Err(ActasError::Unauthorized(
            "Access Token has been revoked: the impersonation has ended".into(),
        ));
    }
    still_in_use(state, &imp, "Access Token", (None, None), (None, None)).await?;
    let user = state
        .api
        .identity
        .find_user(&UserRef::parse(&imp.target_username)?)
        .await?
        .filter(|u| u.sub == imp.target_sub && u.enabled)
        .ok_or_else(|| ActasError::Unauthorized("User does not exist.".into()))?;
    let mut attributes: Vec<(&String, &String)> = user.attributes.iter().collect();
    attributes.sort();
    let attributes: Vec<Value> = attributes
        .into_iter()
        .map(|(name, value)| json!({"Name": name, "Value": value}))
        .collect();
    Ok(json!({
        "Username": user.username,
        "UserAttributes": attributes,
        "MFAOptions": [],
        "UserMFASettingList": [],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditEvent;
    use crate::domain::mode::Mode;
    use crate::domain::payload::SessionPayload;
    use crate::http::cognito_endpoint::serve;
    use crate::http::cognito_endpoint::Operation;
    use crate::http::cognito_endpoint::TARGET_PREFIX;
    use crate::ports::clock::Clock;
    use crate::ports::grants::ImpersonationStore;
    use crate::testkit::clock::ManualClock;
    use crate::testkit::{now_secs, TestWorld, IMPERSONATION_CLIENT};
    use std::sync::Arc;

    async fn start(world: &TestWorld, actor: &str, target: &str) -> SessionPayload {
        world.start_session(actor, target, Mode::ReadOnly).await
    }

    async fn refresh(world: &TestWorld, session: &SessionPayload) -> Result<AuthenticationResult> {
        refresh_session(
            &world.session_state(),
            IMPERSONATION_CLIENT,
            &session.session.refresh_token,
        )
        .await
    }

    fn id_of(session: &SessionPayload) -> String {
        session
            .impersonation
            .as_ref()
            .expect("an impersonation")
            .id
            .clone()
    }

    #[tokio::test]
    async fn each_session_refreshes_as_its_own_impersonation_and_ending_one_leaves_the_other() {
        let world = TestWorld::new();
        let by_admin = start(&world, "acme-admin", "acme-support-1").await;
        let by_operator = start(&world, "acme-operator", "acme-support-1").await;
        for session in [&by_admin, &by_operator] {
            let fresh = refresh(&world, session).await.expect("refreshed");
            // The memory provider tags tokens with the impersonation they were minted for.
            assert!(
                fresh.id_token.contains(&id_of(session)),
                "{} refreshed as another impersonation",
                id_of(session)
            );
            assert_eq!(fresh.token_type, "Bearer");
        }
        let admin_imp = world.store.get(&id_of(&by_admin)).await.unwrap().unwrap();
        crate::app::end::end_and_revoke(
            &world.api(),
            &world.sessions(),
            admin_imp,
            "stopped by test",
            &RequestOrigin::default(),
        )
        .await
        .unwrap();
        assert!(matches!(
            refresh(&world, &by_admin).await,
            Err(ActasError::Unauthorized(_))
        ));
        let again = start(&world, "acme-operator", "acme-support-1").await;
        assert!(
            refresh(&world, &by_admin).await.is_err(),
            "an ended session stays ended when others start on the target"
        );
        assert!(
            refresh(&world, &by_operator).await.is_ok(),
            "the other goes on"
        );
        assert!(refresh(&world, &again).await.is_ok());
    }

    #[tokio::test]
    async fn unknown_tokens_and_other_clients_get_nothing() {
        let world = TestWorld::new();
        let session = start(&world, "acme-admin", "acme-support-1").await;
        let unknown =
            refresh_session(&world.session_state(), IMPERSONATION_CLIENT, "not-a-token").await;
        assert!(matches!(unknown, Err(ActasError::Unauthorized(_))));
        let other_client = refresh_session(
            &world.session_state(),
            crate::testkit::SIGN_IN_CLIENT,
            &session.session.refresh_token,
        )
        .await;
        assert!(matches!(other_client, Err(ActasError::Unauthorized(_))));
    }

    #[tokio::test]
    async fn a_refresh_applies_the_policy_to_the_actor_read_fresh_and_ends_what_it_refuses() {
        let world = TestWorld::new();
        let session = start(&world, "acme-operator", "acme-support-1").await;
        let other = start(&world, "acme-admin", "acme-support-2").await;
        world
            .identity
            .update_user("acme-operator", |u| u.groups.clear());
        assert!(matches!(
            refresh(&world, &session).await,
            Err(ActasError::Unauthorized(_))
        ));
        let imp = world.store.get(&id_of(&session)).await.unwrap().unwrap();
        assert!(!imp.is_live(now_secs()), "ended by the demotion");
        assert!(imp.revoked_at.is_some(), "and its refresh token revoked");
        let records = world.store.audit_records();
        assert!(records
            .iter()
            .any(|r| r.impersonation_id.as_deref() == Some(imp.id.as_str())
                && r.cause
                    .as_deref()
                    .is_some_and(|c| c.starts_with("ended by a policy change"))));
        // Promoting them back does not bring the session back.
        world
            .identity
            .update_user("acme-operator", |u| u.groups = vec!["operator".into()]);
        assert!(refresh(&world, &session).await.is_err());
        assert!(refresh(&world, &other).await.is_ok(), "the other goes on");
        world
            .identity
            .update_user("acme-admin", |u| u.enabled = false);
        assert!(refresh(&world, &other).await.is_err(), "disabled actor");
    }

    /// A world whose clock moves only when told (the test's handle on it is returned).
    fn world_with_manual_clock() -> (TestWorld, Arc<ManualClock>) {
        let mut world = TestWorld::new();
        let clock = Arc::new(ManualClock::at_millis(now_secs() * 1000));
        world.clock = clock.clone();
        (world, clock)
    }

    fn idle_ends(world: &TestWorld, id: &str) -> Vec<String> {
        world
            .store
            .audit_records()
            .into_iter()
            .filter(|r| r.impersonation_id.as_deref() == Some(id) && r.event == AuditEvent::Stopped)
            .filter_map(|r| r.cause)
            .collect()
    }

    #[tokio::test]
    async fn a_session_unused_for_its_idle_timeout_is_over_and_each_refresh_moves_it_on() {
        let (world, clock) = world_with_manual_clock();
        let idle = world.policy.impersonation_idle_secs;
        let used = start(&world, "acme-admin", "acme-support-1").await;
        let unused = start(&world, "acme-operator", "acme-support-2").await;
        let started = clock.now_secs();
        let grant = world.store.get(&id_of(&used)).await.unwrap().unwrap();
        assert_eq!((grant.last_active_at, grant.idle_secs), (started, idle));

        // Used before its idle timeout: refreshed, and the timeout counts from now.
        clock.advance_secs(idle - 10);
        refresh(&world, &used).await.expect("refreshed in time");
        let grant = world.store.get(&id_of(&used)).await.unwrap().unwrap();
        assert_eq!(grant.last_active_at, clock.now_secs(), "touched");

        // Past the first idle end: the one refreshed goes on, the unused one is over.
        clock.advance_secs(20);
        refresh(&world, &used).await.expect("still in use");
        match refresh(&world, &unused).await {
            Err(ActasError::Unauthorized(message)) => assert!(
                message.starts_with("Refresh Token has been revoked:")
                    && message.contains("ended for idleness"),
                "{message}"
            ),
            other => panic!("an idle session refreshed: {other:?}"),
        }
        let ended = world.store.get(&id_of(&unused)).await.unwrap().unwrap();
        assert_eq!(
            ended.status,
            crate::domain::grant::ImpersonationStatus::Ended
        );
        assert!(ended.revoked_at.is_some(), "its refresh token revoked");
        assert!(world
            .identity
            .revoked
            .lock()
            .unwrap()
            .contains(&unused.session.refresh_token));
        let causes = idle_ends(&world, &ended.id);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert!(causes[0].starts_with("ended for idleness"), "{causes:?}");

        // Refused again, on record once; the other session is untouched.
        assert!(refresh(&world, &unused).await.is_err());
        assert_eq!(idle_ends(&world, &ended.id).len(), 1);
        assert!(idle_ends(&world, &id_of(&used)).is_empty());
    }

    #[tokio::test]
    async fn an_idle_session_cannot_read_its_user_either() {
        let (world, clock) = world_with_manual_clock();
        let session = start(&world, "acme-admin", "acme-support-1").await;
        let access =
            world.impersonated_access_token("acme-support-1", "acme-admin", &id_of(&session));
        assert!(session_user(&world.session_state(), &access).await.is_ok());
        clock.advance_secs(world.policy.impersonation_idle_secs);
        let refused = session_user(&world.session_state(), &access).await;
        assert!(
            matches!(&refused, Err(ActasError::Unauthorized(m)) if m.contains("ended for idleness")),
            "{refused:?}"
        );
        assert_eq!(idle_ends(&world, &id_of(&session)).len(), 1);
    }

    #[tokio::test]
    async fn no_refreshed_token_outlives_the_impersonation() {
        let world = TestWorld::new();
        let session = start(&world, "acme-admin", "acme-support-1").await;
        let mut imp = world.store.get(&id_of(&session)).await.unwrap().unwrap();
        // A copy that ends in 10 minutes: 15-minute tokens would outlive it.
        imp.id = "ending-soon".into();
        imp.ends_at = now_secs() + 600;
        world.store.create(&imp).await.unwrap();
        world
            .store
            .keep_refresh_token(
                &RefreshPointer {
                    impersonation_id: imp.id.clone(),
                    actor_username: Some(imp.actor_username.clone()),
                    target_username: Some(imp.target_username.clone()),
                },
                "sealed",
                &hash_secret("soon-token"),
                imp.expires_at,
            )
            .await
            .unwrap();
        let refused =
            refresh_session(&world.session_state(), IMPERSONATION_CLIENT, "soon-token").await;
        assert!(
            matches!(refused, Err(ActasError::Unauthorized(_))),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn a_refused_refresh_takes_back_the_remint_it_wrote_beside_its_reads() {
        let world = TestWorld::new();
        let stopped = start(&world, "acme-admin", "acme-support-1").await;
        let disabled = start(&world, "acme-operator", "acme-support-1").await;
        // A refresh that goes through leaves none either: the verify trigger redeemed it.
        refresh(&world, &disabled).await.expect("refreshed");
        assert_eq!(world.store.remints_of(&id_of(&disabled)), 0);

        let imp = world.store.get(&id_of(&stopped)).await.unwrap().unwrap();
        crate::app::end::end_and_revoke(
            &world.api(),
            &world.sessions(),
            imp,
            "stopped by test",
            &RequestOrigin::default(),
        )
        .await
        .unwrap();
        let refused = refresh(&world, &stopped).await;
        assert!(
            matches!(refused, Err(ActasError::Unauthorized(_))),
            "{refused:?}"
        );
        assert_eq!(world.store.remints_of(&id_of(&stopped)), 0, "ended");

        world
            .identity
            .update_user("acme-operator", |u| u.enabled = false);
        let refused = refresh(&world, &disabled).await;
        assert!(
            matches!(refused, Err(ActasError::Unauthorized(_))),
            "{refused:?}"
        );
        assert_eq!(
            world.store.remints_of(&id_of(&disabled)),
            0,
            "no longer allowed"
        );
    }

    #[tokio::test]
    async fn a_pointer_without_its_people_or_naming_others_refreshes_under_the_impersonations_own()
    {
        let world = TestWorld::new();
        let session = start(&world, "acme-operator", "acme-support-1").await;
        let imp = world.store.get(&id_of(&session)).await.unwrap().unwrap();
        let keep = |token: &'static str, actor: Option<&str>, target: Option<&str>| {
            let pointer = RefreshPointer {
                impersonation_id: imp.id.clone(),
                actor_username: actor.map(str::to_string),
                target_username: target.map(str::to_string),
            };
            let store = world.store.clone();
            let expires_at = imp.expires_at;
            async move {
                store
                    .keep_refresh_token(&pointer, "sealed", &hash_secret(token), expires_at)
                    .await
                    .unwrap()
            }
        };
        // Kept before pointers carried the people, and one naming an enabled admin and another
        // target: both read the impersonation's own people.
        keep("old-token", None, None).await;
        keep("misnamed-token", Some("acme-admin"), Some("acme-support-2")).await;
        let state = world.session_state();
        for token in ["old-token", "misnamed-token"] {
            refresh_session(&state, IMPERSONATION_CLIENT, token)
                .await
                .unwrap_or_else(|e| panic!("{token}: {e:?}"));
        }
        // Its actor, not the one the pointer names, decides.
        world
            .identity
            .update_user("acme-operator", |u| u.enabled = false);
        let refused = refresh_session(&state, IMPERSONATION_CLIENT, "misnamed-token").await;
        assert!(
            matches!(refused, Err(ActasError::Unauthorized(_))),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn every_self_service_operation_is_refused() {
        let world = TestWorld::new();
        let session = start(&world, "acme-admin", "acme-support-1").await;
        let body = json!({
            "AccessToken": session.session.access_token,
            "UserAttributes": [{"Name": "email", "Value": "attacker@example.com"}],
        });
        let body = body.as_object().unwrap();
        for operation in [
            "UpdateUserAttributes",
            "ChangePassword",
            "AssociateSoftwareToken",
            "VerifySoftwareToken",
            "SetUserMFAPreference",
            "GlobalSignOut",
            "DeleteUser",
            "DeleteUserAttributes",
            "VerifyUserAttribute",
            "ForgotPassword",
        ] {
            let target = format!("{TARGET_PREFIX}{operation}");
            let parsed = Operation::parse(Some(&target)).unwrap();
            let result = serve(
                &world.session_state(),
                parsed,
                &target,
                body,
                &RequestOrigin::default(),
            )
            .await;
            assert!(
                matches!(result, Err(ActasError::Forbidden(_))),
                "{operation}: {result:?}"
            );
        }
        let password = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": IMPERSONATION_CLIENT,
            "AuthParameters": {"USERNAME": "acme-support-1", "PASSWORD": "x"}});
        let target = format!("{TARGET_PREFIX}InitiateAuth");
        let result = serve(
            &world.session_state(),
            Some(Operation::InitiateAuth),
            &target,
            password.as_object().unwrap(),
            &RequestOrigin::default(),
        )
        .await;
        assert!(matches!(result, Err(ActasError::Forbidden(_))));
        for bad in [
            None,
            Some("InitiateAuth"),
            Some("AWSCognitoIdentityProviderService."),
            Some("AWSCognitoIdentityProviderService.A/B"),
        ] {
            assert!(Operation::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn revoke_token_signs_the_session_out() {
        let world = TestWorld::new();
        let session = start(&world, "acme-admin", "acme-support-1").await;
        sign_out(
            &world.session_state(),
            IMPERSONATION_CLIENT,
            &session.session.refresh_token,
            &RequestOrigin::default(),
        )
        .await
        .unwrap();
        let imp = world.store.get(&id_of(&session)).await.unwrap().unwrap();
        assert_eq!(imp.status, crate::domain::grant::ImpersonationStatus::Ended);
        assert!(imp.revoked_at.is_some());
        assert!(world
            .identity
            .revoked
            .lock()
            .unwrap()
            .contains(&session.session.refresh_token));
        assert!(refresh(&world, &session).await.is_err());
    }
}
