//! Issue 19 item 2: the idle timeout. An impersonated session not refreshed for its idle timeout
//! (`ImpersonationIdleSeconds`, or the tenant's shorter `idle_seconds`) is over: its refresh is
//! refused, the token check calls it not valid, and the cleanup ends and revokes one nobody
//! asked about — each on record as ended for idleness. The shortest idle timeout is minutes, so
//! instead of waiting a test moves a live session's last use back in the table. Every test runs
//! in a tenant of its own.

use actas::domain::grant::{Impersonation, ImpersonationStatus};
use actas::ports::grants::ImpersonationStore;
use actas_integration_tests::{now_millis, uuid_like, Harness, StackUser};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

const IDLE_CAUSE: &str = "ended for idleness";

/// A tenant of the test's own: an admin and `members` users to act as.
async fn tenant(h: &Harness, members: usize) -> (String, StackUser, Vec<StackUser>) {
    let name = format!("idle-{}", &uuid_like()[..8]);
    let admin = h.fresh_user("admin", &name, None).await;
    let mut users = Vec::new();
    for _ in 0..members {
        users.push(h.fresh_user("user", &name, None).await);
    }
    (name, admin, users)
}

/// `actor` starts an impersonation of `target` (seed 000, `?uuid=`): the session payload.
async fn start(h: &Harness, actor: &StackUser, target: &StackUser) -> Value {
    let token = h.id_token_of(actor).await;
    let started = h
        .send(
            "POST",
            &format!("/auth/impersonate?uuid={}", target.sub),
            Some(&token),
            Some(&json!({"reason": "idle timeout test"})),
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    started.body
}

fn id_of(payload: &Value) -> String {
    payload["impersonation"]["id"]
        .as_str()
        .expect("an impersonation id")
        .to_string()
}

fn store(h: &Harness) -> actas::adapters::aws::dynamodb::DynamoStore {
    actas::adapters::aws::dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&h.sdk),
        &h.stack.table_name,
    )
}

async fn grant(h: &Harness, id: &str) -> Impersonation {
    store(h)
        .get(id)
        .await
        .expect("read")
        .expect("the impersonation")
}

/// Writes a live session's last use back past its idle timeout, as if it had gone unused that
/// long.
async fn make_idle(h: &Harness, id: &str) {
    let imp = grant(h, id).await;
    assert!(
        imp.idle_secs > 0,
        "the deployment gives sessions an idle timeout: {imp:?}"
    );
    let then = now_millis() / 1000 - imp.idle_secs - 5;
    aws_sdk_dynamodb::Client::new(&h.sdk)
        .update_item()
        .table_name(&h.stack.table_name)
        .key("pk", AttributeValue::S(format!("IMP#{id}")))
        .key("sk", AttributeValue::S("IMPERSONATION".into()))
        .update_expression("SET last_active_at = :then")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":then", AttributeValue::N(then.to_string()))
        .send()
        .await
        .expect("last use written back");
}

/// The causes of the `stopped` records of impersonation `id`.
async fn stop_causes(h: &Harness, tenant: &str, id: &str) -> Vec<String> {
    h.audit_records(tenant)
        .await
        .into_iter()
        .filter(|r| r.event.as_str() == "stopped" && r.impersonation_id.as_deref() == Some(id))
        .filter_map(|r| r.cause)
        .collect()
}

/// Ended for idleness, once, and its refresh token revoked (at once, or by the cleanup).
async fn assert_ended_for_idleness(h: &Harness, tenant: &str, id: &str) {
    let imp = grant(h, id).await;
    assert_eq!(imp.status, ImpersonationStatus::Ended, "{imp:?}");
    let causes = stop_causes(h, tenant, id).await;
    assert_eq!(causes.len(), 1, "one end on record: {causes:?}");
    assert!(causes[0].starts_with(IDLE_CAUSE), "{causes:?}");
}

