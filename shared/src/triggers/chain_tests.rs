//! actas in a pool it joined: the pool's own trigger functions keep their events and their say
//! in the tokens, and never over what is actas's.

use crate::domain::error::{ActasError, Result};
use crate::domain::mode::Mode;
use crate::domain::pool_attachment::{
    ActasTriggers, ChainedTriggers, LambdaConfig, PoolAttachment, VersionedTrigger,
};
use crate::ports::pool::PoolAttachmentStore;
use crate::testkit::invoker::RecordingInvoker;
use crate::triggers::chain::PoolTriggerChain;
use crate::triggers::create_auth_challenge::create_auth_challenge;
use crate::triggers::define_auth_challenge::define_auth_challenge;
use crate::triggers::pre_token_generation::pre_token_generation;
use crate::triggers::tests::{event, verify, world, world_in, World, CLIENT, REVERT_CLIENT};
use crate::triggers::token_overrides::v1_event;
use crate::triggers::verify_auth_challenge::verify_auth_challenge;
use crate::triggers::{
    CustomAuthClients, CustomAuthTrigger, CLAIM_ACT, CLAIM_IMPERSONATION_EXPIRES_AT,
    CLAIM_IMPERSONATION_ID, CLAIM_IMPERSONATION_MODE, SELF_SERVICE_SCOPE,
};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const POOL: &str = "us-east-1_EXAMPLE";
const PRODUCT_CLIENT: &str = "product-client";

