//! The local stack as clients see it: `.local/stack.json`, signing in, and calling the API.
//! Used by the `actas` CLI and by the integration tests.

pub mod doctor;
pub mod events;
pub mod pool;
pub mod seed;
pub mod settings;
pub mod ssf;

use std::path::Path;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub type CliResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// `.local/stack.json`: everything a client or a test needs to reach the deployed stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackFile {
    pub api_url: String,
    pub region: String,
    pub endpoint: String,
    pub user_pool_id: String,
    pub jwks_url: String,
    pub token_issuer: String,
    pub sign_in_client_id: String,
    pub impersonation_client_id: String,
    pub revert_client_id: String,
    pub table_name: String,
    /// The audit trail's own table.
    pub audit_table_name: String,
    pub signing_key_secret_id: String,
    pub stack_name: String,
    pub api_keys: std::collections::BTreeMap<String, String>,
    pub users: Vec<StackUser>,
    /// Deployed function names by template logical id (e.g. `ImpersonateFunction`).
    pub functions: std::collections::BTreeMap<String, String>,
    /// actas's four Cognito triggers' ARNs (`DefineAuthChallenge`, `CreateAuthChallenge`,
    /// `VerifyAuthChallenge`, `PreTokenGeneration`), for `actas pool attach|status`.
    #[serde(default)]
    pub trigger_function_arns: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StackUser {
    pub username: String,
    pub email: String,
    pub sub: String,
    pub password: String,
    pub role: String,
    pub tenant: String,
    pub team: Option<String>,
    pub enabled: bool,
}

/// The identity mapping from the environment, named like the template parameters
/// (`ACTAS_ROLE_GROUPS`, `ACTAS_TENANT_ATTRIBUTE`, ...): unset is the default, set to empty is
/// "none". A bad mapping is an error naming every problem.
pub fn mapping_from_env() -> CliResult<actas::domain::identity_mapping::IdentityMapping> {
    use actas::domain::identity_mapping::{IdentityMapping, MappingSettings};
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string());
    let settings = MappingSettings {
        role_groups: var("ACTAS_ROLE_GROUPS"),
        role_attribute: var("ACTAS_ROLE_ATTRIBUTE"),
        role_attribute_values: var("ACTAS_ROLE_ATTRIBUTE_VALUES"),
        tenant_attribute: var("ACTAS_TENANT_ATTRIBUTE"),
        single_tenant: var("ACTAS_SINGLE_TENANT_ID"),
        team_attribute: var("ACTAS_TEAM_ATTRIBUTE"),
        team_role_attribute: var("ACTAS_TEAM_ROLE_ATTRIBUTE"),
        team_admin_value: var("ACTAS_TEAM_ADMIN_VALUE"),
        protected_attribute: var("ACTAS_PROTECTED_ATTRIBUTE"),
    };
    IdentityMapping::parse(&settings)
        .map_err(|problems| format!("identity mapping: {}", problems.join("; ")).into())
}

impl StackFile {
    pub fn load(path: &Path) -> CliResult<StackFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {} ({e}); run scripts/up first", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }

    pub fn user(&self, username: &str) -> CliResult<&StackUser> {
        self.users
            .iter()
            .find(|u| u.username == username)
            .ok_or_else(|| format!("no demo user {username} in stack.json").into())
    }

    pub fn function_name(&self, logical_id: &str) -> CliResult<&str> {
        self.functions
            .get(logical_id)
            .map(String::as_str)
            .ok_or_else(|| format!("no deployed function {logical_id} in stack.json").into())
    }

    /// An SDK configuration pointing at the stack's endpoint with the emulator's credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(actas::adapters::https::https_client())
            .endpoint_url(&self.endpoint)
            .region(Region::new(self.region.clone()))
            .credentials_provider(Credentials::new("test", "test", None, None, "actas-local"))
            .load()
            .await
    }
}

/// Tokens from a Cognito sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// Signs in on the sign-in client with a password, as a user of the product would.
pub async fn sign_in(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    stack: &StackFile,
    username: &str,
    password: &str,
) -> CliResult<SignedIn> {
    let output = cognito
        .initiate_auth()
        .client_id(&stack.sign_in_client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .map_err(|e| {
            format!(
                "sign-in as {username} failed: {}",
                aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&e)
            )
        })?;
    let result = output
        .authentication_result()
        .ok_or("sign-in returned no tokens")?;
    Ok(SignedIn {
        id_token: result.id_token().ok_or("no id token")?.to_string(),
        access_token: result.access_token().ok_or("no access token")?.to_string(),
        refresh_token: result.refresh_token().map(str::to_string),
    })
}

/// The claims of a JWT, without verifying it (for display and assertions after verification).
pub fn jwt_claims(token: &str) -> CliResult<Value> {
    let payload = token.split('.').nth(1).ok_or("not a JWT")?;
    Ok(serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(payload.trim_end_matches('='))?,
    )?)
}

/// A response from the API: status and JSON body.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
}

/// Calls the deployed API. `path` starts with `/`; headers are (name, value) pairs.
pub async fn call_api(
    http: &reqwest::Client,
    stack: &StackFile,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> CliResult<ApiResponse> {
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    let mut request = http.request(method, format!("{}{}", stack.api_url, path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(ApiResponse { status, body })
}
