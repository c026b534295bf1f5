//! `actas pool attach|detach|status`: actas in a user pool it did not create. The decisions are
//! `actas::app::pool_attachment`'s; this reads the options (flags, then `ACTAS_*` variables,
//! then the stack file), builds the adapters and prints what changed.
//!
//!   actas pool attach [--user-pool-id ID] [--dry-run] [--create-groups] [--resource-server ID]
//!                     [--role-groups G] [--tenant-attribute A] ... [--stack-file PATH] [--json]
//!   actas pool detach [--user-pool-id ID] [--dry-run] [--stack-file PATH] [--json]
//!   actas pool status [--user-pool-id ID] [--resource-server ID] [mapping flags] [--json]

use std::path::PathBuf;

use actas::adapters::aws::dynamodb::DynamoStore;
use actas::adapters::aws::user_pool::CognitoUserPoolAdmin;
use actas::app::pool_attachment::{
    self, AttachReport, AttachRequest, DetachReport, PoolPorts, PoolStatus,
};
use actas::domain::identity_mapping::{IdentityMapping, MappingSettings};
use actas::domain::pool_attachment::{ActasTriggers, ChainedTriggers, SlotChange};
use actas::ports::clock::{Clock, SystemClock};

use crate::{CliResult, StackFile};

pub const USAGE: &str = "usage:
  actas pool attach [--user-pool-id ID] [--dry-run] [--create-groups] [--resource-server ID] [mapping] [--stack-file PATH] [--json]
  actas pool detach [--user-pool-id ID] [--dry-run] [--stack-file PATH] [--json]
  actas pool status [--user-pool-id ID] [--resource-server ID] [mapping] [--stack-file PATH] [--json]
mapping (flags, else the ACTAS_* variable of the same name; unset: actas's own names, empty: none):
  --role-groups (ACTAS_ROLE_GROUPS)  --role-attribute  --role-attribute-values  --tenant-attribute
  --single-tenant-id  --team-attribute  --team-role-attribute  --team-admin-value  --protected-attribute
actas's functions: --define-auth-challenge-arn --create-auth-challenge-arn --verify-auth-challenge-arn
  --pre-token-generation-arn, else the stack file's triggerFunctionArns";

/// The mapping's parameters: flag, variable.
const MAPPING_OPTIONS: [(&str, &str); 9] = [
    ("--role-groups", "ACTAS_ROLE_GROUPS"),
    ("--role-attribute", "ACTAS_ROLE_ATTRIBUTE"),
    ("--role-attribute-values", "ACTAS_ROLE_ATTRIBUTE_VALUES"),
    ("--tenant-attribute", "ACTAS_TENANT_ATTRIBUTE"),
    ("--single-tenant-id", "ACTAS_SINGLE_TENANT_ID"),
    ("--team-attribute", "ACTAS_TEAM_ATTRIBUTE"),
    ("--team-role-attribute", "ACTAS_TEAM_ROLE_ATTRIBUTE"),
    ("--team-admin-value", "ACTAS_TEAM_ADMIN_VALUE"),
    ("--protected-attribute", "ACTAS_PROTECTED_ATTRIBUTE"),
];

/// The command line as the pool commands read it.
pub struct PoolArgs<'a> {
    /// A flag's value (`--name value`).
    pub flag: &'a dyn Fn(&str) -> Option<String>,
    /// Whether a switch (`--dry-run`) is there.
    pub switch: &'a dyn Fn(&str) -> bool,
}

