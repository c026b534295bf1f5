use super::*;
use crate::session::TokenUse;
use crate::testing::{
    access_claims, config, id_claims, impersonated, sign_hs256, unsigned, StaticKeys, TestSigner,
    IMPERSONATION_CLIENT, ISSUER, SIGN_IN_CLIENT,
};
use serde_json::json;

fn verifier(signer: &TestSigner) -> (Verifier, Arc<StaticKeys>) {
    let keys = Arc::new(StaticKeys::new(signer.jwks()));
    let verifier = Verifier::with_key_source(config(), keys.clone()).unwrap();
    (verifier, keys)
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

async fn refusal(verifier: &Verifier, token: &str) -> VerifyError {
    match verifier.verify(token).await {
        Ok(session) => panic!("token should be refused: {session:?}"),
        Err(err) => err,
    }
}

#[tokio::test]
async fn accepts_id_and_access_tokens_with_or_without_bearer() {
    let signer = TestSigner::generate("k1");
    let (verifier, _) = verifier(&signer);

    let id = signer.sign(&id_claims("sub-1", "alice"));
    for presented in [format!("Bearer {id}"), format!("bearer  {id} "), id.clone()] {
        let session = verifier.verify(&presented).await.unwrap();
        assert_eq!(session.sub, "sub-1");
        assert_eq!(session.username, "alice");
        assert_eq!(session.token_use, TokenUse::Id);
        assert_eq!(session.client_id, SIGN_IN_CLIENT);
        assert_eq!(session.groups, ["support"]);
        assert_eq!(session.tenant.as_deref(), Some("acme"));
        assert!(session.scopes.is_empty());
        assert!(!session.is_impersonated());
        assert_eq!(session.mode, None);
        assert!(session.may_write());
    }

    let access = signer.sign(&access_claims("sub-1", "alice"));
    let session = verifier
        .verify_header(Some(&format!("Bearer {access}")))
        .await
        .unwrap();
    assert_eq!(session.token_use, TokenUse::Access);
    assert_eq!(session.username, "alice");
    assert_eq!(session.scopes, ["actas/read", "actas/write"]);
    assert!(session.groups.is_empty());
}

#[tokio::test]
async fn refuses_every_kind_of_bad_token() {
    let signer = TestSigner::generate("k1");
    let impostor = TestSigner::generate("k1");
    let (verifier, _) = verifier(&signer);
    let good = id_claims("sub-1", "alice");
    let now = now_secs();
    let rs256 = json!({"alg": "RS256", "kid": "k1"});

    let tampered = {
        let token = signer.sign(&good);
        let parts: Vec<&str> = token.split('.').collect();
        let evil = URL_SAFE_NO_PAD.encode(with(good.clone(), "sub", json!("sub-2")).to_string());
        format!("{}.{}.{}", parts[0], evil, parts[2])
    };

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            signer.sign(&with(good.clone(), "exp", json!(now - 600))),
            "expired",
        ),
        (
            "no expiry",
            signer.sign(&without(good.clone(), "exp")),
            "no expiry",
        ),
        (
            "expiry as a string",
            signer.sign(&with(good.clone(), "exp", json!("4000000000"))),
            "malformed",
        ),
        (
            "not yet valid",
            signer.sign(&with(good.clone(), "nbf", json!(now + 600))),
            "not yet valid",
        ),
        (
            "wrong issuer",
            signer.sign(&with(
                good.clone(),
                "iss",
                json!("https://evil.example/pool"),
            )),
            "wrong issuer",
        ),
        (
            "issuer with a trailing slash",
            signer.sign(&with(good.clone(), "iss", json!(format!("{ISSUER}/")))),
            "wrong issuer",
        ),
        (
            "no issuer",
            signer.sign(&without(good.clone(), "iss")),
            "wrong issuer",
        ),
        (
            "wrong client",
            signer.sign(&with(good.clone(), "aud", json!("another-client"))),
            "another client",
        ),
        (
            "several audiences",
            signer.sign(&with(good.clone(), "aud", json!([SIGN_IN_CLIENT, "x"]))),
            "no client",
        ),
        (
            "access token of another client",
            signer.sign(&with(access_claims("s", "u"), "client_id", json!("x"))),
            "another client",
        ),
        (
            "access token without a client",
            signer.sign(&without(access_claims("s", "u"), "client_id")),
            "no client",
        ),
        (
            "refresh token use",
            signer.sign(&with(good.clone(), "token_use", json!("refresh"))),
            "not an id or access",
        ),
        (
            "no token use",
            signer.sign(&without(good.clone(), "token_use")),
            "not an id or access",
        ),
        (
            "no subject",
            signer.sign(&without(good.clone(), "sub")),
            "no subject",
        ),
        ("alg none", unsigned(&good), "unsupported algorithm"),
        (
            "HS256 with the public key",
            sign_hs256(
                &json!({"alg": "HS256", "kid": "k1"}),
                &good,
                &signer.public_key_der(),
            ),
            "unsupported algorithm",
        ),
        (
            "RS256 header over an HMAC",
            sign_hs256(&rs256, &good, &signer.public_key_der()),
            "bad signature",
        ),
        (
            "RS512",
            signer.sign_with_header(&json!({"alg": "RS512", "kid": "k1"}), &good),
            "unsupported algorithm",
        ),
        (
            "critical header",
            signer.sign_with_header(
                &json!({"alg": "RS256", "kid": "k1", "crit": ["exp"]}),
                &good,
            ),
            "critical",
        ),
        (
            "no kid",
            signer.sign_with_header(&json!({"alg": "RS256"}), &good),
            "no key id",
        ),
        (
            "another key with the same kid",
            impostor.sign(&good),
            "bad signature",
        ),
        ("tampered payload", tampered, "bad signature"),
        (
            "signature cut off",
            signer.sign(&good).rsplit_once('.').unwrap().0.to_string() + ".",
            "bad signature",
        ),
        (
            "four parts",
            format!("{}.x", signer.sign(&good)),
            "malformed",
        ),
        ("garbage", "not-a-jwt".into(), "malformed"),
        (
            "padded base64",
            signer.sign(&good).replacen('.', "=.", 1),
            "malformed",
        ),
        ("huge", "a".repeat(20_000), "too long"),
        (
            "wrong scheme",
            format!("Basic {}", signer.sign(&good)),
            "Bearer",
        ),
        (
            "act that is not an actor",
            signer.sign(&with(good.clone(), "act", json!(42))),
            "malformed actor",
        ),
        (
            "impersonation already over",
            signer.sign(&with(
                impersonated(good.clone(), ("a", "admin"), Some("full")),
                "impersonation_expires_at",
                json!(now - 600),
            )),
            "ended",
        ),
    ];
    for (name, token, expected) in cases {
        let err = refusal(&verifier, &token).await;
        assert_eq!(err.status(), 401, "{name}: {err}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    let missing = verifier.verify_header(None).await.unwrap_err();
    assert_eq!(missing.to_string(), "missing Authorization header");
    assert_eq!(
        verifier
            .verify_header(Some("  "))
            .await
            .unwrap_err()
            .status(),
        401
    );
}

#[tokio::test]
async fn leeway_absorbs_small_clock_skew() {
    let signer = TestSigner::generate("k1");
    let (verifier, _) = verifier(&signer);
    let now = now_secs();
    let just_expired = with(id_claims("s", "u"), "exp", json!(now - 2));
    let almost_valid = with(id_claims("s", "u"), "nbf", json!(now + 2));
    let fractional = with(id_claims("s", "u"), "exp", json!(now as f64 + 60.5));
    for claims in [just_expired, almost_valid, fractional] {
        verifier.verify(&signer.sign(&claims)).await.unwrap();
    }
}

#[tokio::test]
async fn impersonated_sessions_say_who_acts_and_how() {
    let signer = TestSigner::generate("k1");
    let (verifier, _) = verifier(&signer);
    let actor = ("actor-sub", "acme-admin");
    let cases = [
        (
            "read-only id",
            impersonated(id_claims("t", "bob"), actor, Some("read_only")),
            Mode::ReadOnly,
        ),
        (
            "read-only access",
            impersonated(access_claims("t", "bob"), actor, Some("read_only")),
            Mode::ReadOnly,
        ),
        (
            "full id",
            impersonated(id_claims("t", "bob"), actor, Some("full")),
            Mode::Full,
        ),
        (
            "full access",
            impersonated(access_claims("t", "bob"), actor, Some("full")),
            Mode::Full,
        ),
        (
            "act without mode",
            impersonated(id_claims("t", "bob"), actor, None),
            Mode::ReadOnly,
        ),
        (
            "unknown mode",
            impersonated(id_claims("t", "bob"), actor, Some("admin")),
            Mode::ReadOnly,
        ),
        (
            "mode in capitals",
            impersonated(id_claims("t", "bob"), actor, Some("FULL")),
            Mode::ReadOnly,
        ),
    ];
    for (name, claims, mode) in cases {
        let session = verifier.verify(&signer.sign(&claims)).await.unwrap();
        assert!(session.is_impersonated(), "{name}");
        assert_eq!(session.sub, "t", "{name}");
        assert_eq!(session.username, "bob", "{name}");
        assert_eq!(session.client_id, IMPERSONATION_CLIENT, "{name}");
        assert_eq!(
            session.actor,
            Some(Actor {
                sub: "actor-sub".into(),
                username: "acme-admin".into()
            }),
            "{name}"
        );
        assert_eq!(
            session.impersonation_id.as_deref(),
            Some("imp-0001"),
            "{name}"
        );
        assert_eq!(session.mode, Some(mode), "{name}");
        assert_eq!(session.may_write(), mode == Mode::Full, "{name}");
        assert!(
            session.ends_at.is_some_and(|end| end > now_secs()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn impersonation_claims_in_other_shapes() {
    let signer = TestSigner::generate("k1");
    let (verifier, _) = verifier(&signer);
    // `act` as a string of JSON, the end as a string of digits.
    let mut claims = impersonated(id_claims("t", "bob"), ("a", "admin"), Some("full"));
    claims["act"] = json!(r#"{"sub":"a","username":"admin"}"#);
    claims["impersonation_expires_at"] = json!((now_secs() + 60).to_string());
    let session = verifier.verify(&signer.sign(&claims)).await.unwrap();
    assert_eq!(session.actor.unwrap().username, "admin");
    assert_eq!(session.mode, Some(Mode::Full));

    // Only an impersonation id: still impersonated, read-only.
    let only_id = with(id_claims("t", "bob"), "impersonation_id", json!("imp-9"));
    let session = verifier.verify(&signer.sign(&only_id)).await.unwrap();
    assert!(session.is_impersonated());
    assert_eq!(session.actor, None);
    assert!(!session.may_write());

    // An actor without a username is named by its sub.
    let bare_actor = with(id_claims("t", "bob"), "act", json!({"sub": "a"}));
    let session = verifier.verify(&signer.sign(&bare_actor)).await.unwrap();
    assert_eq!(session.actor.unwrap().username, "a");

    // A stray mode on an ordinary token can only restrict it.
    let stray = with(
        id_claims("t", "bob"),
        "impersonation_mode",
        json!("read_only"),
    );
    assert!(!verifier
        .verify(&signer.sign(&stray))
        .await
        .unwrap()
        .may_write());
    let stray = with(id_claims("t", "bob"), "impersonation_mode", json!("full"));
    let session = verifier.verify(&signer.sign(&stray)).await.unwrap();
    assert_eq!(session.mode, None);
    assert!(session.may_write());
}

#[tokio::test]
async fn keys_are_fetched_once_and_an_unknown_kid_costs_one_refetch() {
    let signer = TestSigner::generate("k1");
    let stranger = TestSigner::generate("k2");
    let keys = Arc::new(StaticKeys::new(signer.jwks()));
    let mut config = config();
    config.refetch_interval = Duration::ZERO;
    let verifier = Verifier::with_key_source(config, keys.clone()).unwrap();
    for _ in 0..3 {
        verifier
            .verify(&signer.sign(&id_claims("s", "u")))
            .await
            .unwrap();
    }
    assert_eq!(keys.fetch_count(), 1, "fetched once, then cached");

    let err = refusal(&verifier, &stranger.sign(&id_claims("s", "u"))).await;
    assert!(err.to_string().contains("unknown key"), "{err}");
    assert_eq!(keys.fetch_count(), 2, "one refetch for the unknown kid");

    // Rotation: the new key is picked up by the refetch its first token causes.
    keys.replace(stranger.jwks());
    verifier
        .verify(&stranger.sign(&id_claims("s", "u")))
        .await
        .unwrap();
    assert_eq!(keys.fetch_count(), 3);
}

#[tokio::test]
async fn refetches_are_spaced_out() {
    let signer = TestSigner::generate("k1");
    let stranger = TestSigner::generate("k2");
    let (verifier, keys) = verifier(&signer); // the default interval: 30 s
    verifier
        .verify(&signer.sign(&id_claims("s", "u")))
        .await
        .unwrap();
    for _ in 0..5 {
        let err = refusal(&verifier, &stranger.sign(&id_claims("s", "u"))).await;
        assert_eq!(err.status(), 401);
    }
    assert_eq!(
        keys.fetch_count(),
        1,
        "made-up kids within the interval cause no downloads"
    );
}

/// A key source that is down, counting how often it is asked.
struct DownKeys(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl KeySource for DownKeys {
    async fn fetch(&self) -> Result<crate::Jwks, VerifyError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(VerifyError::upstream("fetching the JWKS", "HTTP 503"))
    }
}

#[tokio::test]
async fn a_key_fetch_failure_is_an_upstream_error_and_is_not_retried_at_once() {
    let signer = TestSigner::generate("k1");
    let source = Arc::new(DownKeys(Default::default()));
    let verifier = Verifier::with_key_source(config(), source.clone()).unwrap();
    let token = signer.sign(&id_claims("s", "u"));
    for _ in 0..5 {
        let err = refusal(&verifier, &token).await;
        assert_eq!(err.status(), 502, "{err}");
    }
    assert_eq!(source.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_jwks_over_http_is_fetched_bounded() {
    use crate::testing::test_server::CannedServer;
    let signer = TestSigner::generate("k1");
    let server = CannedServer::start(200, &serde_json::to_string(&signer.jwks()).unwrap()).await;
    let url = format!("{}/pool/.well-known/jwks.json", server.url);
    let mut config = config();
    config.jwks_url = url;
    let verifier = Verifier::new(config).unwrap();
    let session = verifier
        .verify(&signer.sign(&id_claims("s", "u")))
        .await
        .unwrap();
    assert_eq!(session.sub, "s");
    assert!(server.requests()[0].starts_with("GET /pool/.well-known/jwks.json "));

    let huge = format!(r#"{{"keys": [], "pad": "{}"}}"#, "x".repeat(70_000));
    let server = CannedServer::start(200, &huge).await;
    let mut config = crate::testing::config();
    config.jwks_url = server.url.clone();
    let verifier = Verifier::new(config).unwrap();
    let err = refusal(&verifier, &signer.sign(&id_claims("s", "u"))).await;
    assert_eq!(err.status(), 502, "too large: {err}");

    let mut config = crate::testing::config();
    config.jwks_url = "http://127.0.0.1:9/jwks.json".into(); // nothing listens on the discard port
    let verifier = Verifier::new(config).unwrap();
    let err = refusal(&verifier, &signer.sign(&id_claims("s", "u"))).await;
    assert_eq!(err.status(), 502, "{err}");
}

#[test]
fn configuration_is_checked() {
    let keys: Arc<dyn KeySource> = Arc::new(StaticKeys::new(Default::default()));
    let no_issuer = VerifierConfig::new(" ", "https://x/jwks", ["c"]);
    assert!(Verifier::with_key_source(no_issuer, keys.clone()).is_err());
    let no_clients = VerifierConfig::new(ISSUER, "https://x/jwks", [""]);
    assert!(Verifier::with_key_source(no_clients, keys).is_err());
    assert!(Verifier::new(VerifierConfig::new(ISSUER, "file:///etc/passwd", ["c"])).is_err());
}
