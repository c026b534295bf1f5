//! Issue 17: actas joins a product's existing user pool. The product's pool is made the way a
//! product makes one (`support/product_pool.rs`: its own attributes, groups, plan, MFA, password
//! policy, messages, tags and trigger functions), actas is deployed onto it as a second stack
//! (`ACTAS_STACK_NAME=... ACTAS_USER_POOL_ID=... scripts/up`), every dialect impersonates the
//! product's users under the product's own mapping, the product keeps its claims, scopes and
//! passwordless sign-in, and removing the stack leaves the pool exactly as it was.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actas::app::pool_attachment::{AttachReport, AttachRequest};
use actas::domain::pool_attachment::ActasTriggers;
use actas_cli::pool::PoolAdapters;
use actas_integration_tests::product_pool::{
    scopes_of, snapshot_differences, ProductPool, ProductPoolShape, ProductUser, PASSWORDLESS_CODE,
};
use actas_integration_tests::{
    assert_error, jwt_claims, sign_in, uuid_like, ApiResponse, Harness, StackFile, USER_AGENT,
};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use serde_json::{json, Value};

/// The product's mapping, as an operator would pass it to `scripts/up`.
const MAPPING: [(&str, &str); 5] = [
    (
        "ACTAS_ROLE_GROUPS",
        "super-admin=PlatformAdmins,admin=Admins,operator=Support,team-admin=TeamLeads",
    ),
    ("ACTAS_TENANT_ATTRIBUTE", "custom:org"),
    ("ACTAS_TEAM_ATTRIBUTE", "custom:dept"),
    // Set to empty: the product has no such attributes.
    ("ACTAS_TEAM_ROLE_ATTRIBUTE", ""),
    ("ACTAS_PROTECTED_ATTRIBUTE", ""),
];

fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `scripts/<script>` for the stack `name`, with the product's mapping; its combined output.
fn run_script(script: &str, name: &str, extra: &[(&str, &str)]) -> Result<String, String> {
    let mut command = Command::new(repo_root().join("scripts").join(script));
    command
        .current_dir(repo_root())
        .env("ACTAS_STACK_NAME", name)
        .env("ACTAS_SKIP_BUILD", "1")
        .env("ACTAS_QUIET", "1")
        // `scripts/test` points the tests at the default stack's file; the scripts name their own.
        .env_remove("ACTAS_STACK_FILE");
    for (key, value) in MAPPING.iter().chain(extra) {
        command.env(key, value);
    }
    let output = command
        .output()
        .map_err(|e| format!("scripts/{script}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "scripts/{script} failed ({}):\n{text}",
            output.status
        ))
    }
}

/// actas deployed onto the product's pool as a stack of its own; removed by `down` (or, if the
/// test fails first, on drop).
struct SecondStack {
    name: String,
    down: bool,
}

impl SecondStack {
    fn up(name: &str, pool_id: &str) -> SecondStack {
        let mut stack = SecondStack {
            name: name.to_string(),
            down: false,
        };
        if let Err(failure) = run_script("up", name, &[("ACTAS_USER_POOL_ID", pool_id)]) {
            // Whatever was deployed goes again before the test fails.
            stack.down = run_script("down", name, &[]).is_ok();
            panic!("{failure}");
        }
        stack
    }

    fn file(&self) -> PathBuf {
        repo_root()
            .join(".local")
            .join(format!("stack-{}.json", self.name))
    }

    fn down(&mut self) {
        let outcome = run_script("down", &self.name, &[]);
        self.down = true;
        if let Err(failure) = outcome {
            panic!("{failure}");
        }
    }
}

impl Drop for SecondStack {
    fn drop(&mut self) {
        if !self.down {
            if let Err(failure) = run_script("down", &self.name, &[]) {
                eprintln!("{failure}");
            }
        }
    }
}

/// A harness for the second stack (same emulator, its own API, clients and table).
async fn harness_for(stack: StackFile) -> Harness {
    let sdk = stack.sdk_config().await;
    Harness {
        cognito: aws_sdk_cognitoidentityprovider::Client::new(&sdk),
        http: reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .build()
            .expect("an HTTP client"),
        sdk,
        stack,
    }
}

fn claims(token: &Value) -> Value {
    jwt_claims(token.as_str().expect("a token")).expect("JWT claims")
}

/// A product user's id token from the stack's sign-in client (a real password sign-in).
async fn bearer(h: &Harness, user: &ProductUser) -> String {
    sign_in(&h.cognito, &h.stack, &user.username, &user.password)
        .await
        .unwrap_or_else(|e| panic!("{} signs in on actas's sign-in client: {e}", user.username))
        .id_token
}

