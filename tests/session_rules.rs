//! Issue 18: the rules hold for the whole session. No token outlives its impersonation, an
//! access request is redeemed only under the rules in force, a person disabled, demoted or moved
//! loses what they started, break-glass skips only what it says, every input is validated, and
//! the record says who did it. Every test runs in a tenant of its own, so its settings touch
//! nobody else.

use std::time::Duration;

use actas_integration_tests::{
    assert_error, jwt_claims, now_millis, uuid_like, ApiResponse, Harness, StackUser,
};
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use serde_json::{json, Value};

/// The local stack's mint window (`MintWindowSeconds`, left at its default).
const MINT_WINDOW_SECS: i64 = 60;

/// A tenant of the test's own: two admins, an operator and a member of team `support`.
struct Tenant {
    name: String,
    admin: StackUser,
    second_admin: StackUser,
    operator: StackUser,
    member: StackUser,
}

async fn tenant(h: &Harness) -> Tenant {
    let name = format!("rules-{}", &uuid_like()[..8]);
    let (admin, second_admin, operator, member) = tokio::join!(
        h.fresh_user("admin", &name, None),
        h.fresh_user("admin", &name, None),
        h.fresh_user("operator", &name, None),
        h.fresh_user("user", &name, Some("support")),
    );
    Tenant {
        name,
        admin,
        second_admin,
        operator,
        member,
    }
}

async fn set_settings(h: &Harness, as_user: &StackUser, change: Value) -> ApiResponse {
    let token = h.id_token_of(as_user).await;
    h.send("PUT", "/auth/settings", Some(&token), Some(&change))
        .await
}

async fn settings_changed(h: &Harness, as_user: &StackUser, change: Value) {
    let changed = set_settings(h, as_user, change.clone()).await;
    assert_eq!(changed.status, 200, "{change}: {}", changed.body);
}

