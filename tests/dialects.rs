//! Seeds 002 and 003 against the deployed stack: issue a short-lived token, exchange it once for
//! a session; profiles; and every refusal with its exact code.

use actas::app::exchange_tokens::ExchangeTokens;
use actas::domain::exchange::{
    rotate_key_set, ExchangeClaims, SigningKey, AUDIENCE_PUBLIC, AUDIENCE_SYS,
};
use actas::ports::signing_keys::SigningKeySource;
use actas_integration_tests::{assert_error, jwt_claims, Harness};
use serde_json::{json, Value};
use std::sync::Arc;

async fn public_token(
    h: &Harness,
    bearer: &str,
    coworker: &str,
) -> actas_integration_tests::ApiResponse {
    h.get(
        &format!("/api/public/coworkers/{coworker}/impersonate?reason=integration+test"),
        Some(bearer),
    )
    .await
}

async fn sys_token(
    h: &Harness,
    bearer: &str,
    coworker: &str,
) -> actas_integration_tests::ApiResponse {
    h.get(
        &format!("/api/sys/users/impersonate?coworkerId={coworker}&reason=integration+test"),
        Some(bearer),
    )
    .await
}

async fn login(h: &Harness, token: &str) -> actas_integration_tests::ApiResponse {
    h.post(&format!("/api/public/auth/login/{token}"), &json!({}))
        .await
}

async fn sys_exchange(h: &Harness, token: &str) -> actas_integration_tests::ApiResponse {
    h.post("/api/sys/users/exchange", &json!({"token": token}))
        .await
}

fn token_of(response: &actas_integration_tests::ApiResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.body);
    response.body["token"]
        .as_str()
        .expect("a token")
        .to_string()
}

#[tokio::test]
async fn seed_002_a_team_admin_acts_as_a_member_of_their_team() {
    let h = Harness::new().await;
    let team = format!("team-{}", &actas_integration_tests::uuid_like()[..8]);
    let team_admin = h.fresh_user("team-admin", "acme", Some(&team)).await;
    let member = h.fresh_user("user", "acme", Some(&team)).await;
    let bearer = h.id_token_of(&team_admin).await;

    let token = token_of(&public_token(&h, &bearer, &member.username).await);
    let session = login(&h, &token).await;
    assert_eq!(session.status, 200, "{}", session.body);
    let verified = h
        .verify_impersonated(session.body["session"]["authorization"].as_str().unwrap())
        .await;
    assert_eq!(verified.sub, member.sub);
    assert_eq!(verified.act.unwrap()["sub"], team_admin.sub.as_str());

    // By sub as well; and a second exchange of the same token is refused.
    let by_sub = token_of(&public_token(&h, &bearer, &member.sub).await);
    assert_eq!(login(&h, &by_sub).await.status, 200);
    assert_error(&login(&h, &by_sub).await, 401, "second exchange");
}

#[tokio::test]
async fn seed_003_an_operator_acts_as_a_customer_of_their_tenant() {
    let h = Harness::new().await;
    let customer = h.fresh_user("user", "acme", None).await;
    let bearer = h.id_token("acme-operator").await;
    let token = token_of(&sys_token(&h, &bearer, &customer.username).await);
    let claims = jwt_claims(&token).unwrap();
    assert_eq!(claims["aud"], AUDIENCE_SYS);
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 120, "default lifetime");

    let session = sys_exchange(&h, &token).await;
    assert_eq!(session.status, 200, "{}", session.body);
    let verified = h
        .verify_impersonated(session.body["session"]["accessToken"].as_str().unwrap())
        .await;
    assert_eq!(verified.sub, customer.sub);
    assert_eq!(
        verified.act.unwrap()["sub"],
        h.user("acme-operator").sub.as_str()
    );
}

