//! The listing's scopes and the audit trail.

use super::*;

fn ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["impersonations"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn listings_are_scoped_to_the_caller() {
    let f = fixture().await;
    let by_admin = f.started("acme-admin", "acme-support-1").await;
    let by_operator = f.started("acme-operator", "acme-sales-1").await;
    let in_globex = f.started("globex-admin", "globex-user").await;
    let by_super = f.started("acme-super", "acme-support-2").await;

    assert_eq!(
        ids(&f.list("acme-super", &[]).await.1),
        sorted(vec![
            by_admin.clone(),
            by_operator.clone(),
            in_globex.clone(),
            by_super.clone()
        ])
    );
    assert_eq!(
        ids(&f.list("acme-admin", &[]).await.1),
        sorted(vec![
            by_admin.clone(),
            by_operator.clone(),
            by_super.clone()
        ])
    );
    assert_eq!(
        ids(&f.list("globex-admin", &[]).await.1),
        vec![in_globex.clone()]
    );
    assert!(
        ids(&f.list("acme-team-admin", &[]).await.1).is_empty(),
        "started nothing"
    );
    assert!(
        ids(&f.list("acme-support-2", &[("actor", "acme-admin")]).await.1).is_empty(),
        "a user sees only their own"
    );
    assert_eq!(
        ids(&f.list("acme-support-1", &[("target", "me")]).await.1),
        vec![by_admin.clone()],
        "target=me"
    );
    assert_eq!(
        ids(&f.list("acme-admin", &[("actor", "acme-operator")]).await.1),
        vec![by_operator.clone()]
    );
    assert_eq!(
        ids(&f.list("acme-super", &[("target", "globex-user")]).await.1),
        vec![in_globex.clone()]
    );

    assert_eq!(f.stop_as("acme-admin", &by_admin).await.0, 200);
    let active = f.list("acme-admin", &[("active", "true")]).await.1;
    assert_eq!(
        ids(&active),
        sorted(vec![by_operator.clone(), by_super.clone()])
    );
    assert_eq!(
        ids(&f.list("acme-admin", &[("active", "false")]).await.1),
        vec![by_admin.clone()]
    );
    assert!(
        ids(&f.list("acme-admin", &[("since", "4102444800000")]).await.1).is_empty(),
        "since 2100"
    );
    assert_eq!(
        ids(&f
            .list("acme-admin", &[("since", "2000-01-01T00:00:00Z")])
            .await
            .1)
        .len(),
        3
    );

    for (name, params) in [
        ("active", [("active", "maybe")]),
        ("since", [("since", "yesterday")]),
        ("token", [("nextToken", "zzz")]),
    ] {
        assert_eq!(f.list("acme-admin", &params).await.0, 400, "{name}");
    }
}

#[tokio::test]
async fn every_attempt_is_audited_with_its_origin() {
    use crate::ports::audit::AuditStore;
    let f = fixture().await;
    let id = f.started("acme-admin", "acme-support-1").await;
    assert_eq!(
        f.call(f.username_event("acme-support-2", "acme-support-1"))
            .await
            .0,
        403
    );
    assert_eq!(f.stop_as("acme-admin", &id).await.0, 200);
    assert_eq!(
        f.stop_as("acme-admin", &id).await.0,
        200,
        "a second stop changes nothing"
    );
    let (_, token) = f.sys_token("acme-operator", Some("acme-sales-1")).await;
    let (_, session) = f.sys_exchange(token["token"].as_str().unwrap()).await;
    let revert_token = session["impersonator_revert_token"].clone();
    let mut revert = event("revert.json");
    revert["body"] = json!(json!({"impersonator_revert_token": revert_token}).to_string());
    let session_token = f.world.impersonated_access_token(
        "acme-sales-1",
        "acme-operator",
        session["impersonation"]["id"].as_str().unwrap(),
    );
    set_header(
        &mut revert,
        "Authorization",
        Some(&format!("Bearer {session_token}")),
    );
    assert_eq!(f.call_route(Route::Revert, revert).await.0, 200);

    let records = f
        .world
        .store
        .audit_for_tenant(Some("acme"), 0)
        .await
        .unwrap();
    let events: Vec<&str> = records.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "started",
            "denied",
            "stopped",
            "token_issued",
            "exchanged",
            "reverted"
        ]
    );

    let started = &records[0];
    assert_eq!(started.actor_username.as_deref(), Some("acme-admin"));
    assert_eq!(started.target_username.as_deref(), Some("acme-support-1"));
    assert_eq!(started.impersonation_id.as_deref(), Some(id.as_str()));
    assert_eq!(started.reason.as_deref(), Some("checking a billing report"));
    assert_eq!(started.source_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(started.user_agent.as_deref(), Some("curl/8.5.0"));
    assert_eq!(started.outcome, "success");

    let denied = &records[1];
    assert_eq!(denied.outcome, "denied");
    assert_eq!(denied.cause.as_deref(), Some("role_not_permitted"));
    assert_eq!(denied.actor_username.as_deref(), Some("acme-support-2"));
    assert_eq!(denied.target_username.as_deref(), Some("acme-support-1"));

    assert_eq!(records[2].cause.as_deref(), Some("stopped by acme-admin"));
    assert_eq!(records[3].target_username.as_deref(), Some("acme-sales-1"));
    // What the audit table's stream delivers is what gets published, once per record.
    let batch = crate::testkit::stream::stream_batch(&records);
    let publisher = crate::testkit::memory::MemoryPublisher::default();
    crate::app::publish_events::publish_stream_batch(
        &publisher,
        &batch,
        crate::adapters::aws::dynamodb::audit::record_from_image,
    )
    .await
    .unwrap();
    let published = publisher.published.lock().unwrap().clone();
    assert_eq!(
        published, records,
        "each record is published once, as written"
    );
}

