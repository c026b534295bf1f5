//! Demo data for the local stack: two tenants, one user of every role, one API key per tenant.
//! Idempotent: running it again updates the same users and keeps still-valid keys.

use std::collections::BTreeMap;
use std::path::Path;

use actas::adapters::aws::dynamodb::DynamoStore;
use actas::app::api_keys::issue_api_key;
use actas::domain::grant::ApiKeyStatus;
use actas::domain::policy::{GROUP_ADMIN, GROUP_OPERATOR, GROUP_SUPER_ADMIN};
use actas::domain::user::{ATTR_TEAM, ATTR_TEAM_ROLE, ATTR_TENANT};
use actas::ports::clock::SystemClock;
use actas::ports::grants::ApiKeyStore;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_dynamodb::types::TimeToLiveSpecification;
use serde_json::Value;

use crate::{CliResult, StackFile, StackUser};

/// Every demo user signs in with this password (local demo only).
pub const DEMO_PASSWORD: &str = "Demo-Passw0rd-2026";

struct DemoUser {
    username: &'static str,
    role: &'static str,
    tenant: &'static str,
    team: Option<&'static str>,
    enabled: bool,
}

const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        username: "acme-super",
        role: "super-admin",
        tenant: "acme",
        team: None,
        enabled: true,
    },
    DemoUser {
        username: "acme-admin",
        role: "admin",
        tenant: "acme",
        team: None,
        enabled: true,
    },
    DemoUser {
        username: "acme-operator",
        role: "operator",
        tenant: "acme",
        team: None,
        enabled: true,
    },
    DemoUser {
        username: "acme-team-admin",
        role: "team-admin",
        tenant: "acme",
        team: Some("support"),
        enabled: true,
    },
    DemoUser {
        username: "acme-support-1",
        role: "user",
        tenant: "acme",
        team: Some("support"),
        enabled: true,
    },
    DemoUser {
        username: "acme-support-2",
        role: "user",
        tenant: "acme",
        team: Some("support"),
        enabled: true,
    },
    DemoUser {
        username: "acme-sales-1",
        role: "user",
        tenant: "acme",
        team: Some("sales"),
        enabled: true,
    },
    DemoUser {
        username: "acme-disabled",
        role: "user",
        tenant: "acme",
        team: Some("support"),
        enabled: false,
    },
    DemoUser {
        username: "globex-admin",
        role: "admin",
        tenant: "globex",
        team: None,
        enabled: true,
    },
    DemoUser {
        username: "globex-user",
        role: "user",
        tenant: "globex",
        team: None,
        enabled: true,
    },
];

fn group_of(role: &str) -> Option<&'static str> {
    match role {
        "super-admin" => Some(GROUP_SUPER_ADMIN),
        "admin" => Some(GROUP_ADMIN),
        "operator" => Some(GROUP_OPERATOR),
        _ => None,
    }
}

fn attr(name: &str, value: &str) -> CliResult<AttributeType> {
    Ok(AttributeType::builder().name(name).value(value).build()?)
}

/// Reads `sam list stack-outputs --output json`.
fn outputs(path: &Path) -> CliResult<BTreeMap<String, String>> {
    let list: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    Ok(list
        .iter()
        .filter_map(|o| {
            Some((
                o["OutputKey"].as_str()?.to_string(),
                o["OutputValue"].as_str()?.to_string(),
            ))
        })
        .collect())
}

