use super::*;
use crate::testing::test_server::CannedServer;

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

#[tokio::test]
async fn asks_actas_with_the_token_and_accepts_valid() {
    let server =
        CannedServer::start(200, r#"{"valid": true, "sub": "x", "impersonation": null}"#).await;
    let check = RevocationCheck::new(format!("{}/", server.url));
    check.check(&format!("Bearer {TOKEN}")).await.unwrap();
    check.check(TOKEN).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "no cache by default");
    for request in requests {
        assert!(
            request.starts_with("GET /auth/token HTTP/1.1\r\n"),
            "{request}"
        );
        let lower = request.to_ascii_lowercase();
        assert!(
            lower.contains(&format!(
                "authorization: bearer {}",
                TOKEN.to_ascii_lowercase()
            )),
            "{request}"
        );
    }
}

#[tokio::test]
async fn refuses_unless_actas_says_valid() {
    let cases: [(u16, &str, u16); 7] = [
        (200, r#"{"valid": false, "sub": "x"}"#, 401),
        (
            401,
            r#"{"status":"error","message":"invalid token: expired"}"#,
            401,
        ),
        (500, r#"{"status":"error","message":"boom"}"#, 502),
        (503, "", 502),
        (403, r#"{"message":"Forbidden"}"#, 502),
        (200, "<html>not actas</html>", 502),
        (200, r#"{"valid": "yes"}"#, 502),
    ];
    for (status, body, expected) in cases {
        let server = CannedServer::start(status, body).await;
        let err = RevocationCheck::new(&server.url)
            .check(TOKEN)
            .await
            .unwrap_err();
        assert_eq!(err.status(), expected, "{status} {body}: {err}");
        if expected == 401 {
            assert_eq!(err, VerifyError::Revoked);
        }
    }
}

#[tokio::test]
async fn unreachable_or_oversized_is_an_upstream_failure() {
    let err = RevocationCheck::new("http://127.0.0.1:9")
        .check(TOKEN)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 502, "{err}");
    assert!(
        !err.message().contains("127.0.0.1"),
        "no detail for callers"
    );

    let huge = format!(r#"{{"valid": true, "pad": "{}"}}"#, "x".repeat(70_000));
    let server = CannedServer::start(200, &huge).await;
    let err = RevocationCheck::new(&server.url)
        .check(TOKEN)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 502, "{err}");

    let err = RevocationCheck::new("").check(TOKEN).await.unwrap_err();
    assert_eq!(err.status(), 502, "no URL at all: refused");
    let err = RevocationCheck::new("")
        .check_at("javascript:alert(1)", TOKEN)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 502);
}

#[tokio::test]
async fn a_cache_when_asked_for_keeps_positive_answers_only() {
    let server = CannedServer::start(200, r#"{"valid": true}"#).await;
    let check = RevocationCheck::new(&server.url).cache_for(Duration::from_secs(60));
    for _ in 0..3 {
        check.check(TOKEN).await.unwrap();
    }
    assert_eq!(server.requests().len(), 1, "cached for 60 s");
    check.check("another.token.here").await.unwrap();
    assert_eq!(server.requests().len(), 2, "keyed by the token");
    check
        .check_at(&format!("{}/", server.url), TOKEN)
        .await
        .unwrap();
    assert_eq!(
        server.requests().len(),
        2,
        "the same URL with a slash is the same key"
    );

    let revoked = CannedServer::start(200, r#"{"valid": false}"#).await;
    let check = RevocationCheck::new(&revoked.url).cache_for(Duration::from_secs(60));
    for _ in 0..2 {
        assert_eq!(check.check(TOKEN).await, Err(VerifyError::Revoked));
    }
    assert_eq!(revoked.requests().len(), 2, "refusals are not cached");

    let expiring = CannedServer::start(200, r#"{"valid": true}"#).await;
    let check = RevocationCheck::new(&expiring.url).cache_for(Duration::from_millis(50));
    check.check(TOKEN).await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    check.check(TOKEN).await.unwrap();
    assert_eq!(expiring.requests().len(), 2, "asked again after the TTL");
}

#[test]
fn the_cache_is_bounded() {
    let check = RevocationCheck::new("https://x").cache_for(Duration::from_secs(60));
    for i in 0..(MAX_CACHED + 10) {
        check.remember(check.cache_key("https://x", &format!("token-{i}")));
    }
    let len = check.cache.lock().unwrap().len();
    assert!(len <= MAX_CACHED, "{len}");
    // Keys are digests: no token is kept.
    assert!(check.cached(&check.cache_key("https://x", &format!("token-{}", MAX_CACHED + 9))));
}
