use super::*;
use crate::testing::test_server::CannedServer;
use crate::testing::{access_claims, config, id_claims, impersonated, StaticKeys, TestSigner};
use crate::{RevocationCheck, Session, Verifier, WriteRule};
use http::Method;
use std::convert::Infallible;
use tower::{service_fn, ServiceExt};

/// The inner service: says who called, so a test sees the session the layer inserted.
async fn whoami(request: Request<String>) -> Result<Response<String>, Infallible> {
    let session = request.extensions().get::<Session>().cloned();
    let body = match session {
        Some(s) => format!("{} via {:?}", s.username, s.actor.map(|a| a.username)),
        None => "no session".to_string(),
    };
    Ok(Response::new(body))
}

fn guard(signer: &TestSigner) -> Guard {
    let keys = std::sync::Arc::new(StaticKeys::new(signer.jwks()));
    Guard::new(Verifier::with_key_source(config(), keys).unwrap())
}

fn request(method: Method, token: Option<&str>) -> Request<String> {
    let mut builder = Request::builder().method(method).uri("/notes");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(String::new()).unwrap()
}

async fn send(layer: &ActasLayer, request: Request<String>) -> (u16, String, Option<String>) {
    let response = layer
        .layer(service_fn(whoami))
        .oneshot(request)
        .await
        .unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    (
        response.status().as_u16(),
        response.into_body(),
        content_type,
    )
}

#[tokio::test]
async fn admits_with_the_session_or_refuses_in_the_error_shape() {
    let signer = TestSigner::generate("k1");
    let layer = ActasLayer::new(guard(&signer));
    let actor = ("admin-sub", "acme-admin");
    let ordinary = signer.sign(&id_claims("u-sub", "bob"));
    let read_only = signer.sign(&impersonated(
        id_claims("u-sub", "bob"),
        actor,
        Some("read_only"),
    ));
    let full = signer.sign(&impersonated(
        access_claims("u-sub", "bob"),
        actor,
        Some("full"),
    ));
    let no_mode = signer.sign(&impersonated(id_claims("u-sub", "bob"), actor, None));
    let expired = signer.sign(&{
        let mut c = id_claims("u-sub", "bob");
        c["exp"] = serde_json::json!(1);
        c
    });

    let cases: Vec<(&str, Method, Option<&str>, u16, &str)> = vec![
        (
            "ordinary GET",
            Method::GET,
            Some(&ordinary),
            200,
            "bob via None",
        ),
        (
            "ordinary POST",
            Method::POST,
            Some(&ordinary),
            200,
            "bob via None",
        ),
        (
            "read-only GET",
            Method::GET,
            Some(&read_only),
            200,
            "bob via Some(\"acme-admin\")",
        ),
        (
            "read-only HEAD",
            Method::HEAD,
            Some(&read_only),
            200,
            "bob via",
        ),
        (
            "read-only POST",
            Method::POST,
            Some(&read_only),
            403,
            "read-only impersonation",
        ),
        (
            "read-only DELETE",
            Method::DELETE,
            Some(&read_only),
            403,
            "read-only impersonation",
        ),
        (
            "act without mode PUT",
            Method::PUT,
            Some(&no_mode),
            403,
            "read-only impersonation",
        ),
        (
            "full DELETE",
            Method::DELETE,
            Some(&full),
            200,
            "bob via Some(\"acme-admin\")",
        ),
        (
            "no token",
            Method::GET,
            None,
            401,
            "missing Authorization header",
        ),
        ("expired", Method::GET, Some(&expired), 401, "expired"),
        ("garbage", Method::GET, Some("x.y.z"), 401, "invalid token"),
    ];
    for (name, method, token, status, body) in cases {
        let (got_status, got_body, content_type) = send(&layer, request(method, token)).await;
        assert_eq!(got_status, status, "{name}: {got_body}");
        assert!(got_body.contains(body), "{name}: {got_body}");
        if status != 200 {
            assert_eq!(content_type.as_deref(), Some("application/json"), "{name}");
            let json: serde_json::Value = serde_json::from_str(&got_body).unwrap();
            assert_eq!(json["status"], "error", "{name}");
        }
    }
}

#[tokio::test]
async fn a_custom_write_rule_applies() {
    let signer = TestSigner::generate("k1");
    let layer =
        ActasLayer::new(guard(&signer).write_rule(WriteRule::parse_list("POST,PROPFIND").unwrap()));
    let read_only = signer.sign(&impersonated(
        id_claims("u", "bob"),
        ("a", "admin"),
        Some("read_only"),
    ));
    let propfind = Method::from_bytes(b"PROPFIND").unwrap();
    assert_eq!(
        send(&layer, request(propfind, Some(&read_only))).await.0,
        403
    );
    assert_eq!(
        send(&layer, request(Method::POST, Some(&read_only)))
            .await
            .0,
        403
    );
    // Not listed: not a write under this rule.
    assert_eq!(
        send(&layer, request(Method::DELETE, Some(&read_only)))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_revocation_check_runs_at_the_url_the_request_resolves_to() {
    let signer = TestSigner::generate("k1");
    let token = signer.sign(&id_claims("u", "bob"));
    let valid = CannedServer::start(200, r#"{"valid": true}"#).await;
    let stopped = CannedServer::start(200, r#"{"valid": false}"#).await;

    for (server, status) in [(&valid, 200), (&stopped, 401)] {
        let url = server.url.clone();
        let layer = ActasLayer::new(guard(&signer).revocation(RevocationCheck::new("")))
            .api_url_from(move |_parts| Some(url.clone()));
        let (got, body, _) = send(&layer, request(Method::GET, Some(&token))).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(server.requests().len(), 1);
    }

    // No URL for the request, none fixed: fail closed, as an upstream failure.
    let layer = ActasLayer::new(guard(&signer).revocation(RevocationCheck::new("")))
        .api_url_from(|_parts| None);
    let (status, body, _) = send(&layer, request(Method::GET, Some(&token))).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("unavailable"), "{body}");

    // actas unreachable: 502.
    let layer =
        ActasLayer::new(guard(&signer).revocation(RevocationCheck::new("http://127.0.0.1:9")));
    assert_eq!(
        send(&layer, request(Method::GET, Some(&token))).await.0,
        502
    );
}