fn function(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

fn actas_functions() -> ActasTriggers {
    ActasTriggers {
        define_auth_challenge: function("actas-define"),
        create_auth_challenge: function("actas-create"),
        verify_auth_challenge_response: function("actas-verify"),
        pre_token_generation: function("actas-pre-token"),
    }
}

/// The product's passwordless sign-in in the three custom-auth slots, and its pre-token
/// function in the given version (`None`: the pool had none).
fn product_pool(pre_token_version: Option<&str>) -> ChainedTriggers {
    ChainedTriggers {
        define_auth_challenge: Some(function("product-define")),
        create_auth_challenge: Some(function("product-create")),
        verify_auth_challenge_response: Some(function("product-verify")),
        pre_token_generation: pre_token_version.map(|version| VersionedTrigger {
            lambda_arn: function("product-pre-token"),
            lambda_version: version.into(),
        }),
    }
}

/// The attachment record, read through a store that counts its reads (and can fail them).
struct Attachments {
    record: Option<PoolAttachment>,
    failing: bool,
    reads: AtomicUsize,
}

impl Attachments {
    fn of(chained: ChainedTriggers) -> Attachments {
        Attachments {
            record: Some(PoolAttachment {
                user_pool_id: POOL.into(),
                previous_lambda_config: LambdaConfig::default(),
                actas: actas_functions(),
                chained,
                created_resource_server: None,
                created_groups: vec![],
                attached_at: 1_700_000_000,
            }),
            failing: false,
            reads: AtomicUsize::new(0),
        }
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl PoolAttachmentStore for Attachments {
    async fn attachment(&self, user_pool_id: &str) -> Result<Option<PoolAttachment>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.failing {
            return Err(ActasError::Upstream(
                "GetItem: ProvisionedThroughputExceeded".into(),
            ));
        }
        Ok(self
            .record
            .clone()
            .filter(|r| r.user_pool_id == user_pool_id))
    }

    async fn save_attachment(&self, _: &PoolAttachment) -> Result<()> {
        Err(ActasError::Internal("the triggers only read".into()))
    }

    async fn delete_attachment(&self, _: &str) -> Result<()> {
        Err(ActasError::Internal("the triggers only read".into()))
    }
}

/// A pool actas joined: the world's triggers with the pool's functions behind them.
struct Joined {
    world: World,
    custom_auth: CustomAuthTrigger,
    attachments: Arc<Attachments>,
    functions: Arc<RecordingInvoker>,
}

fn chain_of(
    world: &World,
    attachments: &Arc<Attachments>,
    functions: &Arc<RecordingInvoker>,
) -> PoolTriggerChain {
    PoolTriggerChain::new(
        POOL,
        attachments.clone(),
        functions.clone(),
        world.clock.clone(),
    )
}

async fn joined(mode: Mode, attachments: Attachments, functions: RecordingInvoker) -> Joined {
    let mut world = world_in(mode).await;
    let (attachments, functions) = (Arc::new(attachments), Arc::new(functions));
    world.state.chain = Some(chain_of(&world, &attachments, &functions));
    let custom_auth = CustomAuthTrigger {
        clients: CustomAuthClients {
            impersonation_client_id: CLIENT.into(),
            revert_client_id: REVERT_CLIENT.into(),
        },
        chain: Some(chain_of(&world, &attachments, &functions)),
    };
    Joined {
        world,
        custom_auth,
        attachments,
        functions,
    }
}

/// The product's passwordless functions, each with an answer only it gives.
fn passwordless() -> RecordingInvoker {
    RecordingInvoker::default()
        .answering(
            &function("product-define"),
            json!({"challengeName": "CUSTOM_CHALLENGE", "issueTokens": false, "failAuthentication": false}),
        )
        .answering(
            &function("product-create"),
            json!({
                "publicChallengeParameters": {"delivery": "email"},
                "privateChallengeParameters": {"code": "424242"},
                "challengeMetadata": "PRODUCT_CODE",
            }),
        )
        .answering(&function("product-verify"), json!({"answerCorrect": true}))
}

/// A custom-auth event of the product's own client (its passwordless sign-in).
fn product_event(name: &str) -> Value {
    let mut ev = event(name);
    ev["callerContext"]["clientId"] = json!(PRODUCT_CLIENT);
    ev["request"]["clientMetadata"] = json!({});
    if name == "verify-auth-challenge.json" {
        ev["request"]["privateChallengeParameters"] = json!({"code": "424242"});
        ev["request"]["challengeAnswer"] = json!("424242");
    }
    ev
}

/// A pre-token event of the product's own sign-in client.
fn sign_in_event() -> Value {
    let mut ev = event("pre-token-generation.json");
    ev["callerContext"]["clientId"] = json!(PRODUCT_CLIENT);
    ev["request"]["clientMetadata"] = json!({});
    ev
}

#[tokio::test]
async fn other_clients_custom_auth_goes_to_the_pools_functions_unchanged_and_back() {
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(None)),
        passwordless(),
    )
    .await;
    let cases = [
        ("define-auth-challenge.json", "product-define"),
        ("create-auth-challenge.json", "product-create"),
        ("verify-auth-challenge.json", "product-verify"),
    ];
    for (file, name) in cases {
        let sent = product_event(file);
        let answer = match name {
            "product-define" => define_auth_challenge(&pool.custom_auth, sent.clone()).await,
            "product-create" => create_auth_challenge(&pool.custom_auth, sent.clone()).await,
            _ => verify_auth_challenge(&pool.world.state, sent.clone()).await,
        }
        .unwrap();
        assert_eq!(
            pool.functions.events_to(&function(name)),
            vec![sent.clone()],
            "{name} got the event as Cognito sent it"
        );
        let mut expected = sent.clone();
        expected["response"] = answer["response"].clone();
        assert_eq!(answer, expected, "{name}: nothing but its answer");
    }
    let define = define_auth_challenge(
        &pool.custom_auth,
        product_event("define-auth-challenge.json"),
    )
    .await
    .unwrap();
    assert_eq!(define["response"]["challengeName"], "CUSTOM_CHALLENGE");
    let create = create_auth_challenge(
        &pool.custom_auth,
        product_event("create-auth-challenge.json"),
    )
    .await
    .unwrap();
    assert_eq!(create["response"]["challengeMetadata"], "PRODUCT_CODE");
    assert_eq!(
        create["response"]["privateChallengeParameters"]["code"], "424242",
        "its secret goes on to Cognito, for its verify function"
    );
    let verified = verify_auth_challenge(
        &pool.world.state,
        product_event("verify-auth-challenge.json"),
    )
    .await
    .unwrap();
    assert_eq!(verified["response"]["answerCorrect"], true);
}

