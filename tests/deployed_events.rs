//! Every file in `events/` invoked against its deployed function (what `sam local invoke -e`
//! does where Docker exists), with its placeholders filled with real values.

use actas_integration_tests::{event, jwt_claims, set_header, Harness, StackUser};
use serde_json::{json, Value};

fn trigger_event(h: &Harness, name: &str, user: &StackUser) -> Value {
    let mut ev = event(name);
    ev["callerContext"]["clientId"] = json!(h.stack.impersonation_client_id);
    ev["userPoolId"] = json!(h.stack.user_pool_id);
    ev["userName"] = json!(user.username);
    ev["request"]["userAttributes"]["sub"] = json!(user.sub);
    ev
}

#[tokio::test]
async fn impersonate_events_answer_200() {
    let h = Harness::new().await;
    let token = format!("Bearer {}", h.id_token("acme-admin").await);

    let mut by_username = event("impersonate-username.json");
    set_header(&mut by_username, "Authorization", &token);
    set_header(&mut by_username, "X-API-Key", &h.api_key("acme"));
    let result = h.invoke("ImpersonateFunction", &by_username).await;
    assert_eq!(result["statusCode"], 200, "{result}");
    let body: Value = serde_json::from_str(result["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["username"], "acme-support-1");

    let mut by_uuid = event("impersonate-uuid.json");
    set_header(&mut by_uuid, "Authorization", &token);
    let sub = h.user("acme-support-1").sub.clone();
    by_uuid["queryStringParameters"]["uuid"] = json!(sub);
    by_uuid["multiValueQueryStringParameters"]["uuid"] = json!([sub]);
    let result = h.invoke("ImpersonateFunction", &by_uuid).await;
    assert_eq!(result["statusCode"], 200, "{result}");

    // The unfilled file is a request without valid credentials: a clean 401, not an error.
    let result = h
        .invoke("ImpersonateFunction", &event("impersonate-username.json"))
        .await;
    assert_eq!(result["statusCode"], 401, "{result}");
}

#[tokio::test]
async fn trigger_events_answer_as_cognito_expects() {
    let h = Harness::new().await;
    let user = h.fresh_user("user", "acme", Some("support")).await;
    let define = h
        .invoke(
            "DefineAuthChallengeFunction",
            &trigger_event(&h, "define-auth-challenge.json", &user),
        )
        .await;
    assert_eq!(define["response"]["challengeName"], "CUSTOM_CHALLENGE");
    assert_eq!(define["response"]["issueTokens"], false);

    let create = h
        .invoke(
            "CreateAuthChallengeFunction",
            &trigger_event(&h, "create-auth-challenge.json", &user),
        )
        .await;
    assert_eq!(create["response"]["challengeMetadata"], "ACTAS_GRANT");

    let (grant, secret) = h.pending_grant(&user).await;
    let mut verify = trigger_event(&h, "verify-auth-challenge.json", &user);
    verify["request"]["clientMetadata"]["impersonation_id"] = json!(grant);
    verify["request"]["challengeAnswer"] = json!(secret);
    let first = h.invoke("VerifyAuthChallengeFunction", &verify).await;
    assert_eq!(first["response"]["answerCorrect"], true);
    let second = h.invoke("VerifyAuthChallengeFunction", &verify).await;
    assert_eq!(second["response"]["answerCorrect"], false, "single use");

    let mut pre_token = trigger_event(&h, "pre-token-generation.json", &user);
    pre_token["request"]["clientMetadata"]["impersonation_id"] = json!(grant);
    let claims = h.invoke("PreTokenGenerationFunction", &pre_token).await;
    let added = &claims["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]
        ["claimsToAddOrOverride"];
    assert_eq!(added["act"]["username"], "acme-admin", "{claims}");
}

fn body_of(result: &Value) -> Value {
    serde_json::from_str(result["body"].as_str().expect("a body")).expect("a JSON body")
}

/// The two-step, profiles and revert events, in the order a client would send them. (Demo
/// targets here: acme-support-2 by acme-team-admin, acme-sales-1 by acme-operator.)
#[tokio::test]
async fn two_step_profiles_and_revert_events_answer_200() {
    let h = Harness::new().await;
    let team_admin = format!("Bearer {}", h.id_token("acme-team-admin").await);
    let operator = format!("Bearer {}", h.id_token("acme-operator").await);

    let mut issue = event("coworker-impersonate.json");
    set_header(&mut issue, "Authorization", &team_admin);
    let issued = h.invoke("CoworkerImpersonateFunction", &issue).await;
    assert_eq!(issued["statusCode"], 200, "{issued}");
    let token = body_of(&issued)["token"].as_str().unwrap().to_string();

    let mut login = event("login-exchange.json");
    login["pathParameters"]["token"] = json!(token);
    let session = h.invoke("LoginExchangeFunction", &login).await;
    assert_eq!(session["statusCode"], 200, "{session}");
    let session = body_of(&session);
    assert_eq!(session["username"], "acme-support-2");

    let mut sys_issue = event("sys-impersonate.json");
    set_header(&mut sys_issue, "Authorization", &operator);
    let issued = h.invoke("SysImpersonateFunction", &sys_issue).await;
    assert_eq!(issued["statusCode"], 200, "{issued}");
    let mut sys_exchange = event("sys-exchange.json");
    sys_exchange["body"] = json!(json!({"token": body_of(&issued)["token"]}).to_string());
    let sys_session = h.invoke("SysExchangeFunction", &sys_exchange).await;
    assert_eq!(sys_session["statusCode"], 200, "{sys_session}");
    assert_eq!(body_of(&sys_session)["username"], "acme-sales-1");

    let mut profiles = event("profiles.json");
    set_header(&mut profiles, "Authorization", &team_admin);
    let listed = h.invoke("ProfilesFunction", &profiles).await;
    assert_eq!(listed["statusCode"], 200, "{listed}");
    assert!(body_of(&listed)["Profiles"]
        .as_array()
        .is_some_and(|p| p.len() >= 2));

    for payload in [session, body_of(&sys_session)] {
        let mut revert = event("revert.json");
        revert["body"] = json!(
            json!({"impersonator_revert_token": payload["impersonator_revert_token"]}).to_string()
        );
        let session_token = format!(
            "Bearer {}",
            payload["session"]["accessToken"].as_str().unwrap()
        );
        set_header(&mut revert, "Authorization", &session_token);
        let reverted = h.invoke("RevertFunction", &revert).await;
        assert_eq!(reverted["statusCode"], 200, "{reverted}");
    }

    // The unfilled files are requests without valid credentials or tokens: clean refusals.
    for (file, function, status) in [
        (
            "coworker-impersonate.json",
            "CoworkerImpersonateFunction",
            401,
        ),
        ("sys-impersonate.json", "SysImpersonateFunction", 401),
        ("login-exchange.json", "LoginExchangeFunction", 401),
        ("sys-exchange.json", "SysExchangeFunction", 401),
        ("profiles.json", "ProfilesFunction", 401),
        ("revert.json", "RevertFunction", 401),
    ] {
        let result = h.invoke(function, &event(file)).await;
        assert_eq!(result["statusCode"], status, "{file}: {result}");
    }
}

#[tokio::test]
async fn lifecycle_events_answer_as_expected() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let session = h.impersonate_ok("acme-admin", &target.username).await;
    let impersonated = format!(
        "Bearer {}",
        session["session"]["accessToken"].as_str().unwrap()
    );

    let mut check = event("token-check.json");
    set_header(&mut check, "Authorization", &impersonated);
    let checked = h.invoke("TokenCheckFunction", &check).await;
    assert_eq!(checked["statusCode"], 200, "{checked}");
    assert_eq!(body_of(&checked)["valid"], true);

    let mut stop = event("stop.json");
    set_header(
        &mut stop,
        "Authorization",
        &format!("Bearer {}", h.id_token("acme-admin").await),
    );
    stop["pathParameters"]["id"] = session["impersonation"]["id"].clone();
    let stopped = h.invoke("StopFunction", &stop).await;
    assert_eq!(stopped["statusCode"], 200, "{stopped}");

    let mut sign_out = event("sign-out.json");
    set_header(&mut sign_out, "Authorization", &impersonated);
    let signed_out = h.invoke("StopFunction", &sign_out).await;
    assert_eq!(signed_out["statusCode"], 200, "{signed_out}");

    for (file, function) in [
        ("token-check.json", "TokenCheckFunction"),
        ("stop.json", "StopFunction"),
        ("sign-out.json", "StopFunction"),
    ] {
        let result = h.invoke(function, &event(file)).await;
        assert_eq!(result["statusCode"], 401, "{file}: {result}");
    }
}

/// The cleanup tests of this binary, one at a time: a run of one would end the other's items.
static CLEANUP_RUNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The scheduled event, against grants past their end written straight into the table: the
/// first run ends and records, the second changes nothing.
#[tokio::test]
async fn cleanup_event_ends_once_and_records_once() {
    let _one_at_a_time = CLEANUP_RUNS.lock().await;
    use actas::domain::grant::ImpersonationStatus;
    use actas::ports::grants::ImpersonationStore;
    let h = Harness::new().await;
    let tenant = format!("cleanup-{}", &actas_integration_tests::uuid_like()[..8]);
    let target = h.fresh_user("user", &tenant, None).await;
    let store = actas::adapters::aws::dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&h.sdk),
        &h.stack.table_name,
    );
    let id = h.expired_impersonation(&target).await;

    let first = h.invoke("CleanupFunction", &event("cleanup.json")).await;
    // This run, or the scheduled one (every five minutes) if it came first, ended it: either way
    // once, with one record (below).
    assert_eq!(first["finished"], true, "{first}");
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().status,
        ImpersonationStatus::Ended
    );
    let second = h.invoke("CleanupFunction", &event("cleanup.json")).await;
    assert_eq!(second["finished"], true, "{second}");
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().status,
        ImpersonationStatus::Ended
    );

    let records = h.audit_records(&tenant).await;
    let expiries: Vec<_> = records
        .iter()
        .filter(|r| r.event.as_str() == "expired")
        .collect();
    assert_eq!(expiries.len(), 1, "one expiry record: {records:?}");
    assert_eq!(expiries[0].impersonation_id.as_deref(), Some(id.as_str()));
    assert_eq!(expiries[0].cause.as_deref(), Some("reached its hard end"));
}

