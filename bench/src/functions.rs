//! Every function as deployed (release profile, built by `scripts/bench` one package at a time
//! set, as `sam build` builds them): its zip size and its cold start, each as a ratio to a
//! hello-world `lambda_http` binary of the same profile measured in the same run.
//!
//! The first request of each cold start is a real one on the function's main path against the
//! local stack: a valid caller and target, fresh for every round where the route consumes
//! something (a two-step token, a session to revert, stop or refresh), so the AWS clients are
//! used. Cold start is the worse of the two ratios: init time, and the CPU of init plus the
//! first request.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use actas_cli::StackFile;
use serde_json::{json, Value};

use crate::cold;
use crate::{event, set_header};

/// Every function, by its binary name and its logical id in `template.yaml`.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("impersonate", "ImpersonateFunction"),
    ("coworker-impersonate", "CoworkerImpersonateFunction"),
    ("sys-impersonate", "SysImpersonateFunction"),
    ("login-exchange", "LoginExchangeFunction"),
    ("sys-exchange", "SysExchangeFunction"),
    ("profiles", "ProfilesFunction"),
    ("revert", "RevertFunction"),
    ("token-check", "TokenCheckFunction"),
    ("stop", "StopFunction"),
    ("cognito-endpoint", "CognitoEndpointFunction"),
    ("list-impersonations", "ListImpersonationsFunction"),
    ("route-fallback", "RouteFallbackFunction"),
    ("define-auth-challenge", "DefineAuthChallengeFunction"),
    ("create-auth-challenge", "CreateAuthChallengeFunction"),
    ("verify-auth-challenge", "VerifyAuthChallengeFunction"),
    ("pre-token-generation", "PreTokenGenerationFunction"),
    ("cleanup", "CleanupFunction"),
    ("publish-events", "PublishEventsFunction"),
    ("directory-events", "DirectoryEventsFunction"),
    ("console", "ConsoleFunction"),
    ("me", "MeFunction"),
    ("audit-log", "AuditLogFunction"),
    ("settings", "SettingsFunction"),
    ("requests", "RequestsFunction"),
    ("protection", "ProtectionFunction"),
    ("notices", "NoticesFunction"),
    ("ssf", "SsfFunction"),
    ("ssf-deliver", "SsfDeliverFunction"),
    // The downstream kit's functions: built apart by scripts/bench (their reqwest must not
    // reach the others' build).
    ("authorizer", "AuthorizerFunction"),
    ("demo-notes", "DemoNotesFunction"),
];

/// A REST event of `name` turned into a GET of `path` (a read on the function's main path).
fn get_event(name: &str, resource: &str, path: &str) -> Value {
    let mut ev = event(name);
    ev["httpMethod"] = json!("GET");
    ev["resource"] = json!(resource);
    ev["path"] = json!(path);
    ev["requestContext"]["httpMethod"] = json!("GET");
    ev["requestContext"]["resourcePath"] = json!(resource);
    ev["requestContext"]["path"] = json!(format!("/v1{path}"));
    ev["body"] = Value::Null;
    ev
}

/// The size of the function's zip: the binary, deflated as `sam package` zips it.
pub fn zip_bytes(binary: &Path) -> Option<u64> {
    let bytes = std::fs::read(binary).ok()?;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&bytes).ok()?;
    let deflated = encoder.finish().ok()?;
    // A zip of one entry named `bootstrap`: local header, central directory, end record.
    Some(deflated.len() as u64 + 30 + 46 + 22 + 2 * "bootstrap".len() as u64)
}

pub struct Row {
    pub name: String,
    pub zip_bytes: u64,
    pub init_ms: Option<f64>,
    pub cpu_ms: Option<f64>,
    pub note: Option<String>,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied()
}

