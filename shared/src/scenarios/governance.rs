//! Approval and protected accounts, through the routes.

use super::*;

/// Issue 12, through the events and handlers: settings make starts wait (202); another admin
/// approves; the requester's next start redeems the approval once; a protected account needs
/// approval by default.
#[tokio::test]
async fn a_start_waits_for_approval_and_redeems_it_once() {
    let f = fixture().await;
    let mut change = event("settings.json");
    bearer(&mut change, &f.world.id_token("acme-admin"));
    let (status, settings) = f.call_route(Route::Settings, change).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["approval"]["always"], true);
    let mut bad = event("settings.json");
    bearer(&mut bad, &f.world.id_token("acme-admin"));
    bad["body"] = json!(json!({"approval": {"sometimes": true}}).to_string());
    assert_eq!(f.call_route(Route::Settings, bad).await.0, 422);
    let mut by_operator = event("settings.json");
    bearer(&mut by_operator, &f.world.id_token("acme-operator"));
    assert_eq!(f.call_route(Route::Settings, by_operator).await.0, 403);

    let start = || f.username_event("acme-operator", "acme-support-1");
    let (status, waiting) = f.call(start()).await;
    assert_eq!(status, 202, "{waiting}");
    assert_eq!(waiting["approval"], "pending");
    let id = waiting["id"].as_str().unwrap().to_string();
    assert_eq!(f.call(start()).await.1["id"], json!(id), "the same request");

    let decide = |who: &str| {
        let mut ev = event("requests-approve.json");
        bearer(&mut ev, &f.world.id_token(who));
        ev["pathParameters"] = json!({"id": id});
        ev["path"] = json!(format!("/auth/requests/{id}/approve"));
        ev
    };
    assert_eq!(
        f.call_route(Route::Requests, decide("acme-operator"))
            .await
            .0,
        403,
        "self"
    );
    let (status, approved) = f.call_route(Route::Requests, decide("acme-admin")).await;
    assert_eq!(
        (status, &approved["status"]),
        (200, &json!("approved")),
        "{approved}"
    );
    assert_eq!(
        f.call_route(Route::Requests, decide("acme-super")).await.0,
        409,
        "once"
    );

    let (status, session) = f.call(start()).await;
    assert_eq!(status, 200, "{session}");
    let (status, again) = f.call(start()).await;
    assert_eq!(
        status, 202,
        "used: a new request, not a second session: {again}"
    );
    assert_ne!(again["id"], json!(id));
}

#[tokio::test]
async fn protecting_an_account_makes_its_starts_wait() {
    let f = fixture().await;
    let mut protect = event("protection.json");
    bearer(&mut protect, &f.world.id_token("acme-support-1"));
    let (status, body) = f.call_route(Route::Protection, protect).await;
    assert_eq!((status, &body["protected"]), (200, &json!(true)), "{body}");
    let (status, waiting) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    assert_eq!(
        status, 202,
        "a protected account needs approval by default: {waiting}"
    );
    let (status, _) = f
        .call(f.username_event("acme-admin", "acme-support-2"))
        .await;
    assert_eq!(status, 200, "others do not");
}