#[tokio::test]
async fn an_event_without_a_client_is_not_actas_and_goes_on_too() {
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(None)),
        passwordless(),
    )
    .await;
    let mut sent = product_event("define-auth-challenge.json");
    sent["callerContext"] = json!({"awsSdkVersion": "aws-sdk-rust-1.144.0", "clientId": null});
    define_auth_challenge(&pool.custom_auth, sent.clone())
        .await
        .unwrap();
    assert_eq!(
        pool.functions.events_to(&function("product-define")),
        vec![sent]
    );
}

#[tokio::test]
async fn actas_sessions_never_reach_the_pools_functions_nor_need_the_record() {
    let mut attachments = Attachments::of(product_pool(Some("V2_0")));
    attachments.failing = true;
    let pool = joined(Mode::Full, attachments, passwordless()).await;
    for client in [CLIENT, REVERT_CLIENT] {
        let mut ev = event("define-auth-challenge.json");
        ev["callerContext"]["clientId"] = json!(client);
        let defined = define_auth_challenge(&pool.custom_auth, ev).await.unwrap();
        assert_eq!(
            defined["response"]["challengeName"], "CUSTOM_CHALLENGE",
            "{client}"
        );
        let mut ev = event("create-auth-challenge.json");
        ev["callerContext"]["clientId"] = json!(client);
        let created = create_auth_challenge(&pool.custom_auth, ev).await.unwrap();
        assert_eq!(
            created["response"]["challengeMetadata"], "ACTAS_GRANT",
            "{client}"
        );
    }
    assert!(
        verify(&pool.world, |_| {}).await,
        "actas's grant redeemed by actas"
    );
    assert!(
        !verify(&pool.world, |e| e["request"]["challengeAnswer"] =
            json!("424242"))
        .await,
        "a wrong answer on actas's client stays wrong: the pool's verify is not asked"
    );
    assert!(pool.functions.calls().is_empty());
    assert_eq!(pool.attachments.reads(), 0);
}

#[tokio::test]
async fn without_a_function_in_the_slot_other_clients_are_refused_as_before() {
    let only_pre_token = ChainedTriggers {
        pre_token_generation: product_pool(Some("V2_0")).pre_token_generation,
        ..ChainedTriggers::default()
    };
    let pool = joined(Mode::Full, Attachments::of(only_pre_token), passwordless()).await;
    let defined = define_auth_challenge(
        &pool.custom_auth,
        product_event("define-auth-challenge.json"),
    )
    .await
    .unwrap();
    assert_eq!(
        defined["response"],
        json!({"issueTokens": false, "failAuthentication": true})
    );
    assert!(create_auth_challenge(
        &pool.custom_auth,
        product_event("create-auth-challenge.json")
    )
    .await
    .is_err());
    let verified = verify_auth_challenge(
        &pool.world.state,
        product_event("verify-auth-challenge.json"),
    )
    .await
    .unwrap();
    assert_eq!(verified["response"]["answerCorrect"], false);
    assert!(pool.functions.calls().is_empty());
}

#[tokio::test]
async fn a_record_that_cannot_be_read_or_is_missing_fails_what_needs_it() {
    let mut failing = Attachments::of(product_pool(Some("V2_0")));
    failing.failing = true;
    let mut missing = Attachments::of(product_pool(Some("V2_0")));
    missing.record = None;
    for attachments in [failing, missing] {
        let pool = joined(Mode::Full, attachments, passwordless()).await;
        assert!(define_auth_challenge(
            &pool.custom_auth,
            product_event("define-auth-challenge.json")
        )
        .await
        .is_err());
        assert!(pre_token_generation(&pool.world.state, sign_in_event())
            .await
            .is_err());
        assert!(
            verify(&pool.world, |_| {}).await,
            "actas's own custom auth needs no record"
        );
        assert!(
            pre_token_generation(&pool.world.state, event("pre-token-generation.json"))
                .await
                .is_err(),
            "but its tokens do: the pool's pre-token function may not be skipped"
        );
    }
}

