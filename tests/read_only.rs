//! Issue 10: read-only impersonation, enforced in the tokens (claim and scopes), at the gateway
//! (the actas authorizer) and in the downstream kit (the sample service's handler), with the
//! actor recorded on every write a full session makes.

use actas_integration_tests::{assert_error, jwt_claims, sign_in, Harness};
use serde_json::{json, Value};

fn claims(token: &Value) -> Value {
    jwt_claims(token.as_str().expect("a token")).expect("JWT claims")
}

fn scopes(access_token: &Value) -> Vec<String> {
    claims(access_token)["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .map(str::to_string)
        .collect()
}

/// The mode as the payload, both tokens and the access token's scopes tell it.
fn assert_session_mode(payload: &Value, mode: &str, context: &str) {
    assert_eq!(
        payload["impersonation"]["mode"], mode,
        "{context}: {payload}"
    );
    for token in ["authorization", "accessToken"] {
        let claims = claims(&payload["session"][token]);
        assert_eq!(claims["impersonation_mode"], mode, "{context}: {token}");
        assert!(
            claims["act"]["sub"].is_string(),
            "{context}: act in {token}"
        );
    }
    let scopes = scopes(&payload["session"]["accessToken"]);
    assert!(
        scopes.contains(&"actas/read".to_string()),
        "{context}: {scopes:?}"
    );
    assert_eq!(
        scopes.contains(&"actas/write".to_string()),
        mode == "full",
        "{context}: the write scope is for full sessions only: {scopes:?}"
    );
    assert!(
        !scopes.contains(&"aws.cognito.signin.user.admin".to_string()),
        "{context}: never Cognito self-service: {scopes:?}"
    );
}

#[tokio::test]
async fn every_dialect_starts_in_each_mode_and_the_tokens_say_so() {
    let h = Harness::new().await;
    let member = h.fresh_user("user", "acme", Some("support")).await;

    // Seed 001: the default, then each mode by name.
    for (mode, expected) in [
        (None, "read_only"),
        (Some("read_only"), "read_only"),
        (Some("full"), "full"),
    ] {
        let response = h.start_in_mode("acme-admin", &member.username, mode).await;
        assert_eq!(response.status, 200, "{mode:?}: {}", response.body);
        assert_session_mode(&response.body, expected, &format!("seed 001 {mode:?}"));
    }

    // Seed 000: `?uuid=` with the mode in the query.
    let operator = h.id_token("acme-operator").await;
    let path = format!(
        "/auth/impersonate?uuid={}&reason=checking&mode=full",
        member.sub
    );
    let response = h.send("POST", &path, Some(&operator), None).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_session_mode(&response.body, "full", "seed 000");

    // Seed 002: a team admin's default is read-only, and full is not theirs to ask.
    let team_admin = h.id_token("acme-team-admin").await;
    let refused = h
        .get(
            &format!(
                "/api/public/coworkers/{}/impersonate?reason=r&mode=full",
                member.sub
            ),
            Some(&team_admin),
        )
        .await;
    assert_error(&refused, 403, "a team admin asking for full");
    assert!(refused.body["message"]
        .as_str()
        .unwrap()
        .contains("read-only"));
    let token = h
        .get(
            &format!("/api/public/coworkers/{}/impersonate?reason=r", member.sub),
            Some(&team_admin),
        )
        .await;
    assert_eq!(token.status, 200, "{}", token.body);
    let login = format!(
        "/api/public/auth/login/{}",
        token.body["token"].as_str().unwrap()
    );
    let session = h.post(&login, &json!({})).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_session_mode(&session.body, "read_only", "seed 002");

    // Seed 003: the mode asked for at the token is the session's.
    let path = format!(
        "/api/sys/users/impersonate?coworkerId={}&reason=r&mode=full",
        member.username
    );
    let token = h.get(&path, Some(&operator)).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let session = h
        .post(
            "/api/sys/users/exchange",
            &json!({"token": token.body["token"]}),
        )
        .await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_session_mode(&session.body, "full", "seed 003");

    // A mode that is not one is refused, and starts nothing.
    for (mode, status) in [(json!("admin"), 422), (json!(true), 400)] {
        let token = h.id_token("acme-admin").await;
        let key = h.api_key("acme");
        let body = json!({"username": member.username, "reason": "r", "mode": mode});
        let response = h
            .impersonate(Some(&token), Some(&key), &body.to_string())
            .await;
        assert_error(&response, status, &format!("mode {mode}"));
    }
}

#[tokio::test]
async fn the_mode_survives_refresh_and_is_in_the_token_check_the_list_and_the_audit() {
    let h = Harness::new().await;
    let member = h.fresh_user("user", "acme", Some("support")).await;
    let payload = h
        .start_in_mode("acme-admin", &member.username, Some("read_only"))
        .await
        .body;
    let id = payload["impersonation"]["id"].as_str().unwrap().to_string();

    let (id_token, access_token) = h.refresh_session(&payload).await.expect("refresh");
    for token in [&id_token, &access_token] {
        assert_eq!(claims(&json!(token))["impersonation_mode"], "read_only");
    }
    assert!(!scopes(&json!(access_token)).contains(&"actas/write".to_string()));

    let check = h.get("/auth/token", Some(&access_token)).await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert_eq!(check.body["valid"], true);
    assert_eq!(check.body["impersonation"]["mode"], "read_only");

    let admin = h.id_token("acme-admin").await;
    let list = h
        .get(
            &format!("/auth/impersonations?target={}", member.sub),
            Some(&admin),
        )
        .await;
    let listed = list.body["impersonations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{id} listed: {}", list.body));
    assert_eq!(listed["mode"], "read_only");

    let started = h
        .audit_records("acme")
        .await
        .into_iter()
        .find(|r| r.impersonation_id.as_deref() == Some(id.as_str()))
        .expect("the start's audit record");
    assert_eq!(started.mode.map(|m| m.as_str()), Some("read_only"));
}