/// An impersonated session of `target` by `actor` in `mode`, as its tokens tell it: actas's
/// claims are actas's (not what the product's function tried), the product's claim is there.
async fn assert_impersonated(
    h: &Harness,
    payload: &Value,
    actor: &ProductUser,
    target: &ProductUser,
    mode: &str,
    context: &str,
) {
    let id = payload["impersonation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{context}: an impersonation id in {payload}"));
    assert_eq!(payload["impersonation"]["mode"], mode, "{context}");
    for token in ["authorization", "accessToken"] {
        let claims = claims(&payload["session"][token]);
        let context = format!("{context}, {token}: {claims}");
        assert_eq!(claims["sub"], target.sub.as_str(), "{context}");
        assert_eq!(
            claims["act"]["sub"],
            actor.sub.as_str(),
            "{context}: act is the real actor"
        );
        assert_eq!(claims["impersonation_id"], id, "{context}");
        assert_eq!(claims["impersonation_mode"], mode, "{context}");
        assert!(
            claims["impersonation_expires_at"].is_number(),
            "{context}: impersonation_expires_at"
        );
        assert_eq!(claims["plan"], "gold", "{context}: the product's own claim");
    }
    let scopes = scopes_of(payload["session"]["accessToken"].as_str().unwrap());
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    assert!(
        !has("aws.cognito.signin.user.admin"),
        "{context}: never Cognito self-service: {scopes:?}"
    );
    assert_eq!(
        has("actas/write"),
        mode == "full",
        "{context}: write scope only for full sessions: {scopes:?}"
    );
    assert!(has("actas/read"), "{context}: {scopes:?}");
    assert!(
        has("product/api"),
        "{context}: the product's own scope stays: {scopes:?}"
    );
    // Verified against the pool's JWKS as a downstream service verifies it.
    let verified = h
        .verify_impersonated(payload["session"]["accessToken"].as_str().unwrap())
        .await;
    assert_eq!(verified.act.expect("act")["sub"], actor.sub.as_str());
}

fn token_of(response: &ApiResponse, context: &str) -> String {
    assert_eq!(response.status, 200, "{context}: {}", response.body);
    response.body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{context}: a token"))
        .to_string()
}

