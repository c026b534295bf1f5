//! The integration-test harness: the deployed local stack (from `.local/stack.json`, written by
//! `scripts/up`) and the clients a test needs. Every test builds its own, so tests share no
//! connection pool across runtimes.

mod openapi;
pub mod product_pool;

use std::path::PathBuf;
use std::sync::Arc;

use actas::adapters::jwks::HttpJwksSource;
use actas::app::token_verifier::JwtVerifier;
use actas::domain::token::VerifiedToken;
pub use actas_cli::{jwt_claims, sign_in, ApiResponse, StackFile, StackUser};
pub use openapi::assert_matches_openapi;

/// Calls the deployed API and checks the response against `docs/openapi.yaml`.
pub async fn call_api(
    http: &reqwest::Client,
    stack: &StackFile,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> actas_cli::CliResult<ApiResponse> {
    let response = actas_cli::call_api(http, stack, method, path, headers, body).await?;
    assert_matches_openapi(method, path, &response);
    Ok(response)
}
use serde_json::{json, Value};

/// What the tests' HTTP client calls itself (the audit trail keeps it).
pub const USER_AGENT: &str = "actas-integration-tests";

pub struct Harness {
    pub stack: StackFile,
    pub sdk: aws_config::SdkConfig,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub http: reqwest::Client,
}

fn stack_file() -> PathBuf {
    std::env::var_os("ACTAS_STACK_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.local/stack.json"))
        })
}

