//! `scripts/bench`: in-process cost of each operation with in-memory ports (the same handlers the
//! functions run, from a REST event to a response: parsing, RS256 verification, policy, grants),
//! p50 and p99 over `ACTAS_BENCH_ITERATIONS` (default 1,000) runs each; and the size of every
//! built function. Prints a table and writes `bench.json`.

mod cold;
mod functions;
mod scale;

use std::path::Path;
use std::time::Instant;

use actas::app::api_keys::issue_api_key;
use actas::app::exchange::ExchangeState;
use actas::app::impersonate::ImpersonateState;
use actas::app::issue_token::IssueTokenState;
use actas::app::state::{ReadState, SessionState};
use actas::domain::grant::{GrantKind, Impersonation, ImpersonationStatus};
use actas::domain::secrets::hash_secret;
use actas::http;
use actas::ports::clock::SystemClock;
use actas::ports::grants::{ApiKeyStore, ImpersonationStore};
use actas::testkit::events::{event, json_body, request};
use actas::testkit::{TestWorld, IMPERSONATION_CLIENT, REVERT_CLIENT};
use actas::triggers::{self, CustomAuthClients, CustomAuthTrigger, TriggerState};
use serde_json::{json, Value};
use std::sync::Arc;

/// Microseconds per run of `op` (each run gets its own prepared input).
async fn measure<I, F, Fut>(inputs: Vec<I>, op: F) -> Vec<f64>
where
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut samples = Vec::with_capacity(inputs.len());
    for input in inputs {
        let started = Instant::now();
        let ok = op(input).await;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
        assert!(ok, "a benchmarked operation failed");
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    samples
}

