//! After the start, against the deployed stack: the token check, stopping by id (who may),
//! the impersonated session signing itself out, and what Cognito does with a stopped session.

use actas_integration_tests::{assert_error, Harness};

/// Does Cognito itself still accept this access token? (`GetUser` takes one.)
async fn cognito_accepts(h: &Harness, access_token: &str) -> bool {
    h.cognito
        .get_user()
        .access_token(access_token)
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn a_stop_reads_inactive_at_once_and_revokes_the_session() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let session = h.impersonate_ok("acme-admin", &target.username).await;
    let id_token = session["session"]["authorization"]
        .as_str()
        .unwrap()
        .to_string();
    let access_token = session["session"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh_token = session["session"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let id = session["impersonation"]["id"].as_str().unwrap().to_string();

    let before = h.get("/auth/token", Some(&access_token)).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["valid"], true);
    assert_eq!(before.body["impersonation"]["id"], id.as_str());
    assert_eq!(
        before.body["impersonation"]["actor"]["username"],
        "acme-admin"
    );
    assert_eq!(before.body["impersonation"]["reason"], "integration test");
    assert!(
        cognito_accepts(&h, &access_token).await,
        "control: Cognito accepts it before"
    );

    let stopped = h
        .delete(
            &format!("/auth/impersonations/{id}"),
            &h.id_token("acme-admin").await,
        )
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    assert_eq!(stopped.body["impersonation"]["active"], false);

    let after = h.get("/auth/token", Some(&id_token)).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.body["valid"], false, "inactive at once, before exp");
    assert!(
        h.refresh(&h.stack.impersonation_client_id, &refresh_token)
            .await
            .is_err(),
        "no refresh"
    );
    assert!(
        !cognito_accepts(&h, &access_token).await,
        "Cognito refuses its access tokens"
    );

    let again = h
        .delete(
            &format!("/auth/impersonations/{id}"),
            &h.id_token("acme-admin").await,
        )
        .await;
    assert_eq!(again.status, 200, "stopping twice is harmless");
    assert_error(
        &h.delete(
            "/auth/impersonations/no-such-id",
            &h.id_token("acme-admin").await,
        )
        .await,
        404,
        "unknown",
    );
    assert_error(
        &h.get("/auth/token", Some("garbage")).await,
        401,
        "garbage token",
    );
}

#[tokio::test]
async fn who_may_stop_an_impersonation() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let by_operator = h.impersonate_ok("acme-operator", &target.username).await;
    let path = format!(
        "/auth/impersonations/{}",
        by_operator["impersonation"]["id"].as_str().unwrap()
    );
    for caller in ["acme-support-2", "acme-team-admin", "globex-admin"] {
        assert_error(
            &h.delete(&path, &h.id_token(caller).await).await,
            403,
            caller,
        );
    }
    assert_eq!(
        h.delete(&path, &h.id_token("acme-admin").await)
            .await
            .status,
        200,
        "an admin above the operator"
    );

    let other = h.fresh_user("user", "acme", None).await;
    let by_admin = h.impersonate_ok("acme-admin", &other.username).await;
    let path = format!(
        "/auth/impersonations/{}",
        by_admin["impersonation"]["id"].as_str().unwrap()
    );
    assert_error(
        &h.delete(&path, &h.id_token("acme-operator").await).await,
        403,
        "operator vs admin",
    );
    assert_eq!(
        h.delete(&path, &h.id_token("acme-super").await)
            .await
            .status,
        200,
        "a super-admin"
    );
}

#[tokio::test]
async fn the_impersonated_session_signs_itself_out() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let session = h.impersonate_ok("acme-admin", &target.username).await;
    let access_token = session["session"]["accessToken"].as_str().unwrap();
    let refresh_token = session["session"]["refreshToken"].as_str().unwrap();
    let signed_out = h.delete("/auth/impersonate", access_token).await;
    assert_eq!(signed_out.status, 200, "{}", signed_out.body);
    assert_eq!(signed_out.body["impersonation"]["status"], "ended");
    assert!(h
        .refresh(&h.stack.impersonation_client_id, refresh_token)
        .await
        .is_err());
    assert_error(
        &h.delete("/auth/impersonate", &h.id_token("acme-admin").await)
            .await,
        403,
        "not an impersonation",
    );
}