async fn ensure_user(cognito: &Cognito, pool: &str, demo: &DemoUser) -> CliResult<StackUser> {
    let email = format!("{}@{}.example", demo.username, demo.tenant);
    let mut attributes = vec![
        attr("email", &email)?,
        attr("email_verified", "true")?,
        attr(ATTR_TENANT, demo.tenant)?,
        attr(ATTR_TEAM, demo.team.unwrap_or(""))?,
        attr(
            ATTR_TEAM_ROLE,
            if demo.role == "team-admin" {
                "admin"
            } else {
                "member"
            },
        )?,
        attr("zoneinfo", "UTC")?,
    ];
    let exists = cognito
        .admin_get_user()
        .user_pool_id(pool)
        .username(demo.username)
        .send()
        .await
        .is_ok();
    if !exists {
        cognito
            .admin_create_user()
            .user_pool_id(pool)
            .username(demo.username)
            .set_user_attributes(Some(attributes.clone()))
            .message_action(MessageActionType::Suppress)
            .send()
            .await?;
    } else {
        attributes.retain(|a| a.name() != "email_verified");
        cognito
            .admin_update_user_attributes()
            .user_pool_id(pool)
            .username(demo.username)
            .set_user_attributes(Some(attributes))
            .send()
            .await?;
    }
    cognito
        .admin_set_user_password()
        .user_pool_id(pool)
        .username(demo.username)
        .password(DEMO_PASSWORD)
        .permanent(true)
        .send()
        .await?;
    if let Some(group) = group_of(demo.role) {
        cognito
            .admin_add_user_to_group()
            .user_pool_id(pool)
            .username(demo.username)
            .group_name(group)
            .send()
            .await?;
    }
    if demo.enabled {
        cognito
            .admin_enable_user()
            .user_pool_id(pool)
            .username(demo.username)
            .send()
            .await?;
    } else {
        cognito
            .admin_disable_user()
            .user_pool_id(pool)
            .username(demo.username)
            .send()
            .await?;
    }
    let user = cognito
        .admin_get_user()
        .user_pool_id(pool)
        .username(demo.username)
        .send()
        .await?;
    let sub = user
        .user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .ok_or("user without sub")?
        .to_string();
    Ok(StackUser {
        username: demo.username.to_string(),
        email,
        sub,
        password: DEMO_PASSWORD.to_string(),
        role: demo.role.to_string(),
        tenant: demo.tenant.to_string(),
        team: demo.team.map(str::to_string),
        enabled: demo.enabled,
    })
}