/// Seed 000's one-step start (`?uuid=`, no API key) with a reason and ticket unless `extra`
/// names others.
async fn start(h: &Harness, actor: &StackUser, target: &StackUser, extra: Value) -> ApiResponse {
    let token = h.id_token_of(actor).await;
    let mut body = json!({"reason": "session rules", "ticket": "RULES-1"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    h.send(
        "POST",
        &format!("/auth/impersonate?uuid={}", target.sub),
        Some(&token),
        Some(&body),
    )
    .await
}

async fn decide(h: &Harness, who: &StackUser, id: &str, action: &str) -> ApiResponse {
    let token = h.id_token_of(who).await;
    h.send(
        "POST",
        &format!("/auth/requests/{id}/{action}"),
        Some(&token),
        Some(&json!({"comment": "checked"})),
    )
    .await
}

async fn consent(h: &Harness, target: &StackUser, id: &str) -> ApiResponse {
    let token = h.id_token_of(target).await;
    h.send(
        "POST",
        &format!("/auth/requests/{id}/consent"),
        Some(&token),
        Some(&json!({"accept": true})),
    )
    .await
}

/// A response body without its tokens, for a failure's message.
fn without_tokens(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(fields) = body.as_object_mut() {
        for secret in ["session", "token", "impersonator_revert_token"] {
            fields.remove(secret);
        }
    }
    body
}

/// A start that must wait: 202, no session, the request's id.
fn waiting(response: &ApiResponse, context: &str) -> String {
    assert_eq!(
        response.status,
        202,
        "{context}: {}",
        without_tokens(&response.body)
    );
    assert!(
        response.body.get("session").is_none(),
        "{context}: no session while waiting: {}",
        without_tokens(&response.body)
    );
    assert_eq!(response.body["status"], "pending", "{context}");
    response.body["id"]
        .as_str()
        .expect("a request id")
        .to_string()
}

/// Epoch seconds of an RFC 3339 UTC time (`2026-11-30T04:10:00.000Z`).
fn epoch_secs(rfc3339: &str) -> i64 {
    use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(rfc3339, DateTimeFormat::DateTime)
        .unwrap_or_else(|e| panic!("RFC 3339 {rfc3339}: {e}"))
        .secs()
}

fn now_secs() -> i64 {
    now_millis() / 1000
}

/// A numeric claim, whether the token carries it as a number or as a string.
fn claim_secs(claims: &Value, name: &str) -> i64 {
    match &claims[name] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .unwrap_or_else(|| panic!("{name} in {claims}"))
}

/// Neither token expires after the hard end, and both name it.
fn assert_tokens_end_by(id_token: &str, access_token: &str, hard_end: i64, context: &str) {
    for (which, token) in [("id", id_token), ("access", access_token)] {
        let claims = jwt_claims(token).expect("a JWT");
        assert_eq!(
            claim_secs(&claims, "impersonation_expires_at"),
            hard_end,
            "{context}: the {which} token names the impersonation's hard end"
        );
        let exp = claim_secs(&claims, "exp");
        assert!(
            exp <= hard_end,
            "{context}: the {which} token expires at {exp}, {} s after the impersonation's hard end {hard_end}",
            exp - hard_end
        );
    }
}

/// How long after a start its first tokens may still be valid: the mint window plus the
/// validity of the tokens the pool issues impersonated sessions (by default 60 s + 5 min =
/// 360 s), measured on a session of the tenant's `operator` as `member` before any limit is set.
/// No hard end may be sooner.
async fn token_horizon(h: &Harness, t: &Tenant) -> i64 {
    let measured = start(h, &t.operator, &t.member, json!({"reason": "measuring"})).await;
    assert_eq!(measured.status, 200, "{}", without_tokens(&measured.body));
    let validity = ["authorization", "accessToken"]
        .iter()
        .map(|which| {
            let claims =
                jwt_claims(measured.body["session"][which].as_str().unwrap()).expect("a JWT");
            claim_secs(&claims, "exp") - claim_secs(&claims, "iat")
        })
        .max()
        .unwrap_or_default();
    MINT_WINDOW_SECS + validity
}

/// A session minted between `before` and now under a tenant limit of `horizon`: its hard end is
/// that limit, and none of its tokens outlives it. Returns the hard end.
fn assert_no_token_outlives(payload: &Value, before: i64, horizon: i64, context: &str) -> i64 {
    let hard_end = epoch_secs(
        payload["impersonation"]["expires_at"]
            .as_str()
            .unwrap_or_else(|| panic!("{context}: the payload's hard end: {payload}")),
    );
    assert!(
        (before + horizon..=now_secs() + horizon).contains(&hard_end),
        "{context}: the tenant's {horizon} s decide the hard end {hard_end} (started at {before})"
    );
    assert_tokens_end_by(
        payload["session"]["authorization"]
            .as_str()
            .expect("id token"),
        payload["session"]["accessToken"]
            .as_str()
            .expect("access token"),
        hard_end,
        context,
    );
    hard_end
}

/// The live impersonations of `target` an admin of the tenant sees.
async fn live_impersonations_of(h: &Harness, admin: &StackUser, target: &StackUser) -> Vec<Value> {
    let token = h.id_token_of(admin).await;
    let listed = h
        .get(
            &format!("/auth/impersonations?target={}&active=true", target.sub),
            Some(&token),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    listed.body["impersonations"]
        .as_array()
        .expect("impersonations")
        .clone()
}

#[tokio::test]
async fn no_token_outlives_its_impersonation_on_any_minting_path() {
    let h = Harness::new().await;
    let t = tenant(&h).await;

    // No hard end may be sooner than the mint window plus the tokens' validity.
    let horizon = token_horizon(&h, &t).await;
    let refused = set_settings(&h, &t.admin, json!({"max_duration_seconds": horizon - 1})).await;
    assert_error(&refused, 422, &format!("{} s", horizon - 1));
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains(&horizon.to_string()),
        "the message names the shortest allowed, {horizon}: {}",
        refused.body
    );
    let accepted = set_settings(&h, &t.admin, json!({"max_duration_seconds": horizon})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body["max_duration_seconds"], horizon);

    // One step (seed 000), and a refresh through the payload's endpointUrl.
    let before = now_secs();
    let one_step = start(&h, &t.operator, &t.member, json!({})).await;
    assert_eq!(one_step.status, 200, "{}", one_step.body);
    let hard_end = assert_no_token_outlives(&one_step.body, before, horizon, "one-step start");
    let (id_token, access_token) = h
        .refresh_session(&one_step.body)
        .await
        .expect("a refresh well before the hard end");
    assert_tokens_end_by(&id_token, &access_token, hard_end, "refresh");

    // Two steps, seed 002: a team admin of the member's team.
    let team_admin = h.fresh_user("team-admin", &t.name, Some("support")).await;
    let team_admin_token = h.id_token_of(&team_admin).await;
    let issued = h
        .get(
            &format!(
                "/api/public/coworkers/{}/impersonate?reason=session+rules",
                t.member.sub
            ),
            Some(&team_admin_token),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let before = now_secs();
    let seed_002 = h
        .post(
            &format!(
                "/api/public/auth/login/{}",
                issued.body["token"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(seed_002.status, 200, "{}", seed_002.body);
    assert_no_token_outlives(&seed_002.body, before, horizon, "seed 002 exchange");

    // Two steps, seed 003: an operator.
    let operator_token = h.id_token_of(&t.operator).await;
    let issued = h
        .get(
            &format!(
                "/api/sys/users/impersonate?coworkerId={}&reason=session+rules",
                t.member.username
            ),
            Some(&operator_token),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let before = now_secs();
    let seed_003 = h
        .post(
            "/api/sys/users/exchange",
            &json!({"token": issued.body["token"]}),
        )
        .await;
    assert_eq!(seed_003.status, 200, "{}", seed_003.body);
    assert_no_token_outlives(&seed_003.body, before, horizon, "seed 003 exchange");

    // Break-glass: a super-admin of the tenant, with reason and ticket.
    let superadmin = h.fresh_user("super-admin", &t.name, None).await;
    let before = now_secs();
    let glass = start(
        &h,
        &superadmin,
        &t.member,
        json!({"break_glass": true, "reason": "outage", "ticket": "INC-18"}),
    )
    .await;
    assert_eq!(glass.status, 200, "{}", glass.body);
    assert_no_token_outlives(&glass.body, before, horizon, "break-glass start");

    // Consented: the target says yes, the start redeems.
    settings_changed(&h, &t.admin, json!({"consent": "always"})).await;
    let consented = json!({"reason": "consented start"});
    let asked = start(&h, &t.operator, &t.member, consented.clone()).await;
    let id = waiting(&asked, "consent needed");
    let given = consent(&h, &t.member, &id).await;
    assert_eq!(given.status, 200, "{}", given.body);
    let before = now_secs();
    let redeemed = start(&h, &t.operator, &t.member, consented).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.body);
    assert_no_token_outlives(&redeemed.body, before, horizon, "consented start");

    // Approved: another admin approves, the start redeems.
    settings_changed(
        &h,
        &t.admin,
        json!({"consent": "never", "approval": {"always": true}}),
    )
    .await;
    let approved = json!({"reason": "approved start"});
    let asked = start(&h, &t.operator, &t.member, approved.clone()).await;
    let id = waiting(&asked, "approval needed");
    let decided = decide(&h, &t.second_admin, &id, "approve").await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let before = now_secs();
    let redeemed = start(&h, &t.operator, &t.member, approved).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.body);
    assert_no_token_outlives(&redeemed.body, before, horizon, "approved start");
}

#[tokio::test]
async fn a_consented_request_waits_again_when_the_tenant_then_requires_approval() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    settings_changed(&h, &t.admin, json!({"consent": "always"})).await;
    let asked = start(&h, &t.operator, &t.member, json!({})).await;
    let id = waiting(&asked, "consent needed");
    assert_eq!(
        (&asked.body["approval"], &asked.body["consent"]),
        (&json!("not_required"), &json!("pending"))
    );
    let given = consent(&h, &t.member, &id).await;
    assert_eq!(given.status, 200, "{}", given.body);

    // The tenant now also requires approval: the consented request is not enough.
    settings_changed(&h, &t.admin, json!({"approval": {"always": true}})).await;
    let again = start(&h, &t.operator, &t.member, json!({})).await;
    waiting(&again, "approval now needed too");
    assert_eq!(again.body["approval"], "pending", "{}", again.body);
    assert!(
        live_impersonations_of(&h, &t.admin, &t.member)
            .await
            .is_empty(),
        "nothing minted while the approval is pending"
    );
    let still = start(&h, &t.operator, &t.member, json!({})).await;
    waiting(&still, "until someone approves");

    let pending_id = again.body["id"].as_str().unwrap();
    let approved = decide(&h, &t.second_admin, pending_id, "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let session = start(&h, &t.operator, &t.member, json!({})).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(session.body["username"], t.member.username.as_str());
}

#[tokio::test]
async fn an_approved_request_waits_again_when_the_tenant_then_requires_consent() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    settings_changed(&h, &t.admin, json!({"approval": {"always": true}})).await;
    let asked = start(&h, &t.operator, &t.member, json!({})).await;
    let id = waiting(&asked, "approval needed");
    assert_eq!(
        (&asked.body["approval"], &asked.body["consent"]),
        (&json!("pending"), &json!("not_required"))
    );
    let approved = decide(&h, &t.second_admin, &id, "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);

    // The tenant now also requires the target's consent.
    settings_changed(&h, &t.admin, json!({"consent": "always"})).await;
    let again = start(&h, &t.operator, &t.member, json!({})).await;
    waiting(&again, "consent now needed too");
    assert_eq!(again.body["consent"], "pending", "{}", again.body);
    assert!(
        live_impersonations_of(&h, &t.admin, &t.member)
            .await
            .is_empty(),
        "nothing minted while consent is pending"
    );
    let still = start(&h, &t.operator, &t.member, json!({})).await;
    waiting(&still, "until the target consents");

    let given = consent(&h, &t.member, again.body["id"].as_str().unwrap()).await;
    assert_eq!(given.status, 200, "{}", given.body);
    let session = start(&h, &t.operator, &t.member, json!({})).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(session.body["username"], t.member.username.as_str());
}

#[tokio::test]
async fn an_approval_is_bound_to_its_ticket_and_its_target() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    let other_member = h.fresh_user("user", &t.name, Some("support")).await;
    settings_changed(&h, &t.admin, json!({"approval": {"always": true}})).await;
    let ticket_a = json!({"ticket": "TICKET-A"});
    let asked = start(&h, &t.operator, &t.member, ticket_a.clone()).await;
    let id = waiting(&asked, "approval needed");
    let approved = decide(&h, &t.second_admin, &id, "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);

    // Another ticket: a new request, not a session.
    let ticket_b = start(&h, &t.operator, &t.member, json!({"ticket": "TICKET-B"})).await;
    let other_id = waiting(&ticket_b, "the same start under another ticket");
    assert_ne!(other_id, id, "a new request");
    assert_eq!(ticket_b.body["approval"], "pending");
    assert_eq!(ticket_b.body["ticket"], "TICKET-B");

    // Another target: a new request, not a session.
    let elsewhere = start(&h, &t.operator, &other_member, ticket_a.clone()).await;
    let elsewhere_id = waiting(&elsewhere, "the approved ticket on another member");
    assert_ne!(elsewhere_id, id, "a new request");
    assert_eq!(elsewhere.body["target"]["sub"], other_member.sub.as_str());
    assert!(live_impersonations_of(&h, &t.admin, &other_member)
        .await
        .is_empty());

    // The approval still opens what it was given for.
    let session = start(&h, &t.operator, &t.member, ticket_a).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(session.body["impersonation"]["ticket"], "TICKET-A");
}

#[tokio::test]
async fn a_team_admin_cannot_approve_a_full_request_while_an_admin_can() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    let team_admin = h.fresh_user("team-admin", &t.name, Some("support")).await;
    settings_changed(&h, &t.admin, json!({"approval": {"always": true}})).await;

    // A read-only request of their own member's: the team admin may approve it.
    let read_only = start(&h, &t.operator, &t.member, json!({"reason": "look"})).await;
    let id = waiting(&read_only, "read-only, approval needed");
    let approved = decide(&h, &team_admin, &id, "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);

    // A full one: they may only start read-only themself, so they may not approve it.
    let full = start(&h, &t.operator, &t.member, json!({"mode": "full"})).await;
    let id = waiting(&full, "full, approval needed");
    let refused = decide(&h, &team_admin, &id, "approve").await;
    assert_error(&refused, 403, "a team admin approving full");
    assert!(
        refused.body["message"].as_str().unwrap().contains("full"),
        "{}",
        refused.body
    );
    let still = start(&h, &t.operator, &t.member, json!({"mode": "full"})).await;
    waiting(&still, "not approved by the refusal");
    let by_admin = decide(&h, &t.admin, &id, "approve").await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    let session = start(&h, &t.operator, &t.member, json!({"mode": "full"})).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(session.body["impersonation"]["mode"], "full");
}

/// An admin's live `full` session on the tenant's member, proved writable before any change.
async fn live_full_session(h: &Harness, actor: &StackUser, target: &StackUser) -> Value {
    let started = start(h, actor, target, json!({"mode": "full"})).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let payload = started.body;
    let access = payload["session"]["accessToken"].as_str().unwrap();
    let written = h
        .send(
            "POST",
            "/demo/notes",
            Some(access),
            Some(&json!({"text": "before the change"})),
        )
        .await;
    assert_eq!(
        written.status, 201,
        "a live full session writes: {}",
        written.body
    );
    assert_eq!(token_check(h, &payload).await["valid"], true);
    payload
}

async fn token_check(h: &Harness, payload: &Value) -> Value {
    let access = payload["session"]["accessToken"].as_str().unwrap();
    let check = h.get("/auth/token", Some(access)).await;
    assert_eq!(check.status, 200, "{}", check.body);
    check.body
}

/// `GET /auth/token` says the token is not valid and its impersonation not active.
async fn assert_token_check_refuses(h: &Harness, payload: &Value, context: &str) {
    let check = token_check(h, payload).await;
    assert_eq!(check["valid"], false, "{context}: {check}");
    assert_eq!(
        check["impersonation"]["active"], false,
        "{context}: {check}"
    );
}

/// The sample service, through the actas authorizer, refuses a write.
async fn assert_write_refused(h: &Harness, payload: &Value, context: &str) {
    let access = payload["session"]["accessToken"].as_str().unwrap();
    let refused = h
        .send(
            "POST",
            "/demo/notes",
            Some(access),
            Some(&json!({"text": "after the change"})),
        )
        .await;
    assert_error(&refused, 401, &format!("{context}: a write"));
}

/// actas's session endpoint (`POST /auth/cognito`) refuses `GetUser`, and a refresh.
async fn assert_session_endpoint_refuses(h: &Harness, payload: &Value, context: &str) {
    let access = payload["session"]["accessToken"].as_str().unwrap();
    let user = h
        .session_cognito(payload)
        .get_user()
        .access_token(access)
        .send()
        .await;
    assert!(
        user.is_err(),
        "{context}: GetUser through actas answered {:?}",
        user.map(|u| (
            u.username().to_string(),
            u.user_attributes()
                .iter()
                .map(|a| format!("{}={}", a.name(), a.value().unwrap_or_default()))
                .collect::<Vec<_>>()
        ))
    );
    let refreshed = h.refresh_session(payload).await;
    assert!(refreshed.is_err(), "{context}: a refresh: {refreshed:?}");
}

/// The `stopped` record of the impersonation, once it is there: its cause.
async fn stopped_cause(h: &Harness, tenant: &str, impersonation_id: &str) -> String {
    for _ in 0..40 {
        let found = h
            .audit_records(tenant)
            .await
            .into_iter()
            .find(|r| {
                r.event == actas::domain::audit::AuditEvent::Stopped
                    && r.impersonation_id.as_deref() == Some(impersonation_id)
            })
            .and_then(|r| r.cause);
        if let Some(cause) = found {
            return cause;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no stopped record for {impersonation_id} in {tenant}");
}

async fn assert_ended_by_policy(h: &Harness, t: &Tenant, payload: &Value, why: &str) {
    let id = payload["impersonation"]["id"].as_str().unwrap();
    let cause = stopped_cause(h, &t.name, id).await;
    assert!(
        cause.starts_with("ended by a policy change") && cause.contains(why),
        "the record says why: {cause}"
    );
}

fn impersonation_id(payload: &Value) -> &str {
    payload["impersonation"]["id"].as_str().unwrap()
}

async fn set_attribute(h: &Harness, username: &str, name: &str, value: &str) {
    h.cognito
        .admin_update_user_attributes()
        .user_pool_id(&h.stack.user_pool_id)
        .username(username)
        .user_attributes(
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .expect("attributes updated");
}

#[tokio::test]
async fn an_actor_disabled_loses_the_session_they_started() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    let payload = live_full_session(&h, &t.admin, &t.member).await;
    let untouched = live_full_session(&h, &t.second_admin, &t.member).await;
    h.cognito
        .admin_disable_user()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&t.admin.username)
        .send()
        .await
        .expect("disabled");

    // The sample service's write comes first: the authorizer's check alone ends it.
    assert_write_refused(&h, &payload, "actor disabled").await;
    assert_token_check_refuses(&h, &payload, "actor disabled").await;
    assert_session_endpoint_refuses(&h, &payload, "actor disabled").await;
    assert_ended_by_policy(&h, &t, &payload, "disabled").await;
    assert_eq!(
        token_check(&h, &untouched).await["valid"],
        true,
        "another admin's session on the same member goes on"
    );
}

#[tokio::test]
async fn an_actor_demoted_loses_the_session_they_started() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    let payload = live_full_session(&h, &t.admin, &t.member).await;
    h.cognito
        .admin_remove_user_from_group()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&t.admin.username)
        .group_name("admin")
        .send()
        .await
        .expect("removed from the admin group");

    // actas's own session endpoint comes first: it must not serve a session the policy no
    // longer allows, whether or not anything checked the token before.
    assert_session_endpoint_refuses(&h, &payload, "actor demoted").await;
    assert_token_check_refuses(&h, &payload, "actor demoted").await;
    assert_write_refused(&h, &payload, "actor demoted").await;
    assert_ended_by_policy(&h, &t, &payload, "not permitted").await;

    // Promoted again, they start afresh: the ended session stays ended.
    h.cognito
        .admin_add_user_to_group()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&t.admin.username)
        .group_name("admin")
        .send()
        .await
        .expect("back in the admin group");
    assert_token_check_refuses(&h, &payload, "promoted again").await;
}

#[tokio::test]
async fn an_actor_moved_to_another_tenant_loses_the_session_they_started() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    let payload = live_full_session(&h, &t.admin, &t.member).await;
    let elsewhere = format!("{}-moved", t.name);
    set_attribute(&h, &t.admin.username, "custom:tenant_id", &elsewhere).await;

    // The token check comes first.
    assert_token_check_refuses(&h, &payload, "actor moved").await;
    assert_write_refused(&h, &payload, "actor moved").await;
    assert_session_endpoint_refuses(&h, &payload, "actor moved").await;
    assert_ended_by_policy(&h, &t, &payload, "tenant").await;
}

#[tokio::test]
async fn a_target_disabled_is_released_by_the_change_event_without_a_token_check() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    let other_member = h.fresh_user("user", &t.name, Some("support")).await;
    let payload = live_full_session(&h, &t.admin, &t.member).await;
    let untouched = live_full_session(&h, &t.admin, &other_member).await;
    h.cognito
        .admin_disable_user()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&t.member.username)
        .send()
        .await
        .expect("disabled");
    let applied = h.announce("AdminDisableUser", &t.member.username).await;
    let id = impersonation_id(&payload);
    assert!(
        applied["ended"]
            .as_array()
            .is_some_and(|ended| ended.iter().any(|e| e == id)),
        "the change event ends it: {applied}"
    );

    // Ended before anyone presented a token: on record, and no longer live.
    assert_ended_by_policy(&h, &t, &payload, "disabled").await;
    assert!(
        live_impersonations_of(&h, &t.admin, &t.member)
            .await
            .is_empty(),
        "no live impersonation of the disabled member"
    );
    assert_token_check_refuses(&h, &payload, "target disabled").await;
    assert_session_endpoint_refuses(&h, &payload, "target disabled").await;
    assert_eq!(
        token_check(&h, &untouched).await["valid"],
        true,
        "the same actor's session on another member goes on"
    );
}