/// Every username a caller sees in the profiles listing.
async fn profile_usernames(h: &Harness, bearer: &str) -> Vec<String> {
    let page = h.get("/api/public/coworkers/profiles", Some(bearer)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body["NextToken"].is_null(), "one page: {}", page.body);
    let mut names: Vec<String> = page.body["Profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| p["Username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// The names of the pool's app clients, resource servers and groups: what a stack adds and
/// must take away again (`DescribeUserPool` does not show them).
async fn pool_members(cognito: &aws_sdk_cognitoidentityprovider::Client, pool_id: &str) -> Value {
    let clients = cognito
        .list_user_pool_clients()
        .user_pool_id(pool_id)
        .max_results(60)
        .send()
        .await
        .expect("ListUserPoolClients");
    let servers = cognito
        .list_resource_servers()
        .user_pool_id(pool_id)
        .max_results(50)
        .send()
        .await
        .expect("ListResourceServers");
    let groups = cognito
        .list_groups()
        .user_pool_id(pool_id)
        .limit(60)
        .send()
        .await
        .expect("ListGroups");
    let mut client_names: Vec<&str> = clients
        .user_pool_clients()
        .iter()
        .filter_map(|c| c.client_name())
        .collect();
    client_names.sort();
    let mut server_ids: Vec<&str> = servers
        .resource_servers()
        .iter()
        .filter_map(|s| s.identifier())
        .collect();
    server_ids.sort();
    let mut group_names: Vec<&str> = groups
        .groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    group_names.sort();
    json!({"clients": client_names, "resourceServers": server_ids, "groups": group_names})
}

#[tokio::test]
async fn actas_joins_a_product_pool_serves_every_dialect_under_its_mapping_and_leaves_it_as_it_was()
{
    let default_stack = Harness::new().await;
    let product = ProductPool::create(&default_stack.sdk).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&default_stack.sdk);
    let before = product.snapshot().await;
    let members_before = pool_members(&cognito, &product.pool_id).await;

    // Without actas the product's function has its way, forged `act` and all: what follows
    // shows actas overruling it, not a function that never ran.
    let alone = product.sign_in("initech-user-1").await.expect("sign-in");
    assert_eq!(alone.access_claims()["act"], json!({"sub": "forged"}));
    assert_eq!(alone.id_claims()["plan"], "gold");

    let name = format!("byo-{}", &uuid_like()[..8]);
    let deploying = Instant::now();
    let mut stack = SecondStack::up(&name, &product.pool_id);
    let deploy_time = deploying.elapsed();
    eprintln!(
        "scripts/up of {name} onto {}: {deploy_time:?}",
        product.pool_id
    );
    let h = harness_for(StackFile::load(&stack.file()).expect("the stack's file")).await;
    assert_eq!(h.stack.user_pool_id, product.pool_id);
    assert_eq!(h.stack.stack_name, name);
    assert!(
        h.stack.users.is_empty() && h.stack.api_keys.is_empty(),
        "nothing seeded into the product's pool"
    );

    let user = |name: &str| product.user(name).clone();
    let (platform, admin, support, lead) = (
        user("initech-platform"),
        user("initech-admin"),
        user("initech-support"),
        user("initech-lead"),
    );
    let (member_1, member_2, umbrella) = (
        user("initech-user-1"),
        user("initech-user-2"),
        user("umbrella-user"),
    );

    // Seed 000: an admin by `?uuid=`, in full mode (the write scope, never self-service).
    let admin_bearer = bearer(&h, &admin).await;
    let started = h
        .send(
            "POST",
            &format!(
                "/auth/impersonate?uuid={}&reason=byo+pool&mode=full",
                member_1.sub
            ),
            Some(&admin_bearer),
            None,
        )
        .await;
    assert_eq!(started.status, 200, "seed 000: {}", started.body);
    assert_impersonated(&h, &started.body, &admin, &member_1, "full", "seed 000").await;

    // Seed 001: by username with the tenant's API key (issued as `actas demo seed` issues one).
    let store = actas::adapters::aws::dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&h.sdk),
        &h.stack.table_name,
    );
    let (_, key) = actas::app::api_keys::issue_api_key(
        &store,
        &actas::ports::clock::SystemClock,
        "initech",
        "byo pool test",
    )
    .await
    .expect("an API key");
    let body = json!({"username": member_2.username, "reason": "byo pool"}).to_string();
    let started = h.impersonate(Some(&admin_bearer), Some(&key), &body).await;
    assert_eq!(started.status, 200, "seed 001: {}", started.body);
    assert_impersonated(
        &h,
        &started.body,
        &admin,
        &member_2,
        "read_only",
        "seed 001",
    )
    .await;
    // A refresh runs both pre-token functions again: actas still wins.
    let (id_token, access_token) = h.refresh_session(&started.body).await.expect("refresh");
    for token in [&id_token, &access_token] {
        let claims = jwt_claims(token).unwrap();
        assert_eq!(
            claims["act"]["sub"],
            admin.sub.as_str(),
            "refreshed: {claims}"
        );
        assert_eq!(
            claims["impersonation_mode"], "read_only",
            "refreshed: {claims}"
        );
        assert_eq!(claims["plan"], "gold", "refreshed: {claims}");
    }
    let refreshed_scopes = scopes_of(&access_token);
    assert!(
        !refreshed_scopes
            .iter()
            .any(|s| s == "actas/write" || s == "aws.cognito.signin.user.admin"),
        "refreshed read-only: {refreshed_scopes:?}"
    );

    // Seed 002: the team lead (TeamLeads) acts as a member of their dept; not as another org's.
    let lead_bearer = bearer(&h, &lead).await;
    let token = token_of(
        &h.get(
            &format!(
                "/api/public/coworkers/{}/impersonate?reason=byo+pool",
                member_1.sub
            ),
            Some(&lead_bearer),
        )
        .await,
        "seed 002",
    );
    let session = h
        .post(&format!("/api/public/auth/login/{token}"), &json!({}))
        .await;
    assert_eq!(session.status, 200, "seed 002 exchange: {}", session.body);
    assert_impersonated(&h, &session.body, &lead, &member_1, "read_only", "seed 002").await;
    // Another org's user with the same dept is outside the lead's tenant: not found, as actas
    // answers for every user outside the caller's tenant (nobody learns who exists there).
    let refused = h
        .get(
            &format!(
                "/api/public/coworkers/{}/impersonate?reason=byo+pool",
                umbrella.sub
            ),
            Some(&lead_bearer),
        )
        .await;
    assert_error(
        &refused,
        404,
        "a team lead and another org's user (same dept)",
    );
    // ... who is there for the platform admin (super-admin), who crosses orgs.
    let platform_bearer = bearer(&h, &platform).await;
    token_of(
        &h.get(
            &format!(
                "/api/sys/users/impersonate?coworkerId={}&reason=byo+pool",
                umbrella.sub
            ),
            Some(&platform_bearer),
        )
        .await,
        "seed 003: a platform admin and the other org's user",
    );

    // Seed 003: support (the operator role) acts as a customer; not as an admin (rank).
    let support_bearer = bearer(&h, &support).await;
    let token = token_of(
        &h.get(
            &format!(
                "/api/sys/users/impersonate?coworkerId={}&reason=byo+pool",
                member_2.username
            ),
            Some(&support_bearer),
        )
        .await,
        "seed 003",
    );
    let session = h
        .post("/api/sys/users/exchange", &json!({"token": token}))
        .await;
    assert_eq!(session.status, 200, "seed 003 exchange: {}", session.body);
    assert_impersonated(
        &h,
        &session.body,
        &support,
        &member_2,
        "read_only",
        "seed 003",
    )
    .await;
    let refused = h
        .send(
            "POST",
            &format!("/auth/impersonate?uuid={}&reason=byo+pool", admin.sub),
            Some(&support_bearer),
            None,
        )
        .await;
    assert_error(&refused, 403, "support (operator) acting as an admin");
    assert!(
        refused.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("lower rank")),
        "refused by rank: {}",
        refused.body
    );

    // The console's calls, for the pool's users under its mapping.
    let me = h.get("/auth/me", Some(&lead_bearer)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        (&me.body["role"], &me.body["tenant"], &me.body["team"]),
        (&json!("team-admin"), &json!("initech"), &json!("tps")),
        "{}",
        me.body
    );
    let me = h.get("/auth/me", Some(&platform_bearer)).await;
    assert_eq!(me.body["role"], "super-admin", "{}", me.body);
    assert_eq!(
        profile_usernames(&h, &lead_bearer).await,
        sorted(&["initech-lead", "initech-user-1", "initech-user-2"]),
        "a team lead sees their dept in their org"
    );
    assert_eq!(
        profile_usernames(&h, &support_bearer).await,
        sorted(&[
            "initech-support",
            "initech-lead",
            "initech-user-1",
            "initech-user-2"
        ]),
        "support sees their org below their rank"
    );
    let console = h
        .http
        .get(format!("{}/console/", h.stack.api_url))
        .send()
        .await
        .expect("the console");
    assert_eq!(console.status(), 200);
    assert!(console.text().await.unwrap().contains("<html"));
    let config: Value = h
        .http
        .get(format!("{}/console/config.json", h.stack.api_url))
        .send()
        .await
        .expect("config.json")
        .json()
        .await
        .expect("JSON");
    assert_eq!(config["userPoolId"], product.pool_id.as_str());

    // The product's own sign-ins: its claim and scope, and nothing of actas's - not even what
    // its own function tried to forge.
    let ordinary = product.sign_in("initech-user-1").await.expect("sign-in");
    for claims in [ordinary.id_claims(), ordinary.access_claims()] {
        assert_eq!(claims["plan"], "gold", "{claims}");
        for claim in [
            "act",
            "impersonation_id",
            "impersonation_mode",
            "impersonation_expires_at",
        ] {
            assert!(
                claims.get(claim).is_none(),
                "no {claim} in an ordinary sign-in: {claims}"
            );
        }
    }
    assert!(
        ordinary.scopes().contains(&"product/api".to_string()),
        "{:?}",
        ordinary.scopes()
    );
    let passwordless = product
        .passwordless("initech-user-2", PASSWORDLESS_CODE)
        .await
        .expect("the product's passwordless sign-in, through actas's triggers");
    assert_eq!(passwordless.id_claims()["sub"], member_2.sub.as_str());
    assert_eq!(passwordless.id_claims()["plan"], "gold");
    assert!(passwordless.access_claims().get("act").is_none());
    let wrong = product
        .passwordless("initech-user-2", "000000")
        .await
        .expect_err("a wrong code signs nobody in");
    assert!(
        wrong.contains("RespondToAuthChallenge") && wrong.contains("NotAuthorizedException"),
        "refused at the answer: {wrong}"
    );

    // Leaving: the stack goes, and the pool is what it was in every field but the timestamps.
    let removing = Instant::now();
    stack.down();
    let down_time = removing.elapsed();
    eprintln!("scripts/down of {name}: {down_time:?}");
    assert!(!stack.file().exists(), "the stack's file is removed");
    let default_console = default_stack
        .http
        .get(format!("{}/console/", default_stack.stack.api_url))
        .send()
        .await
        .expect("the default stack's API");
    assert_eq!(default_console.status(), 200, "only that stack was deleted");
    let after = product.snapshot().await;
    assert_eq!(
        snapshot_differences(&before, &after),
        Vec::<String>::new(),
        "the pool after actas left"
    );
    assert_eq!(
        pool_members(&cognito, &product.pool_id).await,
        members_before,
        "actas's clients and resource server are gone, the product's groups untouched"
    );
    let back = product
        .passwordless("initech-user-1", PASSWORDLESS_CODE)
        .await
        .expect("the product's own triggers again");
    assert_eq!(
        back.access_claims()["act"],
        json!({"sub": "forged"}),
        "its own function again"
    );
    product.delete().await;
}

