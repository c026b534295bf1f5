//! AWS calls per operation, counted on the wire: the deployed functions' own configuration and
//! wiring (each function's own builder in `bootstrap`), run in this process against the local stack through an HTTP
//! client that records every AWS request's operation (`X-Amz-Target`). Each count is the minimum
//! docs/operations.md documents for it; a change that adds a call fails here until it is documented.
//! (The Cognito triggers' own calls run inside Cognito and are listed there apart.)
//!
//! The same client can hold every call for a fixed time before sending it: an operation then
//! takes its *waves* (the longest chain of calls that wait for one another) times that, which
//! `every_operation_takes_its_documented_waves` measures on the wall clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actas::bootstrap::config::{ApiConfig, EnvReader};
use actas::{bootstrap, http};
use actas_integration_tests::{event, set_header, Harness};
use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use serde_json::{json, Value};

type CallLog = Arc<Mutex<Vec<String>>>;

/// How long each AWS request is held before it is sent (milliseconds; 0: not at all).
type Delay = Arc<AtomicU64>;

/// Records `service:Operation` of each request, then sends it on (after the delay).
#[derive(Debug)]
struct CountingClient {
    inner: SharedHttpClient,
    log: CallLog,
    delay: Delay,
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    log: CallLog,
    delay: Delay,
}

impl HttpClient for CountingClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CountingConnector {
            inner: self.inner.http_connector(settings, components),
            log: self.log.clone(),
            delay: self.delay.clone(),
        })
    }
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").unwrap_or("?");
        let (service, operation) = target.split_once('.').unwrap_or(("?", target));
        let service = match service {
            "AWSCognitoIdentityProviderService" => "cognito",
            "TrentService" => "kms",
            "secretsmanager" => "secrets",
            s if s.starts_with("DynamoDB") => "dynamodb",
            other => other,
        };
        if let Ok(mut log) = self.log.lock() {
            log.push(format!("{service}:{operation}"));
        }
        let delay = self.delay.load(Ordering::SeqCst);
        if delay == 0 {
            return self.inner.call(request);
        }
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            inner.call(request).await
        })
    }
}

/// The deployed configuration of the exchange function (it has every setting an API function
/// can have) and an SDK configuration over a counting HTTP client; each route's state is then
/// built by its function's own builder.
async fn counted_sdk(h: &Harness) -> (ApiConfig, SdkConfig, CallLog, Delay) {
    let lambda = aws_sdk_lambda::Client::new(&h.sdk);
    let function = h
        .stack
        .functions
        .get("LoginExchangeFunction")
        .expect("deployed");
    let config = lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .expect("function configuration");
    let mut env: HashMap<String, String> = config
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    env.insert("AWS_REGION".into(), h.stack.region.clone());
    env.insert("PUBLIC_API_URL".into(), h.stack.api_url.clone());
    let config = ApiConfig::from_reader(EnvReader::from_map(env)).expect("the deployed config");
    let log = CallLog::default();
    let delay = Delay::default();
    // The local stack is plain HTTP on loopback.
    let inner = h
        .sdk
        .http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    let sdk = h
        .sdk
        .to_builder()
        .http_client(CountingClient {
            inner,
            log: log.clone(),
            delay: delay.clone(),
        })
        .build();
    (config, sdk, log, delay)
}

fn calls(log: &CallLog) -> Vec<String> {
    std::mem::take(&mut *log.lock().expect("log"))
}

fn request(ev: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&ev.to_string()).expect("a REST event")
}

async fn body(response: lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (status, body)
}

/// The same calls, in any order: an operation whose reads run at once (`tokio::join!`)
/// interleaves them differently from run to run.
fn expect_concurrent(operation: &str, got: Vec<String>, want: &[&str]) {
    let mut got = got;
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{operation}: AWS calls (some at once)");
}

const FIND_USER: [&str; 2] = ["cognito:AdminGetUser", "cognito:AdminListGroupsForUser"];

