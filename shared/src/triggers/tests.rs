use crate::domain::grant::{Impersonation, ImpersonationStatus};
use crate::domain::mode::Mode;
use crate::domain::secrets::hash_secret;
use crate::ports::grants::ImpersonationStore;
use crate::testkit::clock::ManualClock;
use crate::testkit::memory::MemoryStore;
use crate::triggers::create_auth_challenge::create_auth_challenge;
use crate::triggers::define_auth_challenge::define_auth_challenge;
use crate::triggers::pre_token_generation::pre_token_generation;
use crate::triggers::verify_auth_challenge::verify_auth_challenge;
use crate::triggers::{
    CustomAuthClients, CustomAuthTrigger, TriggerState, CLAIM_ACT, CLAIM_IMPERSONATION_EXPIRES_AT,
    CLAIM_IMPERSONATION_ID, CLAIM_IMPERSONATION_MODE, CUSTOM_CHALLENGE, SELF_SERVICE_SCOPE,
};
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) const CLIENT: &str = "IMPERSONATION_CLIENT_ID";
pub(super) const REVERT_CLIENT: &str = "REVERT_CLIENT_ID";

/// actas's clients, in a pool actas created (nothing chained).
fn clients() -> CustomAuthTrigger {
    CustomAuthClients {
        impersonation_client_id: CLIENT.into(),
        revert_client_id: REVERT_CLIENT.into(),
    }
    .into()
}
pub(super) const START: i64 = 1_700_000_000;

pub(super) fn event(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("event JSON")
}

pub(super) struct World {
    pub(super) state: TriggerState,
    pub(super) clock: Arc<ManualClock>,
}

/// A pending `full` grant `IMPERSONATION_ID` for the events' user, secret `GRANT_SECRET`.
pub(super) async fn world() -> World {
    world_in(Mode::Full).await
}

pub(super) async fn world_in(mode: Mode) -> World {
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::at_millis(START * 1000));
    store
        .create(&Impersonation {
            id: "IMPERSONATION_ID".into(),
            kind: crate::domain::grant::GrantKind::Impersonation,
            actor_sub: "actor-sub".into(),
            actor_username: "acme-admin".into(),
            target_sub: "SUB_OF_ACME_SUPPORT_1".into(),
            target_username: "acme-support-1".into(),
            tenant: Some("acme".into()),
            reason: Some("testing".into()),
            ticket: None,
            mode,
            break_glass: false,
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
            last_active_at: START,
            idle_secs: 1800,
        })
        .await
        .unwrap();
    World {
        state: TriggerState {
            impersonation_client_id: CLIENT.into(),
            revert_client_id: REVERT_CLIENT.into(),
            store: store.clone(),
            directory: store.clone(),
            scopes: crate::domain::scopes::SessionScopes::default(),
            clock: clock.clone(),
            identity_mapping: Default::default(),
            chain: None,
        },
        clock,
    }
}

pub(super) async fn verify(world: &World, change: impl FnOnce(&mut Value)) -> bool {
    let mut ev = event("verify-auth-challenge.json");
    change(&mut ev);
    let out = verify_auth_challenge(&world.state, ev).await.unwrap();
    out["response"]["answerCorrect"].as_bool().unwrap()
}