/// Microseconds per handler call on prepared REST events; every call must answer 200.
async fn measure_route<F, Fut>(events: Vec<Value>, handler: F) -> Vec<f64>
where
    F: Fn(lambda_http::Request) -> Fut,
    Fut: std::future::Future<Output = lambda_http::Response<lambda_http::Body>>,
{
    let handler = &handler;
    measure(events, |ev| async move {
        handler(request(&ev)).await.status() == 200
    })
    .await
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

struct World {
    world: TestWorld,
    acme_key: String,
    /// Each route's state, built once as its function builds it once per container.
    impersonate: ImpersonateState,
    issue_token: IssueTokenState,
    exchange: ExchangeState,
    sessions: SessionState,
    reads: ReadState,
}

impl World {
    async fn new() -> World {
        let world = TestWorld::new();
        let acme_key = issue_api_key(world.store.as_ref(), &SystemClock, "acme", "bench")
            .await
            .expect("a key")
            .1;
        // Every start of a run uses this key within a minute or two: its own usage plan, so the
        // throttle (600 a minute by default) measures nothing here.
        let key_id = acme_key.split('.').nth(1).expect("a key id").to_string();
        world
            .store
            .set_requests_per_minute(&key_id, u32::MAX)
            .await
            .expect("a usage plan");
        World {
            impersonate: world.impersonate_state(),
            issue_token: world.issue_token_state(),
            exchange: world.exchange_state(),
            sessions: world.session_state(),
            reads: world.read_state(),
            world,
            acme_key,
        }
    }

    fn start_event(&self) -> Value {
        let mut ev = event("impersonate-username.json");
        set_header(
            &mut ev,
            "Authorization",
            &format!("Bearer {}", self.world.id_token("acme-admin")),
        );
        set_header(&mut ev, "X-API-Key", &self.acme_key);
        ev["body"] = json!(json!({"username": "acme-support-1", "reason": "bench"}).to_string());
        ev
    }

    /// The access token of a session `session()` started.
    fn session_token(&self, session: &Value) -> String {
        let id = session["impersonation"]["id"].as_str().unwrap_or_default();
        self.world
            .impersonated_access_token("acme-support-1", "acme-admin", id)
    }

    async fn session(&self) -> Value {
        json_body(&http::impersonate::handle(&self.impersonate, request(&self.start_event())).await)
    }

    fn issue_event(&self) -> Value {
        let mut ev = event("coworker-impersonate.json");
        set_header(
            &mut ev,
            "Authorization",
            &format!("Bearer {}", self.world.id_token("acme-team-admin")),
        );
        ev["pathParameters"]["coworkerId"] = json!("acme-support-2");
        ev["queryStringParameters"] = json!({"reason": "bench"});
        ev["multiValueQueryStringParameters"] = json!({"reason": ["bench"]});
        ev
    }

    async fn public_token(&self) -> String {
        let response =
            http::coworker_impersonate::handle(&self.issue_token, request(&self.issue_event()))
                .await;
        json_body(&response)["token"]
            .as_str()
            .expect("a token")
            .to_string()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--scale") {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        scale::run(&root, &args).await;
        return;
    }
    let n: usize = std::env::var("ACTAS_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        // Reverts and stops each take half the sessions: at least one of each.
        .max(2);
    let w = World::new().await;
    let mut results: Vec<(&str, Vec<f64>)> = Vec::new();

    let starts: Vec<Value> = (0..n).map(|_| w.start_event()).collect();
    results.push((
        "start, seed 001 (username + API key)",
        measure_route(starts, |r| http::impersonate::handle(&w.impersonate, r)).await,
    ));

    let sub = w.world.user("acme-support-1").sub;
    let by_uuid: Vec<Value> = (0..n)
        .map(|_| {
            let mut ev = event("impersonate-uuid.json");
            set_header(
                &mut ev,
                "Authorization",
                &format!("Bearer {}", w.world.id_token("acme-admin")),
            );
            ev["queryStringParameters"] = json!({"uuid": sub, "reason": "bench"});
            ev["multiValueQueryStringParameters"] = json!({"uuid": [sub], "reason": ["bench"]});
            ev
        })
        .collect();
    results.push((
        "start, seed 000 (uuid)",
        measure_route(by_uuid, |r| http::impersonate::handle(&w.impersonate, r)).await,
    ));

    let issues: Vec<Value> = (0..n).map(|_| w.issue_event()).collect();
    results.push((
        "token issue, seed 002",
        measure_route(issues, |r| {
            http::coworker_impersonate::handle(&w.issue_token, r)
        })
        .await,
    ));

    let exchange = &w.exchange;
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        tokens.push(w.public_token().await);
    }
    results.push((
        "exchange, seed 002",
        measure(tokens, |token| async move {
            let mut ev = event("login-exchange.json");
            ev["pathParameters"]["token"] = json!(token);
            http::login_exchange::handle(exchange, request(&ev))
                .await
                .status()
                == 200
        })
        .await,
    ));

    let mut sessions = Vec::with_capacity(n);
    for _ in 0..n {
        sessions.push(w.session().await);
    }
    let checks: Vec<Value> = sessions
        .iter()
        .map(|s| {
            let token = w.session_token(s);
            let mut ev = event("token-check.json");
            set_header(&mut ev, "Authorization", &format!("Bearer {token}"));
            ev
        })
        .collect();
    results.push((
        "token check",
        measure_route(checks, |r| http::token_check::handle(&w.reads, r)).await,
    ));

    let refreshes: Vec<Value> = sessions
        .iter()
        .map(|s| {
            let mut ev = event("cognito-endpoint.json");
            ev["body"] = json!(
                json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": IMPERSONATION_CLIENT,
                "AuthParameters": {"REFRESH_TOKEN": s["session"]["refreshToken"]}})
                .to_string()
            );
            ev
        })
        .collect();
    results.push((
        "refresh (/auth/cognito)",
        measure_route(refreshes, |r| {
            http::cognito_endpoint::handle(&w.sessions, r)
        })
        .await,
    ));

    let (to_revert, to_stop) = sessions.split_at(n / 2);
    let reverts: Vec<Value> = to_revert
        .iter()
        .map(|s| {
            let token = w.session_token(s);
            let mut ev = event("revert.json");
            ev["body"] = json!(
                json!({"impersonator_revert_token": s["impersonator_revert_token"]}).to_string()
            );
            set_header(&mut ev, "Authorization", &format!("Bearer {token}"));
            ev
        })
        .collect();
    results.push((
        "revert, seed 000",
        measure_route(reverts, |r| http::revert::handle(&w.sessions, r)).await,
    ));

    let admin = format!("Bearer {}", w.world.id_token("acme-admin"));
    let stops: Vec<Value> = to_stop
        .iter()
        .map(|s| {
            let mut ev = event("stop.json");
            set_header(&mut ev, "Authorization", &admin);
            ev["pathParameters"]["id"] = s["impersonation"]["id"].clone();
            ev
        })
        .collect();
    results.push((
        "stop",
        measure_route(stops, |r| http::stop::handle(&w.sessions, r)).await,
    ));

    let clients: CustomAuthTrigger = CustomAuthClients {
        impersonation_client_id: IMPERSONATION_CLIENT.into(),
        revert_client_id: REVERT_CLIENT.into(),
    }
    .into();
    let defines: Vec<Value> = (0..n)
        .map(|_| {
            let mut ev = event("define-auth-challenge.json");
            ev["callerContext"]["clientId"] = json!(IMPERSONATION_CLIENT);
            ev
        })
        .collect();
    let clients = &clients;
    results.push((
        "trigger: define auth challenge",
        measure(defines, |ev| async move {
            triggers::define_auth_challenge::define_auth_challenge(clients, ev)
                .await
                .is_ok()
        })
        .await,
    ));
    let creates: Vec<Value> = (0..n)
        .map(|_| {
            let mut ev = event("create-auth-challenge.json");
            ev["callerContext"]["clientId"] = json!(IMPERSONATION_CLIENT);
            ev
        })
        .collect();
    results.push((
        "trigger: create auth challenge",
        measure(creates, |ev| async move {
            triggers::create_auth_challenge::create_auth_challenge(clients, ev)
                .await
                .is_ok()
        })
        .await,
    ));

    // Verify and pre-token over pending grants written straight into the store, as a start
    // writes them: verify redeems each once (a conditional write), pre-token reads it.
    let triggers_state = TriggerState {
        scopes: actas::bootstrap::config::SessionScopes::default(),
        impersonation_client_id: IMPERSONATION_CLIENT.into(),
        revert_client_id: REVERT_CLIENT.into(),
        store: w.world.store.clone(),
        directory: w.world.store.clone(),
        clock: Arc::new(SystemClock),
        identity_mapping: Default::default(),
        chain: None,
    };
    let target = w.world.user("acme-support-1");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let mut grant_ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("bench-grant-{i}");
        w.world
            .store
            .create(&Impersonation {
                id: id.clone(),
                kind: GrantKind::Impersonation,
                actor_sub: w.world.user("acme-admin").sub,
                actor_username: "acme-admin".into(),
                target_sub: target.sub.clone(),
                target_username: target.username.clone(),
                tenant: Some("acme".into()),
                reason: Some("bench".into()),
                ticket: None,
                mode: actas::domain::mode::Mode::Full,
                break_glass: false,
                client_id: IMPERSONATION_CLIENT.into(),
                status: ImpersonationStatus::Pending,
                created_at_millis: now * 1000,
                ends_at: now + 3600,
                mint_deadline: now + 60,
                mint_secret_hash: hash_secret("bench-secret"),
                revert_secret_hash: hash_secret("bench-revert"),
                expires_at: now + 90_000,
                refresh_token_sealed: None,
                ended_at: None,
                revoked_at: None,
                last_active_at: now,
                idle_secs: 1800,
            })
            .await
            .expect("a grant");
        grant_ids.push(id);
    }
    let trigger_event = |name: &str, id: &str| {
        let mut ev = event(name);
        ev["callerContext"]["clientId"] = json!(IMPERSONATION_CLIENT);
        ev["userName"] = json!(target.username);
        ev["request"]["userAttributes"]["sub"] = json!(target.sub);
        ev["request"]["clientMetadata"]["impersonation_id"] = json!(id);
        ev["request"]["challengeAnswer"] = json!("bench-secret");
        ev
    };
    let verifies: Vec<Value> = grant_ids
        .iter()
        .map(|id| trigger_event("verify-auth-challenge.json", id))
        .collect();
    let triggers_state = &triggers_state;
    results.push((
        "trigger: verify auth challenge",
        measure(verifies, |ev| async move {
            let out =
                triggers::verify_auth_challenge::verify_auth_challenge(triggers_state, ev).await;
            out.is_ok_and(|o| o["response"]["answerCorrect"] == json!(true))
        })
        .await,
    ));
    let pre_tokens: Vec<Value> = grant_ids
        .iter()
        .map(|id| trigger_event("pre-token-generation.json", id))
        .collect();
    results.push((
        "trigger: pre token generation",
        measure(pre_tokens, |ev| async move {
            triggers::pre_token_generation::pre_token_generation(triggers_state, ev)
                .await
                .is_ok()
        })
        .await,
    ));

    println!(
        "{:<40} {:>10} {:>10}",
        "operation (in-process, in-memory ports)", "p50 µs", "p99 µs"
    );
    let mut operations = Vec::new();
    for (name, samples) in &results {
        let (p50, p99) = (percentile(samples, 0.5), percentile(samples, 0.99));
        println!("{name:<40} {p50:>10.1} {p99:>10.1}");
        operations.push(
            json!({"operation": name, "iterations": samples.len(), "p50_us": p50, "p99_us": p99}),
        );
    }

    let rounds: usize = std::env::var("ACTAS_BENCH_COLD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (rows, hello) = functions::measure(&root, rounds).await;
    let functions = hello
        .map(|hello| functions::report(&rows, &hello, rounds))
        .unwrap_or_default();
    let report = json!({"iterations": n, "operations": operations, "functions": functions, "cold_rounds": rounds});
    std::fs::write(
        root.join("bench.json"),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )
    .expect("bench.json");
    println!();
    println!("wrote bench.json");
}

/// Sets a header in both header maps of a REST event (the bench always sets one).
fn set_header(event: &mut Value, name: &str, value: &str) {
    actas::testkit::events::set_header(event, name, Some(value));
}
