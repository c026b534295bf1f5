use super::*;
use crate::testing::{StaticKeys, TestSigner};
use crate::{Guard, Verifier, VerifierConfig};

const ISSUER: &str = "https://actas.example/v1";
const AUDIENCE: &str = "notes-service";

fn claims(event_type: &str, session: &str) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now_secs(),
        "jti": "3d9c5e8e-0000-4000-8000-000000000001",
        "txn": "record-1",
        "sub_id": {
            "format": "complex",
            "session": {"format": "opaque", "id": session},
            "user": {"format": "opaque", "id": "user-sub"},
        },
        "events": {event_type: {
            "event_timestamp": now_secs(),
            "initiating_entity": "admin",
            "reason_admin": {"en": "stopped by acme-admin"},
        }},
    })
}

fn header(signer: &TestSigner) -> Value {
    json!({"alg": "RS256", "typ": "secevent+jwt", "kid": signer.kid})
}

fn verifier(signer: &TestSigner) -> SetVerifier {
    SetVerifier::with_key_source(
        SetVerifierConfig::new(ISSUER, AUDIENCE, "https://actas.example/v1/ssf/jwks"),
        Arc::new(StaticKeys::new(signer.jwks())),
    )
    .unwrap()
}

#[tokio::test]
async fn a_signed_session_revoked_names_its_session() {
    let signer = TestSigner::generate("set-key");
    let set = signer.sign_with_header(&header(&signer), &claims(SESSION_REVOKED, "imp-1"));
    let event = verifier(&signer).verify(&set).await.unwrap();
    assert_eq!(event.event_type, SESSION_REVOKED);
    assert_eq!(event.session_id.as_deref(), Some("imp-1"));
    assert_eq!(event.user_sub.as_deref(), Some("user-sub"));
    assert_eq!(event.event["initiating_entity"], "admin");
}

#[tokio::test]
async fn forged_and_foreign_sets_are_refused_with_rfc_8935_codes() {
    let signer = TestSigner::generate("set-key");
    let other = TestSigner::generate("set-key");
    let verifier = verifier(&signer);
    let good = claims(SESSION_REVOKED, "imp-1");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = good.clone();
        change(&mut claims);
        signer.sign_with_header(&header(&signer), &claims)
    };
    let tampered = {
        let set = signer.sign_with_header(&header(&signer), &good);
        let mut parts: Vec<String> = set.split('.').map(str::to_string).collect();
        let mut forged = good.clone();
        forged["sub_id"]["session"]["id"] = json!("someone-else");
        parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
        parts.join(".")
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "signed by another key",
            other.sign_with_header(&header(&other), &good),
            "invalid_key",
        ),
        ("payload changed", tampered, "invalid_key"),
        (
            "unknown kid",
            signer.sign_with_header(
                &json!({"alg": "RS256", "typ": "secevent+jwt", "kid": "nope"}),
                &good,
            ),
            "invalid_key",
        ),
        (
            "HS256",
            crate::testing::sign_hs256(
                &json!({"alg": "HS256", "typ": "secevent+jwt", "kid": "set-key"}),
                &good,
                &signer.public_key_der(),
            ),
            "invalid_key",
        ),
        ("unsigned", crate::testing::unsigned(&good), "invalid_key"),
        (
            "not a SET type",
            signer.sign_with_header(
                &json!({"alg": "RS256", "typ": "JWT", "kid": "set-key"}),
                &good,
            ),
            "invalid_request",
        ),
        (
            "wrong issuer",
            with(&|c| c["iss"] = json!("https://evil.example")),
            "invalid_issuer",
        ),
        (
            "wrong audience",
            with(&|c| c["aud"] = json!("another-service")),
            "invalid_audience",
        ),
        (
            "no jti",
            with(&|c| c["jti"] = Value::Null),
            "invalid_request",
        ),
        (
            "future",
            with(&|c| c["iat"] = json!(now_secs() + 3600)),
            "invalid_request",
        ),
        (
            "too old",
            with(&|c| c["iat"] = json!(now_secs() - 8 * 86_400)),
            "invalid_request",
        ),
        (
            "an exp",
            with(&|c| c["exp"] = json!(now_secs() + 60)),
            "invalid_request",
        ),
        (
            "no events",
            with(&|c| c["events"] = json!({})),
            "invalid_request",
        ),
        (
            "no session",
            with(&|c| c["sub_id"] = json!({"format": "opaque", "id": "x"})),
            "invalid_request",
        ),
        ("garbage", "not.a.set".to_string(), "invalid_request"),
    ];
    for (name, set, code) in cases {
        let err = verifier.verify(&set).await.unwrap_err();
        assert_eq!(err.code, code, "{name}: {err}");
    }
    // An audience list naming this receiver is accepted.
    let listed = with(&|c| c["aud"] = json!(["x", AUDIENCE]));
    assert!(verifier.verify(&listed).await.is_ok());
}