#[tokio::test]
async fn a_failing_pool_function_fails_the_sign_in() {
    let functions = RecordingInvoker::default()
        .failing(&function("product-define"))
        .failing(&function("product-pre-token"));
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(Some("V2_0"))),
        functions,
    )
    .await;
    assert!(define_auth_challenge(
        &pool.custom_auth,
        product_event("define-auth-challenge.json")
    )
    .await
    .is_err());
    assert!(pre_token_generation(&pool.world.state, sign_in_event())
        .await
        .is_err());
    assert!(verify(&pool.world, |_| {}).await);
    assert!(
        pre_token_generation(&pool.world.state, event("pre-token-generation.json"))
            .await
            .is_err(),
        "an impersonated session too"
    );
}

/// The product's pre-token function (V2), as the local stack's product pool has it: its claim
/// `plan` and scope `product/api`, a suppression of its own, its groups, and an attempt at
/// every claim and scope that is actas's.
fn forging_pre_token() -> RecordingInvoker {
    RecordingInvoker::default().answering(
        &function("product-pre-token"),
        json!({
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"plan": "gold", "impersonation_mode": "full"},
                    "claimsToSuppress": ["act", "impersonation_id", "custom:team_role"],
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {
                        "plan": "gold",
                        "impersonation_mode": "full",
                        "impersonation_id": "forged",
                        "impersonation_expires_at": 4_000_000_000_i64,
                        "act": {"sub": "forged"},
                    },
                    "claimsToSuppress": ["impersonation_id"],
                    "scopesToAdd": ["product/api", SELF_SERVICE_SCOPE, "actas/write"],
                    "scopesToSuppress": ["product/admin"],
                },
                "groupOverrideDetails": {"groupsToOverride": ["Beta"]},
            }
        }),
    )
}

fn details(out: &Value) -> &Value {
    &out["response"]["claimsAndScopeOverrideDetails"]
}

/// Cognito (V2) refuses a claim or a scope both added and suppressed in one token.
fn assert_consistent(details: &Value) {
    for token in ["idTokenGeneration", "accessTokenGeneration"] {
        let t = &details[token];
        let suppressed = t["claimsToSuppress"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(added) = t["claimsToAddOrOverride"].as_object() {
            for name in added.keys() {
                assert!(
                    !suppressed.contains(&json!(name)),
                    "{token}: {name} both ways"
                );
            }
        }
        let (added, suppressed) = (
            t["scopesToAdd"].as_array().cloned().unwrap_or_default(),
            t["scopesToSuppress"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        for scope in &added {
            assert!(!suppressed.contains(scope), "{token}: {scope} both ways");
        }
    }
}

#[tokio::test]
async fn an_ordinary_sign_in_keeps_the_pools_claims_and_scopes_and_gets_actas_scopes() {
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(Some("V2_0"))),
        forging_pre_token(),
    )
    .await;
    let sent = sign_in_event();
    let out = pre_token_generation(&pool.world.state, sent.clone())
        .await
        .unwrap();
    assert_eq!(
        pool.functions.events_to(&function("product-pre-token")),
        vec![sent],
        "the event as Cognito sent it"
    );
    assert_eq!(
        details(&out),
        &json!({
            "idTokenGeneration": {
                "claimsToAddOrOverride": {"plan": "gold"},
                "claimsToSuppress": ["custom:team_role"],
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"plan": "gold"},
                "scopesToAdd": ["actas/read", "actas/write", "product/api", SELF_SERVICE_SCOPE],
                "scopesToSuppress": ["product/admin"],
            },
            "groupOverrideDetails": {"groupsToOverride": ["Beta"]},
        }),
        "its claim, scopes, suppressions and groups; no act nor any impersonation claim forged"
    );
    assert_consistent(details(&out));
}