/// Replaces the deploy-time signing key with a key set actas generated (a CSPRNG key, in the
/// `{"keys": [...]}` shape rotation works on), unless it already is one. Returns whether it did.
pub async fn ensure_signing_keys(
    secrets: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> CliResult<bool> {
    let current = secrets
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await?;
    let text = current.secret_string().unwrap_or_default();
    let managed = serde_json::from_str::<Value>(text)
        .ok()
        .is_some_and(|v| v.get("keys").is_some());
    if managed {
        return Ok(false);
    }
    rotate_signing_keys(secrets, secret_id).await?;
    Ok(true)
}

/// Puts a new key first; the two newest previous keys keep verifying tokens in flight.
pub async fn rotate_signing_keys(
    secrets: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> CliResult<String> {
    let current = secrets
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await?;
    let rotated = actas::domain::exchange::rotate_key_set(current.secret_string(), 2)?;
    secrets
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(&rotated)
        .send()
        .await?;
    let kid = actas::domain::exchange::parse_key_set(&rotated)?
        .first()
        .map(|k| k.kid.clone())
        .unwrap_or_default();
    Ok(kid)
}

/// CloudFormation turns TTL on from the template on AWS; the emulator ignores that property.
async fn ensure_ttl(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> CliResult<()> {
    let described = dynamodb
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await?;
    let enabled = described
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|s| s.as_str() == "ENABLED");
    if !enabled {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name("expires_at")
            .enabled(true)
            .build()?;
        dynamodb
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(spec)
            .send()
            .await?;
    }
    Ok(())
}

/// actas's Cognito triggers, as the stack outputs `<name>FunctionArn`.
const TRIGGERS: [&str; 4] = [
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallenge",
    "PreTokenGeneration",
];

/// The deployed stack as clients see it (no demo users, no API keys): what a stack on a pool
/// actas did not create gets. Also turns TTL on, replaces the deploy-time signing key and
/// fills the directory from the pool (read through the mapping in the environment).
pub async fn describe_stack(
    sdk: &aws_config::SdkConfig,
    outputs_path: &Path,
    endpoint: &str,
    stack_name: &str,
) -> CliResult<StackFile> {
    let outputs = outputs(outputs_path)?;
    let output = |key: &str| -> CliResult<String> {
        outputs
            .get(key)
            .cloned()
            .ok_or_else(|| format!("stack output {key} is missing").into())
    };
    let pool = output("UserPoolId")?;
    let table = output("TableName")?;
    let audit_table = output("AuditTableName")?;
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    ensure_ttl(&dynamodb, &table).await?;
    ensure_ttl(&dynamodb, &audit_table).await?;
    ensure_signing_keys(
        &aws_sdk_secretsmanager::Client::new(sdk),
        &output("SigningKeySecretName")?,
    )
    .await?;
    Ok(StackFile {
        api_url: format!("{endpoint}/_aws/execute-api/{}/v1", output("ApiId")?),
        region: sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into()),
        endpoint: endpoint.to_string(),
        jwks_url: output("JwksUrl")?,
        token_issuer: output("TokenIssuer")?,
        sign_in_client_id: output("SignInClientId")?,
        impersonation_client_id: output("ImpersonationClientId")?,
        revert_client_id: output("RevertClientId")?,
        user_pool_id: pool,
        table_name: table,
        audit_table_name: audit_table,
        signing_key_secret_id: output("SigningKeySecretName")?,
        stack_name: stack_name.to_string(),
        api_keys: BTreeMap::new(),
        users: Vec::new(),
        functions: outputs
            .iter()
            .filter_map(|(key, value)| Some((key.strip_suffix("Name")?.to_string(), value.clone())))
            .filter(|(key, _)| key.ends_with("Function"))
            .collect(),
        trigger_function_arns: TRIGGERS
            .iter()
            .filter_map(|name| {
                Some((
                    name.to_string(),
                    outputs.get(&format!("{name}FunctionArn"))?.clone(),
                ))
            })
            .collect(),
    })
}

/// Syncs the directory profiles read: every user of the pool, as the pool has them now.
pub async fn sync_directory(sdk: &aws_config::SdkConfig, stack: &StackFile) -> CliResult<()> {
    let identity = actas::adapters::aws::cognito::CognitoIdentityProvider::new(
        aws_sdk_cognitoidentityprovider::Client::new(sdk),
        &stack.user_pool_id,
        crate::mapping_from_env()?,
    );
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &stack.table_name);
    actas::app::directory::sync_all(&identity, &store).await?;
    Ok(())
}

pub async fn seed_demo(
    sdk: &aws_config::SdkConfig,
    outputs_path: &Path,
    endpoint: &str,
    stack_name: &str,
    out: &Path,
) -> CliResult<StackFile> {
    let mut stack = describe_stack(sdk, outputs_path, endpoint, stack_name).await?;
    let cognito = Cognito::new(sdk);
    let mut users = Vec::new();
    for demo in DEMO_USERS {
        users.push(ensure_user(&cognito, &stack.user_pool_id, demo).await?);
    }

    // Keep the keys of a previous run while they are still valid, so the stack stays the same.
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &stack.table_name);
    let previous = StackFile::load(out)
        .ok()
        .map(|s| s.api_keys)
        .unwrap_or_default();
    let mut api_keys = BTreeMap::new();
    for tenant in ["acme", "globex"] {
        let reusable = match previous.get(tenant) {
            Some(key) => match key.split('.').nth(1) {
                Some(id) => store
                    .get_api_key(id)
                    .await?
                    .is_some_and(|k| k.status == ApiKeyStatus::Active && k.tenant == tenant),
                None => false,
            },
            None => false,
        };
        let key = match (reusable, previous.get(tenant)) {
            (true, Some(key)) => key.clone(),
            _ => {
                issue_api_key(&store, &SystemClock, tenant, "demo key")
                    .await?
                    .1
            }
        };
        api_keys.insert(tenant.to_string(), key);
    }
    sync_directory(sdk, &stack).await?;
    crate::ssf::ensure_demo_receiver(sdk, &stack).await?;
    stack.users = users;
    stack.api_keys = api_keys;
    std::fs::write(out, serde_json::to_string_pretty(&stack)?)?;
    Ok(stack)
}
