//! The routes as API Gateway calls them: an event, through the layer, to the in-memory store.

use super::*;
use crate::app;
use crate::notes::{MemoryNoteStore, StoreError};
use crate::runtime::answer;
use actas_verify::env::Settings;
use actas_verify::testing::test_server::CannedServer;
use actas_verify::testing::{
    access_claims, id_claims, impersonated, StaticKeys, TestSigner, IMPERSONATION_CLIENT, ISSUER,
    SIGN_IN_CLIENT,
};
use actas_verify::{Guard, RevocationCheck, Verifier};
use async_trait::async_trait;
use lambda_http::tower::Service;
use std::collections::HashMap;
use std::convert::Infallible;

const EVENT: &str = include_str!("../../../../events/demo-notes-create.json");
const ACTOR: (&str, &str) = ("admin-sub", "acme-admin");

fn settings(vars: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = HashMap::from([
        ("TOKEN_ISSUER".into(), ISSUER.into()),
        (
            "ACCEPTED_CLIENT_IDS".into(),
            format!("{SIGN_IN_CLIENT},{IMPERSONATION_CLIENT}"),
        ),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("CHECK_REVOCATION".into(), "false".into()),
    ]);
    for (k, v) in vars {
        env.insert(k.to_string(), v.to_string());
    }
    Settings::from_lookup(|name| env.get(name).cloned()).unwrap()
}

struct World {
    signer: TestSigner,
    store: Arc<MemoryNoteStore>,
}

impl World {
    fn new() -> World {
        World {
            signer: TestSigner::generate("k1"),
            store: Arc::new(MemoryNoteStore::default()),
        }
    }

    fn service_with(
        &self,
        store: Arc<dyn NoteStore>,
        settings: Settings,
    ) -> impl Service<Request, Response = Response<Body>, Error = Infallible> + Clone {
        let keys = Arc::new(StaticKeys::new(self.signer.jwks()));
        let mut guard =
            Guard::new(Verifier::with_key_source(settings.verifier.clone(), keys).unwrap());
        if settings.check_revocation {
            guard = guard.revocation(RevocationCheck::new(
                settings.actas_api_url.clone().unwrap_or_default(),
            ));
        }
        app::service(Notes { store }, guard, settings, None)
    }

    fn token(&self, claims: &Value) -> String {
        self.signer.sign(claims)
    }

    fn ordinary(&self) -> String {
        self.token(&id_claims("user-sub", "acme-support-1"))
    }

    fn read_only(&self) -> String {
        self.token(&impersonated(
            id_claims("user-sub", "acme-support-1"),
            ACTOR,
            Some("read_only"),
        ))
    }

    fn full(&self) -> String {
        self.token(&impersonated(
            access_claims("user-sub", "acme-support-1"),
            ACTOR,
            Some("full"),
        ))
    }

    /// Sends `method path` (query after `?`) with a raw body, as the caller with `token`.
    async fn send(
        &self,
        method: &str,
        target: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let service = self.service_with(self.store.clone(), settings(&[]));
        send_to(&service, event(method, target, token, body)).await
    }
}

fn event(method: &str, target: &str, token: Option<&str>, body: Option<&str>) -> Value {
    let mut event: Value = serde_json::from_str(EVENT).unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    event["httpMethod"] = json!(method);
    event["requestContext"]["httpMethod"] = json!(method);
    event["path"] = json!(path);
    event["requestContext"]["path"] = json!(format!("/v1{path}"));
    if let Some(id) = path.strip_prefix("/demo/notes/") {
        event["resource"] = json!("/demo/notes/{id}");
        event["pathParameters"] = json!({"id": id});
    }
    if !query.is_empty() {
        let (key, value) = query.split_once('=').unwrap();
        event["queryStringParameters"] = json!({key: value});
        event["multiValueQueryStringParameters"] = json!({key: [value]});
    }
    for field in ["headers", "multiValueHeaders"] {
        let headers = event[field].as_object_mut().unwrap();
        headers.remove("Authorization");
        if let Some(token) = token {
            let value = format!("Bearer {token}");
            let value = if field == "headers" {
                json!(value)
            } else {
                json!([value])
            };
            headers.insert("Authorization".into(), value);
        }
    }
    event["body"] = body.map_or(Value::Null, |b| json!(b));
    event
}

async fn send_to<S>(service: &S, event: Value) -> (u16, Value)
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone,
{
    let response = answer(service, event, None).await;
    let content_type = response
        .multi_value_headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let body = match response.body {
        Some(Body::Text(text)) => serde_json::from_str(&text).unwrap(),
        other => panic!("a JSON body, not {other:?}"),
    };
    (response.status_code as u16, body)
}

fn assert_error(answer: &(u16, Value), status: u16, message: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["status"], "error", "{}", answer.1);
    let text = answer.1["message"].as_str().unwrap();
    assert!(text.contains(message), "{text}");
}

fn note_body(text: &str) -> String {
    json!({ "text": text }).to_string()
}