#[tokio::test]
async fn ordinary_sign_ins_keep_both_scopes() {
    let h = Harness::new().await;
    let user = h.user("acme-support-1").clone();
    let signed_in = sign_in(&h.cognito, &h.stack, &user.username, &user.password)
        .await
        .expect("sign-in");
    let scopes = scopes(&json!(signed_in.access_token));
    for scope in ["actas/read", "actas/write", "aws.cognito.signin.user.admin"] {
        assert!(scopes.contains(&scope.to_string()), "{scope} in {scopes:?}");
    }
    assert!(claims(&json!(signed_in.id_token))
        .get("impersonation_mode")
        .is_none());
}

#[tokio::test]
async fn the_gateway_refuses_read_only_writes_and_records_the_actor_on_full_ones() {
    let h = Harness::new().await;
    let member = h.fresh_user("user", "acme", Some("support")).await;
    let read_only = h
        .start_in_mode("acme-admin", &member.username, Some("read_only"))
        .await
        .body;
    let full = h
        .start_in_mode("acme-operator", &member.username, Some("full"))
        .await
        .body;
    let read_only_token = read_only["session"]["accessToken"].as_str().unwrap();
    let full_token = full["session"]["authorization"].as_str().unwrap();

    // Read-only: reads pass, every write is refused before the service runs.
    let listed = h
        .send("GET", "/demo/notes", Some(read_only_token), None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let note = json!({"text": "from a read-only session"});
    for (method, path, body) in [
        ("POST", "/demo/notes", Some(&note)),
        ("DELETE", "/demo/notes/any-id", None),
        ("DELETE", "/demo/notes?id=any-id", None),
    ] {
        let refused = h.send(method, path, Some(read_only_token), body).await;
        assert_error(&refused, 403, &format!("read-only {method} {path}"));
        assert!(refused.body["message"]
            .as_str()
            .unwrap()
            .contains("read-only"));
    }

    // Full: the write goes through, as the member, with the actor on the note.
    let written = h
        .send(
            "POST",
            "/demo/notes",
            Some(full_token),
            Some(&json!({"text": "fixed it"})),
        )
        .await;
    assert_eq!(written.status, 201, "{}", written.body);
    assert_eq!(written.body["user"]["sub"], member.sub.as_str());
    assert_eq!(written.body["actor"]["username"], "acme-operator");
    assert_eq!(
        written.body["impersonation_id"],
        full["impersonation"]["id"]
    );
    assert_eq!(written.body["mode"], "full");

    // The member sees it (and who wrote it) from their own session, and may write themself:
    // no actor on their own notes.
    let own = h.id_token_of(&member).await;
    let theirs = h.send("GET", "/demo/notes", Some(&own), None).await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    let notes = theirs.body["notes"].as_array().expect("notes");
    assert!(notes
        .iter()
        .any(|n| n["id"] == written.body["id"] && n["actor"]["username"] == "acme-operator"));
    let by_self = h
        .send(
            "POST",
            "/demo/notes",
            Some(&own),
            Some(&json!({"text": "mine"})),
        )
        .await;
    assert_eq!(by_self.status, 201, "{}", by_self.body);
    assert!(by_self.body["actor"].is_null(), "{}", by_self.body);

    // A full session deletes; the read-only one still could not.
    let id = written.body["id"].as_str().unwrap();
    let deleted = h
        .send(
            "DELETE",
            &format!("/demo/notes/{id}"),
            Some(full_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);

    // No token, or a forged one: 401 at the gateway.
    assert_error(
        &h.send("GET", "/demo/notes", None, None).await,
        401,
        "no token",
    );
    assert_error(
        &h.send("GET", "/demo/notes", Some("not-a-jwt"), None).await,
        401,
        "garbage",
    );
}

/// The deployed API's id: the authorizer and the kit find actas (for the revocation check) by
/// the API a request came through.
fn api_id(h: &Harness) -> String {
    h.stack
        .api_url
        .split("/execute-api/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the local API URL names the API")
        .to_string()
}

/// The handler refuses by itself too (the crate's layer), for a call that never passed the
/// gateway: the function is invoked directly with a REST event.
#[tokio::test]
async fn the_kit_refuses_read_only_writes_behind_the_gateway_too() {
    let h = Harness::new().await;
    let member = h.fresh_user("user", "acme", Some("support")).await;
    let read_only = h
        .start_in_mode("acme-admin", &member.username, None)
        .await
        .body;
    let token = read_only["session"]["accessToken"].as_str().unwrap();
    let event = |method: &str| {
        let mut event = actas_integration_tests::event("demo-notes-create.json");
        event["httpMethod"] = json!(method);
        event["requestContext"]["httpMethod"] = json!(method);
        event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
        event["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {token}")]);
        event["requestContext"]["apiId"] = json!(api_id(&h));
        event
    };
    let answer = h.invoke("DemoNotesFunction", &event("POST")).await;
    assert_eq!(answer["statusCode"], 403, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "error");
    let answer = h.invoke("DemoNotesFunction", &event("GET")).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
}

