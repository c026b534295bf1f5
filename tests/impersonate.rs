//! `POST /auth/impersonate` against the deployed local stack: the happy paths of seeds 001 and
//! 000, and every refusal with its status and error shape.

use actas_integration_tests::{assert_error, now_millis, Harness};
use serde_json::json;

#[tokio::test]
async fn an_admin_impersonates_a_user_of_their_tenant() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", Some("support")).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    let admin = h.user("acme-admin");

    for token in ["authorization", "accessToken"] {
        let verified = h
            .verify_impersonated(payload["session"][token].as_str().unwrap())
            .await;
        assert_eq!(verified.sub, target.sub, "{token}: sub is the target's");
        let act = verified.act.as_ref().expect("an act claim");
        assert_eq!(
            act["sub"],
            admin.sub.as_str(),
            "{token}: act.sub is the admin's"
        );
        assert_eq!(act["username"], "acme-admin");
        assert_eq!(
            verified.impersonation_id.as_deref(),
            payload["impersonation"]["id"].as_str()
        );
    }
    let expire_epoch = payload["session"]["expireEpoch"]
        .as_i64()
        .expect("a number");
    let now = now_millis();
    assert!(
        expire_epoch > now && expire_epoch < now + 2 * 3600 * 1000,
        "milliseconds, in the future: {expire_epoch}"
    );
    assert_eq!(payload["username"], target.username.as_str());
    assert_eq!(payload["userPoolId"], h.stack.user_pool_id.as_str());
    assert_eq!(
        payload["clientId"],
        h.stack.impersonation_client_id.as_str()
    );
    assert_eq!(payload["token"], payload["session"]["authorization"]);
    assert!(payload.get("password").is_none());
    assert!(payload["session"]["refreshToken"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn seed_000_impersonates_by_sub_without_an_api_key() {
    let h = Harness::new().await;
    let token = h.id_token("acme-operator").await;
    let target = h.fresh_user("user", "acme", Some("sales")).await;
    let response = h
        .post_impersonate(
            &format!(
                "/auth/impersonate?uuid={}&reason=integration+test",
                target.sub
            ),
            Some(&token),
            None,
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["username"], target.username.as_str());
    assert_eq!(response.body["role"], "User");
    let verified = h
        .verify_impersonated(response.body["token"].as_str().unwrap())
        .await;
    assert_eq!(verified.sub, target.sub);
}

#[tokio::test]
async fn a_super_admin_crosses_tenants() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "globex", None).await;
    let payload = h.impersonate_ok("acme-super", &target.username).await;
    assert_eq!(payload["username"], target.username.as_str());
}

#[tokio::test]
async fn every_refusal_has_its_status_and_the_error_shape() {
    let h = Harness::new().await;
    let acme = h.api_key("acme");
    let globex = h.api_key("globex");
    let admin = h.id_token("acme-admin").await;
    let operator = h.id_token("acme-operator").await;
    let user = h.id_token("acme-support-2").await;
    let team_admin = h.id_token("acme-team-admin").await;
    let expired_admin = {
        // A real token with its payload edited: a downstream service must refuse it as well.
        let parts: Vec<&str> = admin.split('.').collect();
        let mut claims = actas_integration_tests::jwt_claims(&admin).unwrap();
        claims["exp"] = json!(1_000_000_000);
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{}.{}.{}", parts[0], body, parts[2])
    };
    let held = h.fresh_user("user", "acme", Some("support")).await;
    let impersonated = h.impersonate_ok("acme-super", &held.username).await["session"]
        ["authorization"]
        .as_str()
        .unwrap()
        .to_string();
    let body = |target: &str| json!({"username": target, "reason": "integration test"}).to_string();

    // (case, bearer, API key, body, expected status)
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, String, u16);
    let cases: Vec<Case> = vec![
        ("no token", None, Some(&acme), body("acme-support-1"), 401),
        (
            "garbage token",
            Some("garbage"),
            Some(&acme),
            body("acme-support-1"),
            401,
        ),
        (
            "edited (expired) token",
            Some(&expired_admin),
            Some(&acme),
            body("acme-support-1"),
            401,
        ),
        (
            "plain user",
            Some(&user),
            Some(&acme),
            body("acme-support-1"),
            403,
        ),
        (
            "team admin",
            Some(&team_admin),
            Some(&acme),
            body("acme-support-1"),
            403,
        ),
        (
            "other tenant: not found, like an unknown user",
            Some(&admin),
            Some(&acme),
            body("globex-user"),
            404,
        ),
        (
            "higher rank",
            Some(&admin),
            Some(&acme),
            body("acme-super"),
            403,
        ),
        (
            "equal rank",
            Some(&operator),
            Some(&acme),
            body("acme-operator"),
            403,
        ),
        (
            "operator to admin",
            Some(&operator),
            Some(&acme),
            body("acme-admin"),
            403,
        ),
        ("self", Some(&admin), Some(&acme), body("acme-admin"), 403),
        (
            "disabled target",
            Some(&admin),
            Some(&acme),
            body("acme-disabled"),
            403,
        ),
        (
            "unknown user",
            Some(&admin),
            Some(&acme),
            body("no-such-user"),
            404,
        ),
        (
            "malformed JSON",
            Some(&admin),
            Some(&acme),
            "{\"username\":".to_string(),
            400,
        ),
        (
            "neither username nor uuid",
            Some(&admin),
            Some(&acme),
            "{}".to_string(),
            400,
        ),
        (
            "missing API key",
            Some(&admin),
            None,
            body("acme-support-1"),
            403,
        ),
        (
            "wrong API key",
            Some(&admin),
            Some("actas.0000.wrong"),
            body("acme-support-1"),
            403,
        ),
        (
            "other tenant's API key",
            Some(&admin),
            Some(&globex),
            body("acme-support-1"),
            403,
        ),
        (
            "token of an impersonated session",
            Some(&impersonated),
            Some(&acme),
            body("acme-support-1"),
            403,
        ),
    ];
    for (name, bearer, key, body, status) in cases {
        let response = h.impersonate(bearer, key, &body).await;
        assert_error(&response, status, name);
    }
}

#[tokio::test]
async fn a_reason_is_required_and_at_most_500_characters() {
    let h = Harness::new().await;
    let token = h.id_token("acme-admin").await;
    let key = h.api_key("acme");
    let target = h.fresh_user("user", "acme", None).await;
    let long = "x".repeat(501);
    for (name, body) in [
        ("no reason", json!({"username": target.username})),
        (
            "too long",
            json!({"username": target.username, "reason": long}),
        ),
    ] {
        assert_error(
            &h.impersonate(Some(&token), Some(&key), &body.to_string())
                .await,
            422,
            name,
        );
    }
    let operator = h.id_token("acme-operator").await;
    let no_reason = h
        .get(
            &format!("/api/sys/users/impersonate?coworkerId={}", target.username),
            Some(&operator),
        )
        .await;
    assert_error(&no_reason, 422, "sys token without a reason");

    let kept = h
        .impersonate(
            Some(&token),
            Some(&key),
            &json!({"username": target.username, "reason": "r".repeat(500), "ticket": "SUP-9"})
                .to_string(),
        )
        .await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(kept.body["impersonation"]["ticket"], "SUP-9");
    assert_eq!(
        kept.body["impersonation"]["reason"].as_str().map(str::len),
        Some(500)
    );
}