#[tokio::test]
async fn issuing_refusals_have_each_seeds_codes() {
    let h = Harness::new().await;
    let user = h.id_token("acme-support-2").await;
    let team_admin = h.id_token("acme-team-admin").await;
    let operator = h.id_token("acme-operator").await;
    let cases = [
        (
            "sys: a customer session",
            sys_token(&h, &user, "acme-support-1").await,
            401,
        ),
        (
            "sys: a team admin session",
            sys_token(&h, &team_admin, "acme-support-1").await,
            401,
        ),
        (
            "sys: another tenant is not in this location",
            sys_token(&h, &operator, "globex-user").await,
            404,
        ),
        (
            "sys: no such user",
            sys_token(&h, &operator, "nobody-at-all").await,
            404,
        ),
        (
            "sys: missing coworkerId",
            h.get("/api/sys/users/impersonate", Some(&operator)).await,
            400,
        ),
        (
            "sys: bad bearer",
            sys_token(&h, "garbage", "acme-support-1").await,
            401,
        ),
        (
            "public: a customer",
            public_token(&h, &user, "acme-support-1").await,
            403,
        ),
        (
            "public: another team",
            public_token(&h, &team_admin, "acme-sales-1").await,
            403,
        ),
        (
            "public: disabled member",
            public_token(&h, &team_admin, "acme-disabled").await,
            403,
        ),
        (
            "public: no such user",
            public_token(&h, &team_admin, "nobody-at-all").await,
            404,
        ),
        (
            "public: bad bearer",
            public_token(&h, "garbage", "acme-support-1").await,
            401,
        ),
        (
            "public: no bearer",
            h.get("/api/public/coworkers/acme-support-1/impersonate", None)
                .await,
            401,
        ),
    ];
    for (name, response, status) in cases {
        assert_error(&response, status, name);
    }
}

/// A key set of somebody else's, for a token that is well-formed but not ours.
struct ForeignKeys(String);

#[async_trait::async_trait]
impl SigningKeySource for ForeignKeys {
    async fn load(&self) -> actas::Result<Vec<SigningKey>> {
        actas::domain::exchange::parse_key_set(&self.0)
    }
}

#[tokio::test]
async fn exchanging_refuses_expired_unknown_tampered_foreign_and_crossed_tokens() {
    let h = Harness::new().await;
    let operator = h.id_token("acme-operator").await;
    let customer = h.fresh_user("user", "acme", None).await;
    let real = token_of(&sys_token(&h, &operator, &customer.username).await);
    let claims: ExchangeClaims = serde_json::from_value(jwt_claims(&real).unwrap()).unwrap();
    let deployed = h.deployed_exchange_tokens();

    let expired = deployed
        .sign(&ExchangeClaims {
            iat: claims.iat - 600,
            exp: claims.iat - 300,
            ..claims.clone()
        })
        .await
        .unwrap();
    let unknown_grant = deployed
        .sign(&ExchangeClaims {
            jti: "no-such-grant".into(),
            ..claims.clone()
        })
        .await
        .unwrap();
    let foreign = ExchangeTokens::new(Arc::new(ForeignKeys(rotate_key_set(None, 0).unwrap())))
        .sign(&claims)
        .await
        .unwrap();
    let tampered = {
        let parts: Vec<&str> = real.split('.').collect();
        let mut body: Value = jwt_claims(&real).unwrap();
        body["sub"] = json!(h.user("acme-support-1").sub);
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.to_string());
        format!("{}.{}.{}", parts[0], body, parts[2])
    };
    for (name, token) in [
        ("expired", &expired),
        ("unknown grant", &unknown_grant),
        ("another key", &foreign),
        ("tampered", &tampered),
    ] {
        assert_error(&sys_exchange(&h, token).await, 401, name);
    }
    assert_error(
        &login(&h, &real).await,
        401,
        "a sys token at the public route",
    );
    assert_error(&sys_exchange(&h, "").await, 400, "no token");

    let team_admin = h.id_token("acme-team-admin").await;
    let public = token_of(
        &public_token(
            &h,
            &team_admin,
            &h.fresh_user("user", "acme", Some("support")).await.username,
        )
        .await,
    );
    assert_eq!(jwt_claims(&public).unwrap()["aud"], AUDIENCE_PUBLIC);
    assert_error(
        &sys_exchange(&h, &public).await,
        401,
        "a public token at the sys route",
    );

    // The real token was not spent by any of the refusals.
    assert_eq!(sys_exchange(&h, &real).await.status, 200);
}