// ------------------------------------------------------------------ attach and detach alone
// No stack is deployed for these: `actas_cli::pool` (what `actas pool attach|detach|status` and
// the stack's custom resource run) is called with stand-ins for a deployment's four trigger
// functions, and keeps its record in the default stack's table.

/// A stand-in for one of actas's triggers: answers the event unchanged.
const STAND_IN_PY: &str = "def handler(event, context):\n    return event\n";

/// The product's mapping as `actas pool attach` flags.
fn mapping() -> actas::domain::identity_mapping::IdentityMapping {
    let flag = |name: &str| {
        let variable = format!("ACTAS_{}", name[2..].replace('-', "_").to_uppercase());
        MAPPING
            .iter()
            .find(|(v, _)| *v == variable)
            .map(|(_, value)| value.to_string())
    };
    let switch = |_: &str| false;
    actas_cli::pool::PoolArgs {
        flag: &flag,
        switch: &switch,
    }
    .mapping()
    .expect("the product's mapping")
}

/// A product pool and four stand-in actas functions (deleted with the pool).
async fn product_and_actas(h: &Harness, shape: ProductPoolShape) -> (ProductPool, ActasTriggers) {
    let mut product = ProductPool::create_shaped(&h.sdk, shape).await;
    let actas = ActasTriggers {
        define_auth_challenge: product.add_function("actas-define", STAND_IN_PY).await,
        create_auth_challenge: product.add_function("actas-create", STAND_IN_PY).await,
        verify_auth_challenge_response: product.add_function("actas-verify", STAND_IN_PY).await,
        pre_token_generation: product.add_function("actas-pre-token", STAND_IN_PY).await,
    };
    (product, actas)
}

