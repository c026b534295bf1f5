//! `scripts/bench`: in-process cost of each operation with in-memory ports (the same handlers the
//! functions run, from a REST event to a response: parsing, RS256 verification, policy, grants),
//! p50 and p99 over `ACTAS_BENCH_ITERATIONS` (default 1,000) runs each; and the size of every
//! built function. Prints a table and writes `bench.json`.

mod cold;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use actas::app::api_keys::issue_api_key;
use actas::app::exchange::ExchangeState;
use actas::app::impersonate::ImpersonateState;
use actas::app::issue_token::IssueTokenState;
use actas::app::state::{ReadState, SessionState};
use actas::http;
use actas::ports::clock::SystemClock;
use actas::testkit::{TestWorld, IMPERSONATION_CLIENT, REVERT_CLIENT};
use actas::triggers::{self, CustomAuthClients};
use serde_json::{json, Value};

fn event(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("event JSON")
}

fn set_header(event: &mut Value, name: &str, value: &str) {
    for map in ["headers", "multiValueHeaders"] {
        let headers = event[map].as_object_mut().expect("header map");
        headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
        let v = if map == "headers" {
            json!(value)
        } else {
            json!([value])
        };
        headers.insert(name.to_string(), v);
    }
}

fn request(ev: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&ev.to_string()).expect("a REST event")
}