#[tokio::test]
async fn a_read_only_session_reads_but_cannot_write() {
    let world = World::new();
    let (status, created) = world
        .send(
            "POST",
            "/demo/notes",
            Some(&world.ordinary()),
            Some(&note_body("mine")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();

    let read_only = world.read_only();
    let (status, listed) = world
        .send("GET", "/demo/notes", Some(&read_only), None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["notes"][0]["text"], "mine",
        "the impersonated user's notes"
    );

    let refusals = [
        ("POST", "/demo/notes".to_string(), Some(note_body("sneaky"))),
        ("DELETE", format!("/demo/notes/{id}"), None),
        ("DELETE", format!("/demo/notes?id={id}"), None),
    ];
    for (method, target, body) in refusals {
        let answer = world
            .send(method, &target, Some(&read_only), body.as_deref())
            .await;
        assert_error(&answer, 403, "read-only impersonation");
    }
    assert_eq!(
        world.store.list("user-sub").await.unwrap().len(),
        1,
        "nothing changed"
    );
}

#[tokio::test]
async fn an_impersonation_without_a_mode_is_read_only() {
    let world = World::new();
    let token = world.token(&impersonated(id_claims("user-sub", "u"), ACTOR, None));
    let answer = world
        .send("POST", "/demo/notes", Some(&token), Some(&note_body("x")))
        .await;
    assert_error(&answer, 403, "read-only");
}

#[tokio::test]
async fn a_full_impersonation_writes_and_records_who_acted() {
    let world = World::new();
    let (status, note) = world
        .send(
            "POST",
            "/demo/notes",
            Some(&world.full()),
            Some(&note_body("on behalf")),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["text"], "on behalf");
    assert_eq!(
        note["user"],
        json!({"sub": "user-sub", "username": "acme-support-1"})
    );
    assert_eq!(
        note["actor"],
        json!({"sub": "admin-sub", "username": "acme-admin"})
    );
    assert_eq!(note["impersonation_id"], "imp-0001");
    assert_eq!(note["mode"], "full");
    let created_at = note["created_at"].as_str().unwrap();
    assert!(
        created_at.len() == 20 && created_at.ends_with('Z'),
        "{created_at}"
    );

    // The user sees it among their own notes, and may delete it.
    let (_, listed) = world
        .send("GET", "/demo/notes", Some(&world.ordinary()), None)
        .await;
    assert_eq!(listed["notes"].as_array().unwrap().len(), 1);
    assert_eq!(listed["notes"][0], note);
    let id = note["id"].as_str().unwrap();
    let (status, deleted) = world
        .send(
            "DELETE",
            &format!("/demo/notes/{id}"),
            Some(&world.full()),
            None,
        )
        .await;
    assert_eq!((status, &deleted), (200, &note));
}

#[tokio::test]
async fn an_ordinary_session_records_no_actor() {
    let world = World::new();
    let (status, note) = world
        .send(
            "POST",
            "/demo/notes",
            Some(&world.ordinary()),
            Some(&note_body("plain")),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["user"]["sub"], "user-sub");
    for field in ["actor", "impersonation_id", "mode"] {
        assert!(note[field].is_null(), "{field}: {note}");
    }
}

#[tokio::test]
async fn bad_bodies_are_refused_in_the_error_shape() {
    let world = World::new();
    let token = world.ordinary();
    let too_long = note_body(&"a".repeat(1001));
    let huge = note_body(&"a".repeat(20_000));
    let cases: [(Option<&str>, u16, &str); 11] = [
        (None, 400, "not valid JSON"),
        (Some(""), 400, "not valid JSON"),
        (Some("{\"text\": "), 400, "not valid JSON"),
        (Some("text=hello"), 400, "not valid JSON"),
        (Some("[\"hello\"]"), 422, "text is required"),
        (Some("{}"), 422, "text is required"),
        (Some("{\"text\": 42}"), 422, "text is required"),
        (Some("{\"text\": \"   \"}"), 422, "must not be empty"),
        (Some(&too_long), 422, "at most 1000"),
        (Some("{\"text\": \"beep\\u0007\"}"), 422, "plain text"),
        (Some(&huge), 413, "too large"),
    ];
    for (body, status, message) in cases {
        let answer = world.send("POST", "/demo/notes", Some(&token), body).await;
        assert_error(&answer, status, message);
    }
    assert!(world.store.list("user-sub").await.unwrap().is_empty());
}

#[tokio::test]
async fn deleting() {
    let world = World::new();
    let token = world.ordinary();
    let mut ids = Vec::new();
    for text in ["one", "two"] {
        let (_, note) = world
            .send("POST", "/demo/notes", Some(&token), Some(&note_body(text)))
            .await;
        ids.push(note["id"].as_str().unwrap().to_string());
    }
    let (status, deleted) = world
        .send(
            "DELETE",
            &format!("/demo/notes/{}", ids[0]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!((status, deleted["text"].as_str()), (200, Some("one")));
    let again = world
        .send(
            "DELETE",
            &format!("/demo/notes/{}", ids[0]),
            Some(&token),
            None,
        )
        .await;
    assert_error(&again, 404, "no such note");

    // Another user cannot delete the note: it is not theirs to find.
    let other = world.token(&id_claims("other-sub", "acme-sales-1"));
    let theirs = world
        .send(
            "DELETE",
            &format!("/demo/notes?id={}", ids[1]),
            Some(&other),
            None,
        )
        .await;
    assert_error(&theirs, 404, "no such note");

    let (status, deleted) = world
        .send(
            "DELETE",
            &format!("/demo/notes?id={}", ids[1]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!((status, deleted["text"].as_str()), (200, Some("two")));

    assert_error(
        &world
            .send("DELETE", "/demo/notes", Some(&token), None)
            .await,
        400,
        "which note",
    );
    assert_error(
        &world
            .send("DELETE", "/demo/notes/not%20an%20id", Some(&token), None)
            .await,
        404,
        "no such note",
    );
}

#[tokio::test]
async fn routes_methods_and_tokens() {
    let world = World::new();
    let token = world.ordinary();
    assert_error(
        &world.send("GET", "/demo/other", Some(&token), None).await,
        404,
        "no such route",
    );
    assert_error(
        &world
            .send("GET", "/demo/notes/a/b", Some(&token), None)
            .await,
        404,
        "no such route",
    );
    assert_error(
        &world
            .send("PUT", "/demo/notes", Some(&token), Some("{}"))
            .await,
        405,
        "not allowed",
    );
    assert_error(
        &world
            .send("GET", "/demo/notes/abc", Some(&token), None)
            .await,
        405,
        "not allowed",
    );
    assert_error(
        &world.send("GET", "/demo/notes", None, None).await,
        401,
        "missing Authorization",
    );
    assert_error(
        &world.send("GET", "/demo/notes", Some("x.y.z"), None).await,
        401,
        "invalid token",
    );
    let (status, listed) = world.send("GET", "/demo/notes/", Some(&token), None).await;
    assert_eq!((status, listed), (200, json!({"notes": []})));
    // A path with the stage still in front (an emulator, a custom domain's base path).
    let (status, listed) = world
        .send("GET", "/v1/demo/notes", Some(&token), None)
        .await;
    assert_eq!((status, listed), (200, json!({"notes": []})));
    assert_error(
        &world
            .send("GET", "/v2/demo/notes", Some(&token), None)
            .await,
        404,
        "no such route",
    );
}

#[tokio::test]
async fn an_unreadable_event_is_a_400() {
    let world = World::new();
    let service = world.service_with(world.store.clone(), settings(&[]));
    let mut poisoned = event("GET", "/demo/notes", Some(&world.ordinary()), None);
    poisoned["headers"]["X-Poison"] = json!("a\u{1}b");
    poisoned["multiValueHeaders"]["X-Poison"] = json!(["a\u{1}b"]);
    let answer = send_to(&service, poisoned).await;
    assert_error(&answer, 400, "could not be read");
}

struct BrokenStore;

#[async_trait]
impl NoteStore for BrokenStore {
    async fn put(&self, _: &Note) -> Result<(), StoreError> {
        Err(StoreError("PutItem: throttled".into()))
    }
    async fn list(&self, _: &str) -> Result<Vec<Note>, StoreError> {
        Err(StoreError("Query: throttled".into()))
    }
    async fn delete(&self, _: &str, _: &str) -> Result<Option<Note>, StoreError> {
        Err(StoreError("DeleteItem: throttled".into()))
    }
}

#[tokio::test]
async fn a_failing_store_is_a_503_without_detail() {
    let world = World::new();
    let service = world.service_with(Arc::new(BrokenStore), settings(&[]));
    let token = world.ordinary();
    for (method, target, body) in [
        ("GET", "/demo/notes", None),
        ("POST", "/demo/notes", Some(note_body("x"))),
        ("DELETE", "/demo/notes/abc", None),
    ] {
        let answer = send_to(
            &service,
            event(method, target, Some(&token), body.as_deref()),
        )
        .await;
        assert_error(&answer, 503, "unavailable");
        assert!(!answer.1.to_string().contains("throttled"));
    }
}

#[tokio::test]
async fn the_revocation_check_asks_actas_on_the_same_api() {
    let world = World::new();
    let token = world.ordinary();
    for (answer, status) in [(r#"{"valid": true}"#, 200), (r#"{"valid": false}"#, 401)] {
        let actas = CannedServer::start(200, answer).await;
        let settings = settings(&[
            ("CHECK_REVOCATION", "true"),
            ("AWS_ENDPOINT_URL", &actas.url),
        ]);
        let service = world.service_with(world.store.clone(), settings);
        let mut event = event("GET", "/demo/notes", Some(&token), None);
        event["headers"]["Host"] = json!("evil.example");
        let (got, body) = send_to(&service, event).await;
        assert_eq!(got, status, "{body}");
        let requests = actas.requests();
        assert_eq!(requests.len(), 1);
        assert!(
            requests[0].starts_with("GET /_aws/execute-api/a1b2c3d4e5/v1/auth/token "),
            "{}",
            requests[0]
        );
    }
}

#[test]
fn rfc3339_dates() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_764_000_000), "2025-11-24T16:00:00Z");
    assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
}
