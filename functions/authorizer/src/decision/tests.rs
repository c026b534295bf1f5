use super::*;
use actas_verify::testing::test_server::CannedServer;
use actas_verify::testing::{
    access_claims, id_claims, impersonated, StaticKeys, TestSigner, IMPERSONATION_CLIENT, ISSUER,
    SIGN_IN_CLIENT,
};
use actas_verify::{RevocationCheck, Verifier};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const EVENT: &str = include_str!("../../../../events/authorizer-request.json");
const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/v1/POST/demo/notes";

/// Settings as the environment would give them, with the keys of `signer` and, unless
/// `CHECK_REVOCATION` is `false`, the revocation check.
fn authorizer(signer: &TestSigner, vars: &[(&str, &str)]) -> Authorizer {
    let mut env: HashMap<String, String> = HashMap::from([
        ("TOKEN_ISSUER".into(), ISSUER.into()),
        (
            "ACCEPTED_CLIENT_IDS".into(),
            format!("{SIGN_IN_CLIENT},{IMPERSONATION_CLIENT}"),
        ),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]);
    for (k, v) in vars {
        env.insert(k.to_string(), v.to_string());
    }
    let settings = Settings::from_lookup(|name| env.get(name).cloned()).unwrap();
    let keys = Arc::new(StaticKeys::new(signer.jwks()));
    let mut guard = Guard::new(Verifier::with_key_source(settings.verifier.clone(), keys).unwrap())
        .write_rule(settings.write_rule.clone());
    if settings.check_revocation {
        guard = guard.revocation(RevocationCheck::new(
            settings.actas_api_url.clone().unwrap_or_default(),
        ));
    }
    Authorizer { settings, guard }
}

fn no_revocation(signer: &TestSigner) -> Authorizer {
    authorizer(signer, &[("CHECK_REVOCATION", "false")])
}

/// The fixture event with this method and `Authorization` header (none when `None`).
fn event(method: &str, authorization: Option<&str>) -> Value {
    let mut event: Value = serde_json::from_str(EVENT).unwrap();
    event["httpMethod"] = json!(method);
    event["requestContext"]["httpMethod"] = json!(method);
    for field in ["headers", "multiValueHeaders"] {
        let headers = event[field].as_object_mut().unwrap();
        headers.remove("Authorization");
        if let Some(value) = authorization {
            let value = if field == "headers" {
                json!(value)
            } else {
                json!([value])
            };
            headers.insert("Authorization".into(), value);
        }
    }
    event
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn effect(response: &AuthorizerResponse) -> &str {
    response.policy_document.statement[0].effect
}

#[tokio::test]
async fn an_ordinary_session_is_allowed_with_its_context() {
    let signer = TestSigner::generate("k1");
    let token = signer.sign(&id_claims("user-sub", "acme-support-1"));
    let response = no_revocation(&signer)
        .decide(&event("POST", Some(&bearer(&token))))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({
            "principalId": "user-sub",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}],
            },
            "context": {
                "sub": "user-sub", "username": "acme-support-1", "actorSub": "", "actorUsername": "",
                "impersonationId": "", "mode": "", "impersonationEndsAt": "",
            },
        })
    );
}