#[tokio::test]
async fn the_authorizer_passes_who_is_acting_and_refuses_writes_of_read_only_sessions() {
    let h = Harness::new().await;
    let member = h.fresh_user("user", "acme", Some("support")).await;
    let session = h
        .start_in_mode("acme-admin", &member.username, Some("read_only"))
        .await
        .body;
    let token = session["session"]["authorization"].as_str().unwrap();
    let api_id = api_id(&h);
    let request = |method: &str| {
        let mut event = actas_integration_tests::event("authorizer-request.json");
        event["httpMethod"] = json!(method);
        event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
        event["methodArn"] = json!(format!(
            "arn:aws:execute-api:us-east-1:000000000000:{}/v1/{method}/demo/notes",
            api_id
        ));
        event["requestContext"]["apiId"] = json!(api_id);
        event
    };
    let allowed = h.invoke("AuthorizerFunction", &request("GET")).await;
    assert_eq!(
        allowed["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{allowed}"
    );
    assert_eq!(allowed["principalId"], member.sub.as_str());
    let context = &allowed["context"];
    assert_eq!(context["username"], member.username.as_str());
    assert_eq!(context["actorUsername"], "acme-admin");
    assert_eq!(context["mode"], "read_only");
    assert_eq!(context["impersonationId"], session["impersonation"]["id"]);

    let denied = h.invoke("AuthorizerFunction", &request("PATCH")).await;
    assert_eq!(
        denied["policyDocument"]["Statement"][0]["Effect"], "Deny",
        "{denied}"
    );
}

#[tokio::test]
async fn a_stop_is_seen_by_the_very_next_request() {
    let h = Harness::new().await;
    let member = h.fresh_user("user", "acme", Some("support")).await;
    let full = h
        .start_in_mode("acme-operator", &member.username, Some("full"))
        .await
        .body;
    let token = full["session"]["accessToken"].as_str().unwrap();
    let note = json!({"text": "before the stop"});
    let before = h
        .send("POST", "/demo/notes", Some(token), Some(&note))
        .await;
    assert_eq!(before.status, 201, "{}", before.body);

    let operator = h.id_token("acme-operator").await;
    let id = full["impersonation"]["id"].as_str().unwrap();
    let stopped = h
        .delete(&format!("/auth/impersonations/{id}"), &operator)
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);

    // The token's signature and `exp` are still good: only the online check knows.
    for method in ["POST", "GET"] {
        let body = (method == "POST").then_some(&note);
        let after = h.send(method, "/demo/notes", Some(token), body).await;
        assert_error(&after, 401, &format!("{method} right after the stop"));
    }
    let check = h.get("/auth/token", Some(token)).await;
    assert_eq!(check.body["valid"], false, "{}", check.body);
}