#[tokio::test]
async fn twenty_concurrent_exchanges_of_one_token_yield_exactly_one_session() {
    let h = Harness::new().await;
    let customer = h.fresh_user("user", "acme", None).await;
    let token =
        token_of(&sys_token(&h, &h.id_token("acme-operator").await, &customer.username).await);
    // All twenty are in flight before any is awaited, so they race for the grant.
    let results = futures::future::join_all((0..20).map(|_| sys_exchange(&h, &token))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        19,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn the_policy_is_checked_again_at_exchange() {
    let h = Harness::new().await;
    let customer = h.fresh_user("user", "acme", None).await;
    let pool = h.stack.user_pool_id.clone();

    let demoted = h.fresh_user("operator", "acme", None).await;
    let token = token_of(&sys_token(&h, &h.id_token_of(&demoted).await, &customer.username).await);
    h.cognito
        .admin_remove_user_from_group()
        .user_pool_id(&pool)
        .username(&demoted.username)
        .group_name("operator")
        .send()
        .await
        .unwrap();
    assert_error(
        &sys_exchange(&h, &token).await,
        403,
        "actor lost the operator group",
    );

    let disabled = h.fresh_user("operator", "acme", None).await;
    let token = token_of(&sys_token(&h, &h.id_token_of(&disabled).await, &customer.username).await);
    h.cognito
        .admin_disable_user()
        .user_pool_id(&pool)
        .username(&disabled.username)
        .send()
        .await
        .unwrap();
    assert_error(&sys_exchange(&h, &token).await, 403, "actor disabled");
}

/// Every profile the caller can see, following `NextToken` to the end.
async fn all_profiles(h: &Harness, bearer: &str) -> Vec<Value> {
    let mut profiles = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..100 {
        let path = match &next {
            Some(token) => format!("/api/public/coworkers/profiles?nextToken={token}"),
            None => "/api/public/coworkers/profiles".to_string(),
        };
        let page = h.get(&path, Some(bearer)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["PageSize"], 60);
        profiles.extend(page.body["Profiles"].as_array().unwrap().iter().cloned());
        match page.body["NextToken"].as_str() {
            Some(token) => next = Some(token.to_string()),
            None => return profiles,
        }
    }
    panic!("profiles did not end");
}

fn usernames(profiles: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = profiles
        .iter()
        .map(|p| p["Username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn profiles_as_seen_by_each_role() {
    let h = Harness::new().await;
    let team = format!("team-{}", &actas_integration_tests::uuid_like()[..8]);
    let team_admin = h.fresh_user("team-admin", "acme", Some(&team)).await;
    let member = h.fresh_user("user", "acme", Some(&team)).await;

    let seen = all_profiles(&h, &h.id_token_of(&team_admin).await).await;
    let mut expected = vec![team_admin.username.clone(), member.username.clone()];
    expected.sort();
    assert_eq!(
        usernames(&seen),
        expected,
        "a team admin sees themself and their team"
    );
    let me = seen.iter().find(|p| p["IsCurrent"] == true).unwrap();
    assert_eq!(
        (me["Username"].as_str(), &me["CanImpersonate"]),
        (Some(team_admin.username.as_str()), &json!(false))
    );
    let them = seen.iter().find(|p| p["IsCurrent"] == false).unwrap();
    assert_eq!(them["Id"], member.sub.as_str());
    assert_eq!(them["TeamId"], team.as_str());
    assert_eq!(them["CanImpersonate"], true);
    assert!(them["Email"].as_str().is_some() && them["FullName"].as_str().is_some());

    let operator_sees = usernames(&all_profiles(&h, &h.id_token("acme-operator").await).await);
    for name in [
        "acme-operator",
        "acme-support-1",
        "acme-team-admin",
        member.username.as_str(),
        team_admin.username.as_str(),
    ] {
        assert!(
            operator_sees.contains(&name.to_string()),
            "operator sees {name}"
        );
    }
    for name in ["acme-admin", "acme-super", "acme-disabled", "globex-user"] {
        assert!(
            !operator_sees.contains(&name.to_string()),
            "operator does not see {name}"
        );
    }

    let admin_sees = usernames(&all_profiles(&h, &h.id_token("acme-admin").await).await);
    assert!(admin_sees.contains(&"acme-operator".to_string()));
    assert!(
        !admin_sees.contains(&"globex-user".to_string())
            && !admin_sees.contains(&"acme-super".to_string())
    );

    let user_sees = all_profiles(&h, &h.id_token("acme-support-2").await).await;
    assert_eq!(
        usernames(&user_sees),
        vec!["acme-support-2".to_string()],
        "a plain user sees only themself"
    );

    assert_error(
        &h.get(
            "/api/public/coworkers/profiles?nextToken=%%%",
            Some(&h.id_token("acme-operator").await),
        )
        .await,
        400,
        "bad nextToken",
    );
    assert_error(
        &h.get("/api/public/coworkers/profiles", None).await,
        401,
        "no bearer",
    );
}