fn events_of(body: &Value) -> Vec<(String, String, String)> {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["event"].as_str().unwrap().to_string(),
                r["actor"]["username"].as_str().unwrap_or("-").to_string(),
                r["tenant"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

/// Issue 11: `GET /auth/audit` is scoped like the listing, filtered, newest first.
#[tokio::test]
async fn the_audit_trail_is_scoped_filtered_and_newest_first() {
    let f = fixture().await;
    let by_admin = f.started("acme-admin", "acme-support-1").await;
    f.started("acme-operator", "acme-sales-1").await;
    f.started("globex-admin", "globex-user").await;
    assert_eq!(f.stop_as("acme-admin", &by_admin).await.0, 200);
    // A team admin's own start, through seed 002.
    let (_, token) = f.public_token("acme-team-admin", "acme-support-2").await;
    assert_eq!(f.login(token["token"].as_str().unwrap()).await.0, 200);

    let (status, all) = f.audit("acme-super", &[]).await;
    assert_eq!(status, 200, "{all}");
    let tenants: Vec<String> = events_of(&all).into_iter().map(|(_, _, t)| t).collect();
    assert!(tenants.contains(&"globex".to_string()) && tenants.contains(&"acme".to_string()));
    let times: Vec<&str> = all["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["at"].as_str().unwrap())
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);

    let (_, acme) = f.audit("acme-admin", &[]).await;
    assert!(
        events_of(&acme).iter().all(|(_, _, t)| t == "acme"),
        "{acme}"
    );
    let (_, stopped) = f.audit("acme-admin", &[("event", "stopped")]).await;
    assert_eq!(
        events_of(&stopped),
        vec![("stopped".into(), "acme-admin".into(), "acme".into())]
    );
    assert_eq!(stopped["records"][0]["impersonation_id"], by_admin.as_str());
    assert_eq!(stopped["records"][0]["mode"], "read_only");
    let (_, by_operator) = f.audit("acme-admin", &[("actor", "acme-operator")]).await;
    assert!(!events_of(&by_operator).is_empty());
    assert!(events_of(&by_operator)
        .iter()
        .all(|(_, a, _)| a == "acme-operator"));

    // Every start, whatever dialect made it: the one-step starts and the team admin's
    // exchanged two-step token, never the token's issue.
    let (_, starts) = f.audit("acme-admin", &[("event", "starts")]).await;
    let kinds: Vec<String> = events_of(&starts).into_iter().map(|(e, _, _)| e).collect();
    assert!(kinds.contains(&"started".to_string()), "{starts}");
    assert!(kinds.contains(&"exchanged".to_string()), "{starts}");
    assert!(
        kinds.iter().all(|e| e == "started" || e == "exchanged"),
        "{starts}"
    );

    // A team admin reads what they did, whatever they ask for.
    let (_, own) = f.audit("acme-team-admin", &[]).await;
    assert!(!events_of(&own).is_empty());
    assert!(
        events_of(&own)
            .iter()
            .all(|(_, a, _)| a == "acme-team-admin"),
        "{own}"
    );
    let (_, others) = f.audit("acme-team-admin", &[("actor", "acme-admin")]).await;
    assert!(events_of(&others).is_empty());
    // A member reads what was done as them.
    let (_, as_me) = f.audit("acme-support-1", &[("target", "me")]).await;
    assert!(events_of(&as_me)
        .iter()
        .any(|(e, a, _)| e == "started" && a == "acme-admin"));

    for (params, expected) in [
        (vec![("event", "launched")], 400),
        (vec![("since", "yesterday")], 400),
        (vec![("until", "soon")], 400),
        (
            vec![("since", "2000000000000"), ("until", "1000000000000")],
            400,
        ),
        (vec![("since", "99999999999999")], 400),
        (vec![("since", "2999-01-01T00:00:00Z")], 400),
    ] {
        let (status, body) = f.audit("acme-admin", &params).await;
        assert_eq!(status, expected, "{params:?}: {body}");
        assert_eq!(body["status"], "error");
    }
    let (_, later) = f
        .audit("acme-admin", &[("since", "2200-01-01T00:00:00Z")])
        .await;
    assert!(events_of(&later).is_empty());
}