impl PoolArgs<'_> {
    fn stack_path(&self) -> PathBuf {
        PathBuf::from(
            (self.flag)("--stack-file")
                .or_else(|| (self.flag)("--stack"))
                .unwrap_or_else(|| ".local/stack.json".into()),
        )
    }

    /// The identity mapping: each parameter from its flag, else its `ACTAS_*` variable.
    pub fn mapping(&self) -> CliResult<IdentityMapping> {
        // A flag followed by another flag was given no value (`""` is how to say "none").
        if let Some((flag, _)) = MAPPING_OPTIONS
            .iter()
            .find(|(flag, _)| (self.flag)(flag).is_some_and(|v| v.starts_with("--")))
        {
            return Err(format!("{flag} needs a value (\"\" for none)").into());
        }
        let [role_groups, role_attribute, role_attribute_values, tenant_attribute, single_tenant, team_attribute, team_role_attribute, team_admin_value, protected_attribute] =
            MAPPING_OPTIONS.map(|(flag, variable)| {
                (self.flag)(flag)
                    .or_else(|| std::env::var(variable).ok())
                    .map(|v| v.trim().to_string())
            });
        IdentityMapping::parse(&MappingSettings {
            role_groups,
            role_attribute,
            role_attribute_values,
            tenant_attribute,
            single_tenant,
            team_attribute,
            team_role_attribute,
            team_admin_value,
            protected_attribute,
        })
        .map_err(|problems| format!("identity mapping: {}", problems.join("; ")).into())
    }
}

/// actas's four functions: flags, else the stack file's `triggerFunctionArns`.
pub fn actas_triggers(
    flag: &dyn Fn(&str) -> Option<String>,
    stack: Option<&StackFile>,
) -> CliResult<ActasTriggers> {
    let from_stack = |keys: &[&str]| {
        stack.and_then(|s| {
            keys.iter()
                .find_map(|key| s.trigger_function_arns.get(*key).cloned())
        })
    };
    let pick = |flag_name: &str, keys: &[&str]| -> CliResult<String> {
        flag(flag_name)
            .or_else(|| from_stack(keys))
            .filter(|arn| !arn.trim().is_empty())
            .ok_or_else(|| {
                format!(
                    "{flag_name} is required (or the stack file's triggerFunctionArns.{})",
                    keys[0]
                )
                .into()
            })
    };
    Ok(ActasTriggers {
        define_auth_challenge: pick("--define-auth-challenge-arn", &["DefineAuthChallenge"])?,
        create_auth_challenge: pick("--create-auth-challenge-arn", &["CreateAuthChallenge"])?,
        verify_auth_challenge_response: pick(
            "--verify-auth-challenge-arn",
            &["VerifyAuthChallenge", "VerifyAuthChallengeResponse"],
        )?,
        pre_token_generation: pick("--pre-token-generation-arn", &["PreTokenGeneration"])?,
    })
}

/// The adapters the commands use: Cognito for the pool, actas's table for the record.
pub struct PoolAdapters {
    pub pools: CognitoUserPoolAdmin,
    pub attachments: DynamoStore,
}

impl PoolAdapters {
    pub fn new(sdk: &aws_config::SdkConfig, table_name: &str) -> PoolAdapters {
        PoolAdapters {
            pools: CognitoUserPoolAdmin::new(aws_sdk_cognitoidentityprovider::Client::new(sdk)),
            attachments: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table_name),
        }
    }

    pub fn ports(&self) -> PoolPorts<'_> {
        PoolPorts {
            pools: &self.pools,
            attachments: &self.attachments,
        }
    }
}

pub async fn attach(adapters: &PoolAdapters, request: AttachRequest) -> CliResult<AttachReport> {
    Ok(pool_attachment::attach(adapters.ports(), request).await?)
}

pub async fn detach(
    adapters: &PoolAdapters,
    user_pool_id: &str,
    dry_run: bool,
) -> CliResult<DetachReport> {
    Ok(pool_attachment::detach(adapters.ports(), user_pool_id, dry_run).await?)
}

pub async fn status(
    adapters: &PoolAdapters,
    user_pool_id: &str,
    actas: &ActasTriggers,
    mapping: &IdentityMapping,
    resource_server: &str,
) -> CliResult<PoolStatus> {
    Ok(pool_attachment::status(
        adapters.ports(),
        user_pool_id,
        actas,
        mapping,
        resource_server,
    )
    .await?)
}