impl Harness {
    pub async fn new() -> Harness {
        let stack = StackFile::load(&stack_file()).unwrap_or_else(|e| {
            panic!("the local stack is not up: {e} (run scripts/test, or scripts/up first)")
        });
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

    pub fn user(&self, username: &str) -> &StackUser {
        self.stack.user(username).expect("a demo user")
    }

    pub fn api_key(&self, tenant: &str) -> String {
        self.stack
            .api_keys
            .get(tenant)
            .cloned()
            .expect("a demo API key")
    }

    /// A new user of the pool for one test, so tests never hold each other's targets.
    /// `role` is `user`, `team-admin`, `operator`, `admin` or `super-admin`.
    /// A new user of the pool, announced as CloudTrail would announce its creation (the
    /// emulator sends no CloudTrail events): the directory knows them, as it would on AWS.
    pub async fn fresh_user(&self, role: &str, tenant: &str, team: Option<&str>) -> StackUser {
        let user = self.fresh_user_unannounced(role, tenant, team).await;
        self.announce("AdminCreateUser", &user.username).await;
        user
    }

    /// Invokes a deployed function with `payload`; it must not fail. Its answer.
    pub async fn invoke(&self, logical_id: &str, payload: &Value) -> Value {
        let lambda = aws_sdk_lambda::Client::new(&self.sdk);
        let output = lambda
            .invoke()
            .function_name(self.stack.function_name(logical_id).expect("deployed"))
            .payload(aws_sdk_lambda::primitives::Blob::new(payload.to_string()))
            .send()
            .await
            .expect("invoke");
        assert!(
            output.function_error().is_none(),
            "{logical_id} failed: {:?}",
            output.payload()
        );
        serde_json::from_slice(output.payload().expect("a payload").as_ref()).expect("JSON result")
    }

    /// The EventBridge event CloudTrail delivers for a Cognito admin call on `username`.
    pub fn cloudtrail_event(&self, call: &str, username: &str) -> Value {
        json!({
            "version": "0",
            "source": "aws.cognito-idp",
            "detail-type": "AWS API Call via CloudTrail",
            "detail": {
                "eventSource": "cognito-idp.amazonaws.com",
                "eventName": call,
                "requestParameters": {"userPoolId": self.stack.user_pool_id, "username": username},
            }
        })
    }

    /// What CloudTrail would deliver after a Cognito admin call on `username` (the emulator
    /// sends none), handed to the deployed directory events function.
    pub async fn announce(&self, call: &str, username: &str) -> Value {
        let event = self.cloudtrail_event(call, username);
        self.invoke("DirectoryEventsFunction", &event).await
    }

    /// A new user of the pool that actas has not been told about.
    pub async fn fresh_user_unannounced(
        &self,
        role: &str,
        tenant: &str,
        team: Option<&str>,
    ) -> StackUser {
        use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
        let suffix = &uuid_like()[..10];
        let username = format!("t-{role}-{suffix}");
        let email = format!("{username}@{tenant}.example");
        let attr = |n: &str, v: &str| {
            AttributeType::builder()
                .name(n)
                .value(v)
                .build()
                .expect("attribute")
        };
        let attributes = vec![
            attr("email", &email),
            attr("custom:tenant_id", tenant),
            attr("custom:team_id", team.unwrap_or("")),
            attr(
                "custom:team_role",
                if role == "team-admin" {
                    "admin"
                } else {
                    "member"
                },
            ),
        ];
        let pool = &self.stack.user_pool_id;
        self.cognito
            .admin_create_user()
            .user_pool_id(pool)
            .username(&username)
            .set_user_attributes(Some(attributes))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .expect("create user");
        let password = actas_cli::seed::DEMO_PASSWORD;
        self.cognito
            .admin_set_user_password()
            .user_pool_id(pool)
            .username(&username)
            .password(password)
            .permanent(true)
            .send()
            .await
            .expect("set password");
        if matches!(role, "operator" | "admin" | "super-admin") {
            self.cognito
                .admin_add_user_to_group()
                .user_pool_id(pool)
                .username(&username)
                .group_name(role)
                .send()
                .await
                .expect("add to group");
        }
        let user = self
            .cognito
            .admin_get_user()
            .user_pool_id(pool)
            .username(&username)
            .send()
            .await
            .expect("user");
        let sub = user
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .expect("sub");
        StackUser {
            sub: sub.to_string(),
            username,
            email,
            password: password.to_string(),
            role: role.to_string(),
            tenant: tenant.to_string(),
            team: team.map(str::to_string),
            enabled: true,
        }
    }

    /// Signs in any user (demo or fresh) and returns the id token.
    pub async fn id_token_of(&self, user: &StackUser) -> String {
        sign_in(&self.cognito, &self.stack, &user.username, &user.password)
            .await
            .expect("sign-in")
            .id_token
    }

    /// The id token of a demo user, from a real sign-in on the sign-in client.
    pub async fn id_token(&self, username: &str) -> String {
        let user = self.user(username);
        sign_in(&self.cognito, &self.stack, &user.username, &user.password)
            .await
            .expect("demo sign-in")
            .id_token
    }

    /// `POST /auth/impersonate` with a body (seed 001 dialect); `None` leaves a header out.
    pub async fn impersonate(
        &self,
        bearer: Option<&str>,
        api_key: Option<&str>,
        body: &str,
    ) -> ApiResponse {
        self.post_impersonate("/auth/impersonate", bearer, api_key, Some(body))
            .await
    }

    pub async fn post_impersonate(
        &self,
        path: &str,
        bearer: Option<&str>,
        api_key: Option<&str>,
        body: Option<&str>,
    ) -> ApiResponse {
        let authorization = bearer.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(authorization) = &authorization {
            headers.push(("authorization", authorization));
        }
        if let Some(key) = api_key {
            headers.push(("x-api-key", key));
        }
        call_api(&self.http, &self.stack, "POST", path, &headers, body)
            .await
            .expect("the API answers")
    }

    /// `caller` impersonates `target` by username with their tenant's key; must succeed.
    pub async fn impersonate_ok(&self, caller: &str, target: &str) -> Value {
        let token = self.id_token(caller).await;
        let key = self.api_key(&self.user(caller).tenant);
        let response = self
            .impersonate(
                Some(&token),
                Some(&key),
                &json!({"username": target, "reason": "integration test"}).to_string(),
            )
            .await;
        assert_eq!(
            response.status, 200,
            "{caller} -> {target}: {}",
            response.body
        );
        response.body
    }

    /// Verifies a token against the emulator's JWKS as a downstream service would.
    pub async fn verify_impersonated(&self, token: &str) -> VerifiedToken {
        let verifier = JwtVerifier::new(
            Arc::new(HttpJwksSource::new(&self.stack.jwks_url).expect("http client")),
            &self.stack.token_issuer,
            vec![self.stack.impersonation_client_id.clone()],
        )
        .expect("a verifier");
        verifier
            .verify(token)
            .await
            .expect("a token that verifies against the pool's JWKS")
    }
}

/// Asserts seed 001's error shape and the status.
pub fn assert_error(response: &ApiResponse, status: u16, context: &str) {
    assert_eq!(response.status, status, "{context}: {}", response.body);
    assert_eq!(
        response.body["status"], "error",
        "{context}: {}",
        response.body
    );
    let message = response.body["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{context}: an error message");
    assert!(
        !message.contains("Exception"),
        "{context}: no AWS error text leaks: {message}"
    );
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Sets a header in both header maps of a REST (v1) event.
pub fn set_header(event: &mut Value, name: &str, value: &str) {
    for (map, v) in [
        ("headers", json!(value)),
        ("multiValueHeaders", json!([value])),
    ] {
        let headers = event[map].as_object_mut().expect("header map");
        headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
        headers.insert(name.to_string(), v);
    }
}

/// An `events/` file.
pub fn event(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("event JSON")
}

impl Harness {
    /// Writes a pending grant for `target` straight into the table, with a secret the test
    /// knows, as the impersonate function would. Returns (grant id, secret).
    pub async fn pending_grant(&self, target: &StackUser) -> (String, String) {
        let secret = actas::domain::secrets::new_secret().expect("randomness");
        let now = now_millis() / 1000;
        let status = actas::domain::grant::ImpersonationStatus::Pending;
        let id = self
            .write_grant("acme-admin", target, status, now, &secret)
            .await;
        (id, secret)
    }

    /// An impersonation by `actor` (any user) of `target` in `status`, started at `started`
    /// (epoch milliseconds) for an hour, written straight into the table as a start writes it.
    pub async fn write_impersonation(
        &self,
        actor: &StackUser,
        target: &StackUser,
        status: actas::domain::grant::ImpersonationStatus,
        started_millis: i64,
    ) -> String {
        self.write_record(actor, target, status, started_millis, "unused")
            .await
    }

    /// An impersonation by the demo user `actor` of `target`, started at `started` (epoch
    /// seconds) for an hour, its one-time secret `mint_secret`, written straight into the table.
    async fn write_grant(
        &self,
        actor: &str,
        target: &StackUser,
        status: actas::domain::grant::ImpersonationStatus,
        started: i64,
        mint_secret: &str,
    ) -> String {
        let actor = self.user(actor).clone();
        self.write_record(&actor, target, status, started * 1000, mint_secret)
            .await
    }

    async fn write_record(
        &self,
        actor: &StackUser,
        target: &StackUser,
        status: actas::domain::grant::ImpersonationStatus,
        started_millis: i64,
        mint_secret: &str,
    ) -> String {
        use actas::domain::grant::{GrantKind, Impersonation, ImpersonationStatus};
        use actas::domain::secrets::hash_secret;
        use actas::ports::grants::ImpersonationStore;
        let store = actas::adapters::aws::dynamodb::DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&self.sdk),
            &self.stack.table_name,
        );
        let started = started_millis / 1000;
        let ended = matches!(
            status,
            ImpersonationStatus::Ended | ImpersonationStatus::Failed
        );
        let grant = Impersonation {
            id: format!("test-{}", uuid_like()),
            kind: GrantKind::Impersonation,
            actor_sub: actor.sub.clone(),
            actor_username: actor.username.clone(),
            target_sub: target.sub.clone(),
            target_username: target.username.clone(),
            tenant: Some(target.tenant.clone()),
            reason: Some("integration test".into()),
            ticket: None,
            mode: actas::domain::mode::Mode::Full,
            break_glass: false,
            client_id: self.stack.impersonation_client_id.clone(),
            status,
            created_at_millis: started_millis,
            ends_at: started + 3600,
            mint_deadline: started + 60,
            mint_secret_hash: hash_secret(mint_secret),
            revert_secret_hash: hash_secret("unused"),
            expires_at: started + 3600 + 86_400,
            refresh_token_sealed: None,
            ended_at: ended.then_some(started + 1),
            revoked_at: None,
            last_active_at: started,
            // No idle timeout (as written before them): only its hard end counts, whenever the
            // test says it started. `tests/idle.rs` makes sessions idle itself.
            idle_secs: 0,
        };
        store.create(&grant).await.expect("impersonation written");
        grant.id
    }
}

