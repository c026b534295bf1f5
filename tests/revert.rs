//! Seed 000's revert against the deployed stack: it needs the impersonated session it reverts,
//! ends the impersonation (its refresh token refreshes no more) and returns the actor's own
//! session.

use actas_integration_tests::{assert_error, call_api, jwt_claims, Harness};
use serde_json::json;

#[tokio::test]
async fn revert_ends_the_impersonation_and_returns_the_actors_own_session() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", Some("support")).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;

    // While it lives, the impersonated session refreshes through its endpointUrl and keeps `act`.
    let (refreshed, _) = h
        .refresh_session(&payload)
        .await
        .expect("refresh while live");
    let claims = jwt_claims(&refreshed).unwrap();
    assert_eq!(claims["sub"], target.sub.as_str());
    assert_eq!(claims["act"]["username"], "acme-admin");
    assert_eq!(claims["impersonation_id"], payload["impersonation"]["id"]);

    let own = h.revert(&payload).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let admin = h.user("acme-admin");
    assert_eq!(own.body["username"], "acme-admin");
    let own_claims = jwt_claims(own.body["session"]["authorization"].as_str().unwrap()).unwrap();
    assert_eq!(own_claims["sub"], admin.sub.as_str());
    assert!(
        own_claims.get("act").is_none(),
        "the admin's own session has no act: {own_claims}"
    );

    assert!(
        h.refresh_session(&payload).await.is_err(),
        "the impersonated session is over"
    );
    let own_refresh = own.body["session"]["refreshToken"].as_str().unwrap();
    let renewed = h
        .refresh_at_cognito(own.body["clientId"].as_str().unwrap(), own_refresh)
        .await
        .expect("own session refreshes");
    assert_eq!(jwt_claims(&renewed).unwrap()["sub"], admin.sub.as_str());

    // The admin's own session is a normal session: it may impersonate again.
    let again = h
        .impersonate(
            Some(own.body["session"]["authorization"].as_str().unwrap()),
            Some(&h.api_key("acme")),
            &json!({"username": target.username, "reason": "integration test"}).to_string(),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);

    assert_error(&h.revert(&payload).await, 401, "used twice");
    let mut forged = payload.clone();
    forged["impersonator_revert_token"] = json!(format!(
        "{}.not-the-secret",
        payload["impersonation"]["id"].as_str().unwrap()
    ));
    assert_error(&h.revert(&forged).await, 401, "forged");
    forged["impersonator_revert_token"] = json!("no-dot");
    assert_error(&h.revert(&forged).await, 401, "malformed");
    assert_error(
        &h.post("/auth/impersonate/revert", &json!({})).await,
        400,
        "missing",
    );
}

#[tokio::test]
async fn a_bare_revert_token_mints_nothing() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    let body = json!({"impersonator_revert_token": payload["impersonator_revert_token"]});
    assert_error(
        &h.post("/auth/impersonate/revert", &body).await,
        401,
        "without the impersonated session",
    );
    // Another live impersonation's session does not revert this one.
    let other = h.impersonate_ok("acme-operator", &target.username).await;
    let bearer = format!(
        "Bearer {}",
        other["session"]["accessToken"].as_str().unwrap()
    );
    let crossed = call_api(
        &h.http,
        &h.stack,
        "POST",
        "/auth/impersonate/revert",
        &[("Authorization", bearer.as_str())],
        Some(&body.to_string()),
    )
    .await
    .unwrap();
    assert_error(&crossed, 401, "another impersonation's session");
    // The actor's own session is not the impersonated one either.
    let admin = format!("Bearer {}", h.id_token("acme-admin").await);
    let own = call_api(
        &h.http,
        &h.stack,
        "POST",
        "/auth/impersonate/revert",
        &[("Authorization", admin.as_str())],
        Some(&body.to_string()),
    )
    .await
    .unwrap();
    assert_error(&own, 401, "the actor's own session");
    // Nothing was used up: with its session, the revert works.
    assert_eq!(h.revert(&payload).await.status, 200);
    assert!(
        h.refresh_session(&other).await.is_ok(),
        "the other impersonation goes on"
    );
}

#[tokio::test]
async fn refresh_fails_once_the_actor_is_demoted_or_disabled() {
    let h = Harness::new().await;
    let pool = h.stack.user_pool_id.clone();
    for change in ["demote", "disable"] {
        let actor = h.fresh_user("operator", "acme", None).await;
        let target = h.fresh_user("user", "acme", None).await;
        let bearer = h.id_token_of(&actor).await;
        let body = json!({"username": target.username, "reason": "integration test"}).to_string();
        let session = h
            .impersonate(Some(&bearer), Some(&h.api_key("acme")), &body)
            .await;
        assert_eq!(session.status, 200, "{}", session.body);
        assert!(
            h.refresh_session(&session.body).await.is_ok(),
            "{change}: control"
        );
        match change {
            "demote" => {
                let removal = h.cognito.admin_remove_user_from_group().user_pool_id(&pool);
                removal
                    .username(&actor.username)
                    .group_name("operator")
                    .send()
                    .await
                    .unwrap();
            }
            _ => {
                h.cognito
                    .admin_disable_user()
                    .user_pool_id(&pool)
                    .username(&actor.username)
                    .send()
                    .await
                    .unwrap();
            }
        }
        assert!(
            h.refresh_session(&session.body).await.is_err(),
            "{change}: refresh must fail"
        );
    }
}
