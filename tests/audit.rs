//! The audit trail against the deployed stack: a scripted scenario in a tenant of its own, its
//! records counted and checked field by field (denials included), and its events delivered by
//! an EventBridge rule to an SQS queue.

use actas_integration_tests::{received, subscribe, Harness};

#[tokio::test]
async fn a_scripted_scenario_is_on_record_and_announced() {
    let h = Harness::new().await;
    let tenant = format!("audit-{}", &actas_integration_tests::uuid_like()[..8]);
    let (sqs, queue) = subscribe(&h, &tenant).await;
    let admin = h.fresh_user("admin", &tenant, None).await;
    let user = h.fresh_user("user", &tenant, None).await;
    let other = h.fresh_user("user", &tenant, None).await;
    let admin_token = h.id_token_of(&admin).await;

    // 1. started, 2. denied (a plain user tries), 3. stopped.
    let path = format!(
        "/auth/impersonate?uuid={}&reason=Audit+scenario&ticket=AUD-1",
        user.sub
    );
    let started = h
        .post_impersonate(&path, Some(&admin_token), None, None)
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    let id = started.body["impersonation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let denied_path = format!("/auth/impersonate?uuid={}&reason=no", other.sub);
    let denied = h
        .post_impersonate(&denied_path, Some(&h.id_token_of(&user).await), None, None)
        .await;
    assert_eq!(denied.status, 403);
    let stopped = h
        .delete(&format!("/auth/impersonations/{id}"), &admin_token)
        .await;
    assert_eq!(stopped.status, 200);

    let records = h.audit_records(&tenant).await;
    let events: Vec<&str> = records.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        events,
        ["started", "denied", "stopped"],
        "exactly one record per attempt"
    );

    let start = &records[0];
    assert_eq!(start.outcome, "success");
    assert_eq!(start.actor_sub.as_deref(), Some(admin.sub.as_str()));
    assert_eq!(
        start.actor_username.as_deref(),
        Some(admin.username.as_str())
    );
    assert_eq!(start.target_sub.as_deref(), Some(user.sub.as_str()));
    assert_eq!(start.tenant.as_deref(), Some(tenant.as_str()));
    assert_eq!(start.reason.as_deref(), Some("Audit scenario"));
    assert_eq!(start.ticket.as_deref(), Some("AUD-1"));
    assert_eq!(start.impersonation_id.as_deref(), Some(id.as_str()));
    assert!(start.source_ip.is_some(), "the source IP is kept");
    assert_eq!(
        start.user_agent.as_deref(),
        Some(actas_integration_tests::USER_AGENT),
        "the user agent is kept"
    );

    let denial = &records[1];
    assert_eq!(denial.outcome, "denied");
    assert_eq!(denial.cause.as_deref(), Some("role_not_permitted"));
    assert_eq!(
        denial.actor_username.as_deref(),
        Some(user.username.as_str())
    );
    assert_eq!(denial.target_username.as_deref(), Some(other.sub.as_str()));

    assert_eq!(
        records[2].cause.as_deref(),
        Some(format!("stopped by {}", admin.username).as_str())
    );
    assert_eq!(records[2].impersonation_id.as_deref(), Some(id.as_str()));

    let delivered = received(&sqs, &queue, 3).await;
    let mut types: Vec<&str> = delivered
        .iter()
        .filter_map(|e| e["detail-type"].as_str())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "Impersonation Denied",
            "Impersonation Ended",
            "Impersonation Started"
        ],
        "{delivered:?}"
    );
    assert!(delivered
        .iter()
        .all(|e| e["source"] == "actas" && e["detail"]["tenant"] == tenant.as_str()));
}
