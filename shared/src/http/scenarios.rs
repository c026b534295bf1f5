use crate::app::api_keys::issue_api_key;
use crate::domain::error::ActasError;
use crate::domain::grant::ImpersonationStatus;
use crate::http::{
    audit_log, cognito_endpoint, coworker_impersonate, impersonate, list_impersonations,
    login_exchange, me, profiles, protection, requests, revert, settings, stop, sys_exchange,
    sys_impersonate, token_check,
};
use crate::ports::clock::SystemClock;
use crate::ports::grants::ImpersonationStore;
use crate::testkit::{id_token_claims, TestWorld, IMPERSONATION_CLIENT};
use serde_json::{json, Value};

fn event(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("event JSON")
}

/// Sets a header in both header maps of a REST (v1) event; `None` removes it.
fn set_header(event: &mut Value, name: &str, value: Option<&str>) {
    for map in ["headers", "multiValueHeaders"] {
        let headers = event[map].as_object_mut().expect("header map");
        headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            let v = if map == "headers" {
                json!(value)
            } else {
                json!([value])
            };
            headers.insert(name.to_string(), v);
        }
    }
}

/// Sets one query parameter, keeping the others.
fn set_query(event: &mut Value, name: &str, value: &str) {
    for (map, v) in [
        ("queryStringParameters", json!(value)),
        ("multiValueQueryStringParameters", json!([value])),
    ] {
        if !event[map].is_object() {
            event[map] = json!({});
        }
        event[map][name] = v;
    }
}

#[derive(Clone, Copy)]
enum Route {
    Impersonate,
    CoworkerImpersonate,
    SysImpersonate,
    LoginExchange,
    SysExchange,
    Profiles,
    Revert,
    TokenCheck,
    Stop,
    List,
    CognitoEndpoint,
    Me,
    Audit,
    Settings,
    Requests,
    Protection,
}

fn bearer(ev: &mut Value, token: &str) {
    set_header(ev, "Authorization", Some(&format!("Bearer {token}")));
}

struct Fixture {
    world: TestWorld,
    acme_key: String,
    globex_key: String,
}

async fn fixture() -> Fixture {
    let world = TestWorld::new();
    let acme_key = issue_api_key(world.store.as_ref(), &SystemClock, "acme", "t")
        .await
        .unwrap()
        .1;
    let globex_key = issue_api_key(world.store.as_ref(), &SystemClock, "globex", "t")
        .await
        .unwrap()
        .1;
    Fixture {
        world,
        acme_key,
        globex_key,
    }
}

impl Fixture {
    /// `events/impersonate-username.json` as `caller`, with the acme key, for `target`.
    fn username_event(&self, caller: &str, target: &str) -> Value {
        let mut ev = event("impersonate-username.json");
        set_header(
            &mut ev,
            "Authorization",
            Some(&format!("Bearer {}", self.world.id_token(caller))),
        );
        set_header(&mut ev, "X-API-Key", Some(&self.acme_key));
        ev["body"] =
            json!(json!({"username": target, "reason": "checking a billing report"}).to_string());
        ev
    }

    async fn call(&self, ev: Value) -> (u16, Value) {
        self.call_route(Route::Impersonate, ev).await
    }

    async fn call_route(&self, route: Route, ev: Value) -> (u16, Value) {
        let request = lambda_http::request::from_str(&ev.to_string()).expect("a REST event");
        // Each route gets the state its function builds, over the same in-memory world.
        let w = &self.world;
        let response = match route {
            Route::Impersonate => impersonate::handle(&w.impersonate_state(), request).await,
            Route::CoworkerImpersonate => {
                coworker_impersonate::handle(&w.issue_token_state(), request).await
            }
            Route::SysImpersonate => sys_impersonate::handle(&w.issue_token_state(), request).await,
            Route::LoginExchange => login_exchange::handle(&w.exchange_state(), request).await,
            Route::SysExchange => sys_exchange::handle(&w.exchange_state(), request).await,
            Route::Profiles => profiles::handle(&w.profiles_state(), request).await,
            Route::Revert => revert::handle(&w.session_state(), request).await,
            Route::CognitoEndpoint => cognito_endpoint::handle(&w.session_state(), request).await,
            Route::TokenCheck => token_check::handle(&w.read_state(), request).await,
            Route::Stop => stop::handle(&w.session_state(), request).await,
            Route::List => list_impersonations::handle(&w.read_state(), request).await,
            Route::Me => me::handle(&w.api(), request).await,
            Route::Audit => audit_log::handle(&w.api(), request).await,
            Route::Settings => settings::handle(&w.governance_state(), request).await,
            Route::Requests => requests::handle(&w.governance_state(), request).await,
            Route::Protection => protection::handle(&w.api(), request).await,
        };
        let status = response.status().as_u16();
        let body = serde_json::from_slice(response.body().as_ref()).expect("a JSON body");
        (status, body)
    }
}

#[tokio::test]
async fn seed_001_event_impersonates_by_username() {
    let f = fixture().await;
    let (status, body) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], "acme-support-1");
    assert_eq!(body["clientId"], IMPERSONATION_CLIENT);
    assert_eq!(body["role"], "User");
    assert_eq!(body["impersonation"]["actor"]["username"], "acme-admin");
    assert!(body["session"]["authorization"]
        .as_str()
        .unwrap()
        .contains("acme-support-1"));
    assert!(
        body.get("password").is_none(),
        "actas never returns a password"
    );

    let id = body["impersonation"]["id"].as_str().unwrap();
    let stored = f.world.store.get(id).await.unwrap().unwrap();
    assert_eq!(
        stored.status,
        ImpersonationStatus::Active,
        "the grant was redeemed"
    );
    assert_eq!(stored.actor_username, "acme-admin");
    let revert = body["impersonator_revert_token"].as_str().unwrap();
    assert!(revert.starts_with(id));
    assert!(!stored.revert_secret_hash.is_empty() && !revert.contains(&stored.revert_secret_hash));
}

#[tokio::test]
async fn seed_000_event_impersonates_by_sub_without_an_api_key() {
    let f = fixture().await;
    let mut ev = event("impersonate-uuid.json");
    set_header(
        &mut ev,
        "Authorization",
        Some(&format!("Bearer {}", f.world.id_token("acme-operator"))),
    );
    set_query(&mut ev, "uuid", &f.world.user("acme-support-2").sub);
    let (status, body) = f.call(ev).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], "acme-support-2");
}