/// Runs `actas pool <action>` and prints the outcome.
pub async fn run(action: &str, args: &PoolArgs<'_>) -> CliResult<()> {
    let stack = StackFile::load(&args.stack_path()).ok();
    let user_pool_id = (args.flag)("--user-pool-id")
        .or_else(|| std::env::var("ACTAS_USER_POOL_ID").ok())
        .or_else(|| stack.as_ref().map(|s| s.user_pool_id.clone()))
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| format!("--user-pool-id is required (or a stack file)\n{USAGE}"))?;
    let table_name = (args.flag)("--table")
        .or_else(|| std::env::var("TABLE_NAME").ok())
        .or_else(|| stack.as_ref().map(|s| s.table_name.clone()))
        .ok_or_else(|| format!("--table is required (or a stack file)\n{USAGE}"))?;
    let resource_server = (args.flag)("--resource-server").unwrap_or_else(|| "actas".into());
    let dry_run = (args.switch)("--dry-run");
    let json = (args.switch)("--json");
    let sdk = sdk_config(stack.as_ref()).await;
    let adapters = PoolAdapters::new(&sdk, &table_name);
    let text = match action {
        "attach" => {
            let report = attach(
                &adapters,
                AttachRequest {
                    user_pool_id,
                    actas: actas_triggers(args.flag, stack.as_ref())?,
                    mapping: args.mapping()?,
                    resource_server_identifier: resource_server,
                    create_groups: (args.switch)("--create-groups"),
                    dry_run,
                    now: SystemClock.now_secs(),
                },
            )
            .await?;
            if json {
                serde_json::to_string_pretty(&report)?
            } else {
                describe_attach(&report)
            }
        }
        "detach" => {
            let report = detach(&adapters, &user_pool_id, dry_run).await?;
            if json {
                serde_json::to_string_pretty(&report)?
            } else {
                describe_detach(&report)
            }
        }
        "status" => {
            let actas = actas_triggers(args.flag, stack.as_ref())?;
            let report = status(
                &adapters,
                &user_pool_id,
                &actas,
                &args.mapping()?,
                &resource_server,
            )
            .await?;
            if json {
                serde_json::to_string_pretty(&report)?
            } else {
                describe_status(&report)
            }
        }
        _ => return Err(USAGE.into()),
    };
    println!("{text}");
    Ok(())
}

/// AWS configuration from the environment, like any AWS tool; without a region set, the local
/// stack's (as the other commands do).
async fn sdk_config(stack: Option<&StackFile>) -> aws_config::SdkConfig {
    let configured = std::env::var_os("AWS_REGION").is_some()
        || std::env::var_os("AWS_DEFAULT_REGION").is_some();
    match stack {
        Some(stack) if !configured => stack.sdk_config().await,
        _ => {
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .http_client(actas::adapters::https::https_client())
                .load()
                .await
        }
    }
}

fn slot_lines(changes: &[SlotChange]) -> Vec<String> {
    let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".into());
    changes
        .iter()
        .map(|c| format!("  {}: {} -> {}", c.slot, show(&c.before), show(&c.after)))
        .collect()
}

fn chained_lines(chained: &ChainedTriggers) -> Vec<String> {
    let mut lines = Vec::new();
    for (slot, arn) in [
        ("DefineAuthChallenge", &chained.define_auth_challenge),
        ("CreateAuthChallenge", &chained.create_auth_challenge),
        (
            "VerifyAuthChallengeResponse",
            &chained.verify_auth_challenge_response,
        ),
    ] {
        if let Some(arn) = arn {
            lines.push(format!("  {slot}: {arn}"));
        }
    }
    if let Some(pre_token) = &chained.pre_token_generation {
        lines.push(format!(
            "  PreTokenGeneration: {} ({})",
            pre_token.lambda_arn, pre_token.lambda_version
        ));
    }
    if lines.is_empty() {
        lines.push("  (none: those slots were empty)".into());
    }
    lines
}

