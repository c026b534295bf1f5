//! After the start, against the deployed stack: the token check, stopping by id (who may),
//! the impersonated session signing itself out, and what Cognito does with a stopped session.

use actas_integration_tests::{assert_error, Harness};
use serde_json::Value;

/// Does the session's `endpointUrl` still accept this access token? (`GetUser` takes one;
/// Cognito itself never does for impersonated sessions: they lack the self-service scope.)
async fn session_endpoint_accepts(h: &Harness, payload: &Value, access_token: &str) -> bool {
    h.session_cognito(payload)
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
        session_endpoint_accepts(&h, &session, &access_token).await,
        "control: accepted before"
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
    assert!(h.refresh_session(&session).await.is_err(), "no refresh");
    assert!(
        !session_endpoint_accepts(&h, &session, &access_token).await,
        "its access tokens are refused"
    );
    let revoked_at = aws_sdk_dynamodb::Client::new(&h.sdk)
        .get_item()
        .table_name(&h.stack.table_name)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("IMP#{id}")),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("IMPERSONATION".into()),
        )
        .send()
        .await
        .unwrap()
        .item()
        .and_then(|item| item.get("revoked_at").cloned());
    assert!(revoked_at.is_some(), "the revoke is recorded");

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
    for (caller, status) in [
        ("acme-support-2", 403),
        ("acme-team-admin", 403),
        // Another tenant's impersonation is not found, like an unknown id.
        ("globex-admin", 404),
    ] {
        assert_error(
            &h.delete(&path, &h.id_token(caller).await).await,
            status,
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
    let signed_out = h.delete("/auth/impersonate", access_token).await;
    assert_eq!(signed_out.status, 200, "{}", signed_out.body);
    assert_eq!(signed_out.body["impersonation"]["status"], "ended");
    assert!(h.refresh_session(&session).await.is_err());
    assert_error(
        &h.delete("/auth/impersonate", &h.id_token("acme-admin").await)
            .await,
        403,
        "not an impersonation",
    );
}

/// Every id listed, following `next_token` to the end.
async fn listed(h: &Harness, bearer: &str, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let path = match &next {
            Some(token) => format!("/auth/impersonations?{query}&nextToken={token}"),
            None => format!("/auth/impersonations?{query}"),
        };
        let page = h.get(&path, Some(bearer)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        ids.extend(
            page.body["impersonations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        match page.body["next_token"].as_str() {
            Some(token) => next = Some(token.to_string()),
            None => {
                ids.sort();
                return ids;
            }
        }
    }
    panic!("the listing did not end");
}

#[tokio::test]
async fn listings_are_scoped_per_role_and_everyone_sees_their_own() {
    let h = Harness::new().await;
    // A tenant of this test's own, so the sets are exact.
    let tenant = format!("tenant-{}", &actas_integration_tests::uuid_like()[..8]);
    let admin = h.fresh_user("admin", &tenant, None).await;
    let operator = h.fresh_user("operator", &tenant, None).await;
    let user = h.fresh_user("user", &tenant, None).await;
    let other = h.fresh_user("user", &tenant, None).await;
    let admin_token = h.id_token_of(&admin).await;
    let operator_token = h.id_token_of(&operator).await;

    // Seed 000's dialect (`?uuid=`) needs no API key, and this tenant has none.
    let start = |bearer: String, target_sub: String| {
        let h = &h;
        async move {
            let path = format!("/auth/impersonate?uuid={target_sub}&reason=integration+test");
            let response = h.post_impersonate(&path, Some(&bearer), None, None).await;
            assert_eq!(response.status, 200, "{}", response.body);
            response.body["impersonation"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let by_admin = start(admin_token.clone(), user.sub.clone()).await;
    let by_operator = start(operator_token.clone(), other.sub.clone()).await;
    let mut both = vec![by_admin.clone(), by_operator.clone()];
    both.sort();

    assert_eq!(
        listed(&h, &admin_token, "active=true").await,
        both,
        "an admin sees the tenant"
    );
    assert_eq!(
        listed(&h, &operator_token, "active=true").await,
        both,
        "so does an operator"
    );
    assert_eq!(
        listed(&h, &h.id_token_of(&user).await, "target=me").await,
        vec![by_admin.clone()],
        "target=me"
    );
    assert!(
        listed(&h, &h.id_token_of(&user).await, "active=true")
            .await
            .is_empty(),
        "a user started nothing"
    );
    assert_eq!(
        listed(&h, &admin_token, &format!("actor={}", operator.username)).await,
        vec![by_operator.clone()]
    );
    let super_sees = listed(
        &h,
        &h.id_token("acme-super").await,
        &format!("target={}", user.sub),
    )
    .await;
    assert_eq!(
        super_sees,
        vec![by_admin.clone()],
        "a super-admin across tenants"
    );
    assert!(
        listed(
            &h,
            &h.id_token("acme-admin").await,
            &format!("target={}", user.sub)
        )
        .await
        .is_empty(),
        "another tenant's admin"
    );

    let stop = h
        .delete(&format!("/auth/impersonations/{by_admin}"), &admin_token)
        .await;
    assert_eq!(stop.status, 200);
    assert_eq!(
        listed(&h, &admin_token, "active=true").await,
        vec![by_operator.clone()]
    );
    assert_eq!(
        listed(&h, &admin_token, "active=false").await,
        vec![by_admin.clone()]
    );
    assert_error(
        &h.get("/auth/impersonations?since=yesterday", Some(&admin_token))
            .await,
        400,
        "bad since",
    );
}

#[tokio::test]
async fn refresh_fails_once_the_hard_end_has_passed() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let session = h.impersonate_ok("acme-admin", &target.username).await;
    assert!(h.refresh_session(&session).await.is_ok(), "control");

    // As if the hour had passed: the record's hard end moves into the past.
    let id = session["impersonation"]["id"].as_str().unwrap();
    let past = (actas_integration_tests::now_millis() / 1000 - 1).to_string();
    aws_sdk_dynamodb::Client::new(&h.sdk)
        .update_item()
        .table_name(&h.stack.table_name)
        .key("pk", AttributeValue::S(format!("IMP#{id}")))
        .key("sk", AttributeValue::S("IMPERSONATION".into()))
        .update_expression("SET ends_at = :past")
        .expression_attribute_values(":past", AttributeValue::N(past))
        .send()
        .await
        .expect("update");
    assert!(
        h.refresh_session(&session).await.is_err(),
        "no refresh past the hard end"
    );
    let check = h
        .get(
            "/auth/token",
            Some(session["session"]["accessToken"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        check.body["valid"], false,
        "and the token check reads it inactive"
    );
}
