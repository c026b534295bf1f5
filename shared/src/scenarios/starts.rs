//! Starts in one step (seeds 000 and 001): the payload, bad inputs, the policy's refusals, the reason and the mode.

use super::*;

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
async fn a_deployment_may_make_the_reason_optional() {
    let mut f = fixture().await;
    f.world.policy.reason_required = false;
    let mut ev = f.username_event("acme-admin", "acme-support-1");
    ev["body"] = json!(json!({"username": "acme-support-1"}).to_string());
    let (status, session) = f.call(ev).await;
    assert_eq!(status, 200, "{session}");
    assert!(session["impersonation"]["reason"].is_null());
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
