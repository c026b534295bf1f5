//! Seeds 002 and 003: a token issued, exchanged once for a session, and every refusal with its code.

use super::*;

#[tokio::test]
async fn seed_002_team_admin_token_exchanges_once_for_a_session() {
    let f = fixture().await;
    let (status, body) = f.public_token("acme-team-admin", "acme-support-1").await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(
        f.sys_exchange(&token).await.0,
        401,
        "a public token does not work at the sys route"
    );
    let (status, session) = f.login(&token).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["username"], "acme-support-1");
    assert_eq!(
        session["impersonation"]["actor"]["username"],
        "acme-team-admin"
    );
    let (status, again) = f.login(&token).await;
    assert_eq!(status, 401, "single use: {again}");
    assert_eq!(again["status"], "error");
}

#[tokio::test]
async fn seed_003_sys_token_exchanges_at_the_sys_route_only() {
    let f = fixture().await;
    let (status, body) = f.sys_token("acme-operator", Some("acme-sales-1")).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(
        f.login(&token).await.0,
        401,
        "a sys token does not work at the public route"
    );
    let (status, session) = f.sys_exchange(&token).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["username"], "acme-sales-1");
}

#[tokio::test]
async fn token_routes_refuse_with_each_seeds_codes() {
    let f = fixture().await;
    let cases = [
        (
            "sys: plain user gets 401",
            f.sys_token("acme-support-2", Some("acme-support-1")).await,
            401,
        ),
        (
            "sys: team admin gets 401",
            f.sys_token("acme-team-admin", Some("acme-support-1")).await,
            401,
        ),
        (
            "sys: other tenant is not found here",
            f.sys_token("acme-operator", Some("globex-user")).await,
            404,
        ),
        (
            "sys: unknown user",
            f.sys_token("acme-operator", Some("nobody")).await,
            404,
        ),
        (
            "sys: missing coworkerId",
            f.sys_token("acme-operator", None).await,
            400,
        ),
        (
            "sys: equal rank",
            f.sys_token("acme-operator", Some("acme-operator")).await,
            403,
        ),
        (
            "public: plain user",
            f.public_token("acme-support-2", "acme-support-1").await,
            403,
        ),
        (
            "public: another team",
            f.public_token("acme-team-admin", "acme-sales-1").await,
            403,
        ),
        (
            "public: disabled member",
            f.public_token("acme-team-admin", "acme-disabled").await,
            403,
        ),
        (
            "public: unknown user",
            f.public_token("acme-team-admin", "nobody").await,
            404,
        ),
        (
            "public: other tenant: not found, like an unknown user",
            f.public_token("acme-admin", "globex-user").await,
            404,
        ),
    ];
    for (name, (status, body), expected) in cases {
        assert_eq!(status, expected, "{name}: {body}");
        assert_eq!(body["status"], "error", "{name}");
    }
    let mut no_bearer = event("coworker-impersonate.json");
    set_header(&mut no_bearer, "Authorization", None);
    assert_eq!(
        f.call_route(Route::CoworkerImpersonate, no_bearer).await.0,
        401
    );
    for garbage in ["garbage", "a.b.c", ""] {
        assert_eq!(
            f.login(garbage).await.0,
            if garbage.is_empty() { 400 } else { 401 },
            "{garbage:?}"
        );
    }
    let mut empty_body = event("sys-exchange.json");
    empty_body["body"] = json!("{}");
    assert_eq!(f.call_route(Route::SysExchange, empty_body).await.0, 400);
}

#[tokio::test]
async fn the_policy_is_checked_again_at_exchange() {
    let f = fixture().await;
    let (_, body) = f.sys_token("acme-operator", Some("acme-sales-1")).await;
    let token = body["token"].as_str().unwrap().to_string();
    f.world
        .identity
        .update_user("acme-operator", |u| u.groups.clear());
    let (status, refused) = f.sys_exchange(&token).await;
    assert_eq!(
        status, 403,
        "an operator who lost the group is refused: {refused}"
    );

    let (_, body) = f.public_token("acme-team-admin", "acme-support-2").await;
    let token = body["token"].as_str().unwrap().to_string();
    f.world
        .identity
        .update_user("acme-team-admin", |u| u.enabled = false);
    assert_eq!(f.login(&token).await.0, 403, "a disabled actor is refused");
}

#[tokio::test]
async fn a_two_step_reason_travels_from_the_token_to_the_session() {
    let f = fixture().await;
    let mut ev = event("sys-impersonate.json");
    bearer(&mut ev, &f.world.id_token("acme-operator"));
    ev["queryStringParameters"] = json!({"coworkerId": "acme-sales-1"});
    ev["multiValueQueryStringParameters"] = json!({"coworkerId": ["acme-sales-1"]});
    assert_eq!(
        f.call_route(Route::SysImpersonate, ev.clone()).await.0,
        422,
        "no reason"
    );
    set_query(&mut ev, "reason", "customer call");
    set_query(&mut ev, "ticket", "SUP-7");
    let (_, token) = f.call_route(Route::SysImpersonate, ev).await;
    let (status, session) = f.sys_exchange(token["token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["impersonation"]["reason"], "customer call");
    assert_eq!(session["impersonation"]["ticket"], "SUP-7");
}