#[tokio::test]
async fn break_glass_skips_approval_but_not_who_may_start_full() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    let superadmin = h.fresh_user("super-admin", &t.name, None).await;
    settings_changed(&h, &t.admin, json!({"full_mode_roles": ["admin"]})).await;
    let member_token = h.id_token_of(&t.member).await;
    let protected = h
        .send(
            "PUT",
            "/auth/users/me/protection",
            Some(&member_token),
            Some(&json!({"protected": true})),
        )
        .await;
    assert_eq!(protected.status, 200, "{}", protected.body);
    let glass = json!({"break_glass": true, "reason": "outage", "ticket": "INC-4"});

    // Full is the admins' only: break-glass does not change that.
    let mut full = glass.clone();
    full["mode"] = json!("full");
    let refused = start(&h, &superadmin, &t.member, full).await;
    assert_eq!(
        refused.status,
        403,
        "a super-admin's break-glass full start: {}",
        without_tokens(&refused.body)
    );
    assert_error(&refused, 403, "a super-admin's break-glass full start");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "refused as full_mode_not_permitted: {}",
        refused.body
    );
    assert!(live_impersonations_of(&h, &t.admin, &t.member)
        .await
        .is_empty());

    // The protected member needs approval: a read-only start without break-glass waits, the
    // same start with break-glass goes through.
    let ordinary = start(
        &h,
        &superadmin,
        &t.member,
        json!({"reason": "outage", "ticket": "INC-4"}),
    )
    .await;
    waiting(&ordinary, "a protected account without break-glass");
    let mut read_only = glass.clone();
    read_only["mode"] = json!("read_only");
    let session = start(&h, &superadmin, &t.member, read_only).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(session.body["impersonation"]["mode"], "read_only");
    assert_eq!(session.body["username"], t.member.username.as_str());
}