/// The cleanup reads its due list, oldest first, not the table (issue 9): impersonations past
/// their end are on it, a live one is not, and a run takes what it finishes off it.
#[tokio::test]
async fn cleanup_reads_the_due_list_and_finishes_it() {
    let _one_at_a_time = CLEANUP_RUNS.lock().await;
    use actas::domain::grant::ImpersonationStatus;
    use actas::ports::grants::{CleanupStore, CleanupWork, ImpersonationStore};
    let h = Harness::new().await;
    let tenant = format!("due-{}", &actas_integration_tests::uuid_like()[..8]);
    let actor = h.fresh_user("admin", &tenant, None).await;
    let target = h.fresh_user("user", &tenant, None).await;
    let store = actas::adapters::aws::dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&h.sdk),
        &h.stack.table_name,
    );
    // 120 impersonations that reached their hard end ten days ago, a second apart (so they lead
    // the list, in order), and one live one.
    let long_ago = actas_integration_tests::now_millis() - 10 * 86_400_000;
    let mut due = Vec::new();
    for i in 0..120 {
        let id = h
            .write_impersonation(
                &actor,
                &target,
                ImpersonationStatus::Active,
                long_ago + i * 1000,
            )
            .await;
        due.push(id);
    }
    let live = h
        .write_impersonation(
            &actor,
            &target,
            ImpersonationStatus::Active,
            actas_integration_tests::now_millis(),
        )
        .await;

    let now = actas_integration_tests::now_millis() / 1000;
    let first = store.cleanup_page(None, now).await.expect("a page");
    let ids: Vec<String> = first
        .work
        .iter()
        .map(|w| match w {
            CleanupWork::End(imp) | CleanupWork::Revoke(imp) => imp.id.clone(),
            CleanupWork::Settle(id) => id.clone(),
        })
        .collect();
    assert_eq!(ids.len(), 100, "a full page");
    assert_eq!(ids, due[..100].to_vec(), "oldest first, only what is due");
    assert!(first.next_token.is_some());
    assert!(!ids.contains(&live));

    let report = h.invoke("CleanupFunction", &event("cleanup.json")).await;
    assert_eq!(report["finished"], true, "{report}");
    // Every due item is ended below: by this run, or partly by the scheduled one (every five
    // minutes) if it ran at the same time. The two share the backlog by conditional writes, so
    // this run's own count is not the test's to fix; that nothing of it is left due is.
    assert!(report["ended"].is_u64(), "{report}");
    for id in &due {
        let imp = store.get(id).await.unwrap().unwrap();
        assert_eq!(imp.status, ImpersonationStatus::Ended, "{id}");
    }
    assert_eq!(
        store.get(&live).await.unwrap().unwrap().status,
        ImpersonationStatus::Active
    );
    // Nothing of this test's is left on the list: ended and nothing to revoke, settled.
    let after = store.cleanup_page(None, now + 1).await.expect("a page");
    for work in &after.work {
        let id = match work {
            CleanupWork::End(imp) | CleanupWork::Revoke(imp) => &imp.id,
            CleanupWork::Settle(id) => id,
        };
        assert!(!due.contains(id) && id != &live, "{id} is still due");
    }
}

