//! After the start: revert, the token check, stop, sign-out and the session endpoint.

use super::*;

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