#[tokio::test]
async fn every_audit_window_and_settings_tenant_is_validated() {
    let h = Harness::new().await;
    let t = tenant(&h).await;
    for user in [&t.member, &t.admin] {
        let token = h.id_token_of(user).await;
        for window in [
            "since=2000000000000&until=1000000000000",
            "since=1&until=0",
            "since=99999999999999",
            "since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
        ] {
            let refused = h.get(&format!("/auth/audit?{window}"), Some(&token)).await;
            assert_error(&refused, 400, &format!("{} {window}", user.role));
        }
        let fine = h
            .get(
                "/auth/audit?since=1000&until=2026-01-01T00:00:00Z",
                Some(&token),
            )
            .await;
        assert_eq!(fine.status, 200, "{}: {}", user.role, fine.body);
    }

    let superadmin = h.fresh_user("super-admin", &t.name, None).await;
    let token = h.id_token_of(&superadmin).await;
    let long = "a".repeat(3000);
    for tenant in [long.as_str(), "a%01b"] {
        let refused = h
            .get(&format!("/auth/settings?tenant={tenant}"), Some(&token))
            .await;
        assert_error(
            &refused,
            400,
            &format!("tenant={}", &tenant[..tenant.len().min(16)]),
        );
    }
    let fine = h
        .get(&format!("/auth/settings?tenant={}", t.name), Some(&token))
        .await;
    assert_eq!(fine.status, 200, "{}", fine.body);
    assert_eq!(fine.body["tenant"], t.name.as_str());
}

