//! Issue 11: what the console reads — `GET /auth/me`, `GET /auth/audit` — and the console
//! itself, served by the deployed stack.

use actas_integration_tests::{assert_error, Harness};
use serde_json::{json, Value};

#[tokio::test]
async fn me_tells_each_role_what_it_may_start() {
    let h = Harness::new().await;
    // (caller, may act as, modes)
    let cases = [
        ("acme-admin", true, json!(["read_only", "full"])),
        ("acme-team-admin", true, json!(["read_only"])),
        ("acme-support-2", false, json!([])),
    ];
    for (caller, may_act_as, modes) in cases {
        let token = h.id_token(caller).await;
        let me = h.get("/auth/me", Some(&token)).await;
        assert_eq!(me.status, 200, "{caller}: {}", me.body);
        assert_eq!(me.body["username"], caller);
        assert_eq!(me.body["sub"], h.user(caller).sub.as_str());
        assert_eq!(me.body["may_act_as"], may_act_as, "{caller}");
        assert_eq!(me.body["modes"], modes, "{caller}");
    }
    let member = h.fresh_user("user", "acme", Some("support")).await;
    let session = h
        .start_in_mode("acme-admin", &member.username, None)
        .await
        .body;
    let impersonated = session["session"]["accessToken"].as_str().unwrap();
    let me = h.get("/auth/me", Some(impersonated)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["username"], member.username.as_str());
    assert_eq!(
        (&me.body["impersonated"], &me.body["may_act_as"]),
        (&json!(true), &json!(false))
    );
    assert_error(&h.get("/auth/me", None).await, 401, "no token");
}

fn records(body: &Value) -> &Vec<Value> {
    body["records"].as_array().expect("records")
}

#[tokio::test]
async fn the_audit_trail_is_read_in_scope_and_filtered() {
    let h = Harness::new().await;
    let member = h.fresh_user("user", "acme", Some("support")).await;
    let started = h
        .start_in_mode("acme-admin", &member.username, Some("read_only"))
        .await
        .body;
    let id = started["impersonation"]["id"].as_str().unwrap().to_string();
    let admin = h.id_token("acme-admin").await;
    assert_eq!(
        h.delete(&format!("/auth/impersonations/{id}"), &admin)
            .await
            .status,
        200
    );

    // The admin reads their tenant's trail, this run's start and stop in it, newest first.
    let trail = h
        .get(&format!("/auth/audit?target={}", member.sub), Some(&admin))
        .await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    let events: Vec<&str> = records(&trail.body)
        .iter()
        .filter(|r| r["impersonation_id"] == id.as_str())
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, vec!["stopped", "started"], "{}", trail.body);
    let start = records(&trail.body)
        .iter()
        .find(|r| r["event"] == "started")
        .unwrap();
    assert_eq!(start["actor"]["username"], "acme-admin");
    assert_eq!(start["mode"], "read_only");
    assert_eq!(start["reason"], "read-only tests");

    let stopped_only = h
        .get(
            &format!("/auth/audit?target={}&event=stopped", member.sub),
            Some(&admin),
        )
        .await;
    assert!(records(&stopped_only.body)
        .iter()
        .all(|r| r["event"] == "stopped"));
    assert_eq!(
        records(&stopped_only.body).len(),
        1,
        "{}",
        stopped_only.body
    );

    // A super-admin reads across tenants; globex's admin does not see acme's records.
    let superadmin = h.id_token("acme-super").await;
    let everything = h
        .get(
            &format!("/auth/audit?target={}", member.sub),
            Some(&superadmin),
        )
        .await;
    assert_eq!(records(&everything.body).len(), 2, "{}", everything.body);
    let globex = h.id_token("globex-admin").await;
    let elsewhere = h
        .get(&format!("/auth/audit?target={}", member.sub), Some(&globex))
        .await;
    assert_eq!(elsewhere.status, 200);
    assert!(records(&elsewhere.body).is_empty(), "{}", elsewhere.body);

    // The member reads what was done as them; a plain user nothing else.
    let own = h.id_token_of(&member).await;
    let as_me = h.get("/auth/audit?target=me", Some(&own)).await;
    assert_eq!(records(&as_me.body).len(), 2, "{}", as_me.body);
    let theirs = h.get("/auth/audit?actor=acme-admin", Some(&own)).await;
    assert!(records(&theirs.body).is_empty(), "{}", theirs.body);

    for bad in ["event=launched", "since=soon", "nextToken=not-a-token"] {
        assert_error(
            &h.get(&format!("/auth/audit?{bad}"), Some(&admin)).await,
            400,
            bad,
        );
    }
    let impersonated = started["session"]["accessToken"].as_str().unwrap();
    let from_session = h.get("/auth/audit", Some(impersonated)).await;
    assert!(
        matches!(from_session.status, 401 | 403),
        "{}",
        from_session.body
    );
}

#[tokio::test]
async fn the_console_is_served_with_its_configuration() {
    let h = Harness::new().await;
    let base = format!("{}/console/", h.stack.api_url);
    let page = h.http.get(&base).send().await.expect("the console");
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(page.text().await.unwrap().contains("<html"));

    let config: Value = h
        .http
        .get(format!("{base}config.json"))
        .send()
        .await
        .expect("config.json")
        .json()
        .await
        .expect("JSON");
    assert_eq!(config["userPoolId"], h.stack.user_pool_id.as_str());
    assert_eq!(config["signInClientId"], h.stack.sign_in_client_id.as_str());

    let missing = h
        .http
        .get(format!("{base}no-such-file.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let written = h.http.post(&base).send().await.unwrap();
    assert_eq!(written.status(), 405, "the console is read-only");
}