/// 32 hex characters of fresh randomness.
pub fn uuid_like() -> String {
    actas::domain::secrets::hash_secret(&actas::domain::secrets::new_secret().expect("randomness"))
        [..32]
        .to_string()
}

impl Harness {
    /// `GET` with a bearer token.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> ApiResponse {
        let authorization = bearer.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|a| ("authorization", a.as_str()))
            .collect();
        call_api(&self.http, &self.stack, "GET", path, &headers, None)
            .await
            .expect("the API answers")
    }

    /// `POST` a JSON body without credentials (the exchange and revert routes).
    pub async fn post(&self, path: &str, body: &Value) -> ApiResponse {
        call_api(
            &self.http,
            &self.stack,
            "POST",
            path,
            &[],
            Some(&body.to_string()),
        )
        .await
        .expect("the API answers")
    }

    /// Refreshes at Cognito itself (not through a payload's `endpointUrl`); returns the id token.
    pub async fn refresh_at_cognito(
        &self,
        client_id: &str,
        refresh_token: &str,
    ) -> Result<String, String> {
        use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
        let output = self
            .cognito
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(|e| {
                aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&e).to_string()
            })?;
        output
            .authentication_result()
            .and_then(|r| r.id_token())
            .map(str::to_string)
            .ok_or_else(|| "no tokens".to_string())
    }

    /// A Cognito client configured from a session payload, as a front end would be: the
    /// payload's `endpointUrl` is its endpoint.
    pub fn session_cognito(&self, payload: &Value) -> aws_sdk_cognitoidentityprovider::Client {
        let endpoint = payload["endpointUrl"].as_str().expect("endpointUrl");
        let config = aws_sdk_cognitoidentityprovider::config::Builder::from(&self.sdk)
            .endpoint_url(endpoint)
            .build();
        aws_sdk_cognitoidentityprovider::Client::from_conf(config)
    }

    /// Refreshes a session the way its payload says (`InitiateAuth` with `REFRESH_TOKEN_AUTH`
    /// at `endpointUrl`); returns the new (id token, access token).
    pub async fn refresh_session(&self, payload: &Value) -> Result<(String, String), String> {
        use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
        let output = self
            .session_cognito(payload)
            .initiate_auth()
            .client_id(payload["clientId"].as_str().expect("clientId"))
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters(
                "REFRESH_TOKEN",
                payload["session"]["refreshToken"]
                    .as_str()
                    .expect("refreshToken"),
            )
            .send()
            .await
            .map_err(|e| {
                aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&e).to_string()
            })?;
        fresh_tokens(output.authentication_result())
    }

    /// The same with `GetTokensFromRefreshToken` (what Amplify v6 calls).
    pub async fn refresh_session_with_get_tokens(
        &self,
        payload: &Value,
    ) -> Result<(String, String), String> {
        let output = self
            .session_cognito(payload)
            .get_tokens_from_refresh_token()
            .client_id(payload["clientId"].as_str().expect("clientId"))
            .refresh_token(
                payload["session"]["refreshToken"]
                    .as_str()
                    .expect("refreshToken"),
            )
            .send()
            .await
            .map_err(|e| {
                aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&e).to_string()
            })?;
        fresh_tokens(output.authentication_result())
    }

    /// A tenant's audit records, oldest first, read from the deployed table.
    pub async fn audit_records(&self, tenant: &str) -> Vec<actas::domain::audit::AuditRecord> {
        use actas::ports::audit::AuditStore;
        let store = actas::adapters::aws::dynamodb::audit::DynamoAuditStore::new(
            aws_sdk_dynamodb::Client::new(&self.sdk),
            &self.stack.audit_table_name,
        );
        store
            .audit_for_tenant(Some(tenant), 0)
            .await
            .expect("audit records")
    }

    /// The audit records that name no tenant (refusals of callers nobody knows).
    pub async fn audit_records_without_tenant(&self) -> Vec<actas::domain::audit::AuditRecord> {
        use actas::ports::audit::AuditStore;
        let store = actas::adapters::aws::dynamodb::audit::DynamoAuditStore::new(
            aws_sdk_dynamodb::Client::new(&self.sdk),
            &self.stack.audit_table_name,
        );
        let since = now_millis() - 600_000;
        store
            .audit_for_tenant(None, since)
            .await
            .expect("audit records")
    }

    /// Seed 000's revert, carrying the impersonated session as it must.
    pub async fn revert(&self, payload: &Value) -> ApiResponse {
        let body = json!({"impersonator_revert_token": payload["impersonator_revert_token"]});
        let bearer = format!(
            "Bearer {}",
            payload["session"]["accessToken"]
                .as_str()
                .expect("accessToken")
        );
        call_api(
            &self.http,
            &self.stack,
            "POST",
            "/auth/impersonate/revert",
            &[("Authorization", bearer.as_str())],
            Some(&body.to_string()),
        )
        .await
        .expect("API reachable")
    }

    /// The deployed signing keys, to make tokens that fail for exactly one reason.
    pub fn deployed_exchange_tokens(&self) -> actas::app::exchange_tokens::ExchangeTokens {
        let client = aws_sdk_secretsmanager::Client::new(&self.sdk);
        actas::app::exchange_tokens::ExchangeTokens::new(Arc::new(
            actas::adapters::aws::secrets_manager::SecretsManagerKeys::new(
                client,
                &self.stack.signing_key_secret_id,
            ),
        ))
    }
}