#[tokio::test]
async fn the_record_says_who_stopped_a_session_and_every_start_is_one_filter() {
    let h = Harness::new().await;
    let t = tenant(&h).await;

    // The banner's Stop: the impersonated session ends itself, and the record names its actor.
    let one_step = start(&h, &t.admin, &t.member, json!({})).await;
    assert_eq!(one_step.status, 200, "{}", one_step.body);
    let one_step_id = impersonation_id(&one_step.body).to_string();
    let stopped = h
        .delete(
            "/auth/impersonate",
            one_step.body["token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    let cause = stopped_cause(&h, &t.name, &one_step_id).await;
    assert_eq!(
        cause,
        format!(
            "stopped by {} through the impersonated session",
            t.admin.username
        )
    );

    // A two-step start (seed 003): a token issued, then exchanged.
    let operator_token = h.id_token_of(&t.operator).await;
    let issued = h
        .get(
            &format!(
                "/api/sys/users/impersonate?coworkerId={}&reason=two+steps",
                t.member.username
            ),
            Some(&operator_token),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let exchanged = h
        .post(
            "/api/sys/users/exchange",
            &json!({"token": issued.body["token"]}),
        )
        .await;
    assert_eq!(exchanged.status, 200, "{}", exchanged.body);
    let two_step_id = impersonation_id(&exchanged.body).to_string();

    let admin = h.id_token_of(&t.admin).await;
    let events_of = |body: &Value| -> Vec<(String, Option<String>)> {
        body["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| {
                (
                    r["event"].as_str().unwrap().to_string(),
                    r["impersonation_id"].as_str().map(str::to_string),
                )
            })
            .collect()
    };
    let starts = h.get("/auth/audit?event=starts", Some(&admin)).await;
    assert_eq!(starts.status, 200, "{}", starts.body);
    let starts = events_of(&starts.body);
    assert!(
        starts.contains(&("started".into(), Some(one_step_id.clone()))),
        "the one-step start: {starts:?}"
    );
    assert!(
        starts.contains(&("exchanged".into(), Some(two_step_id.clone()))),
        "the two-step exchange: {starts:?}"
    );
    assert!(
        starts
            .iter()
            .all(|(event, _)| event == "started" || event == "exchanged"),
        "starts only, no token_issued: {starts:?}"
    );
    // The token's issue is on record, under its own name.
    let issues = h.get("/auth/audit?event=token_issued", Some(&admin)).await;
    assert!(
        events_of(&issues.body)
            .iter()
            .any(|(event, _)| event == "token_issued"),
        "{}",
        issues.body
    );
}
