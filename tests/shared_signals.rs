//! Issue 22 item 3: actas as a Shared Signals (SSF 1.0) transmitter. A receiver registered
//! with the CLI creates a push stream; a stop arrives as a CAEP `session-revoked` SET that the
//! kit verifies against the published JWKS; the sample service, with online checks off,
//! refuses the stopped session; a receiver that was down gets the SET once it is up (at least
//! once); a forged SET is refused; the stream routes refuse bad input.

use actas_integration_tests::{assert_error, Harness};
use actas_verify::{SetVerifier, SetVerifierConfig};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SESSION_REVOKED: &str = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
const PUSH: &str = "urn:ietf:rfc:8935";
const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";
const DEMO_AUDIENCE: &str = "actas-demo-notes";
/// A push endpoint nothing listens on (this machine's discard port): other tests' stops are
/// pushed to every stream, and must not leave the machine.
const CLOSED_ENDPOINT: &str = "http://127.0.0.1:9/events";

/// A push endpoint on 127.0.0.1 (the functions run as local processes): every request's
/// headers and body, answered 202.
#[derive(Clone, Default)]
struct Pushes(Arc<Mutex<Vec<(String, String)>>>);

impl Pushes {
    async fn serve(listener: TcpListener) -> Pushes {
        let pushes = Pushes::default();
        let seen = pushes.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let Ok(read) = socket.read(&mut buf).await else {
                            return;
                        };
                        if read == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..read]);
                        let text = String::from_utf8_lossy(&data).to_string();
                        if let Some((head, body)) = text.split_once("\r\n\r\n") {
                            let length = head
                                .lines()
                                .find_map(|l| {
                                    let (name, value) = l.split_once(':')?;
                                    name.eq_ignore_ascii_case("content-length")
                                        .then(|| value.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            if body.len() >= length {
                                seen.0
                                    .lock()
                                    .unwrap()
                                    .push((head.to_lowercase(), body.to_string()));
                                let _ = socket
                                    .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                                    .await;
                                return;
                            }
                        }
                    }
                });
            }
        });
        pushes
    }

    /// The SET about `session` (waits up to `within`), with the request's headers.
    async fn set_about(&self, session: &str, within: Duration) -> Option<(String, String)> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            let found = self.0.lock().unwrap().iter().find_map(|(head, body)| {
                let claims = actas_integration_tests::jwt_claims(body).ok()?;
                (claims["sub_id"]["session"]["id"] == session).then(|| (head.clone(), body.clone()))
            });
            if found.is_some() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        None
    }
}

/// A receiver registered with the CLI library, removed (with its stream) when the test is done,
/// passed or not: a stream to a test's closed port would take every later stop's SET.
struct Registered {
    id: String,
    credential: String,
    sdk: aws_config::SdkConfig,
    table: String,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let (sdk, table, id) = (self.sdk.clone(), self.table.clone(), self.id.clone());
        // Drop cannot await, and the test's runtime may be the one dropping: a thread of its own.
        let removed = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(actas_cli::ssf::remove_receiver(&sdk, &table, &id))
                .map_err(|e| e.to_string())
        })
        .join();
        if !matches!(removed, Ok(Ok(_))) {
            eprintln!("receiver {} not removed: {removed:?}", self.id);
        }
    }
}

async fn register(h: &Harness, name: &str, audience: &str) -> Registered {
    // Receivers left by an earlier run that stopped half-way: their endpoints are gone.
    for old in actas_cli::ssf::list_receivers(&h.sdk, &h.stack.table_name)
        .await
        .unwrap()
    {
        let stale = old["name"].as_str().is_some_and(|n| n.starts_with("it-"))
            && old["created_at"]
                .as_str()
                .is_some_and(|at| at < rfc3339_minutes_ago(5).as_str());
        if stale {
            let id = old["id"].as_str().unwrap();
            actas_cli::ssf::remove_receiver(&h.sdk, &h.stack.table_name, id)
                .await
                .unwrap();
        }
    }
    let added = actas_cli::ssf::add_receiver(&h.sdk, &h.stack.table_name, name, audience)
        .await
        .unwrap();
    Registered {
        id: added["id"].as_str().unwrap().to_string(),
        credential: added["credential"].as_str().unwrap().to_string(),
        sdk: h.sdk.clone(),
        table: h.stack.table_name.clone(),
    }
}