fn attach_request(pool_id: &str, actas: &ActasTriggers, dry_run: bool) -> AttachRequest {
    AttachRequest {
        user_pool_id: pool_id.to_string(),
        actas: actas.clone(),
        mapping: mapping(),
        resource_server_identifier: "actas".into(),
        create_groups: false,
        dry_run,
        now: actas_integration_tests::now_millis() / 1000,
    }
}

async fn attach(
    adapters: &PoolAdapters,
    pool_id: &str,
    actas: &ActasTriggers,
    dry_run: bool,
) -> Result<AttachReport, String> {
    actas_cli::pool::attach(adapters, attach_request(pool_id, actas, dry_run))
        .await
        .map_err(|e| e.to_string())
}

/// Whether actas keeps a record of attaching to the pool.
async fn recorded(adapters: &PoolAdapters, pool_id: &str, actas: &ActasTriggers) -> bool {
    actas_cli::pool::status(adapters, pool_id, actas, &mapping(), "actas")
        .await
        .expect("status")
        .recorded
}

fn assert_same(before: &Value, after: &Value, context: &str) {
    assert_eq!(
        snapshot_differences(before, after),
        Vec::<String>::new(),
        "{context}"
    );
}

/// The Cognito calls an SDK configuration sends (operation, JSON body): what the emulator would
/// hide. `UpdateUserPool` there merges what it is not given; on AWS it resets it, so the request
/// itself must carry every setting of the pool.
#[derive(Debug, Clone)]
struct RecordingClient {
    inner: SharedHttpClient,
    calls: Arc<Mutex<Vec<(String, Value)>>>,
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    calls: Arc<Mutex<Vec<(String, Value)>>>,
}

impl HttpClient for RecordingClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            inner: self.inner.http_connector(settings, components),
            calls: self.calls.clone(),
        })
    }
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").map(str::to_string);
        if let (Some(target), Some(body)) = (target, request.body().bytes()) {
            let operation = target.rsplit('.').next().unwrap_or_default().to_string();
            let body = serde_json::from_slice(body).unwrap_or(Value::Null);
            self.calls.lock().expect("calls").push((operation, body));
        }
        self.inner.call(request)
    }
}

impl RecordingClient {
    fn around(sdk: &aws_config::SdkConfig) -> (aws_config::SdkConfig, RecordingClient) {
        let recorder = RecordingClient {
            inner: actas::adapters::https::https_client(),
            calls: Arc::default(),
        };
        let sdk = sdk.to_builder().http_client(recorder.clone()).build();
        (sdk, recorder)
    }

    /// The bodies of the `operation` calls sent since the last `take`.
    fn take(&self, operation: &str) -> Vec<Value> {
        let mut calls = self.calls.lock().expect("calls");
        let taken = calls
            .iter()
            .filter(|(name, _)| name == operation)
            .map(|(_, body)| body.clone())
            .collect();
        calls.clear();
        taken
    }
}

/// A snapshot's value with its `null`s left out (absent, as a request leaves them).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn empty_strings(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.is_empty() => out.push(path.to_string()),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| empty_strings(v, &format!("{path}/{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| empty_strings(v, &format!("{path}/{i}"), out)),
        _ => {}
    }
}