/// The seeds' field names, every one present in the payload (and seed 001's password absent).
#[tokio::test]
async fn payload_has_every_field_of_seeds_000_and_001() {
    let f = fixture().await;
    let (_, body) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let seed_001 = [
        "endpointUrl",
        "clientId",
        "userPoolId",
        "username",
        "session",
    ];
    let seed_001_session = [
        "authorization",
        "refreshToken",
        "accessToken",
        "expireEpoch",
    ];
    let seed_000 = [
        "username",
        "token",
        "role",
        "timezone",
        "provider",
        "impersonator_revert_token",
        "created_at",
        "updated_at",
    ];
    for field in seed_001.iter().chain(seed_000.iter()) {
        assert!(body.get(field).is_some(), "missing {field}");
    }
    for field in seed_001_session {
        assert!(
            body["session"].get(field).is_some(),
            "missing session.{field}"
        );
    }
    assert!(body["session"]["expireEpoch"].is_i64());
    let created = body["created_at"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.len() == "2025-03-28T12:34:56.789Z".len(),
        "{created}"
    );
}

#[tokio::test]
async fn bad_inputs_get_the_right_status_and_the_error_shape() {
    let f = fixture().await;
    let w = &f.world;
    let impersonated_token = {
        let admin = w.user("acme-super");
        let mut claims = id_token_claims(&admin.sub, &admin.username);
        claims["act"] = json!({"sub": "someone", "username": "someone"});
        w.signer.sign(&claims)
    };
    let with = |caller: &str, target: &str, change: &dyn Fn(&mut Value)| {
        let mut ev = f.username_event(caller, target);
        change(&mut ev);
        ev
    };
    let no_change = |_: &mut Value| {};
    let cases: Vec<(&str, Value, u16)> = vec![
        (
            "no token",
            with("acme-admin", "acme-support-1", &|e| {
                set_header(e, "Authorization", None)
            }),
            401,
        ),
        (
            "garbage token",
            with("acme-admin", "acme-support-1", &|e| {
                set_header(e, "Authorization", Some("Bearer x.y.z"))
            }),
            401,
        ),
        (
            "malformed JSON",
            with("acme-admin", "acme-support-1", &|e| {
                e["body"] = json!("{\"username\":")
            }),
            400,
        ),
        (
            "body not an object",
            with("acme-admin", "acme-support-1", &|e| {
                e["body"] = json!("[1]")
            }),
            400,
        ),
        (
            "username not a string",
            with("acme-admin", "acme-support-1", &|e| {
                e["body"] = json!("{\"username\":7}")
            }),
            400,
        ),
        (
            "neither username nor uuid",
            with("acme-admin", "acme-support-1", &|e| e["body"] = json!("{}")),
            400,
        ),
        (
            "empty body, no uuid",
            with("acme-admin", "acme-support-1", &|e| e["body"] = Value::Null),
            400,
        ),
        (
            "both username and uuid",
            with("acme-admin", "acme-support-1", &|e| {
                set_query(e, "uuid", "x")
            }),
            400,
        ),
        (
            "unusable username",
            with("acme-admin", "acme support", &no_change),
            400,
        ),
        (
            "missing API key",
            with("acme-admin", "acme-support-1", &|e| {
                set_header(e, "X-API-Key", None)
            }),
            403,
        ),
        (
            "wrong API key",
            with("acme-admin", "acme-support-1", &|e| {
                set_header(e, "X-API-Key", Some("actas.abc.def"))
            }),
            403,
        ),
        (
            "other tenant's API key",
            with("acme-admin", "acme-support-1", &|e| {
                set_header(e, "X-API-Key", Some(&f.globex_key))
            }),
            403,
        ),
        (
            "plain user",
            with("acme-support-2", "acme-support-1", &no_change),
            403,
        ),
        (
            "team admin",
            with("acme-team-admin", "acme-support-1", &no_change),
            403,
        ),
        (
            "other tenant: not found, like an unknown user",
            with("acme-admin", "globex-user", &no_change),
            404,
        ),
        (
            "higher rank",
            with("acme-admin", "acme-super", &no_change),
            403,
        ),
        ("self", with("acme-admin", "acme-admin", &no_change), 403),
        (
            "disabled target",
            with("acme-admin", "acme-disabled", &no_change),
            403,
        ),
        (
            "unknown user",
            with("acme-admin", "nobody-here", &no_change),
            404,
        ),
        (
            "impersonated session",
            with("acme-super", "acme-support-1", &|e| {
                set_header(
                    e,
                    "Authorization",
                    Some(&format!("Bearer {impersonated_token}")),
                )
            }),
            403,
        ),
    ];
    for (name, ev, expected) in cases {
        let (status, body) = f.call(ev).await;
        assert_eq!(status, expected, "{name}: {body}");
        assert_eq!(body["status"], "error", "{name}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_disabled_actor_is_refused() {
    let f = fixture().await;
    f.world
        .identity
        .update_user("acme-admin", |u| u.enabled = false);
    let (status, body) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["message"], "your account is disabled");
}

#[tokio::test]
async fn an_equal_rank_is_refused_with_its_reason() {
    let f = fixture().await;
    f.world
        .identity
        .update_user("acme-support-1", |u| u.groups = vec!["admin".into()]);
    let (status, body) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["message"],
        "you may only impersonate users of a lower rank"
    );
}

impl Fixture {
    /// Seed 002: `caller` asks for a token to act as `target`.
    async fn public_token(&self, caller: &str, target: &str) -> (u16, Value) {
        let mut ev = event("coworker-impersonate.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["pathParameters"] = json!({"coworkerId": target});
        set_query(&mut ev, "reason", "helping with a report");
        self.call_route(Route::CoworkerImpersonate, ev).await
    }

    /// Seed 003: `caller` asks for a token to act as `target` (`None`: no coworkerId).
    async fn sys_token(&self, caller: &str, target: Option<&str>) -> (u16, Value) {
        let mut ev = event("sys-impersonate.json");
        bearer(&mut ev, &self.world.id_token(caller));
        match target {
            Some(t) => {
                set_query(&mut ev, "coworkerId", t);
                set_query(&mut ev, "reason", "helping with a report");
            }
            None => {
                ev["queryStringParameters"] = Value::Null;
                ev["multiValueQueryStringParameters"] = Value::Null;
            }
        }
        self.call_route(Route::SysImpersonate, ev).await
    }

    async fn login(&self, token: &str) -> (u16, Value) {
        let mut ev = event("login-exchange.json");
        ev["pathParameters"] = json!({"token": token});
        self.call_route(Route::LoginExchange, ev).await
    }

    async fn sys_exchange(&self, token: &str) -> (u16, Value) {
        let mut ev = event("sys-exchange.json");
        ev["body"] = json!(json!({"token": token}).to_string());
        self.call_route(Route::SysExchange, ev).await
    }
}

#[tokio::test]
async fn seed_002_team_admin_token_exchanges_once_for_a_session() {
    let f = fixture().await;
    let (status, body) = f.public_token("acme-team-admin", "acme-support-1").await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(
        f.sys_exchange(&token).await.0,
        401,
        "a public token does not work at the sys route"
    );
    let (status, session) = f.login(&token).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["username"], "acme-support-1");
    assert_eq!(
        session["impersonation"]["actor"]["username"],
        "acme-team-admin"
    );
    let (status, again) = f.login(&token).await;
    assert_eq!(status, 401, "single use: {again}");
    assert_eq!(again["status"], "error");
}