#[tokio::test]
async fn an_impersonated_token_carries_act_and_the_pools_claims_and_the_pool_cannot_undo_actas() {
    for mode in [Mode::Full, Mode::ReadOnly] {
        let pool = joined(
            mode,
            Attachments::of(product_pool(Some("V2_0"))),
            forging_pre_token(),
        )
        .await;
        assert!(verify(&pool.world, |_| {}).await);
        let out = pre_token_generation(&pool.world.state, event("pre-token-generation.json"))
            .await
            .unwrap();
        let answer = details(&out);
        for token in ["idTokenGeneration", "accessTokenGeneration"] {
            let claims = &answer[token]["claimsToAddOrOverride"];
            assert_eq!(
                claims[CLAIM_ACT],
                json!({"sub": "actor-sub", "username": "acme-admin"}),
                "{mode} {token}"
            );
            assert_eq!(
                claims[CLAIM_IMPERSONATION_ID], "IMPERSONATION_ID",
                "{mode} {token}"
            );
            assert_eq!(
                claims[CLAIM_IMPERSONATION_EXPIRES_AT],
                crate::triggers::tests::START + 3600
            );
            assert_eq!(
                claims[CLAIM_IMPERSONATION_MODE],
                mode.as_str(),
                "{mode} {token}"
            );
            assert_eq!(
                claims["plan"], "gold",
                "{mode} {token}: the pool's claim too"
            );
            let suppressed = answer[token]["claimsToSuppress"].clone();
            for claim in [CLAIM_ACT, CLAIM_IMPERSONATION_ID] {
                assert!(
                    !suppressed
                        .as_array()
                        .unwrap_or(&vec![])
                        .contains(&json!(claim)),
                    "{mode} {token}: {claim} not suppressed"
                );
            }
        }
        let access = &answer["accessTokenGeneration"];
        let (added, suppressed) = match mode {
            Mode::Full => (
                json!(["actas/read", "actas/write", "product/api"]),
                json!([SELF_SERVICE_SCOPE, "product/admin"]),
            ),
            Mode::ReadOnly => (
                json!(["actas/read", "product/api"]),
                json!([SELF_SERVICE_SCOPE, "actas/write", "product/admin"]),
            ),
        };
        assert_eq!(
            access["scopesToAdd"], added,
            "{mode}: no self-service, no write when read-only"
        );
        assert_eq!(access["scopesToSuppress"], suppressed, "{mode}");
        assert_eq!(
            answer["groupOverrideDetails"],
            json!({"groupsToOverride": ["Beta"]})
        );
        assert_consistent(answer);
    }
}

#[tokio::test]
async fn a_v1_function_gets_a_v1_event_and_its_answer_is_read_as_v2() {
    let functions = RecordingInvoker::default().answering(
        &function("product-pre-token"),
        json!({
            "claimsOverrideDetails": {
                "claimsToAddOrOverride": {"plan": "gold", "act": "forged"},
                "claimsToSuppress": ["email", "impersonation_id"],
                "groupOverrideDetails": {
                    "groupsToOverride": ["Beta"],
                    "iamRolesToOverride": [],
                    "preferredRole": null,
                },
            }
        }),
    );
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(Some("V1_0"))),
        functions,
    )
    .await;
    assert!(verify(&pool.world, |_| {}).await);
    let sent = event("pre-token-generation.json");
    assert_eq!(v1_event(&sent), event("pre-token-generation-v1.json"));
    let out = pre_token_generation(&pool.world.state, sent).await.unwrap();
    assert_eq!(
        pool.functions.events_to(&function("product-pre-token")),
        vec![event("pre-token-generation-v1.json")]
    );
    let answer = details(&out);
    let id = &answer["idTokenGeneration"];
    assert_eq!(id["claimsToAddOrOverride"]["plan"], "gold");
    assert_eq!(
        id["claimsToAddOrOverride"][CLAIM_ACT],
        json!({"sub": "actor-sub", "username": "acme-admin"})
    );
    assert_eq!(id["claimsToSuppress"], json!(["email"]));
    assert_eq!(
        answer["accessTokenGeneration"]["claimsToAddOrOverride"].get("plan"),
        None,
        "V1 never reached the access token"
    );
    assert_eq!(
        answer["groupOverrideDetails"]["groupsToOverride"],
        json!(["Beta"])
    );
    assert_eq!(out["version"], "2", "actas answers Cognito in V2");

    let silent = RecordingInvoker::default().answering(
        &function("product-pre-token"),
        json!({"claimsOverrideDetails": null}),
    );
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(Some("V1_0"))),
        silent,
    )
    .await;
    let out = pre_token_generation(&pool.world.state, sign_in_event())
        .await
        .unwrap();
    assert_eq!(
        details(&out),
        &json!({"accessTokenGeneration": {"scopesToAdd": ["actas/read", "actas/write"]}}),
        "a V1 function that changes nothing changes nothing"
    );
}