/// An `UpdateUserPool` request that leaves the pool as `pool` (a snapshot) says, but for its
/// `LambdaConfig`, which is `lambda_config` (a snapshot's): every setting the update takes is
/// sent as the pool has it, and nothing the pool only reports as empty.
fn assert_update_keeps_every_setting(request: &Value, pool: &Value, lambda_config: &Value) {
    let pool = &pool["DescribeUserPool"];
    let settings = [
        "UserPoolTier",
        "Policies",
        "DeletionProtection",
        "AutoVerifiedAttributes",
        "VerificationMessageTemplate",
        "UserAttributeUpdateSettings",
        "MfaConfiguration",
        "DeviceConfiguration",
        "EmailConfiguration",
        "UserPoolTags",
        "AdminCreateUserConfig",
        "AccountRecoverySetting",
    ];
    for setting in settings {
        let mut expected = without_nulls(&pool[setting]);
        // `UnusedAccountValidityDays` is the old name of `TemporaryPasswordValidityDays`: 0 is
        // "not given", and AWS refuses it beside the new one, which this pool has.
        if let Some(config) = expected
            .as_object_mut()
            .filter(|_| setting == "AdminCreateUserConfig")
        {
            if config.get("UnusedAccountValidityDays") == Some(&json!(0)) {
                config.remove("UnusedAccountValidityDays");
            }
        }
        assert_eq!(
            request.get(setting).map(without_nulls),
            Some(expected),
            "UpdateUserPool carries {setting} as the pool has it: {request}"
        );
    }
    assert_eq!(
        request.get("LambdaConfig").map(without_nulls),
        Some(without_nulls(lambda_config)),
        "{request}"
    );
    // The emulator reports these as empties; AWS refuses them, and the pool has none.
    for absent in [
        "SmsConfiguration",
        "SmsVerificationMessage",
        "SmsAuthenticationMessage",
        "EmailVerificationMessage",
        "EmailVerificationSubject",
        "UserPoolAddOns",
    ] {
        assert!(request.get(absent).is_none(), "no {absent}: {request}");
    }
    let mut empties = Vec::new();
    empty_strings(request, "", &mut empties);
    assert!(
        empties.is_empty(),
        "empty values sent: {empties:?} in {request}"
    );
}

#[tokio::test]
async fn attaching_takes_four_slots_only_attaching_again_changes_nothing_and_detaching_restores_the_pool(
) {
    let h = Harness::new().await;
    let (product, actas) = product_and_actas(&h, ProductPoolShape::default()).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&h.sdk);
    let (recorded_sdk, recorder) = RecordingClient::around(&h.sdk);
    let adapters = PoolAdapters::new(&recorded_sdk, &h.stack.table_name);
    let before = product.snapshot().await;
    let members_before = pool_members(&cognito, &product.pool_id).await;

    let first = attach(&adapters, &product.pool_id, &actas, false)
        .await
        .expect("attach");
    assert!(!first.unchanged, "{first:?}");
    assert_eq!(first.created_resource_server.as_deref(), Some("actas"));
    let f = &product.functions;
    assert_eq!(
        (
            first.chained.define_auth_challenge.as_deref(),
            first.chained.create_auth_challenge.as_deref(),
            first.chained.verify_auth_challenge_response.as_deref(),
            first
                .chained
                .pre_token_generation
                .as_ref()
                .map(|t| (t.lambda_arn.as_str(), t.lambda_version.as_str())),
        ),
        (
            Some(f.define_auth_challenge.as_str()),
            Some(f.create_auth_challenge.as_str()),
            Some(f.verify_auth_challenge_response.as_str()),
            Some((f.pre_token_generation.as_str(), "V2_0")),
        ),
        "actas passes on to the product's own functions"
    );
    let attached = product.snapshot().await;
    let mut changed = snapshot_differences(&before, &attached);
    changed.sort();
    let slot = |path: &str, product_arn: &str, actas_arn: &str| {
        format!("/DescribeUserPool/LambdaConfig/{path}: \"{product_arn}\" -> \"{actas_arn}\"")
    };
    let mut expected = vec![
        slot(
            "CreateAuthChallenge",
            &f.create_auth_challenge,
            &actas.create_auth_challenge,
        ),
        slot(
            "DefineAuthChallenge",
            &f.define_auth_challenge,
            &actas.define_auth_challenge,
        ),
        slot(
            "PreTokenGeneration",
            &f.pre_token_generation,
            &actas.pre_token_generation,
        ),
        slot(
            "PreTokenGenerationConfig/LambdaArn",
            &f.pre_token_generation,
            &actas.pre_token_generation,
        ),
        slot(
            "VerifyAuthChallengeResponse",
            &f.verify_auth_challenge_response,
            &actas.verify_auth_challenge_response,
        ),
    ];
    expected.sort();
    assert_eq!(changed, expected, "four slots change and nothing else");
    let updates = recorder.take("UpdateUserPool");
    assert_eq!(updates.len(), 1, "one update: {updates:?}");
    assert_update_keeps_every_setting(
        &updates[0],
        &before,
        &attached["DescribeUserPool"]["LambdaConfig"],
    );

    let second = attach(&adapters, &product.pool_id, &actas, false)
        .await
        .expect("attach again");
    assert!(
        second.unchanged,
        "the second attach reports no change: {second:?}"
    );
    assert!(second.lambda_config.is_empty(), "{second:?}");
    assert_eq!(
        second.chained, first.chained,
        "still the product's functions, never actas's"
    );
    assert_same(
        &attached,
        &product.snapshot().await,
        "after attaching twice",
    );
    assert_eq!(
        recorder.take("UpdateUserPool"),
        Vec::<Value>::new(),
        "attaching again writes nothing"
    );

    let detached = actas_cli::pool::detach(&adapters, &product.pool_id, false)
        .await
        .expect("detach");
    assert!(detached.attached, "{detached:?}");
    assert_same(&before, &product.snapshot().await, "after detaching");
    let updates = recorder.take("UpdateUserPool");
    assert_eq!(updates.len(), 1, "one update: {updates:?}");
    assert_update_keeps_every_setting(
        &updates[0],
        &attached,
        &before["DescribeUserPool"]["LambdaConfig"],
    );
    assert_eq!(
        pool_members(&cognito, &product.pool_id).await,
        members_before,
        "the resource server actas made is gone"
    );
    assert!(!recorded(&adapters, &product.pool_id, &actas).await);
    product.delete().await;
}