#[tokio::test]
async fn seed_003_sys_token_exchanges_at_the_sys_route_only() {
    let f = fixture().await;
    let (status, body) = f.sys_token("acme-operator", Some("acme-sales-1")).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(
        f.login(&token).await.0,
        401,
        "a sys token does not work at the public route"
    );
    let (status, session) = f.sys_exchange(&token).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["username"], "acme-sales-1");
}

#[tokio::test]
async fn token_routes_refuse_with_each_seeds_codes() {
    let f = fixture().await;
    let cases = [
        (
            "sys: plain user gets 401",
            f.sys_token("acme-support-2", Some("acme-support-1")).await,
            401,
        ),
        (
            "sys: team admin gets 401",
            f.sys_token("acme-team-admin", Some("acme-support-1")).await,
            401,
        ),
        (
            "sys: other tenant is not found here",
            f.sys_token("acme-operator", Some("globex-user")).await,
            404,
        ),
        (
            "sys: unknown user",
            f.sys_token("acme-operator", Some("nobody")).await,
            404,
        ),
        (
            "sys: missing coworkerId",
            f.sys_token("acme-operator", None).await,
            400,
        ),
        (
            "sys: equal rank",
            f.sys_token("acme-operator", Some("acme-operator")).await,
            403,
        ),
        (
            "public: plain user",
            f.public_token("acme-support-2", "acme-support-1").await,
            403,
        ),
        (
            "public: another team",
            f.public_token("acme-team-admin", "acme-sales-1").await,
            403,
        ),
        (
            "public: disabled member",
            f.public_token("acme-team-admin", "acme-disabled").await,
            403,
        ),
        (
            "public: unknown user",
            f.public_token("acme-team-admin", "nobody").await,
            404,
        ),
        (
            "public: other tenant: not found, like an unknown user",
            f.public_token("acme-admin", "globex-user").await,
            404,
        ),
    ];
    for (name, (status, body), expected) in cases {
        assert_eq!(status, expected, "{name}: {body}");
        assert_eq!(body["status"], "error", "{name}");
    }
    let mut no_bearer = event("coworker-impersonate.json");
    set_header(&mut no_bearer, "Authorization", None);
    assert_eq!(
        f.call_route(Route::CoworkerImpersonate, no_bearer).await.0,
        401
    );
    for garbage in ["garbage", "a.b.c", ""] {
        assert_eq!(
            f.login(garbage).await.0,
            if garbage.is_empty() { 400 } else { 401 },
            "{garbage:?}"
        );
    }
    let mut empty_body = event("sys-exchange.json");
    empty_body["body"] = json!("{}");
    assert_eq!(f.call_route(Route::SysExchange, empty_body).await.0, 400);
}

#[tokio::test]
async fn the_policy_is_checked_again_at_exchange() {
    let f = fixture().await;
    let (_, body) = f.sys_token("acme-operator", Some("acme-sales-1")).await;
    let token = body["token"].as_str().unwrap().to_string();
    f.world
        .identity
        .update_user("acme-operator", |u| u.groups.clear());
    let (status, refused) = f.sys_exchange(&token).await;
    assert_eq!(
        status, 403,
        "an operator who lost the group is refused: {refused}"
    );

    let (_, body) = f.public_token("acme-team-admin", "acme-support-2").await;
    let token = body["token"].as_str().unwrap().to_string();
    f.world
        .identity
        .update_user("acme-team-admin", |u| u.enabled = false);
    assert_eq!(f.login(&token).await.0, 403, "a disabled actor is refused");
}

#[tokio::test]
async fn profiles_list_who_the_caller_may_act_as() {
    let f = fixture().await;
    let f = &f;
    let list = |caller: &'static str| {
        let mut ev = event("profiles.json");
        bearer(&mut ev, &f.world.id_token(caller));
        async move {
            let (status, body) = f.call_route(Route::Profiles, ev).await;
            assert_eq!(status, 200, "{body}");
            let mut names: Vec<String> = body["Profiles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["Username"].as_str().unwrap().to_string())
                .collect();
            let current: Vec<&Value> = body["Profiles"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["IsCurrent"] == true)
                .collect();
            assert_eq!(current.len(), 1);
            assert_eq!(current[0]["Username"], caller);
            assert_eq!(current[0]["CanImpersonate"], false);
            names.sort();
            names
        }
    };
    assert_eq!(list("acme-support-1").await, vec!["acme-support-1"]);
    assert_eq!(
        list("acme-team-admin").await,
        vec!["acme-support-1", "acme-support-2", "acme-team-admin"]
    );
    assert_eq!(
        list("acme-operator").await,
        vec![
            "acme-operator",
            "acme-sales-1",
            "acme-support-1",
            "acme-support-2",
            "acme-team-admin"
        ]
    );
    let admin_sees = list("acme-admin").await;
    assert!(
        admin_sees.contains(&"acme-operator".to_string())
            && !admin_sees.contains(&"globex-user".to_string())
    );
}

