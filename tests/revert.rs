//! Seed 000's revert against the deployed stack, and refresh of impersonated sessions: a
//! refresh keeps `act` while the impersonation lives and fails once it is reverted.

use actas_integration_tests::{assert_error, jwt_claims, Harness};
use serde_json::json;

#[tokio::test]
async fn revert_ends_the_impersonation_and_returns_the_actors_own_session() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", Some("support")).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    let impersonated_refresh = payload["session"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let imp_client = h.stack.impersonation_client_id.clone();

    // While it lives, the impersonated session refreshes with Cognito directly and keeps `act`.
    let refreshed = h
        .refresh(&imp_client, &impersonated_refresh)
        .await
        .expect("refresh while live");
    let claims = jwt_claims(&refreshed).unwrap();
    assert_eq!(claims["sub"], target.sub.as_str());
    assert_eq!(claims["act"]["username"], "acme-admin");
    assert_eq!(claims["impersonation_id"], payload["impersonation"]["id"]);

    let revert_token = payload["impersonator_revert_token"]
        .as_str()
        .unwrap()
        .to_string();
    let own = h
        .post(
            "/auth/impersonate/revert",
            &json!({"impersonator_revert_token": revert_token}),
        )
        .await;
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
        h.refresh(&imp_client, &impersonated_refresh).await.is_err(),
        "the impersonated session is over"
    );
    let own_refresh = own.body["session"]["refreshToken"].as_str().unwrap();
    let renewed = h
        .refresh(own.body["clientId"].as_str().unwrap(), own_refresh)
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

    let hr = &h;
    let revert = |token: serde_json::Value| async move {
        hr.post(
            "/auth/impersonate/revert",
            &json!({"impersonator_revert_token": token}),
        )
        .await
    };
    assert_error(&revert(json!(revert_token)).await, 401, "used twice");
    let forged = format!(
        "{}.not-the-secret",
        payload["impersonation"]["id"].as_str().unwrap()
    );
    assert_error(&revert(json!(forged)).await, 401, "forged");
    assert_error(&revert(json!("no-dot")).await, 401, "malformed");
    assert_error(
        &h.post("/auth/impersonate/revert", &json!({})).await,
        400,
        "missing",
    );
}

#[tokio::test]
async fn a_second_actor_is_told_who_holds_the_target() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    h.impersonate_ok("acme-admin", &target.username).await;
    let operator = h.id_token("acme-operator").await;
    let response = h
        .impersonate(
            Some(&operator),
            Some(&h.api_key("acme")),
            &json!({"username": target.username, "reason": "integration test"}).to_string(),
        )
        .await;
    assert_error(&response, 409, "second actor");
    assert!(
        response.body["message"]
            .as_str()
            .unwrap()
            .contains("acme-admin"),
        "{}",
        response.body
    );
    h.impersonate_ok("acme-admin", &target.username).await;
}

#[tokio::test]
async fn refresh_fails_once_the_actor_is_demoted_or_disabled() {
    let h = Harness::new().await;
    let pool = h.stack.user_pool_id.clone();
    let imp_client = h.stack.impersonation_client_id.clone();
    for change in ["demote", "disable"] {
        let actor = h.fresh_user("operator", "acme", None).await;
        let target = h.fresh_user("user", "acme", None).await;
        let bearer = h.id_token_of(&actor).await;
        let body = json!({"username": target.username, "reason": "integration test"}).to_string();
        let session = h
            .impersonate(Some(&bearer), Some(&h.api_key("acme")), &body)
            .await;
        assert_eq!(session.status, 200, "{}", session.body);
        let refresh_token = session.body["session"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            h.refresh(&imp_client, &refresh_token).await.is_ok(),
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
            h.refresh(&imp_client, &refresh_token).await.is_err(),
            "{change}: refresh must fail"
        );
    }
}
