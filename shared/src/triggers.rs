//! The Cognito custom-auth and pre-token-generation triggers.
//!
//! Events are handled as JSON values: the trigger reads the few fields it needs and writes its
//! `response`, passing everything else back as Cognito sent it. Any other client than the
//! impersonation client, and any grant that is missing, used, expired or for another user, gets
//! no tokens. Errors fail the authentication: a trigger never guesses.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};
use tracing::{info, warn};

use crate::clock::Clock;
use crate::error::{ActasError, Result};
use crate::identity::{METADATA_IMPERSONATION_ID, METADATA_REMINT_ID};
use crate::secrets::{hash_secret, secret_matches};
use crate::store::{ImpersonationStore, Redemption};

pub const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// Claims actas adds to impersonated tokens.
pub const CLAIM_ACT: &str = "act";
pub const CLAIM_IMPERSONATION_ID: &str = "impersonation_id";
pub const CLAIM_IMPERSONATION_EXPIRES_AT: &str = "impersonation_expires_at";

/// The scope that lets an access token call Cognito's self-service API (change email,
/// password, MFA, attributes; sign out everywhere; delete the account). Impersonated access
/// tokens never carry it: acting as a user in apps must never take the account over.
pub const SELF_SERVICE_SCOPE: &str = "aws.cognito.signin.user.admin";

/// Reads `null` as the field's default: Cognito (and the local emulator more so) sends `null`
/// for fields it has no value for.
fn nullable<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

pub struct TriggerState {
    pub impersonation_client_id: String,
    pub revert_client_id: String,
    pub store: Arc<dyn ImpersonationStore>,
    pub clock: Arc<dyn Clock>,
}

/// The clients custom auth is for: impersonated sessions, and impersonators' own sessions
/// handed back by a revert.
#[derive(Debug, Clone)]
pub struct CustomAuthClients {
    pub impersonation_client_id: String,
    pub revert_client_id: String,
}