#[tokio::test]
async fn revert_returns_the_actors_own_session_once_and_only_with_its_session() {
    let f = fixture().await;
    let (_, session) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let id = session["impersonation"]["id"].as_str().unwrap().to_string();
    let revert_token = session["impersonator_revert_token"]
        .as_str()
        .unwrap()
        .to_string();
    let own_session = f
        .world
        .impersonated_access_token("acme-support-1", "acme-admin", &id);
    let revert_with = |token: Value, authorization: Option<String>| {
        let mut ev = event("revert.json");
        ev["body"] = json!(json!({"impersonator_revert_token": token}).to_string());
        set_header(
            &mut ev,
            "Authorization",
            authorization.map(|t| format!("Bearer {t}")).as_deref(),
        );
        f.call_route(Route::Revert, ev)
    };
    assert_eq!(
        revert_with(json!(revert_token), None).await.0,
        401,
        "a bare revert token mints nothing"
    );
    let other_session =
        f.world
            .impersonated_access_token("acme-support-1", "acme-admin", "another-id");
    assert_eq!(
        revert_with(json!(revert_token), Some(other_session))
            .await
            .0,
        401,
        "another impersonation's session"
    );
    assert_eq!(
        revert_with(json!(revert_token), Some(f.world.id_token("acme-admin")))
            .await
            .0,
        401,
        "the actor's own session is not the impersonated one"
    );
    let (status, own) = revert_with(json!(revert_token), Some(own_session.clone())).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["username"], "acme-admin");
    assert!(own.get("impersonation").is_none());
    assert!(own["impersonator_revert_token"].is_null());
    assert_eq!(own["clientId"], crate::testkit::REVERT_CLIENT);
    let stored = f.world.store.get(&id).await.unwrap().unwrap();
    assert!(stored.revoked_at.is_some(), "a revert revokes the session");

    assert_eq!(
        revert_with(json!(revert_token), Some(own_session.clone()))
            .await
            .0,
        401,
        "used twice"
    );
    let forged = format!("{id}.forged");
    assert_eq!(
        revert_with(json!(forged), Some(own_session.clone()))
            .await
            .0,
        401,
        "forged"
    );
    assert_eq!(
        revert_with(json!("nonsense"), Some(own_session.clone()))
            .await
            .0,
        401,
        "malformed"
    );
    assert_eq!(
        revert_with(json!(7), Some(own_session)).await.0,
        400,
        "not a string"
    );
}

#[tokio::test]
async fn several_actors_impersonate_one_target_at_once() {
    let f = fixture().await;
    let (status, first) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!(status, 200, "{first}");
    let (status, second) = f
        .call(f.username_event("acme-operator", "acme-support-1"))
        .await;
    assert_eq!(status, 200, "a second actor is not refused: {second}");
    let (status, third) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!(status, 200, "the same actor again: {third}");
    let ids: Vec<&str> = [&first, &second, &third]
        .iter()
        .map(|s| s["impersonation"]["id"].as_str().unwrap())
        .collect();
    for id in &ids {
        let imp = f.world.store.get(id).await.unwrap().unwrap();
        assert!(imp.is_live(crate::testkit::now_secs()), "{id} is live");
    }
    assert_eq!(
        first["endpointUrl"],
        format!("{}/auth/cognito", crate::testkit::TEST_API_URL),
        "sessions refresh through actas"
    );
}

#[tokio::test]
async fn a_reason_is_required_bounded_and_kept() {
    let f = fixture().await;
    let with_body = |body: Value| {
        let mut ev = f.username_event("acme-admin", "acme-support-1");
        ev["body"] = json!(body.to_string());
        ev
    };
    let long = "x".repeat(501);
    let cases = [
        ("no reason", json!({"username": "acme-support-1"}), 422),
        (
            "blank reason",
            json!({"username": "acme-support-1", "reason": "   "}),
            422,
        ),
        (
            "reason too long",
            json!({"username": "acme-support-1", "reason": long}),
            422,
        ),
        (
            "reason not a string",
            json!({"username": "acme-support-1", "reason": 5}),
            400,
        ),
        (
            "ticket too long",
            json!({"username": "acme-support-1", "reason": "r", "ticket": "t".repeat(201)}),
            422,
        ),
        (
            "control characters",
            json!({"username": "acme-support-1", "reason": "a\u{7}b"}),
            422,
        ),
    ];
    for (name, body, expected) in cases {
        let (status, answer) = f.call(with_body(body)).await;
        assert_eq!(status, expected, "{name}: {answer}");
        assert_eq!(answer["status"], "error");
    }
    let exactly_500 = "r".repeat(500);
    let (status, session) = f
        .call(with_body(
            json!({"username": "acme-support-1", "reason": exactly_500, "ticket": "SUP-1"}),
        ))
        .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["impersonation"]["reason"], exactly_500.as_str());
    assert_eq!(session["impersonation"]["ticket"], "SUP-1");
    let id = session["impersonation"]["id"].as_str().unwrap();
    let stored = f.world.store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.reason.as_deref(), Some(exactly_500.as_str()));
}