/// What `attach` did, or would do.
pub fn describe_attach(report: &AttachReport) -> String {
    let pool = &report.user_pool_id;
    if report.unchanged {
        return format!("actas is attached to {pool} already; nothing changed.");
    }
    let mut lines = vec![if report.dry_run {
        format!("Attaching actas to {pool} would change (dry run, nothing written):")
    } else {
        format!("Attached actas to {pool}:")
    }];
    if report.lambda_config.is_empty() {
        lines.push("  LambdaConfig: no change".into());
    } else {
        lines.push("LambdaConfig:".into());
        lines.extend(slot_lines(&report.lambda_config));
    }
    lines.push("actas passes events on to the pool's own functions:".into());
    lines.extend(chained_lines(&report.chained));
    let created = if report.dry_run {
        "would be created"
    } else {
        "created"
    };
    for group in &report.created_groups {
        lines.push(format!("Group {group}: {created}"));
    }
    if let Some(server) = &report.created_resource_server {
        lines.push(format!(
            "Resource server {server}: {created} (scopes {server}/read, {server}/write)"
        ));
    }
    lines.push("Every other setting of the pool, and its app clients, is as it was.".into());
    lines.join("\n")
}

/// What `detach` did, or would do.
pub fn describe_detach(report: &DetachReport) -> String {
    let pool = &report.user_pool_id;
    if !report.attached {
        return format!("actas is not attached to {pool} (no record); nothing changed.");
    }
    if !report.pool_exists {
        return format!("User pool {pool} no longer exists; actas's record of it is removed.");
    }
    let mut lines = vec![if report.dry_run {
        format!("Detaching actas from {pool} would change (dry run, nothing written):")
    } else {
        format!("Detached actas from {pool}:")
    }];
    if report.lambda_config.is_empty() {
        lines.push("  LambdaConfig: no change".into());
    } else {
        lines.push("LambdaConfig:".into());
        lines.extend(slot_lines(&report.lambda_config));
    }
    let (deleted, kept) = if report.dry_run {
        ("would be deleted", "would be kept")
    } else {
        ("deleted", "kept")
    };
    if let Some(server) = &report.deleted_resource_server {
        lines.push(format!("Resource server {server}: {deleted}"));
    }
    for group in &report.deleted_groups {
        lines.push(format!("Group {group}: {deleted} (nobody in it)"));
    }
    for group in &report.kept_groups {
        lines.push(format!("Group {group}: {kept} (people are in it)"));
    }
    lines.join("\n")
}

