//! The HTTP handlers: extract, call the domain, map the result. Nothing more.

use lambda_http::{Body, Request, Response};
use tracing::instrument;

use crate::error::{ActasError, Result};
use crate::http::{header, json_object_body, query_param, respond, string_field};
use crate::identity::UserRef;
use crate::impersonation::{authenticate, start_impersonation, ApiState, Dialect, StartRequest};
use crate::payload::SessionPayload;

/// `POST /auth/impersonate` — body `{"username": ...}` (seed 001) or `?uuid=<sub>` (seed 000).
#[instrument(name = "impersonate", skip_all)]
pub async fn impersonate(state: &ApiState, req: Request) -> Response<Body> {
    respond(impersonate_request(state, &req).await)
}

async fn impersonate_request(state: &ApiState, req: &Request) -> Result<SessionPayload> {
    let caller = authenticate(state, header(req, "authorization")).await?;
    let body = json_object_body(req)?;
    let username = string_field(body.as_ref(), "username")?;
    let uuid = query_param(req, "uuid").filter(|v| !v.trim().is_empty());
    let (target, dialect) = match (username, uuid) {
        (Some(username), None) => (UserRef::parse(&username)?, Dialect::Username),
        (None, Some(uuid)) => (UserRef::parse(&uuid)?, Dialect::Uuid),
        (Some(_), Some(_)) => {
            return Err(ActasError::BadRequest(
                "give either username (body) or uuid (query), not both".into(),
            ))
        }
        (None, None) => {
            return Err(ActasError::BadRequest(
                "username (body) or uuid (query) is required".into(),
            ))
        }
    };
    start_impersonation(
        state,
        &caller,
        StartRequest {
            target,
            dialect,
            api_key: header(req, "x-api-key"),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_keys::issue_api_key;
    use crate::clock::SystemClock;
    use crate::store::{ImpersonationStatus, ImpersonationStore};
    use crate::testing::{id_token_claims, TestWorld, IMPERSONATION_CLIENT};
    use serde_json::{json, Value};

    fn event(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("event file"))
            .expect("event JSON")
    }

    /// Sets a header in both header maps of a REST (v1) event; `None` removes it.
    fn set_header(event: &mut Value, name: &str, value: Option<&str>) {
        for map in ["headers", "multiValueHeaders"] {
            let headers = event[map].as_object_mut().expect("header map");
            headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
            if let Some(value) = value {
                let v = if map == "headers" {
                    json!(value)
                } else {
                    json!([value])
                };
                headers.insert(name.to_string(), v);
            }
        }
    }

    fn set_query(event: &mut Value, name: &str, value: &str) {
        event["queryStringParameters"] = json!({name: value});
        event["multiValueQueryStringParameters"] = json!({name: [value]});
    }

    struct Fixture {
        world: TestWorld,
        acme_key: String,
        globex_key: String,
    }

    async fn fixture() -> Fixture {
        let world = TestWorld::new();
        let acme_key = issue_api_key(world.store.as_ref(), &SystemClock, "acme", "t")
            .await
            .unwrap()
            .1;
        let globex_key = issue_api_key(world.store.as_ref(), &SystemClock, "globex", "t")
            .await
            .unwrap()
            .1;
        Fixture {
            world,
            acme_key,
            globex_key,
        }
    }

    impl Fixture {
        /// `events/impersonate-username.json` as `caller`, with the acme key, for `target`.
        fn username_event(&self, caller: &str, target: &str) -> Value {
            let mut ev = event("impersonate-username.json");
            set_header(
                &mut ev,
                "Authorization",
                Some(&format!("Bearer {}", self.world.id_token(caller))),
            );
            set_header(&mut ev, "X-API-Key", Some(&self.acme_key));
            ev["body"] = json!(json!({"username": target}).to_string());
            ev
        }

        async fn call(&self, ev: Value) -> (u16, Value) {
            let request = lambda_http::request::from_str(&ev.to_string()).expect("a REST event");
            let response = impersonate(&self.world.state, request).await;
            let status = response.status().as_u16();
            let body = serde_json::from_slice(response.body().as_ref()).expect("a JSON body");
            (status, body)
        }
    }

    #[tokio::test]
    async fn seed_001_event_impersonates_by_username() {
        let f = fixture().await;
        let (status, body) = f
            .call(f.username_event("acme-admin", "acme-support-1"))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["username"], "acme-support-1");
        assert_eq!(body["clientId"], IMPERSONATION_CLIENT);
        assert_eq!(body["role"], "User");
        assert_eq!(body["impersonation"]["actor"]["username"], "acme-admin");
        assert!(body["session"]["authorization"]
            .as_str()
            .unwrap()
            .contains("acme-support-1"));
        assert!(
            body.get("password").is_none(),
            "actas never returns a password"
        );

        let id = body["impersonation"]["id"].as_str().unwrap();
        let stored = f.world.store.get(id).await.unwrap().unwrap();
        assert_eq!(
            stored.status,
            ImpersonationStatus::Active,
            "the grant was redeemed"
        );
        assert_eq!(stored.actor_username, "acme-admin");
        let revert = body["impersonator_revert_token"].as_str().unwrap();
        assert!(revert.starts_with(id));
        assert!(
            !stored.revert_secret_hash.is_empty() && !revert.contains(&stored.revert_secret_hash)
        );
    }

    #[tokio::test]
    async fn seed_000_event_impersonates_by_sub_without_an_api_key() {
        let f = fixture().await;
        let mut ev = event("impersonate-uuid.json");
        set_header(
            &mut ev,
            "Authorization",
            Some(&format!("Bearer {}", f.world.id_token("acme-operator"))),
        );
        set_query(&mut ev, "uuid", &f.world.user("acme-support-2").sub);
        let (status, body) = f.call(ev).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["username"], "acme-support-2");
    }

    /// The seeds' field names, every one present in the payload (and seed 001's password absent).
    #[tokio::test]
    async fn payload_has_every_field_of_seeds_000_and_001() {
        let f = fixture().await;
        let (_, body) = f
            .call(f.username_event("acme-admin", "acme-support-1"))
            .await;
        let seed_001 = [
            "endpointUrl",
            "clientId",
            "userPoolId",
            "username",
            "session",
        ];
        let seed_001_session = [
            "authorization",
            "refreshToken",
            "accessToken",
            "expireEpoch",
        ];
        let seed_000 = [
            "username",
            "token",
            "role",
            "timezone",
            "provider",
            "impersonator_revert_token",
            "created_at",
            "updated_at",
        ];
        for field in seed_001.iter().chain(seed_000.iter()) {
            assert!(body.get(field).is_some(), "missing {field}");
        }
        for field in seed_001_session {
            assert!(
                body["session"].get(field).is_some(),
                "missing session.{field}"
            );
        }
        assert!(body["session"]["expireEpoch"].is_i64());
        let created = body["created_at"].as_str().unwrap();
        assert!(
            created.ends_with('Z') && created.len() == "2025-03-28T12:34:56.789Z".len(),
            "{created}"
        );
    }

    #[tokio::test]
    async fn bad_inputs_get_the_right_status_and_the_error_shape() {
        let f = fixture().await;
        let w = &f.world;
        let impersonated_token = {
            let admin = w.user("acme-super");
            let mut claims = id_token_claims(&admin.sub, &admin.username);
            claims["act"] = json!({"sub": "someone", "username": "someone"});
            w.signer.sign(&claims)
        };
        let with = |caller: &str, target: &str, change: &dyn Fn(&mut Value)| {
            let mut ev = f.username_event(caller, target);
            change(&mut ev);
            ev
        };
        let no_change = |_: &mut Value| {};
        let cases: Vec<(&str, Value, u16)> = vec![
            (
                "no token",
                with("acme-admin", "acme-support-1", &|e| {
                    set_header(e, "Authorization", None)
                }),
                401,
            ),
            (
                "garbage token",
                with("acme-admin", "acme-support-1", &|e| {
                    set_header(e, "Authorization", Some("Bearer x.y.z"))
                }),
                401,
            ),
            (
                "malformed JSON",
                with("acme-admin", "acme-support-1", &|e| {
                    e["body"] = json!("{\"username\":")
                }),
                400,
            ),
            (
                "body not an object",
                with("acme-admin", "acme-support-1", &|e| {
                    e["body"] = json!("[1]")
                }),
                400,
            ),
            (
                "username not a string",
                with("acme-admin", "acme-support-1", &|e| {
                    e["body"] = json!("{\"username\":7}")
                }),
                400,
            ),
            (
                "neither username nor uuid",
                with("acme-admin", "acme-support-1", &|e| e["body"] = json!("{}")),
                400,
            ),
            (
                "empty body, no uuid",
                with("acme-admin", "acme-support-1", &|e| e["body"] = Value::Null),
                400,
            ),
            (
                "both username and uuid",
                with("acme-admin", "acme-support-1", &|e| {
                    set_query(e, "uuid", "x")
                }),
                400,
            ),
            (
                "unusable username",
                with("acme-admin", "acme support", &no_change),
                400,
            ),
            (
                "missing API key",
                with("acme-admin", "acme-support-1", &|e| {
                    set_header(e, "X-API-Key", None)
                }),
                403,
            ),
            (
                "wrong API key",
                with("acme-admin", "acme-support-1", &|e| {
                    set_header(e, "X-API-Key", Some("actas.abc.def"))
                }),
                403,
            ),
            (
                "other tenant's API key",
                with("acme-admin", "acme-support-1", &|e| {
                    set_header(e, "X-API-Key", Some(&f.globex_key))
                }),
                403,
            ),
            (
                "plain user",
                with("acme-support-2", "acme-support-1", &no_change),
                403,
            ),
            (
                "team admin",
                with("acme-team-admin", "acme-support-1", &no_change),
                403,
            ),
            (
                "other tenant",
                with("acme-admin", "globex-user", &no_change),
                403,
            ),
            (
                "higher rank",
                with("acme-admin", "acme-super", &no_change),
                403,
            ),
            ("self", with("acme-admin", "acme-admin", &no_change), 403),
            (
                "disabled target",
                with("acme-admin", "acme-disabled", &no_change),
                403,
            ),
            (
                "unknown user",
                with("acme-admin", "nobody-here", &no_change),
                404,
            ),
            (
                "impersonated session",
                with("acme-super", "acme-support-1", &|e| {
                    set_header(
                        e,
                        "Authorization",
                        Some(&format!("Bearer {impersonated_token}")),
                    )
                }),
                403,
            ),
        ];
        for (name, ev, expected) in cases {
            let (status, body) = f.call(ev).await;
            assert_eq!(status, expected, "{name}: {body}");
            assert_eq!(body["status"], "error", "{name}");
            assert!(
                body["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn a_disabled_actor_is_refused() {
        let f = fixture().await;
        f.world
            .identity
            .update_user("acme-admin", |u| u.enabled = false);
        let (status, body) = f
            .call(f.username_event("acme-admin", "acme-support-1"))
            .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["message"], "your account is disabled");
    }

    #[tokio::test]
    async fn an_equal_rank_is_refused_with_its_reason() {
        let f = fixture().await;
        f.world
            .identity
            .update_user("acme-support-1", |u| u.groups = vec!["admin".into()]);
        let (status, body) = f
            .call(f.username_event("acme-admin", "acme-support-1"))
            .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(
            body["message"],
            "you may only impersonate users of a lower rank"
        );
    }
}