impl CustomAuthClients {
    fn allows(&self, client_id: Option<&str>) -> bool {
        client_id.is_some_and(|c| c == self.impersonation_client_id || c == self.revert_client_id)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallerContext {
    #[serde(default, deserialize_with = "nullable")]
    client_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionEntry {
    #[serde(default, deserialize_with = "nullable")]
    challenge_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    challenge_result: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TriggerRequest {
    #[serde(default, deserialize_with = "nullable")]
    session: Option<Vec<SessionEntry>>,
    #[serde(default, deserialize_with = "nullable")]
    client_metadata: Option<std::collections::HashMap<String, String>>,
    #[serde(default, deserialize_with = "nullable")]
    challenge_answer: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    user_not_found: bool,
    #[serde(default, deserialize_with = "nullable")]
    user_attributes: Option<std::collections::HashMap<String, Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TriggerEvent {
    #[serde(default, deserialize_with = "nullable")]
    trigger_source: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    user_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    caller_context: CallerContext,
    #[serde(default, deserialize_with = "nullable")]
    request: TriggerRequest,
}

impl TriggerEvent {
    fn read(event: &Value) -> Result<TriggerEvent> {
        TriggerEvent::deserialize(event)
            .map_err(|e| ActasError::BadRequest(format!("unreadable trigger event: {e}")))
    }

    fn from_client(&self, client_id: &str) -> bool {
        self.caller_context.client_id.as_deref() == Some(client_id)
    }

    fn impersonation_id(&self) -> Option<&str> {
        self.request
            .client_metadata
            .as_ref()
            .and_then(|m| m.get(METADATA_IMPERSONATION_ID))
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }

    fn remint_id(&self) -> Option<&str> {
        self.request
            .client_metadata
            .as_ref()
            .and_then(|m| m.get(METADATA_REMINT_ID))
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }

    fn user_sub(&self) -> Option<&str> {
        self.request.user_attributes.as_ref()?.get("sub")?.as_str()
    }
}

fn set_response(event: &mut Value, response: Value) {
    if let Some(object) = event.as_object_mut() {
        object.insert("response".to_string(), response);
    }
}

/// An answer to the custom challenge, and what it claims to redeem.
pub struct GrantAnswer<'a> {
    pub impersonation_id: &'a str,
    /// A refresh through actas: the answer redeems this remint of a live impersonation.
    pub remint_id: Option<&'a str>,
    pub username: &'a str,
    pub client_id: &'a str,
    pub answer: &'a str,
}

/// Redeems a one-time secret: an impersonation's first grant (pending → active), or a remint
/// of a live one. The constant-time comparison or the hash condition authenticates, the
/// conditional write makes it single use. Shared by the verify trigger and the memory adapter.
pub async fn redeem_grant(
    store: &dyn ImpersonationStore,
    clock: &dyn Clock,
    answer: &GrantAnswer<'_>,
) -> Result<bool> {
    let Some(grant) = store.get(answer.impersonation_id).await? else {
        return Ok(false);
    };
    let now_secs = clock.now_secs();
    if let Some(remint_id) = answer.remint_id {
        let fits = grant.kind == crate::store::GrantKind::Impersonation
            && grant.is_live(now_secs)
            && grant.target_username == answer.username
            && grant.client_id == answer.client_id;
        return Ok(fits
            && store
                .redeem_remint(
                    answer.impersonation_id,
                    remint_id,
                    &hash_secret(answer.answer),
                    now_secs,
                )
                .await?);
    }
    if !secret_matches(answer.answer, &grant.mint_secret_hash) {
        return Ok(false);
    }
    store
        .activate(&Redemption {
            id: answer.impersonation_id,
            target_username: answer.username,
            client_id: answer.client_id,
            mint_secret_hash: &grant.mint_secret_hash,
            now_secs,
        })
        .await
}

/// DefineAuthChallenge: one custom challenge, then tokens if and only if it was answered right.
pub fn define_auth_challenge(clients: &CustomAuthClients, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    let session = parsed.request.session.as_deref().unwrap_or_default();
    let response = if !clients.allows(parsed.caller_context.client_id.as_deref())
        || parsed.request.user_not_found
    {
        warn!(client = ?parsed.caller_context.client_id, "custom auth refused: not the impersonation client");
        json!({"issueTokens": false, "failAuthentication": true})
    } else {
        match session {
            [] => {
                json!({"challengeName": CUSTOM_CHALLENGE, "issueTokens": false, "failAuthentication": false})
            }
            [only]
                if only.challenge_name.as_deref() == Some(CUSTOM_CHALLENGE)
                    && only.challenge_result =>
            {
                json!({"issueTokens": true, "failAuthentication": false})
            }
            // A wrong answer ends the attempt: there are no retries against a grant.
            _ => json!({"issueTokens": false, "failAuthentication": true}),
        }
    };
    set_response(&mut event, response);
    Ok(event)
}

/// CreateAuthChallenge: the challenge carries nothing; the answer is the grant's secret, which
/// only actas knows.
pub fn create_auth_challenge(clients: &CustomAuthClients, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    if !clients.allows(parsed.caller_context.client_id.as_deref()) {
        return Err(ActasError::Forbidden(
            "custom auth is only for the impersonation client".into(),
        ));
    }
    set_response(
        &mut event,
        json!({
            "publicChallengeParameters": {"challenge": "actas-grant"},
            "privateChallengeParameters": {},
            "challengeMetadata": "ACTAS_GRANT",
        }),
    );
    Ok(event)
}

/// VerifyAuthChallengeResponse: the answer must redeem a live, pending grant for this user and
/// client.
pub async fn verify_auth_challenge(state: &TriggerState, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    let answer = parsed
        .request
        .challenge_answer
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or("");
    let clients = CustomAuthClients {
        impersonation_client_id: state.impersonation_client_id.clone(),
        revert_client_id: state.revert_client_id.clone(),
    };
    let client = parsed
        .caller_context
        .client_id
        .as_deref()
        .filter(|c| clients.allows(Some(c)));
    let correct = match (client, parsed.impersonation_id(), &parsed.user_name) {
        // The grant records its client: a grant for one client does not redeem on the other.
        (Some(client_id), Some(id), Some(username)) if !answer.is_empty() => {
            let (store, clock) = (state.store.as_ref(), state.clock.as_ref());
            let grant_answer = GrantAnswer {
                impersonation_id: id,
                remint_id: parsed.remint_id(),
                username,
                client_id,
                answer,
            };
            let redeemed = redeem_grant(store, clock, &grant_answer).await?;
            info!(
                impersonation_id = id,
                client_id, redeemed, "grant redemption"
            );
            redeemed
        }
        _ => false,
    };
    set_response(&mut event, json!({"answerCorrect": correct}));
    Ok(event)
}

/// PreTokenGeneration (V2): writes the actor into the id and access tokens of an impersonated
/// session and takes the self-service scope out of its access tokens. Idempotent and
/// read-only: the local emulator calls it twice per issuance.
///
/// On the impersonation client every issuance must name the grant it redeemed; a refresh at
/// Cognito names none, so it is refused. Refresh goes through actas, which knows which
/// impersonation a refresh token belongs to and mints fresh tokens for that one only.
pub async fn pre_token_generation(state: &TriggerState, mut event: Value) -> Result<Value> {
    let parsed = TriggerEvent::read(&event)?;
    if !parsed.from_client(&state.impersonation_client_id) {
        // The sign-in client's own sessions pass through unchanged.
        return Ok(event);
    }
    if parsed.trigger_source.as_deref() == Some("TokenGeneration_RefreshTokens") {
        warn!("refresh at Cognito refused: impersonated sessions refresh through actas");
        return Err(ActasError::Forbidden(
            "impersonated sessions refresh through actas".into(),
        ));
    }
    let id = parsed.impersonation_id().ok_or_else(|| {
        ActasError::Forbidden("tokens on the impersonation client need a grant".into())
    })?;
    let imp = state
        .store
        .get(id)
        .await?
        .ok_or_else(|| ActasError::Forbidden("no such impersonation".into()))?;
    if imp.kind != crate::store::GrantKind::Impersonation {
        return Err(ActasError::Forbidden("not an impersonation grant".into()));
    }
    let same_user = match parsed.user_sub() {
        Some(sub) => sub == imp.target_sub,
        None => parsed.user_name.as_deref() == Some(imp.target_username.as_str()),
    };
    if !same_user
        || imp.client_id != state.impersonation_client_id
        || !imp.is_live(state.clock.now_secs())
    {
        warn!(
            impersonation_id = id,
            "token generation refused: impersonation not live for this user"
        );
        return Err(ActasError::Forbidden("impersonation is not live".into()));
    }
    let claims = json!({
        CLAIM_ACT: {"sub": imp.actor_sub, "username": imp.actor_username},
        CLAIM_IMPERSONATION_ID: imp.id,
        CLAIM_IMPERSONATION_EXPIRES_AT: imp.ends_at,
    });
    set_response(
        &mut event,
        json!({
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {"claimsToAddOrOverride": claims.clone()},
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": claims,
                    "scopesToSuppress": [SELF_SERVICE_SCOPE],
                },
            }
        }),
    );
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::memory::MemoryStore;
    use crate::secrets::hash_secret;
    use crate::store::{Impersonation, ImpersonationStatus};

    const CLIENT: &str = "IMPERSONATION_CLIENT_ID";
    const REVERT_CLIENT: &str = "REVERT_CLIENT_ID";

    fn clients() -> CustomAuthClients {
        CustomAuthClients {
            impersonation_client_id: CLIENT.into(),
            revert_client_id: REVERT_CLIENT.into(),
        }
    }
    const START: i64 = 1_700_000_000;

    fn event(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("event file"))
            .expect("event JSON")
    }

    struct World {
        state: TriggerState,
        clock: Arc<ManualClock>,
    }

    /// A pending grant `IMPERSONATION_ID` for the events' user, secret `GRANT_SECRET`.
    async fn world() -> World {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::at_millis(START * 1000));
        store
            .create(&Impersonation {
                id: "IMPERSONATION_ID".into(),
                kind: crate::store::GrantKind::Impersonation,
                actor_sub: "actor-sub".into(),
                actor_username: "acme-admin".into(),
                target_sub: "SUB_OF_ACME_SUPPORT_1".into(),
                target_username: "acme-support-1".into(),
                tenant: Some("acme".into()),
                reason: Some("testing".into()),
                ticket: None,
                client_id: CLIENT.into(),
                status: ImpersonationStatus::Pending,
                created_at_millis: START * 1000,
                ends_at: START + 3600,
                mint_deadline: START + 60,
                mint_secret_hash: hash_secret("GRANT_SECRET"),
                revert_secret_hash: hash_secret("REVERT"),
                expires_at: START + 90_000,
                refresh_token_sealed: None,
                ended_at: None,
                revoked_at: None,
            })
            .await
            .unwrap();
        World {
            state: TriggerState {
                impersonation_client_id: CLIENT.into(),
                revert_client_id: REVERT_CLIENT.into(),
                store: store.clone(),
                clock: clock.clone(),
            },
            clock,
        }
    }