impl Harness {
    /// `DELETE` with a bearer token.
    pub async fn delete(&self, path: &str, bearer: &str) -> ApiResponse {
        let authorization = format!("Bearer {bearer}");
        call_api(
            &self.http,
            &self.stack,
            "DELETE",
            path,
            &[("authorization", &authorization)],
            None,
        )
        .await
        .expect("the API answers")
    }
}

impl Harness {
    /// An active impersonation of `target` whose hard end has passed, written straight into the
    /// table as if time had run on (the deployment's minimum lifetime is minutes).
    pub async fn expired_impersonation(&self, target: &StackUser) -> String {
        let started = now_millis() / 1000 - 3700;
        let status = actas::domain::grant::ImpersonationStatus::Active;
        self.write_grant("acme-super", target, status, started, "unused")
            .await
    }
}

/// A queue that receives this tenant's audit events through an EventBridge rule.
pub async fn subscribe(h: &Harness, tenant: &str) -> (aws_sdk_sqs::Client, String) {
    let sqs = aws_sdk_sqs::Client::new(&h.sdk);
    let events = aws_sdk_eventbridge::Client::new(&h.sdk);
    let queue = sqs
        .create_queue()
        .queue_name(format!("audit-{tenant}"))
        .send()
        .await
        .expect("queue");
    let url = queue.queue_url().expect("a queue url").to_string();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes");
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .expect("a queue arn")
        .clone();
    let pattern =
        serde_json::json!({"source": ["actas"], "detail": {"tenant": [tenant]}}).to_string();
    let rule = format!("actas-audit-{tenant}");
    events
        .put_rule()
        .name(&rule)
        .event_pattern(pattern)
        .send()
        .await
        .expect("rule");
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("queue")
        .arn(arn)
        .build()
        .expect("target");
    events
        .put_targets()
        .rule(&rule)
        .targets(target)
        .send()
        .await
        .expect("target");
    (sqs, url)
}