#[tokio::test]
async fn a_two_step_reason_travels_from_the_token_to_the_session() {
    let f = fixture().await;
    let mut ev = event("sys-impersonate.json");
    bearer(&mut ev, &f.world.id_token("acme-operator"));
    ev["queryStringParameters"] = json!({"coworkerId": "acme-sales-1"});
    ev["multiValueQueryStringParameters"] = json!({"coworkerId": ["acme-sales-1"]});
    assert_eq!(
        f.call_route(Route::SysImpersonate, ev.clone()).await.0,
        422,
        "no reason"
    );
    set_query(&mut ev, "reason", "customer call");
    set_query(&mut ev, "ticket", "SUP-7");
    let (_, token) = f.call_route(Route::SysImpersonate, ev).await;
    let (status, session) = f.sys_exchange(token["token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["impersonation"]["reason"], "customer call");
    assert_eq!(session["impersonation"]["ticket"], "SUP-7");
}

#[tokio::test]
async fn a_deployment_may_make_the_reason_optional() {
    let mut f = fixture().await;
    f.world.config.reason_required = false;
    let mut ev = f.username_event("acme-admin", "acme-support-1");
    ev["body"] = json!(json!({"username": "acme-support-1"}).to_string());
    let (status, session) = f.call(ev).await;
    assert_eq!(status, 200, "{session}");
    assert!(session["impersonation"]["reason"].is_null());
}

impl Fixture {
    /// What Cognito would issue for the impersonated session of `session` (a payload).
    fn impersonated_token(&self, session: &Value) -> String {
        let target = self.world.user(session["username"].as_str().unwrap());
        let mut claims = id_token_claims(&target.sub, &target.username);
        claims["aud"] = json!(IMPERSONATION_CLIENT);
        claims["act"] = json!(session["impersonation"]["actor"]);
        claims["impersonation_id"] = session["impersonation"]["id"].clone();
        self.world.signer.sign(&claims)
    }

    async fn check(&self, token: &str) -> (u16, Value) {
        let mut ev = event("token-check.json");
        bearer(&mut ev, token);
        self.call_route(Route::TokenCheck, ev).await
    }

    async fn stop_as(&self, caller: &str, id: &str) -> (u16, Value) {
        let mut ev = event("stop.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["pathParameters"] = json!({"id": id});
        self.call_route(Route::Stop, ev).await
    }
}

#[tokio::test]
async fn token_check_reads_a_stop_at_once() {
    let f = fixture().await;
    let (_, session) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let token = f.impersonated_token(&session);
    let (status, before) = f.check(&token).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["valid"], true);
    assert_eq!(before["impersonation"]["active"], true);
    assert_eq!(before["impersonation"]["actor"]["username"], "acme-admin");
    assert_eq!(
        before["impersonation"]["reason"],
        "checking a billing report"
    );

    let id = session["impersonation"]["id"].as_str().unwrap();
    assert_eq!(f.stop_as("acme-admin", id).await.0, 200);
    let (status, after) = f.check(&token).await;
    assert_eq!(status, 200);
    assert_eq!(
        after["valid"], false,
        "a stopped impersonation reads inactive at once"
    );
    assert_eq!(after["impersonation"]["status"], "ended");

    let (status, own) = f.check(&f.world.id_token("acme-admin")).await;
    assert_eq!(
        (status, &own["valid"], &own["impersonation"]),
        (200, &json!(true), &Value::Null)
    );
    assert_eq!(f.check("garbage").await.0, 401);
}

#[tokio::test]
async fn stop_revokes_once_ends_and_is_harmless_twice() {
    let f = fixture().await;
    let (_, session) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let id = session["impersonation"]["id"].as_str().unwrap();
    let (status, stopped) = f.stop_as("acme-admin", id).await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["impersonation"]["active"], false);
    assert!(stopped["impersonation"]["ended_at"].is_string());
    let refresh = session["session"]["refreshToken"].as_str().unwrap();
    assert!(
        f.world
            .identity
            .revoked
            .lock()
            .unwrap()
            .iter()
            .any(|t| t == refresh),
        "revoked in Cognito"
    );
    assert_eq!(
        f.stop_as("acme-admin", id).await.0,
        200,
        "stopping twice is harmless"
    );
    let stored = f.world.store.get(id).await.unwrap().unwrap();
    assert!(
        stored.revoked_at.is_some(),
        "the revoke is recorded, so cleanup does not retry it"
    );
    assert_eq!(f.stop_as("acme-admin", "no-such-id").await.0, 404);
}

#[tokio::test]
async fn who_may_stop_an_impersonation() {
    let f = fixture().await;
    let (_, session) = f
        .call(f.username_event("acme-operator", "acme-support-1"))
        .await;
    let id = session["impersonation"]["id"].as_str().unwrap().to_string();
    for (caller, expected) in [
        ("acme-support-2", 403),
        ("acme-team-admin", 403),
        ("globex-admin", 404),
        ("acme-admin", 200),
    ] {
        assert_eq!(f.stop_as(caller, &id).await.0, expected, "{caller}");
    }
    let (_, by_admin) = f
        .call(f.username_event("acme-admin", "acme-support-2"))
        .await;
    let id = by_admin["impersonation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        f.stop_as("acme-operator", &id).await.0,
        403,
        "an operator cannot stop an admin's"
    );
    assert_eq!(
        f.stop_as("acme-super", &id).await.0,
        200,
        "a super-admin can"
    );
}

#[tokio::test]
async fn an_impersonated_session_signs_itself_out() {
    let f = fixture().await;
    let (_, session) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let mut ev = event("sign-out.json");
    bearer(&mut ev, &f.impersonated_token(&session));
    let (status, body) = f.call_route(Route::Stop, ev.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["impersonation"]["status"], "ended");
    assert_eq!(f.call_route(Route::Stop, ev).await.0, 200, "twice");

    let mut own = event("sign-out.json");
    bearer(&mut own, &f.world.id_token("acme-admin"));
    assert_eq!(
        f.call_route(Route::Stop, own).await.0,
        403,
        "not an impersonated session"
    );
}

impl Fixture {
    /// `GET /auth/impersonations` as `caller` with query parameters; the listed ids.
    async fn list(&self, caller: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let mut ev = event("list-impersonations.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["queryStringParameters"] = Value::Null;
        ev["multiValueQueryStringParameters"] = Value::Null;
        for (name, value) in params {
            set_query(&mut ev, name, value);
        }
        self.call_route(Route::List, ev).await
    }

    async fn started(&self, actor: &str, target: &str) -> String {
        let mut ev = self.username_event(actor, target);
        if actor.starts_with("globex") {
            set_header(&mut ev, "X-API-Key", Some(&self.globex_key));
        }
        let (status, session) = self.call(ev).await;
        assert_eq!(status, 200, "{session}");
        session["impersonation"]["id"].as_str().unwrap().to_string()
    }
}

fn ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["impersonations"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn listings_are_scoped_to_the_caller() {
    let f = fixture().await;
    let by_admin = f.started("acme-admin", "acme-support-1").await;
    let by_operator = f.started("acme-operator", "acme-sales-1").await;
    let in_globex = f.started("globex-admin", "globex-user").await;
    let by_super = f.started("acme-super", "acme-support-2").await;

    assert_eq!(
        ids(&f.list("acme-super", &[]).await.1),
        sorted(vec![
            by_admin.clone(),
            by_operator.clone(),
            in_globex.clone(),
            by_super.clone()
        ])
    );
    assert_eq!(
        ids(&f.list("acme-admin", &[]).await.1),
        sorted(vec![
            by_admin.clone(),
            by_operator.clone(),
            by_super.clone()
        ])
    );
    assert_eq!(
        ids(&f.list("globex-admin", &[]).await.1),
        vec![in_globex.clone()]
    );
    assert!(
        ids(&f.list("acme-team-admin", &[]).await.1).is_empty(),
        "started nothing"
    );
    assert!(
        ids(&f.list("acme-support-2", &[("actor", "acme-admin")]).await.1).is_empty(),
        "a user sees only their own"
    );
    assert_eq!(
        ids(&f.list("acme-support-1", &[("target", "me")]).await.1),
        vec![by_admin.clone()],
        "target=me"
    );
    assert_eq!(
        ids(&f.list("acme-admin", &[("actor", "acme-operator")]).await.1),
        vec![by_operator.clone()]
    );
    assert_eq!(
        ids(&f.list("acme-super", &[("target", "globex-user")]).await.1),
        vec![in_globex.clone()]
    );

    assert_eq!(f.stop_as("acme-admin", &by_admin).await.0, 200);
    let active = f.list("acme-admin", &[("active", "true")]).await.1;
    assert_eq!(
        ids(&active),
        sorted(vec![by_operator.clone(), by_super.clone()])
    );
    assert_eq!(
        ids(&f.list("acme-admin", &[("active", "false")]).await.1),
        vec![by_admin.clone()]
    );
    assert!(
        ids(&f.list("acme-admin", &[("since", "4102444800000")]).await.1).is_empty(),
        "since 2100"
    );
    assert_eq!(
        ids(&f
            .list("acme-admin", &[("since", "2000-01-01T00:00:00Z")])
            .await
            .1)
        .len(),
        3
    );

    for (name, params) in [
        ("active", [("active", "maybe")]),
        ("since", [("since", "yesterday")]),
        ("token", [("nextToken", "zzz")]),
    ] {
        assert_eq!(f.list("acme-admin", &params).await.0, 400, "{name}");
    }
}

#[tokio::test]
async fn every_attempt_is_audited_with_its_origin() {
    use crate::ports::audit::AuditStore;
    let f = fixture().await;
    let id = f.started("acme-admin", "acme-support-1").await;
    assert_eq!(
        f.call(f.username_event("acme-support-2", "acme-support-1"))
            .await
            .0,
        403
    );
    assert_eq!(f.stop_as("acme-admin", &id).await.0, 200);
    assert_eq!(
        f.stop_as("acme-admin", &id).await.0,
        200,
        "a second stop changes nothing"
    );
    let (_, token) = f.sys_token("acme-operator", Some("acme-sales-1")).await;
    let (_, session) = f.sys_exchange(token["token"].as_str().unwrap()).await;
    let revert_token = session["impersonator_revert_token"].clone();
    let mut revert = event("revert.json");
    revert["body"] = json!(json!({"impersonator_revert_token": revert_token}).to_string());
    let session_token = f.world.impersonated_access_token(
        "acme-sales-1",
        "acme-operator",
        session["impersonation"]["id"].as_str().unwrap(),
    );
    set_header(
        &mut revert,
        "Authorization",
        Some(&format!("Bearer {session_token}")),
    );
    assert_eq!(f.call_route(Route::Revert, revert).await.0, 200);

    let records = f
        .world
        .store
        .audit_for_tenant(Some("acme"), 0)
        .await
        .unwrap();
    let events: Vec<&str> = records.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "started",
            "denied",
            "stopped",
            "token_issued",
            "exchanged",
            "reverted"
        ]
    );

    let started = &records[0];
    assert_eq!(started.actor_username.as_deref(), Some("acme-admin"));
    assert_eq!(started.target_username.as_deref(), Some("acme-support-1"));
    assert_eq!(started.impersonation_id.as_deref(), Some(id.as_str()));
    assert_eq!(started.reason.as_deref(), Some("checking a billing report"));
    assert_eq!(started.source_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(started.user_agent.as_deref(), Some("curl/8.5.0"));
    assert_eq!(started.outcome, "success");

    let denied = &records[1];
    assert_eq!(denied.outcome, "denied");
    assert_eq!(denied.cause.as_deref(), Some("role_not_permitted"));
    assert_eq!(denied.actor_username.as_deref(), Some("acme-support-2"));
    assert_eq!(denied.target_username.as_deref(), Some("acme-support-1"));

    assert_eq!(records[2].cause.as_deref(), Some("stopped by acme-admin"));
    assert_eq!(records[3].target_username.as_deref(), Some("acme-sales-1"));
    // What the audit table's stream delivers is what gets published, once per record.
    let batch = crate::app::publish_events::tests::stream_batch(&records);
    let publisher = crate::testkit::memory::MemoryPublisher::default();
    crate::app::publish_events::publish_stream_batch(
        &publisher,
        &batch,
        crate::adapters::aws::dynamodb::audit::record_from_image,
    )
    .await
    .unwrap();
    let published = publisher.published.lock().unwrap().clone();
    assert_eq!(
        published, records,
        "each record is published once, as written"
    );
}

#[tokio::test]
async fn the_session_endpoint_event_refreshes_in_cognitos_protocol() {
    let f = fixture().await;
    let (_, session) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let with = |target: &str, refresh: &str| {
        let mut ev = event("cognito-endpoint.json");
        set_header(&mut ev, "X-Amz-Target", Some(target));
        ev["body"] = json!(json!({
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": IMPERSONATION_CLIENT,
            "AuthParameters": {"REFRESH_TOKEN": refresh},
        })
        .to_string());
        ev
    };
    let refresh = session["session"]["refreshToken"].as_str().unwrap();
    let initiate = "AWSCognitoIdentityProviderService.InitiateAuth";
    let (status, body) = f
        .call_route(Route::CognitoEndpoint, with(initiate, refresh))
        .await;
    assert_eq!(status, 200, "{body}");
    let id = session["impersonation"]["id"].as_str().unwrap();
    assert!(body["AuthenticationResult"]["IdToken"]
        .as_str()
        .is_some_and(|t| t.contains(id)));
    assert_eq!(body["AuthenticationResult"]["TokenType"], "Bearer");

    let (status, body) = f
        .call_route(Route::CognitoEndpoint, event("cognito-endpoint.json"))
        .await;
    assert_eq!(status, 401, "the placeholder token is no session's: {body}");
    assert_eq!(body["__type"], "NotAuthorizedException");
    assert_eq!(body["status"], "error");

    let update = "AWSCognitoIdentityProviderService.UpdateUserAttributes";
    let (status, body) = f
        .call_route(Route::CognitoEndpoint, with(update, refresh))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = f
        .call_route(Route::CognitoEndpoint, with("Nonsense", refresh))
        .await;
    assert_eq!(status, 400);
}

#[test]
fn the_fallback_event_gets_405_with_allow() {
    let request = lambda_http::request::from_str(&event("route-fallback.json").to_string())
        .expect("a REST event");
    let response = crate::http::routes::no_route(&request);
    assert_eq!(response.status(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST, DELETE")
    );
}

#[test]
fn an_event_with_a_control_byte_in_a_header_is_a_bad_request() {
    let mut ev = event("token-check.json");
    set_header(&mut ev, "X-Probe", Some("a\u{1}b"));
    assert!(matches!(
        crate::http::runtime::request_from_event(ev),
        Err(ActasError::BadRequest(_))
    ));
    assert!(crate::http::runtime::request_from_event(event("token-check.json")).is_ok());
}

#[tokio::test]
async fn the_publish_events_event_publishes_its_record() {
    let publisher = crate::testkit::memory::MemoryPublisher::default();
    let published = crate::app::publish_events::publish_stream_batch(
        &publisher,
        &event("publish-events.json"),
        crate::adapters::aws::dynamodb::audit::record_from_image,
    )
    .await
    .unwrap();
    assert_eq!(published, 1);
    let records = publisher.published.lock().unwrap().clone();
    assert_eq!(records[0].id, "EVENT_RECORD_ID");
    assert_eq!(records[0].detail_type(), "Impersonation Started");
    assert_eq!(records[0].tenant.as_deref(), Some("EVENT_TENANT"));
}

/// Issue 10: every dialect takes `mode`; the default is read-only; a role not allowed `full`
/// gets 403; the mode is stored with the grant and read back by the token check and the list.
#[tokio::test]
async fn every_dialect_takes_a_mode_and_keeps_it() {
    let f = fixture().await;
    let mode_of = |body: &Value| body["impersonation"]["mode"].clone();

    // Seed 001 (body) and seed 000 (query).
    let (status, default) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!((status, mode_of(&default)), (200, json!("read_only")));
    let mut full = f.username_event("acme-admin", "acme-support-1");
    full["body"] =
        json!(json!({"username": "acme-support-1", "reason": "r", "mode": "full"}).to_string());
    let (status, full) = f.call(full).await;
    assert_eq!((status, mode_of(&full)), (200, json!("full")), "{full}");
    let mut by_uuid = event("impersonate-uuid.json");
    bearer(&mut by_uuid, &f.world.id_token("acme-operator"));
    set_query(&mut by_uuid, "uuid", &f.world.user("acme-support-2").sub);
    set_query(&mut by_uuid, "mode", "full");
    let (status, body) = f.call(by_uuid).await;
    assert_eq!((status, mode_of(&body)), (200, json!("full")), "{body}");

    // Seed 002: team admins look only; their default works.
    let mut asked_full = event("coworker-impersonate.json");
    bearer(&mut asked_full, &f.world.id_token("acme-team-admin"));
    asked_full["pathParameters"] = json!({"coworkerId": "acme-support-1"});
    set_query(&mut asked_full, "reason", "r");
    set_query(&mut asked_full, "mode", "full");
    let (status, refused) = f.call_route(Route::CoworkerImpersonate, asked_full).await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("read-only"));
    let (_, token) = f.public_token("acme-team-admin", "acme-support-1").await;
    let (status, session) = f.login(token["token"].as_str().unwrap()).await;
    assert_eq!((status, mode_of(&session)), (200, json!("read_only")));

    // Seed 003: the mode asked for at the token travels to the session.
    let mut sys = event("sys-impersonate.json");
    bearer(&mut sys, &f.world.id_token("acme-operator"));
    set_query(&mut sys, "coworkerId", "acme-sales-1");
    set_query(&mut sys, "reason", "r");
    set_query(&mut sys, "mode", "full");
    let (_, token) = f.call_route(Route::SysImpersonate, sys).await;
    let (status, session) = f.sys_exchange(token["token"].as_str().unwrap()).await;
    assert_eq!(
        (status, mode_of(&session)),
        (200, json!("full")),
        "{session}"
    );

    // Stored, and read back by the token check and the list.
    let id = full["impersonation"]["id"].as_str().unwrap();
    let stored = f.world.store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.mode, crate::domain::mode::Mode::Full);
    let (_, check) = f.check(&f.impersonated_token(&full)).await;
    assert_eq!(check["impersonation"]["mode"], "full");
    let (_, check) = f.check(&f.impersonated_token(&default)).await;
    assert_eq!(check["impersonation"]["mode"], "read_only");
    let (_, list) = f.list("acme-super", &[]).await;
    let listed: Vec<(String, String)> = list["impersonations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().into(),
                i["mode"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        listed.contains(&(id.to_string(), "full".to_string())),
        "{list}"
    );

    // Bad values: a wrong name is 422, a wrong type 400; neither starts anything.
    let before = f.list("acme-super", &[]).await.1["impersonations"]
        .as_array()
        .unwrap()
        .len();
    for (mode, expected) in [(json!("admin"), 422), (json!("FULL"), 422), (json!(1), 400)] {
        let mut ev = f.username_event("acme-admin", "acme-support-1");
        ev["body"] =
            json!(json!({"username": "acme-support-1", "reason": "r", "mode": mode}).to_string());
        let (status, body) = f.call(ev).await;
        assert_eq!(status, expected, "{mode}: {body}");
        assert_eq!(body["status"], "error");
    }
    let after = f.list("acme-super", &[]).await.1["impersonations"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused mode starts nothing");
}

/// Issue 11: `GET /auth/me` tells a console what to show.
#[tokio::test]
async fn me_says_who_may_act_as_whom_and_in_which_modes() {
    let f = fixture().await;
    let me_as = |token: String| {
        let mut ev = event("me.json");
        bearer(&mut ev, &token);
        ev
    };
    // (caller, may act as, modes)
    let cases = [
        ("acme-admin", true, json!(["read_only", "full"])),
        ("acme-operator", true, json!(["read_only", "full"])),
        ("acme-team-admin", true, json!(["read_only"])),
        ("acme-support-1", false, json!([])),
    ];
    for (caller, may_act_as, modes) in cases {
        let (status, body) = f
            .call_route(Route::Me, me_as(f.world.id_token(caller)))
            .await;
        assert_eq!(status, 200, "{caller}: {body}");
        assert_eq!(body["username"], caller);
        assert_eq!(body["may_act_as"], may_act_as, "{caller}");
        assert_eq!(body["modes"], modes, "{caller}");
        assert_eq!(body["default_mode"], "read_only");
        assert_eq!(body["impersonated"], false);
    }
    let (_, session) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let (status, body) = f
        .call_route(Route::Me, me_as(f.impersonated_token(&session)))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["impersonated"], &body["may_act_as"], &body["modes"]),
        (&json!(true), &json!(false), &json!([])),
        "an impersonated session starts nothing"
    );
    let mut anonymous = event("me.json");
    set_header(&mut anonymous, "Authorization", None);
    assert_eq!(f.call_route(Route::Me, anonymous).await.0, 401);
}

impl Fixture {
    async fn audit(&self, caller: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let mut ev = event("audit-log.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["queryStringParameters"] = Value::Null;
        ev["multiValueQueryStringParameters"] = Value::Null;
        for (name, value) in params {
            set_query(&mut ev, name, value);
        }
        self.call_route(Route::Audit, ev).await
    }
}

fn events_of(body: &Value) -> Vec<(String, String, String)> {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["event"].as_str().unwrap().to_string(),
                r["actor"]["username"].as_str().unwrap_or("-").to_string(),
                r["tenant"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

/// Issue 11: `GET /auth/audit` is scoped like the listing, filtered, newest first.
#[tokio::test]
async fn the_audit_trail_is_scoped_filtered_and_newest_first() {
    let f = fixture().await;
    let by_admin = f.started("acme-admin", "acme-support-1").await;
    f.started("acme-operator", "acme-sales-1").await;
    f.started("globex-admin", "globex-user").await;
    assert_eq!(f.stop_as("acme-admin", &by_admin).await.0, 200);
    // A team admin's own start, through seed 002.
    let (_, token) = f.public_token("acme-team-admin", "acme-support-2").await;
    assert_eq!(f.login(token["token"].as_str().unwrap()).await.0, 200);

    let (status, all) = f.audit("acme-super", &[]).await;
    assert_eq!(status, 200, "{all}");
    let tenants: Vec<String> = events_of(&all).into_iter().map(|(_, _, t)| t).collect();
    assert!(tenants.contains(&"globex".to_string()) && tenants.contains(&"acme".to_string()));
    let times: Vec<&str> = all["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["at"].as_str().unwrap())
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);

    let (_, acme) = f.audit("acme-admin", &[]).await;
    assert!(
        events_of(&acme).iter().all(|(_, _, t)| t == "acme"),
        "{acme}"
    );
    let (_, stopped) = f.audit("acme-admin", &[("event", "stopped")]).await;
    assert_eq!(
        events_of(&stopped),
        vec![("stopped".into(), "acme-admin".into(), "acme".into())]
    );
    assert_eq!(stopped["records"][0]["impersonation_id"], by_admin.as_str());
    assert_eq!(stopped["records"][0]["mode"], "read_only");
    let (_, by_operator) = f.audit("acme-admin", &[("actor", "acme-operator")]).await;
    assert!(!events_of(&by_operator).is_empty());
    assert!(events_of(&by_operator)
        .iter()
        .all(|(_, a, _)| a == "acme-operator"));

    // Every start, whatever dialect made it: the one-step starts and the team admin's
    // exchanged two-step token, never the token's issue.
    let (_, starts) = f.audit("acme-admin", &[("event", "starts")]).await;
    let kinds: Vec<String> = events_of(&starts).into_iter().map(|(e, _, _)| e).collect();
    assert!(kinds.contains(&"started".to_string()), "{starts}");
    assert!(kinds.contains(&"exchanged".to_string()), "{starts}");
    assert!(
        kinds.iter().all(|e| e == "started" || e == "exchanged"),
        "{starts}"
    );

    // A team admin reads what they did, whatever they ask for.
    let (_, own) = f.audit("acme-team-admin", &[]).await;
    assert!(!events_of(&own).is_empty());
    assert!(
        events_of(&own)
            .iter()
            .all(|(_, a, _)| a == "acme-team-admin"),
        "{own}"
    );
    let (_, others) = f.audit("acme-team-admin", &[("actor", "acme-admin")]).await;
    assert!(events_of(&others).is_empty());
    // A member reads what was done as them.
    let (_, as_me) = f.audit("acme-support-1", &[("target", "me")]).await;
    assert!(events_of(&as_me)
        .iter()
        .any(|(e, a, _)| e == "started" && a == "acme-admin"));

    for (params, expected) in [
        (vec![("event", "launched")], 400),
        (vec![("since", "yesterday")], 400),
        (vec![("until", "soon")], 400),
        (
            vec![("since", "2000000000000"), ("until", "1000000000000")],
            400,
        ),
        (vec![("since", "99999999999999")], 400),
        (vec![("since", "2999-01-01T00:00:00Z")], 400),
    ] {
        let (status, body) = f.audit("acme-admin", &params).await;
        assert_eq!(status, expected, "{params:?}: {body}");
        assert_eq!(body["status"], "error");
    }
    let (_, later) = f
        .audit("acme-admin", &[("since", "2200-01-01T00:00:00Z")])
        .await;
    assert!(events_of(&later).is_empty());
}

/// Issue 12, through the events and handlers: settings make starts wait (202); another admin
/// approves; the requester's next start redeems the approval once; a protected account needs
/// approval by default.
#[tokio::test]
async fn a_start_waits_for_approval_and_redeems_it_once() {
    let f = fixture().await;
    let mut change = event("settings.json");
    bearer(&mut change, &f.world.id_token("acme-admin"));
    let (status, settings) = f.call_route(Route::Settings, change).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["approval"]["always"], true);
    let mut bad = event("settings.json");
    bearer(&mut bad, &f.world.id_token("acme-admin"));
    bad["body"] = json!(json!({"approval": {"sometimes": true}}).to_string());
    assert_eq!(f.call_route(Route::Settings, bad).await.0, 422);
    let mut by_operator = event("settings.json");
    bearer(&mut by_operator, &f.world.id_token("acme-operator"));
    assert_eq!(f.call_route(Route::Settings, by_operator).await.0, 403);

    let start = || f.username_event("acme-operator", "acme-support-1");
    let (status, waiting) = f.call(start()).await;
    assert_eq!(status, 202, "{waiting}");
    assert_eq!(waiting["approval"], "pending");
    let id = waiting["id"].as_str().unwrap().to_string();
    assert_eq!(f.call(start()).await.1["id"], json!(id), "the same request");

    let decide = |who: &str| {
        let mut ev = event("requests-approve.json");
        bearer(&mut ev, &f.world.id_token(who));
        ev["pathParameters"] = json!({"id": id});
        ev["path"] = json!(format!("/auth/requests/{id}/approve"));
        ev
    };
    assert_eq!(
        f.call_route(Route::Requests, decide("acme-operator"))
            .await
            .0,
        403,
        "self"
    );
    let (status, approved) = f.call_route(Route::Requests, decide("acme-admin")).await;
    assert_eq!(
        (status, &approved["status"]),
        (200, &json!("approved")),
        "{approved}"
    );
    assert_eq!(
        f.call_route(Route::Requests, decide("acme-super")).await.0,
        409,
        "once"
    );

    let (status, session) = f.call(start()).await;
    assert_eq!(status, 200, "{session}");
    let (status, again) = f.call(start()).await;
    assert_eq!(
        status, 202,
        "used: a new request, not a second session: {again}"
    );
    assert_ne!(again["id"], json!(id));
}

#[tokio::test]
async fn protecting_an_account_makes_its_starts_wait() {
    let f = fixture().await;
    let mut protect = event("protection.json");
    bearer(&mut protect, &f.world.id_token("acme-support-1"));
    let (status, body) = f.call_route(Route::Protection, protect).await;
    assert_eq!((status, &body["protected"]), (200, &json!(true)), "{body}");
    let (status, waiting) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!(
        status, 202,
        "a protected account needs approval by default: {waiting}"
    );
    let (status, _) = f
        .call(f.username_event("acme-admin", "acme-support-2"))
        .await;
    assert_eq!(status, 200, "others do not");
}