fn json_body(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

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
    let n: usize = std::env::var("ACTAS_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
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

    let clients = CustomAuthClients {
        impersonation_client_id: IMPERSONATION_CLIENT.into(),
        revert_client_id: REVERT_CLIENT.into(),
    };
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
            triggers::define_auth_challenge::define_auth_challenge(clients, ev).is_ok()
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
            triggers::create_auth_challenge::create_auth_challenge(clients, ev).is_ok()
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

    // Sizes of the built functions: the local stack's and, when built, the release ones.
    let root = format!("{}/..", env!("CARGO_MANIFEST_DIR"));
    let mut sizes = Vec::new();
    for (profile, dir) in [("local", ".local/dist"), ("release", ".local/sam-build")] {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
            continue;
        };
        let mut rows: Vec<(String, u64)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let size = std::fs::metadata(e.path().join("bootstrap")).ok()?.len();
                Some((e.file_name().to_string_lossy().into_owned(), size))
            })
            .collect();
        rows.sort();
        if rows.is_empty() {
            continue;
        }
        println!();
        println!(
            "{:<40} {:>10}",
            format!("function ({profile} build)"),
            "bootstrap MiB"
        );
        for (name, size) in rows {
            let mib = size as f64 / 1_048_576.0;
            println!("{name:<40} {mib:>10.2}");
            sizes.push(json!({"profile": profile, "function": name, "bootstrap_bytes": size}));
        }
    }
    let rounds: usize = std::env::var("ACTAS_BENCH_COLD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let cold = cold_starts(&root, rounds).await;
    let report = json!({"iterations": n, "operations": operations, "function_sizes": sizes, "cold_starts": cold});
    std::fs::write(
        format!("{root}/bench.json"),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )
    .expect("bench.json");
    println!();
    println!("wrote bench.json");
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Cold starts of a few functions against the local stack (a valid caller, so the first request
/// takes the main path and uses the AWS clients), side by side with the hello-world binary of
/// the same profile, `rounds` times each, medians.
async fn cold_starts(root: &str, rounds: usize) -> Vec<Value> {
    let Ok(stack) = actas_cli::StackFile::load(Path::new(&format!("{root}/.local/stack.json")))
    else {
        println!("(no local stack: cold starts skipped; run scripts/up first)");
        return Vec::new();
    };
    let sdk = stack.sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let password = stack
        .user("acme-admin")
        .map(|u| u.password.clone())
        .unwrap_or_default();
    let Ok(admin) = actas_cli::sign_in(&cognito, &stack, "acme-admin", &password).await else {
        println!("(sign-in failed: cold starts skipped)");
        return Vec::new();
    };
    let bearer = format!("Bearer {}", admin.id_token);
    let with_bearer = |name: &str| {
        let mut ev = event(name);
        set_header(&mut ev, "Authorization", &bearer);
        ev
    };
    let mut start = with_bearer("impersonate-username.json");
    set_header(
        &mut start,
        "X-API-Key",
        stack.api_keys.get("acme").map(String::as_str).unwrap_or(""),
    );
    start["body"] =
        json!(json!({"username": "acme-support-1", "reason": "cold start"}).to_string());
    let functions = [
        ("ImpersonateFunction", "impersonate", start),
        (
            "TokenCheckFunction",
            "token-check",
            with_bearer("token-check.json"),
        ),
        ("ProfilesFunction", "profiles", with_bearer("profiles.json")),
        (
            "ListImpersonationsFunction",
            "list-impersonations",
            with_bearer("list-impersonations.json"),
        ),
    ];
    let base: HashMap<String, String> = [
        ("AWS_REGION", stack.region.as_str()),
        ("AWS_ENDPOINT_URL", stack.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut envs = Vec::new();
    for (logical, _, _) in &functions {
        let Some(name) = stack.functions.get(*logical) else {
            return Vec::new();
        };
        let Ok(config) = lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
        else {
            println!("(the local stack does not answer: cold starts skipped)");
            return Vec::new();
        };
        let mut env = base.clone();
        if let Some(vars) = config.environment().and_then(|e| e.variables()) {
            env.extend(vars.clone());
        }
        envs.push(env);
    }
    let mut rows = Vec::new();
    for (profile, dist, hello) in [
        ("local", ".local/dist", "target/local/hello-lambda"),
        ("release", ".local/sam-build", "target/release/hello-lambda"),
    ] {
        let hello = Path::new(root).join(hello);
        let binary = |logical: &str, name: &str| {
            let dir = if profile == "local" { name } else { logical };
            Path::new(root).join(dist).join(dir).join("bootstrap")
        };
        if !hello.exists() || functions.iter().any(|(l, n, _)| !binary(l, n).exists()) {
            continue;
        }
        let mut samples: HashMap<&str, (Vec<f64>, Vec<f64>)> = HashMap::new();
        for _ in 0..rounds {
            let run = cold::cold_run(&hello, &base, &event("token-check.json")).await;
            if let Ok(run) = run {
                let entry = samples.entry("hello-world").or_default();
                entry.0.push(run.init_ms);
                entry.1.push(run.cpu_ms);
            }
            for ((logical, name, ev), env) in functions.iter().zip(&envs) {
                match cold::cold_run(&binary(logical, name), env, ev).await {
                    Ok(run) if run.status == 200 => {
                        let entry = samples.entry(name).or_default();
                        entry.0.push(run.init_ms);
                        entry.1.push(run.cpu_ms);
                    }
                    Ok(run) => println!("{name}: the first request answered {}", run.status),
                    Err(e) => println!("{name}: {e}"),
                }
            }
        }
        let (hello_init, hello_cpu) = samples
            .get("hello-world")
            .map(|(i, c)| (median(i.clone()), median(c.clone())))
            .unwrap_or((f64::NAN, f64::NAN));
        println!();
        println!(
            "{:<28} {:>9} {:>9} {:>10} {:>9}   ({profile} build, medians of {rounds})",
            "cold start", "init ms", "× hello", "init+1st CPU ms", "× hello"
        );
        for name in std::iter::once("hello-world").chain(functions.iter().map(|(_, n, _)| *n)) {
            let Some((init, cpu)) = samples.get(name) else {
                continue;
            };
            let (init, cpu) = (median(init.clone()), median(cpu.clone()));
            println!(
                "{name:<28} {init:>9.1} {:>9.2} {cpu:>10.1} {:>9.2}",
                init / hello_init,
                cpu / hello_cpu
            );
            rows.push(
                json!({"profile": profile, "function": name, "init_ms": init, "cpu_ms": cpu,
                "init_ratio": init / hello_init, "cpu_ratio": cpu / hello_cpu}),
            );
        }
    }
    rows
}