/// What one round needs from the local stack: callers' tokens, and fresh things to consume.
struct Stack {
    file: StackFile,
    http: reqwest::Client,
    admin: String,
    team_admin: String,
    /// A user of acme's support team made for this run (demo users may be protected, or have
    /// sessions the tests left): every start, token and session of the bench is about them.
    target: String,
    target_sub: String,
}

impl Stack {
    async fn sign_in(file: StackFile) -> Result<Stack, String> {
        let sdk = file.sdk_config().await;
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
        let bearer = |user: &str| {
            let password = file
                .user(user)
                .map(|u| u.password.clone())
                .unwrap_or_default();
            let cognito = cognito.clone();
            let file = &file;
            let user = user.to_string();
            async move {
                actas_cli::sign_in(&cognito, file, &user, &password)
                    .await
                    .map(|t| format!("Bearer {}", t.id_token))
                    .map_err(|e| format!("signing in {user}: {e}"))
            }
        };
        let admin = bearer("acme-admin").await?;
        let team_admin = bearer("acme-team-admin").await?;
        let team = file
            .user("acme-team-admin")
            .ok()
            .and_then(|u| u.team.clone())
            .unwrap_or_else(|| "support".to_string());
        let target = actas_integration_tests::Harness::new()
            .await
            .fresh_user("user", "acme", Some(&team))
            .await;
        Ok(Stack {
            http: reqwest::Client::new(),
            file,
            admin,
            team_admin,
            target: target.username,
            target_sub: target.sub,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, bearer: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.file.api_url);
        let mut request = self
            .http
            .request(method, url)
            .header("authorization", bearer)
            .header(
                "x-api-key",
                self.file.api_keys.get("acme").cloned().unwrap_or_default(),
            );
        if !body.is_null() {
            request = request.json(&body);
        }
        match request.send().await {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    /// A fresh impersonation of acme-support-1 by acme-admin, through the deployed API.
    async fn session(&self) -> Value {
        let body = json!({"username": self.target, "reason": "cold start bench"});
        self.call(
            reqwest::Method::POST,
            "/auth/impersonate",
            &self.admin,
            body,
        )
        .await
    }

    fn with(&self, name: &str, bearer: &str) -> Value {
        let mut ev = event(name);
        set_header(&mut ev, "Authorization", bearer);
        ev
    }

    fn client_event(&self, name: &str) -> Value {
        let mut ev = event(name);
        ev["callerContext"]["clientId"] = json!(self.file.impersonation_client_id);
        ev["userPoolId"] = json!(self.file.user_pool_id);
        ev
    }

    /// The first request of `function`'s cold start this round.
    async fn first_request(&self, function: &str) -> Value {
        match function {
            "impersonate" => {
                let mut ev = self.with("impersonate-username.json", &self.admin);
                let key = self.file.api_keys.get("acme").cloned().unwrap_or_default();
                set_header(&mut ev, "X-API-Key", &key);
                ev["body"] =
                    json!(json!({"username": self.target, "reason": "cold start"}).to_string());
                ev
            }
            "coworker-impersonate" => {
                let mut ev = self.with("coworker-impersonate.json", &self.team_admin);
                let path = format!("/api/public/coworkers/{}/impersonate", self.target);
                ev["path"] = json!(path);
                ev["requestContext"]["path"] = json!(format!("/v1{path}"));
                ev["pathParameters"]["coworkerId"] = json!(self.target);
                ev
            }
            "sys-impersonate" => {
                let mut ev = self.with("sys-impersonate.json", &self.admin);
                ev["queryStringParameters"]["coworkerId"] = json!(self.target);
                ev["multiValueQueryStringParameters"]["coworkerId"] = json!([self.target]);
                ev
            }
            "login-exchange" => {
                let path = format!(
                    "/api/public/coworkers/{}/impersonate?reason=bench",
                    self.target
                );
                let token = self
                    .call(reqwest::Method::GET, &path, &self.team_admin, Value::Null)
                    .await["token"]
                    .clone();
                let mut ev = event("login-exchange.json");
                ev["pathParameters"]["token"] = token;
                ev
            }
            "sys-exchange" => {
                let path = format!(
                    "/api/sys/users/impersonate?coworkerId={}&reason=bench",
                    self.target
                );
                let token = self
                    .call(reqwest::Method::GET, &path, &self.admin, Value::Null)
                    .await["token"]
                    .clone();
                let mut ev = event("sys-exchange.json");
                ev["body"] = json!(json!({ "token": token }).to_string());
                ev
            }
            "profiles" => self.with("profiles.json", &self.team_admin),
            "revert" => {
                let session = self.session().await;
                let bearer = format!(
                    "Bearer {}",
                    session["session"]["accessToken"]
                        .as_str()
                        .unwrap_or_default()
                );
                let mut ev = self.with("revert.json", &bearer);
                ev["body"] = json!(json!({
                    "impersonator_revert_token": session["impersonator_revert_token"]
                })
                .to_string());
                ev
            }
            "token-check" => self.with("token-check.json", &self.admin),
            "stop" => {
                let session = self.session().await;
                let mut ev = self.with("stop.json", &self.admin);
                ev["pathParameters"]["id"] = session["impersonation"]["id"].clone();
                ev
            }
            "cognito-endpoint" => {
                let session = self.session().await;
                let mut ev = event("cognito-endpoint.json");
                ev["body"] = json!(json!({
                    "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "ClientId": self.file.impersonation_client_id,
                    "AuthParameters": {"REFRESH_TOKEN": session["session"]["refreshToken"]},
                })
                .to_string());
                ev
            }
            "list-impersonations" => self.with("list-impersonations.json", &self.admin),
            "define-auth-challenge" => self.client_event("define-auth-challenge.json"),
            "create-auth-challenge" => self.client_event("create-auth-challenge.json"),
            // A grant's id that does not exist: the trigger still makes its conditional write
            // (its main path: the one AWS call it has), which refuses, and answers "false".
            "verify-auth-challenge" => self.client_event("verify-auth-challenge.json"),
            // The grant of a fresh impersonation: read, live, the target's: claims are written.
            "pre-token-generation" => {
                let session = self.session().await;
                let target = Some(self.target_sub.clone());
                let mut ev = self.client_event("pre-token-generation.json");
                ev["request"]["clientMetadata"]["impersonation_id"] =
                    session["impersonation"]["id"].clone();
                ev["request"]["userAttributes"]["sub"] = json!(target.unwrap_or_default());
                ev
            }
            // CloudTrail's record of a change to a demo user: read from the pool, written.
            "directory-events" => json!({
                "source": "aws.cognito-idp",
                "detail-type": "AWS API Call via CloudTrail",
                "detail": {
                    "eventSource": "cognito-idp.amazonaws.com",
                    "eventName": "AdminUpdateUserAttributes",
                    "requestParameters": {
                        "userPoolId": self.file.user_pool_id,
                        "username": "acme-support-2",
                    },
                },
            }),
            "console" => self.with("console.json", &self.admin),
            "me" => self.with("me.json", &self.admin),
            "audit-log" => self.with("audit-log.json", &self.admin),
            "settings" => {
                let mut ev = get_event("settings.json", "/auth/settings", "/auth/settings");
                set_header(&mut ev, "Authorization", &self.admin);
                ev
            }
            "requests" => {
                let mut ev = get_event("requests-approve.json", "/auth/requests", "/auth/requests");
                ev["pathParameters"] = Value::Null;
                set_header(&mut ev, "Authorization", &self.admin);
                ev
            }
            "protection" => {
                let mut ev = get_event(
                    "protection.json",
                    "/auth/users/{id}/protection",
                    "/auth/users/me/protection",
                );
                set_header(&mut ev, "Authorization", &self.admin);
                ev
            }
            // An audit stream batch (a start's record): the notices' main path reads the
            // tenant's settings.
            "notices" => event("publish-events.json"),
            // A full impersonation's read: verified, checked online, allowed.
            "authorizer" => {
                let session = self.session().await;
                let bearer = format!(
                    "Bearer {}",
                    session["session"]["accessToken"]
                        .as_str()
                        .unwrap_or_default()
                );
                let mut ev = self.with("authorizer-request.json", &bearer);
                // The online check calls actas's API on the gateway the event names: this
                // stack's (its URL ends in `/<api id>/<stage>`).
                let mut parts = self.file.api_url.trim_end_matches('/').rsplit('/');
                if let (Some(stage), Some(api_id)) = (parts.next(), parts.next()) {
                    ev["requestContext"]["apiId"] = json!(api_id);
                    ev["requestContext"]["stage"] = json!(stage);
                }
                ev
            }
            // The transmitter's metadata (public): the route every receiver reads first.
            "ssf" => get_event(
                "ssf-streams.json",
                "/.well-known/ssf-configuration",
                "/.well-known/ssf-configuration",
            ),
            // An audit stream batch: a SET for every stream, when the record is an end.
            "ssf-deliver" => event("publish-events.json"),
            "demo-notes" => {
                let mut ev = get_event("demo-notes-create.json", "/demo/notes", "/demo/notes");
                set_header(&mut ev, "Authorization", &self.admin);
                ev
            }
            other => event(&format!("{other}.json")),
        }
    }
}

/// Whether a first answer took the main path: 200 for the routes (404 is the fallback's), a
/// response (not an error) for the events.
fn main_path(function: &str, status: i64) -> bool {
    match function {
        "route-fallback" => status == 404 || status == 405,
        "verify-auth-challenge"
        | "pre-token-generation"
        | "define-auth-challenge"
        | "create-auth-challenge"
        | "cleanup"
        | "publish-events"
        | "notices"
        | "ssf-deliver"
        | "authorizer"
        | "directory-events" => status == 0,
        _ => status == 200,
    }
}

pub async fn measure(root: &Path, rounds: usize) -> (Vec<Row>, Option<Row>) {
    // `ACTAS_BENCH_BINARIES`: another build's directory (another opt-level, say) to measure.
    let release = std::env::var_os("ACTAS_BENCH_BINARIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release"));
    let hello_path = release.join("hello-lambda");
    let Some(hello_zip) = zip_bytes(&hello_path) else {
        println!(
            "(no hello-lambda in {}: run scripts/bench)",
            release.display()
        );
        return (Vec::new(), None);
    };
    let mut rows: Vec<Row> = FUNCTIONS
        .iter()
        .filter_map(|(name, _)| {
            Some(Row {
                name: name.to_string(),
                zip_bytes: zip_bytes(&release.join(name))?,
                init_ms: None,
                cpu_ms: None,
                note: None,
            })
        })
        .collect();
    let mut hello = Row {
        name: "hello-world".into(),
        zip_bytes: hello_zip,
        init_ms: None,
        cpu_ms: None,
        note: None,
    };
    let stack = match StackFile::load(&root.join(".local/stack.json")) {
        Ok(file) => Stack::sign_in(file).await,
        Err(e) => Err(format!("no local stack ({e})")),
    };
    let stack = match stack {
        Ok(stack) => stack,
        Err(e) => {
            println!("({e}: cold starts skipped; run scripts/up first)");
            return (rows, Some(hello));
        }
    };
    let envs = match environments(&stack).await {
        Ok(envs) => envs,
        Err(e) => {
            println!("({e}: cold starts skipped)");
            return (rows, Some(hello));
        }
    };
    let mut samples: HashMap<String, (Vec<f64>, Vec<f64>)> = HashMap::new();
    let base = &envs["hello-world"];
    for _ in 0..rounds {
        if let Ok(run) = cold::cold_run(&hello_path, base, &event("token-check.json")).await {
            let entry = samples.entry("hello-world".into()).or_default();
            entry.0.push(run.init_ms);
            entry.1.push(run.cpu_ms);
        }
        for row in rows.iter_mut() {
            let request = stack.first_request(&row.name).await;
            let binary: PathBuf = release.join(&row.name);
            match cold::cold_run(&binary, &envs[&row.name], &request).await {
                Ok(run) if main_path(&row.name, run.status) => {
                    let entry = samples.entry(row.name.clone()).or_default();
                    entry.0.push(run.init_ms);
                    entry.1.push(run.cpu_ms);
                }
                Ok(run) => row.note = Some(format!("first answer {}", run.status)),
                Err(e) => row.note = Some(e),
            }
        }
    }
    for row in rows.iter_mut().chain(std::iter::once(&mut hello)) {
        if let Some((init, cpu)) = samples.remove(&row.name) {
            row.init_ms = median(init);
            row.cpu_ms = median(cpu);
        }
    }
    (rows, Some(hello))
}

/// Each function's deployed environment (from the local stack), as Lambda would give it.
async fn environments(stack: &Stack) -> Result<HashMap<String, HashMap<String, String>>, String> {
    let sdk = stack.file.sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let base: HashMap<String, String> = [
        ("AWS_REGION", stack.file.region.as_str()),
        ("AWS_ENDPOINT_URL", stack.file.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut envs = HashMap::from([("hello-world".to_string(), base.clone())]);
    for (name, logical) in FUNCTIONS {
        let function = stack
            .file
            .functions
            .get(*logical)
            .ok_or_else(|| format!("{logical} is not deployed"))?;
        let config = lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|e| format!("the local stack does not answer ({e})"))?;
        let mut env = base.clone();
        if let Some(vars) = config.environment().and_then(|e| e.variables()) {
            env.extend(vars.clone());
        }
        envs.insert(name.to_string(), env);
    }
    Ok(envs)
}

/// Prints the table and returns its rows for `bench.json`.
pub fn report(rows: &[Row], hello: &Row, rounds: usize) -> Vec<Value> {
    let mib = |b: u64| b as f64 / 1_048_576.0;
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let show = |v: Option<f64>, width: usize, digits: usize| match v {
        Some(v) => format!("{v:>width$.digits$}"),
        None => format!("{:>width$}", "-"),
    };
    println!();
    println!(
        "{:<24} {:>8} {:>7} {:>8} {:>7} {:>9} {:>7} {:>7}   (release, medians of {rounds})",
        "function", "zip MiB", "× hello", "init ms", "× hello", "CPU ms", "× hello", "cold ×"
    );
    let mut out = Vec::new();
    for row in std::iter::once(hello).chain(rows) {
        let zip_ratio = row.zip_bytes as f64 / hello.zip_bytes as f64;
        let init_ratio = ratio(row.init_ms, hello.init_ms);
        let cpu_ratio = ratio(row.cpu_ms, hello.cpu_ms);
        let cold = match (init_ratio, cpu_ratio) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        println!(
            "{:<24} {:>8.2} {:>7.2} {} {} {} {} {}{}",
            row.name,
            mib(row.zip_bytes),
            zip_ratio,
            show(row.init_ms, 8, 1),
            show(init_ratio, 7, 2),
            show(row.cpu_ms, 9, 1),
            show(cpu_ratio, 7, 2),
            show(cold, 7, 2),
            row.note
                .as_ref()
                .map(|n| format!("   ({n})"))
                .unwrap_or_default(),
        );
        out.push(json!({
            "function": row.name, "zip_bytes": row.zip_bytes, "zip_ratio": zip_ratio,
            "init_ms": row.init_ms, "init_ratio": init_ratio,
            "cpu_ms": row.cpu_ms, "cpu_ratio": cpu_ratio, "cold_start_ratio": cold,
        }));
    }
    out
}