/// The two tests of this file one at a time: the waves are timed on a machine not also
/// running the other.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn every_operation_makes_the_documented_aws_calls() {
    let _alone = ALONE.lock().await;
    let h = Harness::new().await;
    let (config, sdk, log, _) = counted_sdk(&h).await;
    let impersonate_state = bootstrap::impersonate(config.clone(), &sdk).expect("wired");
    let cognito_endpoint_state = bootstrap::cognito_endpoint(config.clone(), &sdk).expect("wired");
    let token_check_state = bootstrap::token_check(config.clone(), &sdk).expect("wired");
    let stop_state = bootstrap::stop(config.clone(), &sdk).expect("wired");
    let coworker_impersonate_state =
        bootstrap::coworker_impersonate(config.clone(), &sdk).expect("wired");
    let login_exchange_state = bootstrap::login_exchange(config.clone(), &sdk).expect("wired");
    let revert_state = bootstrap::revert(config, &sdk).expect("wired");
    let target = h.fresh_user("user", "acme", None).await;
    let admin = format!("Bearer {}", h.id_token("acme-admin").await);
    let team_admin = format!("Bearer {}", h.id_token("acme-team-admin").await);

    // Seed 001: username + API key.
    let mut start = event("impersonate-username.json");
    set_header(&mut start, "Authorization", &admin);
    set_header(&mut start, "X-API-Key", &h.api_key("acme"));
    start["body"] = json!(json!({"username": target.username, "reason": "counting"}).to_string());
    calls(&log);
    let (status, session) =
        body(http::impersonate::handle(&impersonate_state, request(&start)).await).await;
    assert_eq!(status, 200, "{session}");
    let start_calls = [
        FIND_USER[0],
        FIND_USER[1],          // the caller, read fresh
        "dynamodb:GetItem",    // the API key
        "dynamodb:UpdateItem", // its usage plan: this minute's count
        FIND_USER[0],
        FIND_USER[1],              // the target
        "dynamodb:BatchWriteItem", // both, as just read, into the directory
        "dynamodb:GetItem",        // the tenant's governance settings
        "dynamodb:PutItem",        // the grant
        "cognito:AdminInitiateAuth",
        "cognito:AdminRespondToAuthChallenge",
        "kms:Encrypt",                 // the refresh token, sealed
        "dynamodb:TransactWriteItems", // kept, with its hash pointer
        "dynamodb:PutItem",            // the start's audit record
    ];
    expect_concurrent("seed 001 start", calls(&log), &start_calls);

    // Refresh through endpointUrl.
    let mut refresh = event("cognito-endpoint.json");
    refresh["body"] = json!(json!({
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": h.stack.impersonation_client_id,
        "AuthParameters": {"REFRESH_TOKEN": session["session"]["refreshToken"]},
    })
    .to_string());
    let (status, refreshed) =
        body(http::cognito_endpoint::handle(&cognito_endpoint_state, request(&refresh)).await)
            .await;
    assert_eq!(status, 200, "{refreshed}");
    expect_concurrent(
        "refresh",
        calls(&log),
        &[
            "dynamodb:GetItem", // the refresh token's pointer
            "dynamodb:GetItem", // its impersonation
            FIND_USER[0],
            FIND_USER[1], // the actor, read fresh (named by the pointer)
            FIND_USER[0],
            FIND_USER[1],       // the target, at the same time
            "dynamodb:PutItem", // the remint, at the same time
            "cognito:AdminInitiateAuth",
            "cognito:AdminRespondToAuthChallenge",
            "dynamodb:UpdateItem", // last active: the idle timeout starts again
        ],
    );

    // Token check.
    let mut check = event("token-check.json");
    set_header(
        &mut check,
        "Authorization",
        &format!(
            "Bearer {}",
            session["session"]["accessToken"].as_str().unwrap()
        ),
    );
    let (status, _) =
        body(http::token_check::handle(&token_check_state, request(&check)).await).await;
    assert_eq!(status, 200);
    expect_concurrent(
        "token check",
        calls(&log),
        &[
            FIND_USER[0],
            FIND_USER[1],       // the token's user: the target, read fresh
            "dynamodb:GetItem", // its impersonation, at the same time
            FIND_USER[0],
            FIND_USER[1], // the actor its `act` names, read fresh (the policy applied again)
        ],
    );

    // Stop by the impersonator.
    let mut stop = event("stop.json");
    set_header(&mut stop, "Authorization", &admin);
    stop["pathParameters"]["id"] = session["impersonation"]["id"].clone();
    let (status, stopped) = body(http::stop::handle(&stop_state, request(&stop)).await).await;
    assert_eq!(status, 200, "{stopped}");
    expect_concurrent(
        "stop",
        calls(&log),
        &[
            FIND_USER[0],
            FIND_USER[1],          // the caller
            "dynamodb:GetItem",    // the impersonation
            "dynamodb:UpdateItem", // ended
            "dynamodb:PutItem",    // the audit record
            "kms:Decrypt",         // the refresh token, opened
            "cognito:RevokeToken",
            "dynamodb:UpdateItem", // revoked_at
            "dynamodb:GetItem",    // the impersonation as it is now
        ],
    );

    // Seed 002: token issue and exchange, each warm (every function caches the signing keys
    // after its first call, so each one's first call here is a warm-up).
    let issue = |who: &str| {
        let mut ev = event("coworker-impersonate.json");
        set_header(&mut ev, "Authorization", who);
        ev["pathParameters"]["coworkerId"] = json!("acme-support-2");
        ev["queryStringParameters"] = json!({"reason": "counting"});
        ev["multiValueQueryStringParameters"] = json!({"reason": ["counting"]});
        ev
    };
    let (status, warm_up_token) = body(
        http::coworker_impersonate::handle(
            &coworker_impersonate_state,
            request(&issue(&team_admin)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    calls(&log);
    let (status, token) = body(
        http::coworker_impersonate::handle(
            &coworker_impersonate_state,
            request(&issue(&team_admin)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{token}");
    expect_concurrent(
        "token issue",
        calls(&log),
        &[
            FIND_USER[0],
            FIND_USER[1], // the caller
            FIND_USER[0],
            FIND_USER[1],       // the target
            "dynamodb:GetItem", // the tenant's governance settings
            "dynamodb:PutItem", // the exchange grant
            "dynamodb:PutItem", // the audit record
        ],
    );
    let mut warm_up = event("login-exchange.json");
    warm_up["pathParameters"]["token"] = warm_up_token["token"].clone();
    let (status, _) =
        body(http::login_exchange::handle(&login_exchange_state, request(&warm_up)).await).await;
    assert_eq!(status, 200);
    calls(&log);
    let mut login = event("login-exchange.json");
    login["pathParameters"]["token"] = token["token"].clone();
    let (status, exchanged) =
        body(http::login_exchange::handle(&login_exchange_state, request(&login)).await).await;
    assert_eq!(status, 200, "{exchanged}");
    let mut exchange_calls = vec![
        "dynamodb:UpdateItem", // the grant, consumed
        FIND_USER[0],
        FIND_USER[1], // the actor
        FIND_USER[0],
        FIND_USER[1], // the target
    ];
    exchange_calls.extend_from_slice(&start_calls[6..]);
    expect_concurrent("exchange", calls(&log), &exchange_calls);

    // Seed 000: revert, with its session.
    let mut revert = event("revert.json");
    revert["body"] = json!(
        json!({"impersonator_revert_token": exchanged["impersonator_revert_token"]}).to_string()
    );
    set_header(
        &mut revert,
        "Authorization",
        &format!(
            "Bearer {}",
            exchanged["session"]["accessToken"].as_str().unwrap()
        ),
    );
    let (status, own) = body(http::revert::handle(&revert_state, request(&revert)).await).await;
    assert_eq!(status, 200, "{own}");
    expect_concurrent(
        "revert",
        calls(&log),
        &[
            "dynamodb:GetItem",    // the impersonation
            "dynamodb:UpdateItem", // ended, once
            "dynamodb:PutItem",    // the audit record
            "kms:Decrypt",
            "cognito:RevokeToken",
            "dynamodb:UpdateItem", // revoked_at
            FIND_USER[0],
            FIND_USER[1],       // the actor
            "dynamodb:PutItem", // the own-session grant
            "cognito:AdminInitiateAuth",
            "cognito:AdminRespondToAuthChallenge",
        ],
    );
}

/// Each AWS call held this long before it is sent by `every_operation_takes_its_documented_waves`.
const HOLD: Duration = Duration::from_millis(100);

/// Runs of each operation, with and without the hold; the fastest of each counts (a loaded
/// machine only ever adds time).
const RUNS: usize = 4;

/// Times one run of an operation whose AWS calls are each held `hold` (`run` checks its own
/// answer; it is timed from its first call to its answer).
async fn timed<F: std::future::Future<Output = ()>>(
    delay: &Delay,
    hold: Duration,
    run: F,
) -> Duration {
    delay.store(hold.as_millis() as u64, Ordering::SeqCst);
    let started = Instant::now();
    run.await;
    let took = started.elapsed();
    delay.store(0, Ordering::SeqCst);
    took
}

/// One operation's fastest run without the hold and with it, against its documented waves: with
/// every call held `HOLD`, calls that wait for one another take a `HOLD` each and calls made at
/// once one `HOLD` between them, so holding adds `waves` × `HOLD` to the operation's own time.
/// The bounds are half a wave below and a whole wave above that (a run is only ever slowed by a
/// loaded machine, and the fastest of several counts), so one wave more or fewer fails.
fn expect_waves(operation: &str, waves: u32, plain: &[Duration], held: &[Duration]) {
    let plain = *plain.iter().min().expect("runs");
    let held = *held.iter().min().expect("runs");
    let added = held.saturating_sub(plain);
    eprintln!(
        "{operation}: {waves} waves; fastest run {plain:?}, with each call held {HOLD:?} {held:?} ({:.2} waves)",
        added.as_secs_f64() / HOLD.as_secs_f64()
    );
    assert!(
        held >= HOLD * waves && added > HOLD * waves - HOLD / 2,
        "{operation}: {held:?} with each call held {HOLD:?} (and {plain:?} without) is fewer than {waves} waves"
    );
    assert!(
        added < HOLD * (waves + 1),
        "{operation}: {held:?} with each call held {HOLD:?} (and {plain:?} without) is more than {waves} waves"
    );
}

#[tokio::test]
async fn every_operation_takes_its_documented_waves() {
    let _alone = ALONE.lock().await;
    let h = Harness::new().await;
    let (config, sdk, log, delay) = counted_sdk(&h).await;
    let impersonate_state = bootstrap::impersonate(config.clone(), &sdk).expect("wired");
    let cognito_endpoint_state = bootstrap::cognito_endpoint(config.clone(), &sdk).expect("wired");
    let token_check_state = bootstrap::token_check(config.clone(), &sdk).expect("wired");
    let stop_state = bootstrap::stop(config.clone(), &sdk).expect("wired");
    let coworker_impersonate_state =
        bootstrap::coworker_impersonate(config.clone(), &sdk).expect("wired");
    let login_exchange_state = bootstrap::login_exchange(config.clone(), &sdk).expect("wired");
    let revert_state = bootstrap::revert(config, &sdk).expect("wired");
    let target = h.fresh_user("user", "acme", None).await;
    let admin = format!("Bearer {}", h.id_token("acme-admin").await);
    let team_admin = format!("Bearer {}", h.id_token("acme-team-admin").await);
    let api_key = h.api_key("acme");

    let start = || {
        let mut ev = event("impersonate-username.json");
        set_header(&mut ev, "Authorization", &admin);
        set_header(&mut ev, "X-API-Key", &api_key);
        ev["body"] = json!(json!({"username": target.username, "reason": "waves"}).to_string());
        let (req, state) = (request(&ev), &impersonate_state);
        async move {
            let (status, session) = body(http::impersonate::handle(state, req).await).await;
            assert_eq!(status, 200, "{session}");
            session
        }
    };
    let issue = || {
        let mut ev = event("coworker-impersonate.json");
        set_header(&mut ev, "Authorization", &team_admin);
        ev["pathParameters"]["coworkerId"] = json!("acme-support-2");
        ev["queryStringParameters"] = json!({"reason": "waves"});
        ev["multiValueQueryStringParameters"] = json!({"reason": ["waves"]});
        let (req, state) = (request(&ev), &coworker_impersonate_state);
        async move {
            let (status, token) = body(http::coworker_impersonate::handle(state, req).await).await;
            assert_eq!(status, 200, "{token}");
            token
        }
    };
    let exchange = |token: Value| {
        let mut ev = event("login-exchange.json");
        ev["pathParameters"]["token"] = token["token"].clone();
        let (req, state) = (request(&ev), &login_exchange_state);
        async move {
            let (status, exchanged) = body(http::login_exchange::handle(state, req).await).await;
            assert_eq!(status, 200, "{exchanged}");
            exchanged
        }
    };
    let revert = |exchanged: Value| {
        let mut ev = event("revert.json");
        ev["body"] = json!(json!({
            "impersonator_revert_token": exchanged["impersonator_revert_token"]
        })
        .to_string());
        let bearer = exchanged["session"]["accessToken"]
            .as_str()
            .expect("a token");
        set_header(&mut ev, "Authorization", &format!("Bearer {bearer}"));
        let (req, state) = (request(&ev), &revert_state);
        async move {
            let (status, own) = body(http::revert::handle(state, req).await).await;
            assert_eq!(status, 200, "{own}");
        }
    };
    // Warm: every function caches the keys it verifies and signs with after its first call.
    let session = start().await;
    revert(exchange(issue().await).await).await;
    let refresh = {
        let mut ev = event("cognito-endpoint.json");
        ev["body"] = json!(json!({
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": h.stack.impersonation_client_id,
            "AuthParameters": {"REFRESH_TOKEN": session["session"]["refreshToken"]},
        })
        .to_string());
        ev
    };
    let mut check = event("token-check.json");
    set_header(
        &mut check,
        "Authorization",
        &format!(
            "Bearer {}",
            session["session"]["accessToken"].as_str().expect("a token")
        ),
    );
    let stop = |session: Value| {
        let mut ev = event("stop.json");
        set_header(&mut ev, "Authorization", &admin);
        ev["pathParameters"]["id"] = session["impersonation"]["id"].clone();
        let (req, state) = (request(&ev), &stop_state);
        async move {
            let (status, stopped) = body(http::stop::handle(state, req).await).await;
            assert_eq!(status, 200, "{stopped}");
        }
    };

    let mut times: HashMap<&str, [Vec<Duration>; 2]> = HashMap::new();
    for _ in 0..RUNS {
        for (i, hold) in [Duration::ZERO, HOLD].into_iter().enumerate() {
            let mut time = |operation, took| {
                times.entry(operation).or_default()[i].push(took);
            };
            time(
                "seed 001 start",
                timed(&delay, hold, async {
                    start().await;
                })
                .await,
            );
            time(
                "refresh",
                timed(&delay, hold, async {
                    let (status, refreshed) = body(
                        http::cognito_endpoint::handle(&cognito_endpoint_state, request(&refresh))
                            .await,
                    )
                    .await;
                    assert_eq!(status, 200, "{refreshed}");
                })
                .await,
            );
            time(
                "token check",
                timed(&delay, hold, async {
                    let (status, checked) =
                        body(http::token_check::handle(&token_check_state, request(&check)).await)
                            .await;
                    assert_eq!(status, 200, "{checked}");
                    assert_eq!(checked["valid"], json!(true), "{checked}");
                })
                .await,
            );
            let to_stop = start().await;
            time("stop", timed(&delay, hold, stop(to_stop)).await);
            let mut token = Value::Null;
            time(
                "token issue",
                timed(&delay, hold, async {
                    token = issue().await;
                })
                .await,
            );
            let mut exchanged = Value::Null;
            time(
                "exchange",
                timed(&delay, hold, async {
                    exchanged = exchange(token).await;
                })
                .await,
            );
            time("revert", timed(&delay, hold, revert(exchanged)).await);
        }
    }
    calls(&log);
    for (operation, waves) in [
        ("seed 001 start", 7),
        ("refresh", 5),
        ("token check", 1),
        ("stop", 4),
        ("token issue", 4),
        ("exchange", 7),
        ("revert", 6),
    ] {
        let [plain, held] = &times[operation];
        expect_waves(operation, waves, plain, held);
    }
}
