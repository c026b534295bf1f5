use super::*;
use crate::app::authenticate::authenticate;
use crate::app::authenticate::Caller;
use crate::app::impersonate::{start_impersonation, Dialect, StartRequest};
use crate::domain::audit::{AuditEvent, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::{ApprovedTerms, RequestStatus, TenantSettings};
use crate::domain::justification::Justification;
use crate::domain::mode::Mode;
use crate::domain::user::UserRef;
use crate::ports::grants::ImpersonationStore;
use crate::testkit::TestWorld;
use serde_json::json;
use serde_json::Value;

async fn set_idle(world: &TestWorld, seconds: i64) -> Result<TenantSettings> {
    let change = json!({ "idle_seconds": seconds });
    let by = ChangedBy {
        sub: None,
        username: "cli:test".into(),
    };
    let changes = change.as_object().cloned().unwrap_or_default();
    apply_settings_change(
        &world.governance(),
        &world.api().audit,
        "acme",
        &changes,
        &by,
        0,
        &RequestOrigin::default(),
    )
    .await
}

/// The idle timeout `acme-admin`'s start of `acme-support-1` gets, from grant and payload.
async fn started_idle_secs(world: &TestWorld) -> (i64, i64) {
    let bearer = format!("Bearer {}", world.id_token("acme-admin"));
    let caller = authenticate(&world.api(), Some(&bearer)).await.unwrap();
    let payload = match start_as(world, &caller, Mode::ReadOnly, false)
        .await
        .unwrap()
    {
        Started::Now(payload) => payload,
        Started::Pending(_) => panic!("no approval is needed"),
    };
    let summary = payload.impersonation.unwrap();
    let grant = world.store.get(&summary.id).await.unwrap().unwrap();
    (grant.idle_secs, summary.idle_seconds)
}

#[tokio::test]
async fn a_tenants_idle_timeout_is_bounded_and_fixed_at_each_start() {
    // The test world: 960 s of token horizon (60 s mint window, 15-minute tokens), and an
    // idle timeout of 1800 s.
    let mut world = TestWorld::new();
    assert_eq!(
        started_idle_secs(&world).await,
        (1800, 1800),
        "the deployment's"
    );
    for outside in [959, 1801] {
        let err = set_idle(&world, outside).await.unwrap_err();
        assert_eq!(err.status(), 422, "{outside}");
        let text = err.to_string();
        assert!(text.contains("960") && text.contains("1800"), "{text}");
    }
    assert_eq!(set_idle(&world, 1200).await.unwrap().idle_seconds, 1200);
    assert_eq!(
        started_idle_secs(&world).await,
        (1200, 1200),
        "the tenant's"
    );

    // The deployment's shortened below the tenant's: the deployment's applies.
    world.policy.impersonation_idle_secs = 1000;
    let settings = world.governance().settings_for(Some("acme")).await.unwrap();
    assert_eq!(settings.idle_seconds, 1000);
    assert_eq!(started_idle_secs(&world).await, (1000, 1000));
}

async fn set(world: &TestWorld, change: Value) -> TenantSettings {
    let by = ChangedBy {
        sub: None,
        username: "cli:test".into(),
    };
    apply_settings_change(
        &world.governance(),
        &world.api().audit,
        "acme",
        change.as_object().unwrap(),
        &by,
        0,
        &RequestOrigin::default(),
    )
    .await
    .unwrap()
}

/// `username` signed in `age` seconds ago (`None`: a token without `auth_time`).
async fn signed_in(world: &TestWorld, username: &str, age: Option<i64>) -> Caller {
    let bearer = format!("Bearer {}", world.id_token(username));
    let mut caller = authenticate(&world.api(), Some(&bearer)).await.unwrap();
    caller.token.auth_time = age.map(|age| world.api().clock.now_secs() - age);
    caller
}

async fn start_as(
    world: &TestWorld,
    caller: &Caller,
    mode: Mode,
    break_glass: bool,
) -> Result<Started<crate::domain::payload::SessionPayload>> {
    let request = StartRequest {
        target: UserRef::parse("acme-support-1").unwrap(),
        dialect: Dialect::Uuid,
        api_key: None,
        justification: Justification {
            reason: Some("support".into()),
            ticket: Some("T-1".into()),
        },
        mode: Some(mode),
        break_glass,
        origin: RequestOrigin::default(),
    };
    start_impersonation(&world.impersonate_state(), caller, request).await
}

fn step_up_refusal<T: std::fmt::Debug>(result: Result<T>) -> i64 {
    match result {
        Err(ActasError::StepUpRequired { max_age_seconds }) => max_age_seconds,
        other => panic!("expected step_up_required, got {other:?}"),
    }
}

#[tokio::test]
async fn a_start_needs_a_fresh_sign_in_when_the_tenant_asks_for_one() {
    let world = TestWorld::new();
    set(&world, json!({"step_up": {"max_age_seconds": 60}})).await;
    let fresh = signed_in(&world, "acme-admin", Some(5)).await;
    let stale = signed_in(&world, "acme-admin", Some(61)).await;
    let unknown = signed_in(&world, "acme-admin", None).await;
    assert!(matches!(
        start_as(&world, &fresh, Mode::Full, false).await,
        Ok(Started::Now(_))
    ));
    assert_eq!(
        step_up_refusal(start_as(&world, &stale, Mode::Full, false).await),
        60
    );
    assert_eq!(
        step_up_refusal(start_as(&world, &unknown, Mode::Full, false).await),
        60
    );
    // Read-only starts too, until the tenant leaves them out.
    step_up_refusal(start_as(&world, &stale, Mode::ReadOnly, false).await);
    set(&world, json!({"step_up": {"read_only_starts": false}})).await;
    assert!(matches!(
        start_as(&world, &stale, Mode::ReadOnly, false).await,
        Ok(Started::Now(_))
    ));
    step_up_refusal(start_as(&world, &stale, Mode::Full, false).await);
    // Break-glass always, even read-only.
    let glass_stale = signed_in(&world, "acme-super", Some(61)).await;
    step_up_refusal(start_as(&world, &glass_stale, Mode::ReadOnly, true).await);
    let glass_fresh = signed_in(&world, "acme-super", Some(0)).await;
    assert!(matches!(
        start_as(&world, &glass_fresh, Mode::ReadOnly, true).await,
        Ok(Started::Now(_))
    ));
    // Who may start comes first: a team admin asking for full mode is refused (403), not
    // asked to sign in again.
    let team_admin = signed_in(&world, "acme-team-admin", Some(3600)).await;
    assert_eq!(
        start_as(&world, &team_admin, Mode::Full, false)
            .await
            .unwrap_err()
            .status(),
        403
    );
}

#[tokio::test]
async fn an_approver_shortens_and_narrows_and_the_redeeming_start_gets_exactly_that() {
    let world = TestWorld::new();
    let governance = world.governance();
    let state = world.api();
    set(
        &world,
        json!({"approval": {"always": true}, "step_up": {"max_age_seconds": 60}}),
    )
    .await;
    let operator = signed_in(&world, "acme-operator", Some(0)).await;
    let Started::Pending(request) = start_as(&world, &operator, Mode::Full, false)
        .await
        .unwrap()
    else {
        panic!("approval is needed")
    };
    let approve = |terms: ApprovedTerms| Decision {
        approve: true,
        comment: Some("checked".into()),
        terms,
    };
    let origin = RequestOrigin::default();
    let admin = signed_in(&world, "acme-admin", Some(0)).await;
    // Widening is refused; so is a stale approver's sign-in; nothing is decided.
    let longer = ApprovedTerms {
        mode: None,
        duration_seconds: Some(3601),
    };
    let err = decide(
        &state,
        &governance,
        &admin,
        &request.id,
        approve(longer),
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    let stale_admin = signed_in(&world, "acme-admin", Some(61)).await;
    let narrower = ApprovedTerms {
        mode: Some(Mode::ReadOnly),
        duration_seconds: Some(1000),
    };
    step_up_refusal(
        decide(
            &state,
            &governance,
            &stale_admin,
            &request.id,
            approve(narrower),
            &origin,
        )
        .await,
    );
    let denial_with_terms = Decision {
        approve: false,
        comment: None,
        terms: narrower,
    };
    let err = decide(
        &state,
        &governance,
        &admin,
        &request.id,
        denial_with_terms,
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 400, "{err}");

    let approved = decide(
        &state,
        &governance,
        &admin,
        &request.id,
        approve(narrower),
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(approved.status, RequestStatus::Approved);
    assert_eq!(
        (approved.approved_mode, approved.approved_duration_seconds),
        (Some(Mode::ReadOnly), Some(1000))
    );
    let Started::Now(payload) = start_as(&world, &operator, Mode::Full, false)
        .await
        .unwrap()
    else {
        panic!("the approval is redeemed")
    };
    let summary = payload.impersonation.unwrap();
    let grant = world.store.get(&summary.id).await.unwrap().unwrap();
    assert_eq!(grant.mode, Mode::ReadOnly, "the approver's mode");
    assert_eq!(
        grant.ends_at - grant.created_at_millis.div_euclid(1000),
        1000,
        "the approver's duration"
    );
    // On record, with the terms.
    let records = world.store.audit_records();
    let started = records
        .iter()
        .rev()
        .find(|r| r.event == AuditEvent::Started)
        .unwrap();
    assert_eq!(started.request_id.as_deref(), Some(request.id.as_str()));
    assert_eq!(
        started.cause.as_deref(),
        Some("approved by acme-admin on these terms: read_only, at most 1000 s")
    );
    let decided = records
        .iter()
        .find(|r| r.event == AuditEvent::ApprovalApproved)
        .unwrap();
    assert_eq!(
        decided.cause.as_deref(),
        Some("by acme-admin on these terms: read_only, at most 1000 s: checked")
    );
}