#[tokio::test]
async fn a_session_in_use_goes_on_and_an_idle_one_is_refused_at_refresh() {
    let h = Harness::new().await;
    let (tenant, admin, users) = tenant(&h, 2).await;
    let used = start(&h, &admin, &users[0]).await;
    let idle = start(&h, &admin, &users[1]).await;

    // The payload says when the session goes idle unless it is used.
    let grant_before = grant(&h, &id_of(&used)).await;
    assert!(grant_before.idle_secs > 0, "{grant_before:?}");
    assert!(
        used["impersonation"]["idle_ends_at"].is_string(),
        "{}",
        used["impersonation"]
    );
    assert_eq!(
        used["impersonation"]["idle_seconds"].as_i64(),
        Some(grant_before.idle_secs)
    );

    // A refresh is a use: the idle timeout counts from it.
    h.refresh_session(&used).await.expect("refreshed");
    let grant_after = grant(&h, &id_of(&used)).await;
    assert!(grant_after.last_active_at >= grant_before.last_active_at);

    // Not refreshed for its idle timeout: refused, ended, revoked.
    make_idle(&h, &id_of(&idle)).await;
    let refused = h.refresh_session(&idle).await;
    let message = refused.expect_err("an idle session refreshed");
    assert!(
        message.contains("Refresh Token has been revoked"),
        "{message}"
    );
    assert_ended_for_idleness(&h, &tenant, &id_of(&idle)).await;
    let revoked = grant(&h, &id_of(&idle)).await;
    assert!(revoked.revoked_at.is_some(), "revoked at once: {revoked:?}");
    assert!(h.refresh_session(&idle).await.is_err(), "and stays refused");

    // The other session goes on.
    h.refresh_session(&used).await.expect("still in use");
}

#[tokio::test]
async fn the_token_check_calls_an_idle_session_not_valid_and_ends_it() {
    let h = Harness::new().await;
    let (tenant, admin, users) = tenant(&h, 1).await;
    let session = start(&h, &admin, &users[0]).await;
    let access = session["session"]["accessToken"]
        .as_str()
        .expect("an access token")
        .to_string();

    let before = h.get("/auth/token", Some(&access)).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["valid"], true, "{}", before.body);
    assert!(
        before.body["impersonation"]["idle_ends_at"].is_string(),
        "{}",
        before.body
    );

    make_idle(&h, &id_of(&session)).await;
    let after = h.get("/auth/token", Some(&access)).await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(after.body["valid"], false, "{}", after.body);
    assert_eq!(
        after.body["impersonation"]["active"], false,
        "{}",
        after.body
    );
    assert_ended_for_idleness(&h, &tenant, &id_of(&session)).await;
    assert!(
        h.refresh_session(&session).await.is_err(),
        "an ended session does not refresh"
    );
}

#[tokio::test]
async fn the_cleanup_ends_and_revokes_idle_sessions_and_leaves_the_rest() {
    let h = Harness::new().await;
    let (tenant, admin, users) = tenant(&h, 2).await;
    let idle = start(&h, &admin, &users[0]).await;
    let in_use = start(&h, &admin, &users[1]).await;
    make_idle(&h, &id_of(&idle)).await;

    let report = h.invoke("CleanupFunction", &json!({})).await;
    assert!(report["ended_idle"].is_u64(), "{report}");

    assert_ended_for_idleness(&h, &tenant, &id_of(&idle)).await;
    let ended = grant(&h, &id_of(&idle)).await;
    assert!(ended.revoked_at.is_some(), "revoked: {ended:?}");
    assert!(
        h.refresh_session(&idle).await.is_err(),
        "its refresh token no longer works"
    );

    let live = grant(&h, &id_of(&in_use)).await;
    assert_eq!(live.status, ImpersonationStatus::Active, "{live:?}");
    assert!(stop_causes(&h, &tenant, &live.id).await.is_empty());
    h.refresh_session(&in_use).await.expect("still in use");
}