pub async fn received(sqs: &aws_sdk_sqs::Client, url: &str, want: usize) -> Vec<Value> {
    let mut bodies = Vec::new();
    for _ in 0..20 {
        let output = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        bodies.extend(
            output
                .messages()
                .iter()
                .filter_map(|m| serde_json::from_str(m.body()?).ok()),
        );
        if bodies.len() >= want {
            break;
        }
    }
    bodies
}

/// The (id token, access token) of a refresh's `AuthenticationResult`.
fn fresh_tokens(
    result: Option<&aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
) -> Result<(String, String), String> {
    let result = result.ok_or("no tokens")?;
    Ok((
        result.id_token().ok_or("no id token")?.to_string(),
        result.access_token().ok_or("no access token")?.to_string(),
    ))
}

impl Harness {
    /// Any method, an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> ApiResponse {
        let authorization = bearer.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|a| ("authorization", a.as_str()))
            .collect();
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let body = body.map(Value::to_string);
        call_api(
            &self.http,
            &self.stack,
            method,
            path,
            &headers,
            body.as_deref(),
        )
        .await
        .expect("the API answers")
    }

    /// Seed 001 as `caller` (with their tenant's key) for `target`, in `mode` (`None`: the
    /// deployment's default). The response, whatever it is.
    pub async fn start_in_mode(
        &self,
        caller: &str,
        target: &str,
        mode: Option<&str>,
    ) -> ApiResponse {
        let token = self.id_token(caller).await;
        let key = self.api_key(&self.user(caller).tenant);
        let mut body = json!({"username": target, "reason": "read-only tests"});
        if let Some(mode) = mode {
            body["mode"] = json!(mode);
        }
        self.impersonate(Some(&token), Some(&key), &body.to_string())
            .await
    }
}