/// The issue-7 functions' events against their deployed functions.
#[tokio::test]
async fn session_endpoint_fallback_and_publisher_events_answer_as_expected() {
    let h = Harness::new().await;
    let fallback = h
        .invoke("RouteFallbackFunction", &event("route-fallback.json"))
        .await;
    assert_eq!(fallback["statusCode"], 405, "{fallback}");
    assert_eq!(body_of(&fallback)["status"], "error");

    let payload = h.impersonate_ok("acme-admin", "acme-support-1").await;
    let mut refresh = event("cognito-endpoint.json");
    refresh["body"] = json!(json!({
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": h.stack.impersonation_client_id,
        "AuthParameters": {"REFRESH_TOKEN": payload["session"]["refreshToken"]},
    })
    .to_string());
    let refreshed = h.invoke("CognitoEndpointFunction", &refresh).await;
    assert_eq!(refreshed["statusCode"], 200, "{refreshed}");
    let id_token = body_of(&refreshed)["AuthenticationResult"]["IdToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        jwt_claims(&id_token).unwrap()["impersonation_id"],
        payload["impersonation"]["id"]
    );
    let placeholder = h
        .invoke("CognitoEndpointFunction", &event("cognito-endpoint.json"))
        .await;
    assert_eq!(placeholder["statusCode"], 401, "{placeholder}");

    let published = h
        .invoke("PublishEventsFunction", &event("publish-events.json"))
        .await;
    assert_eq!(published["published"], 1, "{published}");
}