fn rfc3339_minutes_ago(minutes: i64) -> String {
    actas::ports::clock::rfc3339_millis(actas_integration_tests::now_millis() - minutes * 60_000)
}

/// Removes a receiver now (it must exist); the drop that follows finds nothing to remove.
async fn unregister(h: &Harness, receiver: &Registered) {
    assert!(
        actas_cli::ssf::remove_receiver(&h.sdk, &h.stack.table_name, &receiver.id)
            .await
            .unwrap()
    );
    let listed = actas_cli::ssf::list_receivers(&h.sdk, &h.stack.table_name)
        .await
        .unwrap();
    assert!(
        listed.iter().all(|r| r["id"] != receiver.id.as_str()),
        "removed"
    );
}

async fn create_stream(h: &Harness, receiver: &Registered, endpoint: &str) -> Value {
    let created = h
        .send(
            "POST",
            "/ssf/streams",
            Some(&receiver.credential),
            Some(&json!({
                "delivery": {"method": PUSH, "endpoint_url": endpoint, "authorization_header": "Bearer push-secret"},
                "events_requested": [SESSION_REVOKED],
                "description": "integration test",
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body
}

async fn status(h: &Harness, receiver: &Registered, stream_id: &str) -> Value {
    let answer = h
        .get(
            &format!("/ssf/status?stream_id={stream_id}"),
            Some(&receiver.credential),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

/// Waits until the stream's status satisfies `done` (the audit stream is polled by the emulator).
async fn status_until(
    h: &Harness,
    receiver: &Registered,
    stream_id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let now = status(h, receiver, stream_id).await;
        if done(&now) || Instant::now() > until {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A started impersonation: its id and id token.
async fn started(h: &Harness) -> (String, String) {
    let target = h.fresh_user("user", "acme", None).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    (
        payload["impersonation"]["id"].as_str().unwrap().to_string(),
        payload["session"]["authorization"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

async fn stop(h: &Harness, id: &str) {
    let stopped = h
        .delete(
            &format!("/auth/impersonations/{id}"),
            &h.id_token("acme-admin").await,
        )
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
}

fn api_id(h: &Harness) -> String {
    h.stack
        .api_url
        .split("/execute-api/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string()
}

/// `GET /demo/notes` straight to the sample's function (no authorizer in front: the kit alone
/// decides, with online revocation checks off).
async fn notes_status(h: &Harness, token: &str) -> (u64, Value) {
    let mut event = actas_integration_tests::event("demo-notes-create.json");
    event["httpMethod"] = json!("GET");
    event["requestContext"]["httpMethod"] = json!("GET");
    event["body"] = Value::Null;
    event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
    event["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {token}")]);
    event["requestContext"]["apiId"] = json!(api_id(h));
    let answer = h.invoke("DemoNotesFunction", &event).await;
    let body = answer["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (answer["statusCode"].as_u64().unwrap(), body)
}

#[tokio::test]
async fn a_stop_reaches_receivers_as_a_verifiable_set_and_the_sample_refuses_the_session() {
    let h = Harness::new().await;
    let metadata = h.get("/.well-known/ssf-configuration", None).await;
    assert_eq!(metadata.status, 200, "{}", metadata.body);
    let metadata = metadata.body;
    assert_eq!(metadata["spec_version"], "1_0");
    assert_eq!(metadata["delivery_methods_supported"], json!([PUSH]));
    let jwks = h.get("/ssf/jwks", None).await;
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.body["keys"][0]["alg"], "RS256");

    // A receiver of the test's own, and the sample service as a receiver.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/events", listener.local_addr().unwrap());
    let pushes = Pushes::serve(listener).await;
    let receiver = register(&h, "it-receiver", "it-audience").await;
    let stream = create_stream(&h, &receiver, &endpoint).await;
    assert_eq!(stream["aud"], "it-audience");
    assert_eq!(stream["iss"], metadata["issuer"]);
    assert_eq!(stream["events_delivered"], json!([SESSION_REVOKED]));
    assert!(stream["delivery"].get("authorization_header").is_none());
    // SSF verification: a verification SET with the receiver's state.
    let verify = h
        .send(
            "POST",
            "/ssf/verify",
            Some(&receiver.credential),
            Some(&json!({"stream_id": stream["stream_id"], "state": "it-state"})),
        )
        .await;
    assert_eq!(verify.status, 204, "{}", verify.body);
    let verification = {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let found = pushes.0.lock().unwrap().iter().find_map(|(_, body)| {
                let claims = actas_integration_tests::jwt_claims(body).ok()?;
                claims["events"][VERIFICATION]
                    .is_object()
                    .then(|| body.clone())
            });
            if found.is_some() || Instant::now() > until {
                break found.expect("a verification SET");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let sample = register(&h, "it-demo-notes", DEMO_AUDIENCE).await;
    let sample_stream =
        create_stream(&h, &sample, &format!("{}/demo/ssf/events", h.stack.api_url)).await;
    let sample_stream_id = sample_stream["stream_id"].as_str().unwrap();

    let (id, token) = started(&h).await;
    assert_eq!(notes_status(&h, &token).await.0, 200, "a live session");
    stop(&h, &id).await;

    // A verifiable SET within seconds, pushed as RFC 8935 asks.
    let (head, set) = pushes
        .set_about(&id, Duration::from_secs(30))
        .await
        .expect("a SET about the stopped session");
    assert!(
        head.contains("content-type: application/secevent+jwt"),
        "{head}"
    );
    assert!(head.contains("authorization: bearer push-secret"), "{head}");
    let verifier = SetVerifier::new(SetVerifierConfig::new(
        metadata["issuer"].as_str().unwrap(),
        "it-audience",
        metadata["jwks_uri"].as_str().unwrap(),
    ))
    .unwrap();
    let event = verifier.verify(&set).await.expect("the SET verifies");
    let verified = verifier
        .verify(&verification)
        .await
        .expect("the verification verifies");
    assert_eq!(verified.event["state"], "it-state");
    assert_eq!(event.event_type, SESSION_REVOKED);
    assert_eq!(event.session_id.as_deref(), Some(id.as_str()));
    assert_eq!(event.event["initiating_entity"], "admin");
    assert!(event.event["event_timestamp"].as_i64().is_some());
    // For another audience, the same SET is refused.
    let elsewhere = SetVerifier::new(SetVerifierConfig::new(
        metadata["issuer"].as_str().unwrap(),
        "another-service",
        metadata["jwks_uri"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(
        elsewhere.verify(&set).await.unwrap_err().code,
        "invalid_audience"
    );

    // The sample gets it too (other tests' stops reach its stream as well, so the stream's
    // count alone does not say it was this one); from then on it refuses the session, asking
    // actas nothing.
    let until = Instant::now() + Duration::from_secs(30);
    let (refused, body) = loop {
        let (status, body) = notes_status(&h, &token).await;
        if status != 200 || Instant::now() > until {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(refused, 401, "{body}");
    let delivered = status(&h, &sample, sample_stream_id).await;
    assert!(
        delivered["delivery"]["delivered"].as_i64() >= Some(1),
        "{delivered}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("revoked"),
        "{body}"
    );

    // actas ssf status shows both.
    let listed = actas_cli::ssf::list_receivers(&h.sdk, &h.stack.table_name)
        .await
        .unwrap();
    let mine = listed
        .iter()
        .find(|r| r["id"] == receiver.id.as_str())
        .unwrap();
    assert_eq!(mine["stream"]["status"], "enabled");
    assert!(mine["stream"]["delivery"]["last_delivery_at"].is_string());

    unregister(&h, &receiver).await;
    unregister(&h, &sample).await;
}

#[tokio::test]
async fn a_receiver_down_then_up_gets_the_set_again() {
    let h = Harness::new().await;
    // A port nobody listens on: connection refused.
    let address = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let receiver = register(&h, "it-down-then-up", "it-audience").await;
    let stream = create_stream(&h, &receiver, &format!("http://{address}/events")).await;
    let stream_id = stream["stream_id"].as_str().unwrap();
    let (id, _) = started(&h).await;
    stop(&h, &id).await;

    let failed = status_until(&h, &receiver, stream_id, |s| {
        s["delivery"]["last_error"].is_string() && s["delivery"]["pending"].as_u64() >= Some(1)
    })
    .await;
    assert!(failed["delivery"]["last_error"].is_string(), "{failed}");
    assert!(
        failed["delivery"]["pending"].as_u64() >= Some(1),
        "{failed}"
    );

    // Up again: the retry (what the schedule runs; `actas ssf retry` forces it now) delivers.
    let pushes = Pushes::serve(TcpListener::bind(address).await.unwrap()).await;
    let retried =
        actas_cli::ssf::retry(&h.sdk, h.stack.function_name("SsfDeliverFunction").unwrap())
            .await
            .unwrap();
    assert!(retried["delivered"].as_u64() >= Some(1), "{retried}");
    assert!(pushes
        .set_about(&id, Duration::from_secs(5))
        .await
        .is_some());
    // Other tests' stops reach this stream too, each pending for a moment: none stays.
    let after = status_until(&h, &receiver, stream_id, |s| s["delivery"]["pending"] == 0).await;
    assert_eq!(after["delivery"]["pending"], 0, "{after}");
    unregister(&h, &receiver).await;
}

#[tokio::test]
async fn a_forged_set_is_refused_by_the_sample() {
    let h = Harness::new().await;
    let jwks = h.get("/ssf/jwks", None).await.body;
    let kid = jwks["keys"][0]["kid"].as_str().unwrap();
    let forger = actas_verify::testing::TestSigner::generate(kid);
    let metadata = h.get("/.well-known/ssf-configuration", None).await.body;
    let (id, token) = started(&h).await;
    let forged = forger.sign_with_header(
        &json!({"alg": "RS256", "typ": "secevent+jwt", "kid": kid}),
        &json!({
            "iss": metadata["issuer"], "aud": DEMO_AUDIENCE, "iat": actas_integration_tests::now_millis() / 1000,
            "jti": "forged-1",
            "sub_id": {"format": "complex", "session": {"format": "opaque", "id": id}},
            "events": {SESSION_REVOKED: {"event_timestamp": 1}},
        }),
    );
    let answer = h
        .http
        .post(format!("{}/demo/ssf/events", h.stack.api_url))
        .header("content-type", "application/secevent+jwt")
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["err"], "invalid_key", "{body}");
    assert_eq!(
        notes_status(&h, &token).await.0,
        200,
        "the session is untouched"
    );
    stop(&h, &id).await;
}

#[tokio::test]
async fn the_stream_routes_refuse_bad_input() {
    let h = Harness::new().await;
    let receiver = register(&h, "it-bad-input", "it-audience").await;
    for credential in [None, Some("nonsense"), Some("ssf.abc.def")] {
        assert_error(&h.get("/ssf/streams", credential).await, 401, "credential");
    }
    let wrong_secret = format!("{}x", receiver.credential);
    assert_error(
        &h.get("/ssf/streams", Some(&wrong_secret)).await,
        401,
        "wrong secret",
    );
    let listed = h.get("/ssf/streams", Some(&receiver.credential)).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body, json!([]));

    let bad_json = actas_integration_tests::call_api(
        &h.http,
        &h.stack,
        "POST",
        "/ssf/streams",
        &[("authorization", &format!("Bearer {}", receiver.credential))],
        Some("{not json"),
    )
    .await
    .unwrap();
    assert_error(&bad_json, 400, "bad JSON");
    let post = |body: Value| {
        let credential = receiver.credential.clone();
        let h = &h;
        async move {
            h.send("POST", "/ssf/streams", Some(&credential), Some(&body))
                .await
        }
    };
    assert_error(
        &post(json!({"events_requested": [SESSION_REVOKED]})).await,
        400,
        "no endpoint",
    );
    assert_error(
        &post(json!({"delivery": {"method": "urn:ietf:rfc:8936", "endpoint_url": "https://x.example/"}})).await,
        422,
        "poll delivery",
    );
    assert_error(
        &post(json!({"delivery": {"endpoint_url": "ftp://x.example/"}})).await,
        422,
        "not http",
    );

    let stream = create_stream(&h, &receiver, CLOSED_ENDPOINT).await;
    let stream_id = stream["stream_id"].as_str().unwrap();
    assert_error(
        &post(json!({"delivery": {"endpoint_url": "https://x.example/"}})).await,
        409,
        "a second stream",
    );
    let unknown = h
        .get(
            "/ssf/streams?stream_id=00000000-0000-4000-8000-000000000000",
            Some(&receiver.credential),
        )
        .await;
    assert_error(&unknown, 404, "unknown stream");
    assert_error(
        &h.get("/ssf/status?stream_id=nope", Some(&receiver.credential))
            .await,
        404,
        "unknown stream status",
    );
    assert_error(
        &h.get("/ssf/status", Some(&receiver.credential)).await,
        400,
        "no stream id",
    );

    let patched = h
        .send(
            "PATCH",
            "/ssf/streams",
            Some(&receiver.credential),
            Some(&json!({"stream_id": stream_id, "description": "renamed"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["description"], "renamed");
    assert_eq!(patched.body["delivery"]["endpoint_url"], CLOSED_ENDPOINT);

    let paused = h
        .send(
            "POST",
            "/ssf/status",
            Some(&receiver.credential),
            Some(&json!({"stream_id": stream_id, "status": "paused", "reason": "maintenance"})),
        )
        .await;
    assert_eq!(paused.status, 200, "{}", paused.body);
    assert_eq!(status(&h, &receiver, stream_id).await["status"], "paused");
    assert_error(
        &h.send(
            "POST",
            "/ssf/status",
            Some(&receiver.credential),
            Some(&json!({"stream_id": stream_id, "status": "sleeping"})),
        )
        .await,
        422,
        "unknown status",
    );

    // Another receiver cannot see or touch this stream.
    let other = register(&h, "it-other", "it-audience").await;
    assert_error(
        &h.get(
            &format!("/ssf/streams?stream_id={stream_id}"),
            Some(&other.credential),
        )
        .await,
        404,
        "someone else's stream",
    );
    let deleted = h
        .send(
            "DELETE",
            &format!("/ssf/streams?stream_id={stream_id}"),
            Some(&receiver.credential),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_error(
        &h.get(
            &format!("/ssf/streams?stream_id={stream_id}"),
            Some(&receiver.credential),
        )
        .await,
        404,
        "deleted",
    );
    unregister(&h, &other).await;
    unregister(&h, &receiver).await;
}

#[tokio::test]
async fn the_seed_registers_the_sample_as_a_receiver() {
    let h = Harness::new().await;
    let listed = actas_cli::ssf::list_receivers(&h.sdk, &h.stack.table_name)
        .await
        .unwrap();
    let sample: Vec<&Value> = listed
        .iter()
        .filter(|r| r["name"] == "demo-notes")
        .collect();
    assert_eq!(sample.len(), 1, "{listed:?}");
    assert_eq!(sample[0]["audience"], DEMO_AUDIENCE);
    assert_eq!(sample[0]["stream"]["status"], "enabled");
    assert_eq!(
        sample[0]["stream"]["delivery"]["endpoint_url"],
        format!("{}/demo/ssf/events", h.stack.api_url)
    );
}