#[tokio::test]
async fn a_dry_run_reports_what_would_change_and_changes_nothing() {
    let h = Harness::new().await;
    let (product, actas) = product_and_actas(&h, ProductPoolShape::default()).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&h.sdk);
    let adapters = PoolAdapters::new(&h.sdk, &h.stack.table_name);
    let before = product.snapshot().await;
    let members_before = pool_members(&cognito, &product.pool_id).await;

    let report = attach(&adapters, &product.pool_id, &actas, true)
        .await
        .expect("a dry run");
    assert!(report.dry_run && !report.unchanged, "{report:?}");
    assert_eq!(report.lambda_config.len(), 5, "{report:?}");
    assert_eq!(report.created_resource_server.as_deref(), Some("actas"));
    assert_same(&before, &product.snapshot().await, "after a dry-run attach");
    assert_eq!(
        pool_members(&cognito, &product.pool_id).await,
        members_before
    );
    assert!(!recorded(&adapters, &product.pool_id, &actas).await);

    // And a dry-run detach of a real attachment leaves it attached.
    attach(&adapters, &product.pool_id, &actas, false)
        .await
        .expect("attach");
    let attached = product.snapshot().await;
    let report = actas_cli::pool::detach(&adapters, &product.pool_id, true)
        .await
        .expect("a dry-run detach");
    assert_eq!(report.lambda_config.len(), 5, "{report:?}");
    assert_same(
        &attached,
        &product.snapshot().await,
        "after a dry-run detach",
    );
    assert!(recorded(&adapters, &product.pool_id, &actas).await);
    actas_cli::pool::detach(&adapters, &product.pool_id, false)
        .await
        .expect("detach");
    assert_same(&before, &product.snapshot().await, "after detaching");
    product.delete().await;
}

#[tokio::test]
async fn a_lite_pool_is_refused_naming_the_essentials_or_plus_plan() {
    let h = Harness::new().await;
    let shape = ProductPoolShape {
        tier: "LITE",
        users: false,
        ..ProductPoolShape::default()
    };
    let (product, actas) = product_and_actas(&h, shape).await;
    let adapters = PoolAdapters::new(&h.sdk, &h.stack.table_name);
    let before = product.snapshot().await;
    assert_eq!(before["DescribeUserPool"]["UserPoolTier"], "LITE");

    let refused = attach(&adapters, &product.pool_id, &actas, false)
        .await
        .expect_err("a Lite pool");
    for words in ["Lite feature plan", "Essentials or Plus"] {
        assert!(refused.contains(words), "{words:?} in {refused}");
    }
    assert_same(&before, &product.snapshot().await, "a refused Lite pool");
    assert!(!recorded(&adapters, &product.pool_id, &actas).await);
    product.delete().await;
}