#[tokio::test]
async fn define_issues_one_challenge_then_tokens_only_after_success() {
    let first = define_auth_challenge(&clients(), event("define-auth-challenge.json"))
        .await
        .unwrap();
    assert_eq!(first["response"]["challengeName"], CUSTOM_CHALLENGE);
    assert_eq!(first["response"]["issueTokens"], false);
    assert_eq!(
        first["userName"], "acme-support-1",
        "the rest of the event passes through"
    );

    let round = |result: bool| async move {
        let mut ev = event("define-auth-challenge.json");
        ev["request"]["session"] =
            json!([{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": result}]);
        define_auth_challenge(&clients(), ev).await.unwrap()["response"].clone()
    };
    assert_eq!(
        round(true).await,
        json!({"issueTokens": true, "failAuthentication": false})
    );
    assert_eq!(
        round(false).await,
        json!({"issueTokens": false, "failAuthentication": true})
    );

    let mut two_rounds = event("define-auth-challenge.json");
    two_rounds["request"]["session"] = json!([
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": false},
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": true}
    ]);
    assert_eq!(
        define_auth_challenge(&clients(), two_rounds).await.unwrap()["response"]
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

#[tokio::test]
async fn define_and_create_refuse_other_clients() {
    let mut ev = event("define-auth-challenge.json");
    ev["callerContext"]["clientId"] = json!("sign-in-client");
    assert_eq!(
        define_auth_challenge(&clients(), ev.clone()).await.unwrap()["response"]
            ["failAuthentication"],
        true
    );
    assert!(create_auth_challenge(&clients(), ev).await.is_err());
    let created = create_auth_challenge(&clients(), event("create-auth-challenge.json"))
        .await
        .unwrap();
    assert_eq!(created["response"]["challengeMetadata"], "ACTAS_GRANT");
}

#[tokio::test]
async fn verify_redeems_an_own_session_grant_only_on_the_revert_client() {
    let world = world().await;
    let own = Impersonation {
        id: "OWN".into(),
        kind: crate::domain::grant::GrantKind::OwnSession,
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
    type Change = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Change)> = vec![
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
        assert_eq!(claims[CLAIM_IMPERSONATION_MODE], "full");
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
async fn ordinary_sign_ins_get_no_claims_and_both_scopes() {
    let world = world().await;
    let mut ev = event("pre-token-generation.json");
    ev["callerContext"]["clientId"] = json!("sign-in-client");
    let out = pre_token_generation(&world.state, ev.clone())
        .await
        .unwrap();
    let details = &out["response"]["claimsAndScopeOverrideDetails"];
    assert_eq!(
        details,
        &json!({"accessTokenGeneration": {"scopesToAdd": ["actas/read", "actas/write"]}}),
        "no act, no mode, nothing suppressed: an ordinary session may write"
    );
    let mut rest = out.clone();
    rest["response"] = ev["response"].clone();
    assert_eq!(rest, ev, "everything else as Cognito sent it");
}

fn refresh_event() -> Value {
    let mut refresh = event("pre-token-generation.json");
    refresh["triggerSource"] = json!("TokenGeneration_RefreshTokens");
    refresh["request"]["clientMetadata"] = json!({});
    refresh
}

#[tokio::test]
async fn scopes_follow_the_mode_and_self_service_is_always_gone() {
    // (mode, scopes added, scopes suppressed)
    let cases = [
        (
            Mode::Full,
            json!(["actas/read", "actas/write"]),
            json!([SELF_SERVICE_SCOPE]),
        ),
        (
            Mode::ReadOnly,
            json!(["actas/read"]),
            json!([SELF_SERVICE_SCOPE, "actas/write"]),
        ),
    ];
    for (mode, added, suppressed) in cases {
        let world = world_in(mode).await;
        assert!(verify(&world, |_| {}).await);
        let out = pre_token_generation(&world.state, event("pre-token-generation.json"))
            .await
            .unwrap();
        let details = &out["response"]["claimsAndScopeOverrideDetails"];
        let access = &details["accessTokenGeneration"];
        assert_eq!(access["scopesToAdd"], added, "{mode}");
        assert_eq!(access["scopesToSuppress"], suppressed, "{mode}");
        for token in ["idTokenGeneration", "accessTokenGeneration"] {
            assert_eq!(
                details[token]["claimsToAddOrOverride"][CLAIM_IMPERSONATION_MODE],
                mode.as_str(),
                "{token}"
            );
        }
    }
}

/// A remint (`remint_id` in the metadata) of the live impersonation, secret `REMINT_SECRET`.
async fn remint(world: &World, deadline: i64) -> Value {
    world
        .state
        .store
        .put_remint(&crate::domain::grant::Remint {
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

/// A custom-auth session as the local emulator sends it (ministack's `_build_session_list`): each
/// round's name, metadata and result, `null` while the round is not answered.
fn emulator_session(result: Value) -> Value {
    json!([{"challengeName": "CUSTOM_CHALLENGE", "challengeMetadata": "ACTAS_GRANT", "challengeResult": result}])
}

#[tokio::test]
async fn the_emulators_custom_auth_events_read_and_are_answered_as_before() {
    let emulated = |name: &str| {
        let mut ev = event(name);
        ev["callerContext"]["awsSdkVersion"] = json!("aws-sdk-unknown-unknown");
        ev
    };
    let first = define_auth_challenge(&clients(), emulated("define-auth-challenge.json"))
        .await
        .unwrap();
    assert_eq!(
        first["response"],
        json!({"challengeName": CUSTOM_CHALLENGE, "issueTokens": false, "failAuthentication": false})
    );

    let created = create_auth_challenge(&clients(), emulated("create-auth-challenge.json"))
        .await
        .unwrap();
    assert_eq!(
        created["response"],
        json!({
            "publicChallengeParameters": {"challenge": "actas-grant"},
            "privateChallengeParameters": {},
            "challengeMetadata": "ACTAS_GRANT",
        }),
        "the answer the create trigger always wrote"
    );

    // Verify comes with the round it answers still pending.
    let world = world().await;
    let mut ev = emulated("verify-auth-challenge.json");
    ev["request"]["challengeName"] = json!(CUSTOM_CHALLENGE);
    ev["request"]["session"] = emulator_session(Value::Null);
    ev["request"]["publicChallengeParameters"] = json!({"challenge": "actas-grant"});
    let verified = verify_auth_challenge(&world.state, ev).await.unwrap();
    assert_eq!(verified["response"], json!({"answerCorrect": true}));

    let define_after = |result: Value| {
        let mut ev = emulated("define-auth-challenge.json");
        ev["request"]["session"] = emulator_session(result);
        async move { define_auth_challenge(&clients(), ev).await.unwrap()["response"].clone() }
    };
    assert_eq!(
        define_after(json!(true)).await,
        json!({"issueTokens": true, "failAuthentication": false})
    );
    assert_eq!(
        define_after(Value::Null).await,
        json!({"issueTokens": false, "failAuthentication": true}),
        "a round not answered reads (as not passed), it does not fail the event"
    );
}

#[tokio::test]
async fn pre_token_reads_any_trigger_source_and_a_request_without_scopes_or_metadata() {
    let world = world().await;
    let ordinary = json!({"accessTokenGeneration": {"scopesToAdd": ["actas/read", "actas/write"]}});
    // Sources aws_lambda_events' enum lacks (client credentials), or that Cognito adds later.
    for source in [
        "TokenGeneration_ClientCredentials",
        "TokenGeneration_Future",
    ] {
        let mut ev = event("pre-token-generation.json");
        ev["triggerSource"] = json!(source);
        ev["userName"] = json!("ClientCredentials");
        ev["callerContext"]["clientId"] = json!("m2m-client");
        ev["request"]["userAttributes"] = json!({});
        let out = pre_token_generation(&world.state, ev).await.unwrap();
        assert_eq!(
            out["response"]["claimsAndScopeOverrideDetails"], ordinary,
            "{source}"
        );
    }
    // The emulator leaves `clientMetadata` out when the sign-in sent none; `scopes` may be absent.
    let mut ev = event("pre-token-generation.json");
    ev["callerContext"] =
        json!({"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "sign-in-client"});
    let request = ev["request"].as_object_mut().unwrap();
    request.remove("clientMetadata");
    request.remove("scopes");
    let out = pre_token_generation(&world.state, ev).await.unwrap();
    assert_eq!(out["response"]["claimsAndScopeOverrideDetails"], ordinary);
}