#[tokio::test]
async fn refresh_on_the_impersonation_client_is_refused_whatever_the_pool_answers() {
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(Some("V2_0"))),
        RecordingInvoker::default().answering(&function("product-pre-token"), json!({})),
    )
    .await;
    assert!(verify(&pool.world, |_| {}).await);
    let mut refresh = event("pre-token-generation.json");
    refresh["triggerSource"] = json!("TokenGeneration_RefreshTokens");
    refresh["request"]["clientMetadata"] = json!({});
    let refused = pre_token_generation(&pool.world.state, refresh.clone()).await;
    assert!(
        matches!(refused, Err(ActasError::Forbidden(_))),
        "{refused:?}"
    );
    refresh["request"]["clientMetadata"] = json!({"impersonation_id": "IMPERSONATION_ID"});
    assert!(
        pre_token_generation(&pool.world.state, refresh)
            .await
            .is_err(),
        "naming a live grant changes nothing"
    );

    let mut sign_in_refresh = sign_in_event();
    sign_in_refresh["triggerSource"] = json!("TokenGeneration_RefreshTokens");
    assert!(
        pre_token_generation(&pool.world.state, sign_in_refresh)
            .await
            .is_ok(),
        "the pool's own clients refresh at Cognito as before"
    );
}

#[tokio::test]
async fn a_refused_impersonation_stays_refused_when_the_pool_answers() {
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(Some("V2_0"))),
        forging_pre_token(),
    )
    .await;
    let pending = pre_token_generation(&pool.world.state, event("pre-token-generation.json")).await;
    assert!(
        matches!(pending, Err(ActasError::Forbidden(_))),
        "an unredeemed grant: {pending:?}"
    );
}

#[tokio::test]
async fn one_record_read_serves_the_events_of_a_minute() {
    let pool = joined(
        Mode::Full,
        Attachments::of(product_pool(Some("V2_0"))),
        passwordless().answering(&function("product-pre-token"), json!({})),
    )
    .await;
    for _ in 0..3 {
        define_auth_challenge(
            &pool.custom_auth,
            product_event("define-auth-challenge.json"),
        )
        .await
        .unwrap();
        pre_token_generation(&pool.world.state, sign_in_event())
            .await
            .unwrap();
    }
    // The define and the pre-token functions are two containers: one read each.
    assert_eq!(pool.attachments.reads(), 2);
    assert_eq!(pool.functions.calls().len(), 6);

    pool.world.clock.advance_secs(59);
    pre_token_generation(&pool.world.state, sign_in_event())
        .await
        .unwrap();
    assert_eq!(pool.attachments.reads(), 2, "still fresh");
    pool.world.clock.advance_secs(2);
    pre_token_generation(&pool.world.state, sign_in_event())
        .await
        .unwrap();
    assert_eq!(pool.attachments.reads(), 3, "a minute on, read again");
}

#[tokio::test]
async fn a_record_chaining_actas_to_itself_chains_nothing() {
    let looping = ChainedTriggers {
        define_auth_challenge: Some(function("actas-define")),
        pre_token_generation: Some(VersionedTrigger {
            lambda_arn: function("actas-pre-token"),
            lambda_version: "V2_0".into(),
        }),
        ..ChainedTriggers::default()
    };
    let pool = joined(
        Mode::Full,
        Attachments::of(looping),
        RecordingInvoker::default(),
    )
    .await;
    let defined = define_auth_challenge(
        &pool.custom_auth,
        product_event("define-auth-challenge.json"),
    )
    .await
    .unwrap();
    assert_eq!(defined["response"]["failAuthentication"], true);
    pre_token_generation(&pool.world.state, sign_in_event())
        .await
        .unwrap();
    assert!(pool.functions.calls().is_empty());
}

#[tokio::test]
async fn a_pool_actas_created_calls_nothing() {
    let world = world().await;
    assert!(world.state.chain.is_none());
    let out = pre_token_generation(&world.state, sign_in_event())
        .await
        .unwrap();
    assert_eq!(
        details(&out),
        &json!({"accessTokenGeneration": {"scopesToAdd": ["actas/read", "actas/write"]}})
    );
}