    async fn verify(world: &World, change: impl FnOnce(&mut Value)) -> bool {
        let mut ev = event("verify-auth-challenge.json");
        change(&mut ev);
        let out = verify_auth_challenge(&world.state, ev).await.unwrap();
        out["response"]["answerCorrect"].as_bool().unwrap()
    }

    #[test]
    fn define_issues_one_challenge_then_tokens_only_after_success() {
        let first = define_auth_challenge(&clients(), event("define-auth-challenge.json")).unwrap();
        assert_eq!(first["response"]["challengeName"], CUSTOM_CHALLENGE);
        assert_eq!(first["response"]["issueTokens"], false);
        assert_eq!(
            first["userName"], "acme-support-1",
            "the rest of the event passes through"
        );

        let round = |result: bool| {
            let mut ev = event("define-auth-challenge.json");
            ev["request"]["session"] =
                json!([{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": result}]);
            define_auth_challenge(&clients(), ev).unwrap()["response"].clone()
        };
        assert_eq!(
            round(true),
            json!({"issueTokens": true, "failAuthentication": false})
        );
        assert_eq!(
            round(false),
            json!({"issueTokens": false, "failAuthentication": true})
        );

        let mut two_rounds = event("define-auth-challenge.json");
        two_rounds["request"]["session"] = json!([
            {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": false},
            {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": true}
        ]);
        assert_eq!(
            define_auth_challenge(&clients(), two_rounds).unwrap()["response"]
                ["failAuthentication"],
            true
        );
    }

    #[tokio::test]
    async fn nulls_where_aws_has_values_are_read_as_absent() {
        let world = world().await;
        let redeemed = verify(&world, |e| {
            e["request"]["userNotFound"] = Value::Null;
            e["request"]["session"] =
                json!([{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": null}]);
            e["request"]["privateChallengeParameters"] = Value::Null;
        })
        .await;
        assert!(redeemed);
    }

    #[test]
    fn define_and_create_refuse_other_clients() {
        let mut ev = event("define-auth-challenge.json");
        ev["callerContext"]["clientId"] = json!("sign-in-client");
        assert_eq!(
            define_auth_challenge(&clients(), ev.clone()).unwrap()["response"]
                ["failAuthentication"],
            true
        );
        assert!(create_auth_challenge(&clients(), ev).is_err());
        let created =
            create_auth_challenge(&clients(), event("create-auth-challenge.json")).unwrap();
        assert_eq!(created["response"]["challengeMetadata"], "ACTAS_GRANT");
    }

    #[tokio::test]
    async fn verify_redeems_an_own_session_grant_only_on_the_revert_client() {
        let world = world().await;
        let own = Impersonation {
            id: "OWN".into(),
            kind: crate::store::GrantKind::OwnSession,
            client_id: REVERT_CLIENT.into(),
            ..world
                .state
                .store
                .get("IMPERSONATION_ID")
                .await
                .unwrap()
                .unwrap()
        };
        world.state.store.create(&own).await.unwrap();
        let on = |client: &'static str| {
            move |e: &mut Value| {
                e["callerContext"]["clientId"] = json!(client);
                e["request"]["clientMetadata"]["impersonation_id"] = json!("OWN");
            }
        };
        assert!(
            !verify(&world, on(CLIENT)).await,
            "an own-session grant does not redeem on the impersonation client"
        );
        assert!(
            verify(&world, on(REVERT_CLIENT)).await,
            "it redeems on the revert client"
        );
        assert!(!verify(&world, on(REVERT_CLIENT)).await, "once");
        assert!(
            !verify(&world, |e| e["callerContext"]["clientId"] =
                json!(REVERT_CLIENT))
            .await,
            "an impersonation grant does not redeem on the revert client"
        );
    }

    #[tokio::test]
    async fn verify_redeems_a_grant_once() {
        let world = world().await;
        assert!(verify(&world, |_| {}).await);
        assert!(!verify(&world, |_| {}).await, "a second redemption fails");
    }

    #[tokio::test]
    async fn verify_refuses_wrong_answers_users_clients_and_late_redemptions() {
        let cases: Vec<(&str, Box<dyn FnOnce(&mut Value)>)> = vec![
            (
                "wrong secret",
                Box::new(|e| e["request"]["challengeAnswer"] = json!("guess")),
            ),
            (
                "empty secret",
                Box::new(|e| e["request"]["challengeAnswer"] = json!("")),
            ),
            (
                "another user",
                Box::new(|e| e["userName"] = json!("acme-support-2")),
            ),
            (
                "another client",
                Box::new(|e| e["callerContext"]["clientId"] = json!("sign-in-client")),
            ),
            (
                "no grant id",
                Box::new(|e| e["request"]["clientMetadata"] = json!({})),
            ),
            (
                "unknown grant",
                Box::new(|e| e["request"]["clientMetadata"]["impersonation_id"] = json!("nope")),
            ),
        ];
        for (name, change) in cases {
            let world = world().await;
            assert!(!verify(&world, change).await, "{name}");
            assert!(
                verify(&world, |_| {}).await,
                "{name}: the grant is still redeemable afterwards"
            );
        }
        let world = world().await;
        world.clock.advance_secs(61);
        assert!(!verify(&world, |_| {}).await, "past the mint window");
    }

    #[tokio::test]
    async fn pre_token_adds_the_actor_to_both_tokens_idempotently() {
        let world = world().await;
        assert!(verify(&world, |_| {}).await);
        let first = pre_token_generation(&world.state, event("pre-token-generation.json"))
            .await
            .unwrap();
        let second = pre_token_generation(&world.state, event("pre-token-generation.json"))
            .await
            .unwrap();
        assert_eq!(first, second, "called twice, answers the same");
        let details = &first["response"]["claimsAndScopeOverrideDetails"];
        for token in ["idTokenGeneration", "accessTokenGeneration"] {
            let claims = &details[token]["claimsToAddOrOverride"];
            assert_eq!(
                claims[CLAIM_ACT],
                json!({"sub": "actor-sub", "username": "acme-admin"}),
                "{token}"
            );
            assert_eq!(claims[CLAIM_IMPERSONATION_ID], "IMPERSONATION_ID");
            assert_eq!(claims[CLAIM_IMPERSONATION_EXPIRES_AT], START + 3600);
        }
    }

    #[tokio::test]
    async fn pre_token_fails_closed() {
        let world = world().await;
        let pending = pre_token_generation(&world.state, event("pre-token-generation.json")).await;
        assert!(pending.is_err(), "an unredeemed grant mints nothing");

        assert!(verify(&world, |_| {}).await);
        assert!(
            pre_token_generation(&world.state, refresh_event())
                .await
                .is_err(),
            "a refresh at Cognito names no grant: refused even while the impersonation is live"
        );

        let mut other_user = event("pre-token-generation.json");
        other_user["request"]["userAttributes"]["sub"] = json!("someone-else");
        assert!(pre_token_generation(&world.state, other_user)
            .await
            .is_err());

        let mut no_grant = event("pre-token-generation.json");
        no_grant["request"]["clientMetadata"] = json!({});
        assert!(pre_token_generation(&world.state, no_grant).await.is_err());

        world.clock.advance_secs(3600);
        assert!(
            pre_token_generation(&world.state, event("pre-token-generation.json"))
                .await
                .is_err(),
            "past its end"
        );
    }

    #[tokio::test]
    async fn pre_token_leaves_the_sign_in_clients_tokens_alone() {
        let world = world().await;
        let mut ev = event("pre-token-generation.json");
        ev["callerContext"]["clientId"] = json!("sign-in-client");
        let out = pre_token_generation(&world.state, ev.clone())
            .await
            .unwrap();
        assert_eq!(out, ev);
    }

    fn refresh_event() -> Value {
        let mut refresh = event("pre-token-generation.json");
        refresh["triggerSource"] = json!("TokenGeneration_RefreshTokens");
        refresh["request"]["clientMetadata"] = json!({});
        refresh
    }

    #[tokio::test]
    async fn access_tokens_lose_the_self_service_scope() {
        let world = world().await;
        assert!(verify(&world, |_| {}).await);
        let out = pre_token_generation(&world.state, event("pre-token-generation.json"))
            .await
            .unwrap();
        let details = &out["response"]["claimsAndScopeOverrideDetails"];
        assert_eq!(
            details["accessTokenGeneration"]["scopesToSuppress"],
            json!([SELF_SERVICE_SCOPE])
        );
    }

    /// A remint (`remint_id` in the metadata) of the live impersonation, secret `REMINT_SECRET`.
    async fn remint(world: &World, deadline: i64) -> Value {
        world
            .state
            .store
            .put_remint(&crate::store::Remint {
                impersonation_id: "IMPERSONATION_ID".into(),
                remint_id: "REMINT_ID".into(),
                secret_hash: hash_secret("REMINT_SECRET"),
                deadline,
            })
            .await
            .unwrap();
        json!({"impersonation_id": "IMPERSONATION_ID", "remint_id": "REMINT_ID"})
    }

    #[tokio::test]
    async fn verify_redeems_a_remint_once_and_only_for_a_live_impersonation() {
        let world = world().await;
        let metadata = remint(&world, START + 60).await;
        let answer = |ev: &mut Value| {
            ev["request"]["clientMetadata"] = metadata.clone();
            ev["request"]["challengeAnswer"] = json!("REMINT_SECRET");
        };
        assert!(
            !verify(&world, answer).await,
            "a pending impersonation is not remintable"
        );
        assert!(verify(&world, |_| {}).await, "first grant redeemed");
        let metadata = remint(&world, START + 60).await;
        let wrong = |ev: &mut Value| {
            ev["request"]["clientMetadata"] = metadata.clone();
            ev["request"]["challengeAnswer"] = json!("GRANT_SECRET");
        };
        assert!(!verify(&world, wrong).await, "another secret");
        let answer = |ev: &mut Value| {
            ev["request"]["clientMetadata"] = metadata.clone();
            ev["request"]["challengeAnswer"] = json!("REMINT_SECRET");
        };
        assert!(verify(&world, answer).await, "redeemed");
        let again = |ev: &mut Value| {
            ev["request"]["clientMetadata"] = metadata.clone();
            ev["request"]["challengeAnswer"] = json!("REMINT_SECRET");
        };
        assert!(!verify(&world, again).await, "single use");

        let metadata = remint(&world, START + 60).await;
        world
            .state
            .store
            .end("IMPERSONATION_ID", None, START)
            .await
            .unwrap();
        let ended = |ev: &mut Value| {
            ev["request"]["clientMetadata"] = metadata.clone();
            ev["request"]["challengeAnswer"] = json!("REMINT_SECRET");
        };
        assert!(!verify(&world, ended).await, "an ended impersonation");
    }
}