#[tokio::test]
async fn the_policy_table() {
    let signer = TestSigner::generate("k1");
    let authorizer = no_revocation(&signer);
    let actor = ("admin-sub", "acme-admin");
    let read_only = signer.sign(&impersonated(
        id_claims("t", "bob"),
        actor,
        Some("read_only"),
    ));
    let read_only_access = signer.sign(&impersonated(
        access_claims("t", "bob"),
        actor,
        Some("read_only"),
    ));
    let full = signer.sign(&impersonated(
        access_claims("t", "bob"),
        actor,
        Some("full"),
    ));
    let no_mode = signer.sign(&impersonated(id_claims("t", "bob"), actor, None));
    let ordinary = signer.sign(&access_claims("t", "bob"));
    let cases = [
        ("read-only GET", "GET", &read_only, "Allow", "read_only"),
        (
            "read-only OPTIONS",
            "OPTIONS",
            &read_only,
            "Allow",
            "read_only",
        ),
        ("read-only POST", "POST", &read_only, "Deny", "read_only"),
        (
            "read-only access token DELETE",
            "DELETE",
            &read_only_access,
            "Deny",
            "read_only",
        ),
        ("read-only PATCH", "PATCH", &read_only, "Deny", "read_only"),
        ("act without mode PUT", "PUT", &no_mode, "Deny", "read_only"),
        ("full POST", "POST", &full, "Allow", "full"),
        ("full DELETE", "DELETE", &full, "Allow", "full"),
        ("ordinary DELETE", "DELETE", &ordinary, "Allow", ""),
    ];
    for (name, method, token, expected, mode) in cases {
        let response = authorizer
            .decide(&event(method, Some(&bearer(token))))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(effect(&response), expected, "{name}");
        assert_eq!(response.principal_id, "t", "{name}");
        assert_eq!(response.context["mode"], mode, "{name}");
        if !mode.is_empty() {
            assert_eq!(response.context["actorSub"], "admin-sub", "{name}");
            assert_eq!(response.context["actorUsername"], "acme-admin", "{name}");
            assert_eq!(response.context["impersonationId"], "imp-0001", "{name}");
            assert!(
                response.context["impersonationEndsAt"]
                    .parse::<i64>()
                    .is_ok(),
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn custom_write_methods() {
    let signer = TestSigner::generate("k1");
    let authorizer = authorizer(
        &signer,
        &[
            ("CHECK_REVOCATION", "false"),
            ("WRITE_METHODS", "POST,PROPFIND"),
        ],
    );
    let read_only = signer.sign(&impersonated(
        id_claims("t", "bob"),
        ("a", "admin"),
        Some("read_only"),
    ));
    for (method, expected) in [("PROPFIND", "Deny"), ("POST", "Deny"), ("DELETE", "Allow")] {
        let response = authorizer
            .decide(&event(method, Some(&bearer(&read_only))))
            .await
            .unwrap();
        assert_eq!(effect(&response), expected, "{method}");
    }
}

#[tokio::test]
async fn bad_tokens_are_unauthorized() {
    let signer = TestSigner::generate("k1");
    let stranger = TestSigner::generate("k2");
    let authorizer = no_revocation(&signer);
    let mut expired = id_claims("t", "bob");
    expired["exp"] = json!(1_000);
    let cases = [
        ("missing", None),
        ("empty", Some(String::new())),
        ("garbage", Some("Bearer not-a-jwt".to_string())),
        ("expired", Some(bearer(&signer.sign(&expired)))),
        (
            "unknown key",
            Some(bearer(&stranger.sign(&id_claims("t", "bob")))),
        ),
        ("basic", Some("Basic dXNlcjpwYXNz".to_string())),
    ];
    for (name, authorization) in cases {
        let refusal = authorizer
            .decide(&event("GET", authorization.as_deref()))
            .await
            .unwrap_err();
        assert_eq!(refusal, Refusal::Unauthorized, "{name}");
        assert_eq!(refusal.to_string(), "Unauthorized", "{name}");
        assert_eq!(Diagnostic::from(refusal).error_message, "Unauthorized");
    }
}

#[tokio::test]
async fn the_revocation_check_goes_to_actas_on_the_same_gateway() {
    let signer = TestSigner::generate("k1");
    let token = signer.sign(&id_claims("t", "bob"));
    let cases = [
        (200, r#"{"valid": true}"#, Ok("Allow")),
        (200, r#"{"valid": false}"#, Err(Refusal::Unauthorized)),
        (
            401,
            r#"{"status":"error","message":"invalid token"}"#,
            Err(Refusal::Unauthorized),
        ),
        (500, r#"{"status":"error"}"#, Err(Refusal::Failed)),
        (200, "garbage", Err(Refusal::Failed)),
    ];
    for (status, body, expected) in cases {
        let actas = CannedServer::start(status, body).await;
        let authorizer = authorizer(&signer, &[("AWS_ENDPOINT_URL", &actas.url)]);
        let mut event = event("GET", Some(&bearer(&token)));
        // The Host header is the caller's to choose: it must not steer the check.
        event["headers"]["Host"] = json!("evil.example");
        let decided = authorizer.decide(&event).await;
        assert_eq!(
            decided.as_ref().map(effect).map_err(|e| e.to_string()),
            expected.map_err(|e| e.to_string()),
            "{status} {body}"
        );
        let requests = actas.requests();
        assert_eq!(requests.len(), 1, "{status} {body}");
        assert!(
            requests[0].starts_with("GET /_aws/execute-api/a1b2c3d4e5/v1/auth/token "),
            "{}",
            requests[0]
        );
    }

    // On AWS the URL is the API's execute-api domain; a fixed ACTAS_API_URL wins over both.
    let actas = CannedServer::start(200, r#"{"valid": true}"#).await;
    let fixed = format!("{}/prod", actas.url);
    let authorizer = authorizer(&signer, &[("ACTAS_API_URL", &fixed)]);
    authorizer
        .decide(&event("GET", Some(&bearer(&token))))
        .await
        .unwrap();
    assert!(actas.requests()[0].starts_with("GET /prod/auth/token "));

    // actas unreachable: refused, as a failure (500 at the gateway), never allowed.
    let authorizer = authorizer_unreachable(&signer);
    let refusal = authorizer
        .decide(&event("GET", Some(&bearer(&token))))
        .await
        .unwrap_err();
    assert_eq!(refusal, Refusal::Failed);
    assert_eq!(
        Diagnostic::from(refusal).error_message,
        "authorization failed"
    );
}

fn authorizer_unreachable(signer: &TestSigner) -> Authorizer {
    authorizer(signer, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")])
}

#[tokio::test]
async fn events_with_nulls_and_other_shapes() {
    let signer = TestSigner::generate("k1");
    let authorizer = no_revocation(&signer);
    let token = bearer(&signer.sign(&id_claims("t", "bob")));

    // Only multi-value headers, in lower case; everything else null.
    let mut sparse = event("GET", None);
    sparse["headers"] = Value::Null;
    sparse["multiValueHeaders"] = json!({"authorization": [token]});
    for key in [
        "queryStringParameters",
        "pathParameters",
        "stageVariables",
        "resource",
    ] {
        sparse[key] = Value::Null;
    }
    let response = authorizer.decide(&sparse).await.unwrap();
    assert_eq!(effect(&response), "Allow");

    // The method from the request context when the top-level one is missing.
    let mut context_only = event("DELETE", Some(&token));
    context_only["httpMethod"] = Value::Null;
    assert_eq!(
        effect(&authorizer.decide(&context_only).await.unwrap()),
        "Allow"
    );

    // Not an authorizer event: a failure, not a guess.
    for broken in [
        json!({}),
        json!(null),
        json!({"methodArn": null, "httpMethod": "GET"}),
    ] {
        assert_eq!(
            authorizer.decide(&broken).await.unwrap_err(),
            Refusal::Failed
        );
    }

    // Without an API id (and no fixed URL) the revocation check cannot run: refused.
    let checking = authorizer_unreachable(&signer);
    let mut no_api = event("GET", Some(&token));
    no_api["requestContext"]["apiId"] = Value::Null;
    assert_eq!(checking.decide(&no_api).await.unwrap_err(), Refusal::Failed);
}

#[test]
fn the_context_holds_only_strings() {
    let session = actas_verify::Session {
        sub: "s".into(),
        username: "u".into(),
        token_use: actas_verify::TokenUse::Id,
        client_id: "c".into(),
        expires_at: 0,
        actor: None,
        impersonation_id: None,
        mode: None,
        ends_at: None,
        scopes: vec![],
        groups: vec![],
        tenant: None,
    };
    let value = serde_json::to_value(policy(&session, "Allow", "arn")).unwrap();
    let context = value["context"].as_object().unwrap();
    assert_eq!(context.len(), 7);
    assert!(context.values().all(Value::is_string));
}