#[tokio::test]
async fn a_received_revocation_refuses_the_session_offline_and_a_forged_one_does_not() {
    let set_signer = TestSigner::generate("set-key");
    let revoked: Arc<dyn RevokedSessions> = Arc::new(MemoryRevokedSessions::default());
    let receiver = SetReceiver::new(verifier(&set_signer), revoked.clone());

    // The service's guard: no online check, only the revoked sessions.
    let pool = TestSigner::generate("pool-key");
    let guard = Guard::new(
        Verifier::with_key_source(
            crate::testing::config(),
            Arc::new(StaticKeys::new(pool.jwks())),
        )
        .unwrap(),
    )
    .revoked_sessions(revoked.clone());
    let token = |id: &str| {
        let mut claims = crate::testing::impersonated(
            crate::testing::id_claims("target-sub", "bob"),
            ("actor-sub", "alice"),
            Some("full"),
        );
        claims["impersonation_id"] = json!(id);
        pool.sign(&claims)
    };
    let bearer = |id: &str| format!("Bearer {}", token(id));
    assert!(guard.session(Some(&bearer("imp-1")), None).await.is_ok());

    // A forged SET changes nothing, and is answered 400 with RFC 8935's error.
    let forger = TestSigner::generate("set-key");
    let forged = forger.sign_with_header(&header(&forger), &claims(SESSION_REVOKED, "imp-1"));
    let result = receiver.receive(forged.as_bytes()).await;
    let (status, body) = SetReceiver::answer(&result);
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body.unwrap()).unwrap();
    assert_eq!(body["err"], "invalid_key");
    assert!(guard.session(Some(&bearer("imp-1")), None).await.is_ok());

    let set = set_signer.sign_with_header(&header(&set_signer), &claims(SESSION_REVOKED, "imp-1"));
    let result = receiver.receive(set.as_bytes()).await;
    assert_eq!(SetReceiver::answer(&result), (202, None));
    assert_eq!(
        guard.session(Some(&bearer("imp-1")), None).await,
        Err(VerifyError::Revoked)
    );
    // Another session of the same user is not affected.
    assert!(guard.session(Some(&bearer("imp-2")), None).await.is_ok());
    let _ = VerifierConfig::new("i", "j", ["c"]);
}

#[tokio::test]
async fn a_store_that_fails_refuses_rather_than_allows() {
    struct Down;
    #[async_trait]
    impl RevokedSessions for Down {
        async fn revoke(&self, _: &str, _: i64) -> Result<(), VerifyError> {
            Err(VerifyError::upstream("revoked sessions", "down"))
        }
        async fn is_revoked(&self, _: &str) -> Result<bool, VerifyError> {
            Err(VerifyError::upstream("revoked sessions", "down"))
        }
    }
    let pool = TestSigner::generate("pool-key");
    let guard = Guard::new(
        Verifier::with_key_source(
            crate::testing::config(),
            Arc::new(StaticKeys::new(pool.jwks())),
        )
        .unwrap(),
    )
    .revoked_sessions(Arc::new(Down));
    let mut claims = crate::testing::impersonated(
        crate::testing::id_claims("target-sub", "bob"),
        ("actor-sub", "alice"),
        Some("full"),
    );
    claims["impersonation_id"] = json!("imp-1");
    let err = guard
        .session(Some(&format!("Bearer {}", pool.sign(&claims))), None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 502);

    let signer = TestSigner::generate("set-key");
    let receiver = SetReceiver::new(verifier(&signer), Arc::new(Down));
    let set = signer.sign_with_header(
        &header(&signer),
        &super::tests::claims(SESSION_REVOKED, "imp-1"),
    );
    let result = receiver.receive(set.as_bytes()).await;
    assert_eq!(SetReceiver::answer(&result).0, 503);
}