#[tokio::test]
async fn a_mapping_the_pool_cannot_serve_is_refused_naming_what_is_missing() {
    let h = Harness::new().await;
    let adapters = PoolAdapters::new(&h.sdk, &h.stack.table_name);
    let cases = [
        (
            "no Admins group",
            ProductPoolShape {
                groups: vec!["PlatformAdmins", "Support", "TeamLeads", "Beta"],
                users: false,
                ..ProductPoolShape::default()
            },
            ["RoleGroups", "\"Admins\""],
        ),
        (
            "no custom:org attribute",
            ProductPoolShape {
                custom_attributes: vec!["dept"],
                users: false,
                ..ProductPoolShape::default()
            },
            ["TenantAttribute", "\"custom:org\""],
        ),
    ];
    for (case, shape, named) in cases {
        let (product, actas) = product_and_actas(&h, shape).await;
        let before = product.snapshot().await;
        let refused = attach(&adapters, &product.pool_id, &actas, false)
            .await
            .expect_err(case);
        for words in named {
            assert!(refused.contains(words), "{case}: {words} in {refused}");
        }
        assert_same(&before, &product.snapshot().await, case);
        assert!(
            !recorded(&adapters, &product.pool_id, &actas).await,
            "{case}"
        );
        product.delete().await;
    }
}

/// An IAM user of the emulator with `policy` and an access key; its SDK configuration.
struct IamUser {
    name: String,
    key_id: String,
    sdk: aws_config::SdkConfig,
}

const IAM_USER_POLICY: &str = "pool-operator";

impl IamUser {
    async fn create(h: &Harness, policy: &Value) -> IamUser {
        let iam = aws_sdk_iam::Client::new(&h.sdk);
        let name = format!("pool-operator-{}", &uuid_like()[..8]);
        iam.create_user()
            .user_name(&name)
            .send()
            .await
            .expect("CreateUser");
        iam.put_user_policy()
            .user_name(&name)
            .policy_name(IAM_USER_POLICY)
            .policy_document(policy.to_string())
            .send()
            .await
            .expect("PutUserPolicy");
        let key = iam
            .create_access_key()
            .user_name(&name)
            .send()
            .await
            .expect("CreateAccessKey");
        let key = key.access_key().expect("an access key");
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(actas::adapters::https::https_client())
            .endpoint_url(&h.stack.endpoint)
            .region(aws_sdk_cognitoidentityprovider::config::Region::new(
                h.stack.region.clone(),
            ))
            .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
                key.access_key_id(),
                key.secret_access_key(),
                None,
                None,
                "byo-pool-test",
            ))
            .load()
            .await;
        IamUser {
            name,
            key_id: key.access_key_id().to_string(),
            sdk,
        }
    }

    async fn delete(self, h: &Harness) {
        let iam = aws_sdk_iam::Client::new(&h.sdk);
        iam.delete_access_key()
            .user_name(&self.name)
            .access_key_id(&self.key_id)
            .send()
            .await
            .expect("DeleteAccessKey");
        iam.delete_user_policy()
            .user_name(&self.name)
            .policy_name(IAM_USER_POLICY)
            .send()
            .await
            .expect("DeleteUserPolicy");
        iam.delete_user()
            .user_name(&self.name)
            .send()
            .await
            .expect("DeleteUser");
    }
}

#[tokio::test]
async fn an_attach_that_may_not_update_the_pool_fails_and_leaves_it_as_it_was() {
    let h = Harness::new().await;
    let (product, actas) = product_and_actas(&h, ProductPoolShape::default()).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&h.sdk);
    let before = product.snapshot().await;
    let members_before = pool_members(&cognito, &product.pool_id).await;
    // Everything an attach does but the one call that wires the triggers.
    let operator = IamUser::create(
        &h,
        &json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["cognito-idp:*", "dynamodb:*"], "Resource": "*"},
                {"Effect": "Deny", "Action": "cognito-idp:UpdateUserPool", "Resource": "*"},
            ],
        }),
    )
    .await;
    let (denied_sdk, recorder) = RecordingClient::around(&operator.sdk);
    let denied = PoolAdapters::new(&denied_sdk, &h.stack.table_name);
    let outcome = attach(&denied, &product.pool_id, &actas, false).await;
    operator.delete(&h).await;

    let failure = outcome.expect_err("UpdateUserPool is denied");
    assert!(failure.contains("UpdateUserPool"), "{failure}");
    let calls: Vec<String> = recorder
        .calls
        .lock()
        .expect("calls")
        .iter()
        .map(|(operation, _)| operation.clone())
        .collect();
    let position = |operation: &str| calls.iter().position(|c| c == operation);
    let order = (
        position("CreateResourceServer"),
        position("UpdateUserPool"),
        position("DeleteResourceServer"),
    );
    assert!(
        matches!(order, (Some(made), Some(update), Some(undone)) if made < update && update < undone),
        "the attach made its resource server, failed to update, and took it back: {calls:?}"
    );
    assert_same(
        &before,
        &product.snapshot().await,
        "after the failed attach",
    );
    assert_eq!(
        pool_members(&cognito, &product.pool_id).await,
        members_before,
        "what the attach made before failing (its resource server) is taken back"
    );
    let adapters = PoolAdapters::new(&h.sdk, &h.stack.table_name);
    assert!(
        !recorded(&adapters, &product.pool_id, &actas).await,
        "no attachment record is left"
    );
    product.delete().await;
}