/// How the pool stands, and what it still needs.
pub fn describe_status(status: &PoolStatus) -> String {
    let pool = &status.user_pool_id;
    if !status.exists {
        return format!(
            "User pool {pool} does not exist (or this role may not describe it).{}",
            if status.recorded {
                " actas still has a record of it: `actas pool detach` removes it."
            } else {
                ""
            }
        );
    }
    let mut lines = vec![format!(
        "User pool {pool}: feature plan {}",
        status.tier.as_deref().unwrap_or("(not reported)")
    )];
    lines.push(match status.attached_at {
        Some(at) => format!("actas attached (recorded at {at})"),
        None => "actas not attached (no record)".into(),
    });
    lines.push("actas's slots:".into());
    for slot in &status.slots {
        lines.push(format!(
            "  {}: {}",
            slot.slot,
            if slot.wired { "actas" } else { "not actas" }
        ));
    }
    lines.push(if status.recorded {
        "actas passes events on to:".into()
    } else {
        "Attaching would pass events on to:".into()
    });
    lines.extend(chained_lines(&status.chained));
    lines.push(match &status.resource_server {
        Some(server) => format!(
            "Resource server {}: present (scopes {})",
            server.identifier,
            server.scopes.join(", ")
        ),
        None => "Resource server: missing (attach creates it)".into(),
    });
    let mut needs = Vec::new();
    if !status.tier_supported {
        needs.push(
            "the Essentials or Plus feature plan (pre-token generation V2): the Cognito console's \
             Settings, Feature plan"
                .to_string(),
        );
    }
    needs.extend(status.mapping_problems.iter().cloned());
    if status
        .mapping_problems
        .iter()
        .any(|p| p.starts_with("RoleGroups"))
    {
        needs.push("(attach --create-groups creates missing groups)".into());
    }
    if needs.is_empty() {
        lines.push("Mapping: every attribute and group it names is in the pool.".into());
    } else {
        lines.push("The pool needs:".into());
        lines.extend(needs.into_iter().map(|n| format!("  {n}")));
    }
    lines.push(
        "App clients: actas signs impersonated sessions in through its own clients in this pool \
         (ALLOW_CUSTOM_AUTH, made by actas's stack); the product's clients do not change."
            .into(),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn flags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_mapping_comes_from_flags_and_an_empty_flag_means_none() {
        let given = flags(&[
            ("--role-groups", "admin=Admins"),
            ("--tenant-attribute", "custom:org"),
            ("--team-attribute", ""),
            ("--team-role-attribute", ""),
            ("--protected-attribute", ""),
        ]);
        let flag = |name: &str| given.get(name).cloned();
        let switch = |_: &str| false;
        let mapping = PoolArgs {
            flag: &flag,
            switch: &switch,
        }
        .mapping()
        .expect("valid");
        assert_eq!(mapping.group_names(), ["Admins"]);
        assert_eq!(
            mapping.attribute_names(),
            vec![("TenantAttribute", "custom:org")]
        );
    }

    #[test]
    fn actas_functions_come_from_flags_or_the_stack_file() {
        let given = flags(&[("--pre-token-generation-arn", "arn:flag-pre-token")]);
        let flag = |name: &str| given.get(name).cloned();
        let err = actas_triggers(&flag, None).expect_err("no stack file");
        assert!(err.to_string().contains("--define-auth-challenge-arn"));
        let stack: StackFile = serde_json::from_value(serde_json::json!({
            "apiUrl": "", "region": "us-east-1", "endpoint": "", "userPoolId": "p",
            "jwksUrl": "", "tokenIssuer": "", "signInClientId": "", "impersonationClientId": "",
            "revertClientId": "", "tableName": "t", "auditTableName": "a",
            "signingKeySecretId": "", "stackName": "actas", "apiKeys": {}, "users": [],
            "functions": {},
            "triggerFunctionArns": {
                "DefineAuthChallenge": "arn:define", "CreateAuthChallenge": "arn:create",
                "VerifyAuthChallenge": "arn:verify", "PreTokenGeneration": "arn:pre-token"
            }
        }))
        .expect("a stack file");
        let actas = actas_triggers(&flag, Some(&stack)).expect("all four");
        assert_eq!(actas.verify_auth_challenge_response, "arn:verify");
        assert_eq!(actas.pre_token_generation, "arn:flag-pre-token");
    }

    #[test]
    fn a_dry_run_prints_each_slot_before_and_after_and_what_would_be_created() {
        let report = AttachReport {
            user_pool_id: "us-east-1_p".into(),
            user_pool_arn: None,
            dry_run: true,
            unchanged: false,
            lambda_config: vec![SlotChange {
                slot: "DefineAuthChallenge".into(),
                before: Some("arn:product-define".into()),
                after: Some("arn:actas-define".into()),
            }],
            chained: ChainedTriggers {
                define_auth_challenge: Some("arn:product-define".into()),
                ..ChainedTriggers::default()
            },
            created_groups: vec!["TeamLeads".into()],
            created_resource_server: Some("actas".into()),
        };
        let text = describe_attach(&report);
        for expected in [
            "would change (dry run, nothing written)",
            "DefineAuthChallenge: arn:product-define -> arn:actas-define",
            "Group TeamLeads: would be created",
            "Resource server actas: would be created",
        ] {
            assert!(text.contains(expected), "{text}");
        }
    }
}
