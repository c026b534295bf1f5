//! `actas doctor`: checks a deployment and says, per check, that it is fine or what is wrong and
//! how to fix it.
//!
//!   actas doctor [--stack-file .local/stack.json] [--json]
//!
//! Every check is a plain async function over a [`Deployment`] returning [`Finding`]s; the
//! deployed settings are read from the functions themselves (their environment, event source
//! mappings and schedules), so the doctor judges what runs, not what a template says.

use std::collections::BTreeMap;
use std::path::Path;

use actas::domain::identity_mapping::{IdentityMapping, MappingSettings};
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, TimeUnitsType, TokenValidityUnitsType, UserPoolClientType,
};
use aws_sdk_lambda::error::DisplayErrorContext;
use serde::Serialize;
use serde_json::Value;

use crate::pool::{actas_triggers, PoolAdapters};
use crate::{CliResult, StackFile};

/// A signing key older than this is worth rotating (`actas signing-key rotate`).
pub const SIGNING_KEY_MAX_AGE_DAYS: i64 = 90;

/// The only flows actas's own clients may allow: custom auth (a grant's secret), and refresh.
const ACTAS_CLIENT_FLOWS: [&str; 2] = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];

/// The template's alarms that are not per function (`<Function>ErrorsAlarm` and
/// `<Function>ThrottlesAlarm` exist for every function of the stack).
const STACK_ALARMS: [&str; 10] = [
    "ApiServerErrorsAlarm",
    "FailedEventsAlarm",
    "PendingRevokesAlarm",
    "BreakGlassAlarm",
    "PublishEventsFunctionIteratorAgeAlarm",
    "NoticesFunctionIteratorAgeAlarm",
    "DefineAuthChallengeFunctionDurationAlarm",
    "CreateAuthChallengeFunctionDurationAlarm",
    "VerifyAuthChallengeFunctionDurationAlarm",
    "PreTokenGenerationFunctionDurationAlarm",
];

/// The audit stream's consumers: each must be enabled and send what it cannot handle to the
/// failed-events queue.
pub const STREAM_CONSUMERS: [&str; 2] = ["PublishEventsFunction", "NoticesFunction"];

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub name: String,
    pub ok: bool,
    /// Not ok, yet not failing the run: worth doing something about (an old signing key,
    /// alarms that notify nobody, a sender SES does not report verified).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    pub fn ok(name: &str, detail: impl Into<String>) -> Finding {
        Finding {
            name: name.to_string(),
            ok: true,
            warning: false,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            name: name.to_string(),
            ok: false,
            warning: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn warn(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            warning: true,
            ..Finding::fail(name, detail, fix)
        }
    }

    /// A check that could not be made: a failure (nothing is known to be fine).
    fn unchecked(name: &str, what: &str, error: impl std::fmt::Display) -> Finding {
        Finding::fail(
            name,
            format!("could not {what}: {error}"),
            "run the doctor with credentials that may read the deployment (the error names the \
             call), or check that the stack is deployed",
        )
    }

    /// Fails the run.
    pub fn failed(&self) -> bool {
        !self.ok && !self.warning
    }
}

/// Every finding of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub stack: String,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Nothing failed (warnings allowed).
    pub fn healthy(&self) -> bool {
        !self.findings.iter().any(Finding::failed)
    }

    /// 0 when healthy, 1 when anything failed.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.healthy())
    }

    pub fn finding(&self, name: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.name == name)
    }
}

/// The check names, as printed and as tests find them.
pub mod check {
    pub const POOL_TIER: &str = "pool tier";
    pub const TRIGGERS: &str = "triggers";
    pub const IDENTITY_MAPPING: &str = "identity mapping";
    pub const DIRECTORY_UPDATES: &str = "directory updates";
    pub const IMPERSONATION_CLIENT: &str = "impersonation client";
    pub const REVERT_CLIENT: &str = "revert client";
    pub const RESOURCE_SERVER: &str = "resource server";
    pub const NOTICE_SENDER: &str = "notice sender";
    pub const REFRESH_TOKEN_KEY: &str = "refresh-token key";
    pub const SIGNING_KEY_AGE: &str = "signing key age";
    pub const ALARMS: &str = "alarms";
    pub const ALARM_STATES: &str = "alarm states";
    pub const ALARM_NOTIFICATIONS: &str = "alarm notifications";
    pub const CLEANUP_SCHEDULE: &str = "cleanup schedule";
    pub const STREAM_CONSUMERS: &str = "stream consumers";
    pub const FAILED_EVENTS: &str = "failed events";
}

/// What the checks read: the stack file, the clients, and the deployed settings (the
/// impersonate function's environment, which every function shares).
pub struct Deployment {
    pub stack: StackFile,
    pub stack_file: String,
    sdk: aws_config::SdkConfig,
    pub settings: BTreeMap<String, String>,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    lambda: aws_sdk_lambda::Client,
    events: aws_sdk_eventbridge::Client,
}

impl Deployment {
    pub async fn load(
        stack: StackFile,
        stack_file: &str,
        sdk: &aws_config::SdkConfig,
    ) -> CliResult<Deployment> {
        let lambda = aws_sdk_lambda::Client::new(sdk);
        let settings = function_environment(&lambda, &stack, "ImpersonateFunction")
            .await
            .map_err(|e| format!("the deployment's settings: {e}"))?;
        Ok(Deployment {
            stack_file: stack_file.to_string(),
            sdk: sdk.clone(),
            settings,
            cognito: aws_sdk_cognitoidentityprovider::Client::new(sdk),
            lambda,
            events: aws_sdk_eventbridge::Client::new(sdk),
            stack,
        })
    }

    fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn function(&self, logical_id: &str) -> CliResult<&str> {
        self.stack.function_name(logical_id)
    }

    /// The identity mapping the functions run with (their `ROLE_GROUPS`, ... variables).
    pub fn mapping(&self) -> CliResult<IdentityMapping> {
        let var = |name: &str| self.settings.get(name).map(|v| v.trim().to_string());
        IdentityMapping::parse(&MappingSettings {
            role_groups: var("ROLE_GROUPS"),
            role_attribute: var("ROLE_ATTRIBUTE"),
            role_attribute_values: var("ROLE_ATTRIBUTE_VALUES"),
            tenant_attribute: var("TENANT_ATTRIBUTE"),
            single_tenant: var("SINGLE_TENANT_ID"),
            team_attribute: var("TEAM_ATTRIBUTE"),
            team_role_attribute: var("TEAM_ROLE_ATTRIBUTE"),
            team_admin_value: var("TEAM_ADMIN_VALUE"),
            protected_attribute: var("PROTECTED_ATTRIBUTE"),
        })
        .map_err(|problems| format!("identity mapping: {}", problems.join("; ")).into())
    }

    /// The resource server the scopes belong to (`READ_SCOPE` is `<identifier>/read`).
    pub fn resource_server_identifier(&self) -> String {
        self.setting("READ_SCOPE")
            .and_then(|scope| scope.strip_suffix("/read"))
            .unwrap_or("actas")
            .to_string()
    }
}

/// AWS configuration from the environment, like any AWS tool; without a region set, the local
/// stack's (as the other commands do).
pub async fn sdk_config(stack: &StackFile) -> aws_config::SdkConfig {
    let configured = std::env::var_os("AWS_REGION").is_some()
        || std::env::var_os("AWS_DEFAULT_REGION").is_some();
    if configured {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(actas::adapters::https::https_client())
            .load()
            .await
    } else {
        stack.sdk_config().await
    }
}

/// A deployed function's environment variables.
async fn function_environment(
    lambda: &aws_sdk_lambda::Client,
    stack: &StackFile,
    logical_id: &str,
) -> CliResult<BTreeMap<String, String>> {
    let config = lambda
        .get_function_configuration()
        .function_name(stack.function_name(logical_id)?)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetFunctionConfiguration {logical_id}: {}",
                DisplayErrorContext(&e)
            )
        })?;
    Ok(config
        .environment()
        .and_then(|e| e.variables())
        .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// A deployed function's ARN.
async fn function_arn(d: &Deployment, logical_id: &str) -> CliResult<String> {
    let config = d
        .lambda
        .get_function_configuration()
        .function_name(d.function(logical_id)?)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetFunctionConfiguration {logical_id}: {}",
                DisplayErrorContext(&e)
            )
        })?;
    Ok(config
        .function_arn()
        .ok_or_else(|| format!("{logical_id} has no ARN"))?
        .to_string())
}

/// Runs every check (concurrently: they only read).
pub async fn examine(d: &Deployment) -> Report {
    let (pool, directory, impersonation, revert, sender, key, signing, alarms, cleanup, streams) = tokio::join!(
        pool_checks(d),
        directory_updates(d),
        impersonation_client(d),
        revert_client(d),
        notice_sender(d),
        refresh_token_key(d),
        signing_key_age(d),
        alarm_checks(d),
        cleanup_schedule(d),
        stream_checks(d),
    );
    let mut findings = pool;
    findings.extend([directory, impersonation, revert, sender, key, signing]);
    findings.extend(alarms);
    findings.push(cleanup);
    findings.extend(streams);
    Report {
        stack: d.stack.stack_name.clone(),
        findings,
    }
}

/// `actas doctor`: the stack file's deployment, examined.
pub async fn run(stack_file: &Path) -> CliResult<Report> {
    let stack = StackFile::load(stack_file)?;
    let sdk = sdk_config(&stack).await;
    let deployment = Deployment::load(stack, &stack_file.display().to_string(), &sdk).await?;
    Ok(examine(&deployment).await)
}

// ------------------------------------------------------------------ the pool

/// Tier, triggers, mapping and resource server, from `actas pool status`'s library.
pub async fn pool_checks(d: &Deployment) -> Vec<Finding> {
    let names = [
        check::POOL_TIER,
        check::TRIGGERS,
        check::IDENTITY_MAPPING,
        check::RESOURCE_SERVER,
    ];
    let unchecked = |what: &str, e: &dyn std::fmt::Display| {
        names
            .iter()
            .map(|name| Finding::unchecked(name, what, e))
            .collect::<Vec<_>>()
    };
    let flag = |_: &str| None;
    let actas = match actas_triggers(&flag, Some(&d.stack)) {
        Ok(actas) => actas,
        Err(e) => return unchecked("tell actas's trigger functions", &e),
    };
    let mapping = match d.mapping() {
        Ok(mapping) => mapping,
        Err(e) => return unchecked("read the deployed identity mapping", &e),
    };
    let identifier = d.resource_server_identifier();
    let adapters = PoolAdapters::new(&d.sdk, &d.stack.table_name);
    let status = match crate::pool::status(
        &adapters,
        &d.stack.user_pool_id,
        &actas,
        &mapping,
        &identifier,
    )
    .await
    {
        Ok(status) => status,
        Err(e) => return unchecked("read the user pool", &e),
    };
    let pool = &status.user_pool_id;
    if !status.exists {
        return names
            .iter()
            .map(|name| {
                Finding::fail(
                    name,
                    format!("user pool {pool} does not exist (or may not be described)"),
                    "check USER_POOL_ID of the deployment and the stack file's userPoolId",
                )
            })
            .collect();
    }
    let stack_file = &d.stack_file;
    let tier = status.tier.as_deref().unwrap_or("(not reported)");
    let tier_finding = if status.tier_supported {
        Finding::ok(check::POOL_TIER, format!("{pool} is on the {tier} plan"))
    } else {
        Finding::fail(
            check::POOL_TIER,
            format!(
                "{pool} is on the {tier} plan: without pre-token generation V2 impersonated \
                 access tokens keep the self-service scope aws.cognito.signin.user.admin"
            ),
            "change the feature plan to Essentials or Plus (Cognito console: the pool's \
             Settings, Feature plan)",
        )
    };
    let unwired: Vec<&str> = status
        .slots
        .iter()
        .filter(|s| !s.wired)
        .map(|s| s.slot.as_str())
        .collect();
    let triggers = if unwired.is_empty() {
        Finding::ok(
            check::TRIGGERS,
            format!(
                "all {} slots call this stack's functions",
                status.slots.len()
            ),
        )
    } else {
        Finding::fail(
            check::TRIGGERS,
            format!(
                "{} of {pool} not wired to this stack's functions: {}",
                if unwired.len() == 1 { "slot" } else { "slots" },
                unwired.join(", ")
            ),
            format!(
                "actas pool attach --stack-file {stack_file} (puts actas's four functions back \
                 into their slots and sends every other setting of the pool back unchanged; \
                 --dry-run shows each slot before and after)"
            ),
        )
    };
    let mapping_finding = if status.mapping_problems.is_empty() {
        Finding::ok(
            check::IDENTITY_MAPPING,
            "every attribute and group the mapping names is in the pool",
        )
    } else {
        Finding::fail(
            check::IDENTITY_MAPPING,
            status.mapping_problems.join("; "),
            format!(
                "create the missing groups (actas pool attach --create-groups --stack-file \
                 {stack_file}) or attributes, or deploy with the RoleGroups/...Attribute \
                 parameters that name what the pool has"
            ),
        )
    };
    let server = match &status.resource_server {
        None => Finding::fail(
            check::RESOURCE_SERVER,
            format!("{pool} has no resource server {identifier}: access tokens carry no {identifier}/read or /write scope"),
            format!("actas pool attach --stack-file {stack_file} (creates it with the scopes read and write)"),
        ),
        Some(server) => {
            let missing: Vec<&str> = ["read", "write"]
                .into_iter()
                .filter(|scope| !server.scopes.iter().any(|s| s == scope))
                .collect();
            if missing.is_empty() {
                Finding::ok(
                    check::RESOURCE_SERVER,
                    format!("{identifier} with scopes {}", server.scopes.join(", ")),
                )
            } else {
                Finding::fail(
                    check::RESOURCE_SERVER,
                    format!("{identifier} lacks the scope(s) {}", missing.join(", ")),
                    format!(
                        "UpdateResourceServer on {pool} / {identifier} with the scopes read and \
                         write (and the scopes it has)"
                    ),
                )
            }
        }
    };
    vec![tier_finding, triggers, mapping_finding, server]
}

// ------------------------------------------------------------------ the directory

/// A rule of EventBridge that invokes `target_arn`: its name, schedule (or pattern) and state.
#[derive(Debug, Clone)]
pub struct RuleState {
    pub name: String,
    pub schedule: Option<String>,
    pub enabled: bool,
}

/// The rules that target a function.
pub async fn rules_targeting(
    events: &aws_sdk_eventbridge::Client,
    target_arn: &str,
) -> CliResult<Vec<RuleState>> {
    let mut names = Vec::new();
    let mut next = None;
    loop {
        let page = events
            .list_rule_names_by_target()
            .target_arn(target_arn)
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| format!("ListRuleNamesByTarget: {}", DisplayErrorContext(&e)))?;
        names.extend(page.rule_names().iter().cloned());
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let mut rules = Vec::new();
    for name in names {
        let rule = events
            .describe_rule()
            .name(&name)
            .send()
            .await
            .map_err(|e| format!("DescribeRule {name}: {}", DisplayErrorContext(&e)))?;
        rules.push(RuleState {
            name,
            schedule: rule.schedule_expression().map(str::to_string),
            enabled: rule
                .state()
                .is_some_and(|s| !matches!(s, aws_sdk_eventbridge::types::RuleState::Disabled)),
        });
    }
    Ok(rules)
}

/// A trail of this region that is logging management events (CloudTrail delivers "AWS API Call
/// via CloudTrail" events to EventBridge only then): its name.
async fn management_trail(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    region: &str,
) -> CliResult<Option<String>> {
    let trails = cloudtrail
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| format!("DescribeTrails: {}", DisplayErrorContext(&e)))?;
    for trail in trails.trail_list() {
        let here =
            trail.is_multi_region_trail().unwrap_or(false) || trail.home_region() == Some(region);
        let Some(id) = trail.trail_arn().or(trail.name()) else {
            continue;
        };
        if !here {
            continue;
        }
        let logging = cloudtrail
            .get_trail_status()
            .name(id)
            .send()
            .await
            .map_err(|e| format!("GetTrailStatus {id}: {}", DisplayErrorContext(&e)))?
            .is_logging()
            .unwrap_or(false);
        if !logging {
            continue;
        }
        let selectors = cloudtrail
            .get_event_selectors()
            .trail_name(id)
            .send()
            .await
            .map_err(|e| format!("GetEventSelectors {id}: {}", DisplayErrorContext(&e)))?;
        if logs_management_events(&selectors) {
            return Ok(Some(trail.name().unwrap_or(id).to_string()));
        }
    }
    Ok(None)
}

/// Whether a trail's selectors include write management events (no selectors: the default,
/// all management events).
fn logs_management_events(
    selectors: &aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput,
) -> bool {
    use aws_sdk_cloudtrail::types::ReadWriteType;
    let advanced = selectors.advanced_event_selectors();
    let basic = selectors.event_selectors();
    if !advanced.is_empty() {
        return advanced.iter().any(|selector| {
            let fields = selector.field_selectors();
            let management = fields.iter().any(|f| {
                f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management")
            });
            let read_only = fields
                .iter()
                .any(|f| f.field() == "readOnly" && f.equals().iter().any(|v| v == "true"));
            management && !read_only
        });
    }
    if !basic.is_empty() {
        return basic.iter().any(|s| {
            s.include_management_events().unwrap_or(true)
                && !matches!(s.read_write_type(), Some(ReadWriteType::ReadOnly))
        });
    }
    true
}

/// The directory follows the pool through CloudTrail events (a trail must log management
/// events, and the pattern rule be enabled) or heals at the scheduled sync.
pub async fn directory_updates(d: &Deployment) -> Finding {
    let name = check::DIRECTORY_UPDATES;
    let arn = match function_arn(d, "DirectoryEventsFunction").await {
        Ok(arn) => arn,
        Err(e) => return Finding::unchecked(name, "read the directory events function", e),
    };
    let rules = match rules_targeting(&d.events, &arn).await {
        Ok(rules) => rules,
        Err(e) => return Finding::unchecked(name, "read its EventBridge rules", e),
    };
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&d.sdk);
    let trail = match management_trail(&cloudtrail, &d.stack.region).await {
        Ok(trail) => trail,
        Err(e) => return Finding::unchecked(name, "read CloudTrail's trails", e),
    };
    let sync = rules.iter().find(|r| r.schedule.is_some());
    let pattern = rules.iter().find(|r| r.schedule.is_none());
    let events_flow = trail.is_some() && pattern.is_some_and(|r| r.enabled);
    let sync_on = sync.is_some_and(|r| r.enabled);
    let describe_sync = |r: &RuleState| {
        format!(
            "the directory sync ({}, {}) is {}",
            r.name,
            r.schedule.as_deref().unwrap_or(""),
            if r.enabled { "enabled" } else { "disabled" }
        )
    };
    match (events_flow, sync_on) {
        (true, _) => Finding::ok(
            name,
            format!(
                "trail {} logs management events; pool changes reach the directory at once{}",
                trail.unwrap_or_default(),
                sync.map(|r| format!("; {}", describe_sync(r)))
                    .unwrap_or_default()
            ),
        ),
        (false, true) => Finding::ok(
            name,
            format!(
                "{}; {} — profiles heal at each sync",
                sync.map(describe_sync).unwrap_or_default(),
                match (&trail, pattern) {
                    (None, _) => "no CloudTrail trail logs management events here".to_string(),
                    (Some(t), Some(p)) if !p.enabled =>
                        format!("trail {t} logs, but the rule {} is disabled", p.name),
                    (Some(t), _) => format!("trail {t} logs, but no rule sends its events"),
                }
            ),
        ),
        (false, false) => {
            let mut fixes = Vec::new();
            if let Some(rule) = sync {
                fixes.push(format!("aws events enable-rule --name {}", rule.name));
            }
            if let (Some(_), Some(rule)) = (&trail, pattern) {
                if !rule.enabled {
                    fixes.push(format!("aws events enable-rule --name {}", rule.name));
                }
            }
            fixes.push(
                "or deploy with CreateTrail=true (a trail for management events) or a \
                 DirectorySyncSchedule such as rate(1 day)"
                    .into(),
            );
            Finding::fail(
                name,
                format!(
                    "pool changes never reach the directory: {}, and {}",
                    match &trail {
                        None => "no CloudTrail trail logs management events here".to_string(),
                        Some(t) => format!("trail {t} logs but no enabled rule sends its events"),
                    },
                    sync.map(describe_sync)
                        .unwrap_or_else(|| "no directory sync is scheduled".into())
                ),
                fixes.join("; "),
            )
        }
    }
}

// ------------------------------------------------------------------ the app clients

/// An app client as `DescribeUserPoolClient` answers. When the SDK cannot parse the answer (the
/// local emulator reports token validities a template set as strings, `"15"`, where Cognito
/// answers numbers), the answer is read from its JSON.
pub async fn describe_app_client(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    user_pool_id: &str,
    client_id: &str,
) -> CliResult<UserPoolClientType> {
    match cognito
        .describe_user_pool_client()
        .user_pool_id(user_pool_id)
        .client_id(client_id)
        .send()
        .await
    {
        Ok(output) => Ok(output
            .user_pool_client
            .ok_or_else(|| format!("DescribeUserPoolClient {client_id}: no client"))?),
        Err(err) => {
            let answer = err
                .raw_response()
                .filter(|r| r.status().is_success())
                .and_then(|r| r.body().bytes())
                .and_then(|body| serde_json::from_slice::<Value>(body).ok());
            match answer {
                Some(answer) => client_from_json(&answer["UserPoolClient"]),
                None => Err(format!(
                    "DescribeUserPoolClient {client_id}: {}",
                    DisplayErrorContext(&err)
                )
                .into()),
            }
        }
    }
}

/// The fields of a `UserPoolClient` answer that `UpdateUserPoolClient` takes, numbers written
/// as numbers or as strings.
fn client_from_json(client: &Value) -> CliResult<UserPoolClientType> {
    let text = |name: &str| client[name].as_str().map(str::to_string);
    let number = |name: &str| match &client[name] {
        Value::Number(n) => n.as_i64().map(|n| n as i32),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let list = |name: &str| {
        client[name].as_array().map(|values| {
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
    };
    let units = client["TokenValidityUnits"].as_object().map(|units| {
        let unit = |name: &str| {
            units
                .get(name)
                .and_then(Value::as_str)
                .map(TimeUnitsType::from)
        };
        TokenValidityUnitsType::builder()
            .set_access_token(unit("AccessToken"))
            .set_id_token(unit("IdToken"))
            .set_refresh_token(unit("RefreshToken"))
            .build()
    });
    use aws_sdk_cognitoidentityprovider::types::{OAuthFlowType, PreventUserExistenceErrorTypes};
    Ok(UserPoolClientType::builder()
        .set_user_pool_id(text("UserPoolId"))
        .set_client_id(text("ClientId"))
        .set_client_name(text("ClientName"))
        .set_refresh_token_validity(number("RefreshTokenValidity"))
        .set_access_token_validity(number("AccessTokenValidity"))
        .set_id_token_validity(number("IdTokenValidity"))
        .set_token_validity_units(units)
        .set_read_attributes(list("ReadAttributes"))
        .set_write_attributes(list("WriteAttributes"))
        .set_explicit_auth_flows(list("ExplicitAuthFlows").map(|flows| {
            flows
                .iter()
                .map(|f| ExplicitAuthFlowsType::from(f.as_str()))
                .collect()
        }))
        .set_supported_identity_providers(list("SupportedIdentityProviders"))
        .set_callback_urls(list("CallbackURLs"))
        .set_logout_urls(list("LogoutURLs"))
        .set_default_redirect_uri(text("DefaultRedirectURI").filter(|u| !u.is_empty()))
        .set_allowed_o_auth_flows(list("AllowedOAuthFlows").map(|flows| {
            flows
                .iter()
                .map(|f| OAuthFlowType::from(f.as_str()))
                .collect()
        }))
        .set_allowed_o_auth_scopes(list("AllowedOAuthScopes"))
        .set_allowed_o_auth_flows_user_pool_client(
            client["AllowedOAuthFlowsUserPoolClient"].as_bool(),
        )
        .set_prevent_user_existence_errors(
            text("PreventUserExistenceErrors")
                .map(|p| PreventUserExistenceErrorTypes::from(p.as_str())),
        )
        .set_enable_token_revocation(client["EnableTokenRevocation"].as_bool())
        .set_enable_propagate_additional_user_context_data(
            client["EnablePropagateAdditionalUserContextData"].as_bool(),
        )
        .set_auth_session_validity(number("AuthSessionValidity"))
        .build())
}

/// A token validity in seconds (Cognito's default unit for id and access tokens is hours).
fn validity_secs(value: Option<i32>, unit: Option<&TimeUnitsType>) -> Option<i64> {
    let value = i64::from(value?);
    Some(match unit {
        Some(TimeUnitsType::Seconds) => value,
        Some(TimeUnitsType::Minutes) => value * 60,
        Some(TimeUnitsType::Days) => value * 86_400,
        _ => value * 3600,
    })
}

/// The flows a client allows that actas's clients must not, and the ones they need that it
/// lacks.
fn flow_problems(client: &UserPoolClientType) -> (Vec<String>, Vec<&'static str>) {
    let flows: Vec<&str> = client
        .explicit_auth_flows()
        .iter()
        .map(|f| f.as_str())
        .collect();
    let extra = flows
        .iter()
        .filter(|f| !ACTAS_CLIENT_FLOWS.contains(f))
        .map(|f| f.to_string())
        .collect();
    let missing = ACTAS_CLIENT_FLOWS
        .into_iter()
        .filter(|f| !flows.contains(f))
        .collect();
    (extra, missing)
}

fn flows_fix(client_id: &str, pool: &str) -> String {
    format!(
        "UpdateUserPoolClient --user-pool-id {pool} --client-id {client_id} with ExplicitAuthFlows \
         ALLOW_CUSTOM_AUTH ALLOW_REFRESH_TOKEN_AUTH and every other setting the client has (an \
         update resets what it is not given), or redeploy the stack"
    )
}

/// The impersonation client: custom auth and refresh only, tokens no longer-lived than an
/// impersonation and as long as the deployment says.
pub async fn impersonation_client(d: &Deployment) -> Finding {
    let name = check::IMPERSONATION_CLIENT;
    let pool = &d.stack.user_pool_id;
    let id = &d.stack.impersonation_client_id;
    let client = match describe_app_client(&d.cognito, pool, id).await {
        Ok(client) => client,
        Err(e) => return Finding::unchecked(name, "read the impersonation client", e),
    };
    let (extra, missing) = flow_problems(&client);
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    if !extra.is_empty() {
        problems.push(format!(
            "it allows {} (anyone with a target's password could sign in on actas's client)",
            extra.join(", ")
        ));
    }
    if !missing.is_empty() {
        problems.push(format!("it lacks {}", missing.join(", ")));
    }
    if !problems.is_empty() {
        fixes.push(flows_fix(id, pool));
    }
    let units = client.token_validity_units();
    let access = validity_secs(
        client.access_token_validity(),
        units.and_then(|u| u.access_token()),
    );
    let id_token = validity_secs(client.id_token_validity(), units.and_then(|u| u.id_token()));
    let minutes: Option<i64> = d
        .setting("IMPERSONATION_TOKEN_MINUTES")
        .and_then(|m| m.parse().ok());
    let max: Option<i64> = d
        .setting("IMPERSONATION_MAX_SECONDS")
        .and_then(|m| m.parse().ok());
    let mut validity_wrong = false;
    for (token, secs) in [("access", access), ("id", id_token)] {
        let Some(secs) = secs else {
            problems.push(format!("its {token} token validity is not reported"));
            validity_wrong = true;
            continue;
        };
        if let Some(max) = max {
            if secs > max {
                problems.push(format!(
                    "its {token} tokens live {secs} s, longer than an impersonation may \
                     ({max} s): a token would outlive its impersonation"
                ));
                validity_wrong = true;
            }
        }
        if let Some(minutes) = minutes {
            if secs != minutes * 60 {
                problems.push(format!(
                    "its {token} tokens live {secs} s, the deployment says {} s \
                     (ImpersonationTokenValidityMinutes={minutes})",
                    minutes * 60
                ));
                validity_wrong = true;
            }
        }
    }
    if validity_wrong {
        fixes.push(format!(
            "set the client's AccessTokenValidity and IdTokenValidity to {} minutes (TokenValidityUnits minutes), sending its other settings back, or redeploy the stack",
            minutes.map(|m| m.to_string()).unwrap_or_else(|| "ImpersonationTokenValidityMinutes".into())
        ));
    }
    if problems.is_empty() {
        Finding::ok(
            name,
            format!(
                "{id}: flows {}; id and access tokens {} min (impersonations at most {} s)",
                ACTAS_CLIENT_FLOWS.join(", "),
                access.unwrap_or_default() / 60,
                max.map(|m| m.to_string()).unwrap_or_else(|| "?".into())
            ),
        )
    } else {
        Finding::fail(
            name,
            format!("{id}: {}", problems.join("; ")),
            fixes.join("; "),
        )
    }
}

/// The revert client: custom auth and refresh only, like the impersonation client.
pub async fn revert_client(d: &Deployment) -> Finding {
    let name = check::REVERT_CLIENT;
    let pool = &d.stack.user_pool_id;
    let id = &d.stack.revert_client_id;
    let client = match describe_app_client(&d.cognito, pool, id).await {
        Ok(client) => client,
        Err(e) => return Finding::unchecked(name, "read the revert client", e),
    };
    let (extra, missing) = flow_problems(&client);
    if extra.is_empty() && missing.is_empty() {
        return Finding::ok(
            name,
            format!("{id}: flows {}", ACTAS_CLIENT_FLOWS.join(", ")),
        );
    }
    let mut problems = Vec::new();
    if !extra.is_empty() {
        problems.push(format!("it allows {}", extra.join(", ")));
    }
    if !missing.is_empty() {
        problems.push(format!("it lacks {}", missing.join(", ")));
    }
    Finding::fail(
        name,
        format!("{id}: {}", problems.join("; ")),
        flows_fix(id, pool),
    )
}

// ------------------------------------------------------------------ keys and senders

/// The notices' sender: SES sends from it only once it is verified.
pub async fn notice_sender(d: &Deployment) -> Finding {
    let name = check::NOTICE_SENDER;
    let env = match function_environment(&d.lambda, &d.stack, "NoticesFunction").await {
        Ok(env) => env,
        Err(e) => return Finding::unchecked(name, "read the notices function", e),
    };
    let Some(sender) = env.get("NOTICE_SENDER").filter(|s| !s.is_empty()) else {
        return Finding::fail(
            name,
            "the notices function has no NOTICE_SENDER",
            "redeploy with the NoticeSender parameter",
        );
    };
    let ses = aws_sdk_sesv2::Client::new(&d.sdk);
    let fix = format!(
        "verify {sender} in SES (aws sesv2 create-email-identity --email-identity {sender}, then \
         the link SES mails) and request production access, or the people acted as get no \
         notices (and the notices function fails into the failed-events queue)"
    );
    match ses.get_email_identity().email_identity(sender).send().await {
        Ok(identity) if identity.verified_for_sending_status() => Finding::ok(
            name,
            format!("{sender}: SES reports it verified for sending"),
        ),
        Ok(identity) => Finding::warn(
            name,
            format!(
                "{sender}: SES reports it not verified for sending (status {})",
                identity
                    .verification_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "not reported".into())
            ),
            fix,
        ),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            Finding::warn(
                name,
                format!("{sender}: SES does not know it as an identity"),
                fix,
            )
        }
        Err(err) => Finding::unchecked(name, "read the SES identity", DisplayErrorContext(&err)),
    }
}

/// The KMS key that seals refresh tokens: disabled, no stop can revoke and no start can keep a
/// session.
pub async fn refresh_token_key(d: &Deployment) -> Finding {
    use aws_sdk_kms::types::KeyState;
    let name = check::REFRESH_TOKEN_KEY;
    let Some(key) = d.setting("REFRESH_TOKEN_KEY_ID") else {
        return Finding::fail(
            name,
            "the deployment names no REFRESH_TOKEN_KEY_ID",
            "redeploy the stack",
        );
    };
    let kms = aws_sdk_kms::Client::new(&d.sdk);
    let metadata = match kms.describe_key().key_id(key).send().await {
        Ok(output) => output.key_metadata,
        Err(e) => return Finding::unchecked(name, "describe the key", DisplayErrorContext(&e)),
    };
    let state = metadata.as_ref().and_then(|m| m.key_state().cloned());
    match state {
        Some(KeyState::Enabled) => Finding::ok(name, format!("{key} is enabled")),
        Some(KeyState::PendingDeletion) => Finding::fail(
            name,
            format!("{key} is pending deletion: starts fail, ended sessions cannot be revoked"),
            format!(
                "aws kms cancel-key-deletion --key-id {key} && aws kms enable-key --key-id {key}"
            ),
        ),
        other => Finding::fail(
            name,
            format!(
                "{key} is {}: starts fail, ended sessions cannot be revoked",
                other
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "in no reported state".into())
            ),
            format!("aws kms enable-key --key-id {key}"),
        ),
    }
}

/// The two-step tokens' signing keys: rotate them now and then.
pub async fn signing_key_age(d: &Deployment) -> Finding {
    let name = check::SIGNING_KEY_AGE;
    let secret = &d.stack.signing_key_secret_id;
    let secrets = aws_sdk_secretsmanager::Client::new(&d.sdk);
    let described = match secrets.describe_secret().secret_id(secret).send().await {
        Ok(described) => described,
        Err(e) => return Finding::unchecked(name, "describe the secret", DisplayErrorContext(&e)),
    };
    let Some(changed) = described
        .last_changed_date()
        .or(described.created_date())
        .map(|d| d.secs())
    else {
        return Finding::warn(
            name,
            format!("{secret}: Secrets Manager reports no change date"),
            format!("actas signing-key rotate --stack {}", d.stack_file),
        );
    };
    let days = (now_secs() - changed).max(0) / 86_400;
    if days > SIGNING_KEY_MAX_AGE_DAYS {
        Finding::warn(
            name,
            format!("{secret} last changed {days} days ago (over {SIGNING_KEY_MAX_AGE_DAYS})"),
            format!(
                "actas signing-key rotate --stack {} (a new key signs; the previous ones still verify)",
                d.stack_file
            ),
        )
    } else {
        Finding::ok(name, format!("{secret} last changed {days} days ago"))
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

// ------------------------------------------------------------------ alarms

/// The alarms the template defines for this stack's functions and itself.
pub fn expected_alarms(stack: &StackFile) -> Vec<String> {
    let mut alarms: Vec<String> = stack
        .functions
        .keys()
        .flat_map(|f| [format!("{f}ErrorsAlarm"), format!("{f}ThrottlesAlarm")])
        .collect();
    alarms.extend(STACK_ALARMS.iter().map(|a| a.to_string()));
    alarms.sort();
    alarms
}

/// The alarms are there, none is firing, and they notify someone.
pub async fn alarm_checks(d: &Deployment) -> Vec<Finding> {
    let name = check::ALARMS;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&d.sdk);
    // CloudFormation names an alarm `<stack>-<logical id>-<suffix>`.
    let prefix = format!("{}-", d.stack.stack_name);
    let mut alarms = Vec::new();
    let mut next = None;
    loop {
        let page = match cloudwatch
            .describe_alarms()
            .alarm_name_prefix(&prefix)
            .set_next_token(next)
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) => {
                return vec![Finding::unchecked(
                    name,
                    "describe the alarms",
                    DisplayErrorContext(&e),
                )]
            }
        };
        alarms.extend(page.metric_alarms().iter().cloned());
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let named = |logical: &str| {
        let start = format!("{prefix}{logical}-");
        alarms
            .iter()
            .find(|a| a.alarm_name().is_some_and(|n| n.starts_with(&start)))
    };
    let expected = expected_alarms(&d.stack);
    let missing: Vec<&String> = expected.iter().filter(|a| named(a).is_none()).collect();
    let firing: Vec<&str> = alarms
        .iter()
        .filter(|a| {
            matches!(
                a.state_value(),
                Some(aws_sdk_cloudwatch::types::StateValue::Alarm)
            )
        })
        .filter_map(|a| a.alarm_name())
        // `<stack>-<logical id>-<suffix>`: the logical id is what the runbook names.
        .map(|n| {
            n.strip_prefix(prefix.as_str())
                .and_then(|rest| rest.rsplit_once('-'))
                .map_or(n, |(logical, _)| logical)
        })
        .collect();
    let mut findings = vec![if missing.is_empty() {
        Finding::ok(name, format!("all {} present", expected.len()))
    } else {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        Finding::fail(
            name,
            format!(
                "{} of {} alarms missing: {}",
                missing.len(),
                expected.len(),
                list.join(", ")
            ),
            "redeploy the stack (sam deploy): the template defines them",
        )
    }];
    // A firing alarm has notified its topic already and has its own runbook: a warning here.
    findings.push(if firing.is_empty() {
        Finding::ok(check::ALARM_STATES, "none firing")
    } else {
        Finding::warn(
            check::ALARM_STATES,
            format!(
                "{} firing: {}{}",
                firing.len(),
                firing
                    .iter()
                    .take(6)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                if firing.len() > 6 { ", ..." } else { "" }
            ),
            "see docs/operations.md, \"Alarms and what to do\", for each alarm",
        )
    });
    let notifying = alarms
        .iter()
        .filter(|a| a.actions_enabled().unwrap_or(true) && !a.alarm_actions().is_empty())
        .count();
    if !alarms.is_empty() && notifying == 0 {
        findings.push(Finding::warn(
            check::ALARM_NOTIFICATIONS,
            "no alarm notifies anyone (no actions)",
            "redeploy with AlarmTopicArn set to an SNS topic someone reads",
        ));
    }
    findings
}

// ------------------------------------------------------------------ schedules and streams

/// The cleanup's schedule: without it nothing ends what is past its end.
pub async fn cleanup_schedule(d: &Deployment) -> Finding {
    let name = check::CLEANUP_SCHEDULE;
    let arn = match function_arn(d, "CleanupFunction").await {
        Ok(arn) => arn,
        Err(e) => return Finding::unchecked(name, "read the cleanup function", e),
    };
    let rules = match rules_targeting(&d.events, &arn).await {
        Ok(rules) => rules,
        Err(e) => return Finding::unchecked(name, "read its EventBridge rules", e),
    };
    match rules.iter().find(|r| r.schedule.is_some()) {
        None => Finding::fail(
            name,
            "no schedule invokes the cleanup: expired sessions are never ended, refresh tokens of ended ones never revoked",
            "redeploy the stack (its CleanupSchedule)",
        ),
        Some(rule) if !rule.enabled => Finding::fail(
            name,
            format!(
                "{} ({}) is disabled: expired sessions are not ended, refresh tokens of ended ones not revoked",
                rule.name,
                rule.schedule.as_deref().unwrap_or_default()
            ),
            format!("aws events enable-rule --name {}", rule.name),
        ),
        Some(rule) => Finding::ok(
            name,
            format!(
                "{} ({}) is enabled",
                rule.name,
                rule.schedule.as_deref().unwrap_or_default()
            ),
        ),
    }
}

/// One consumer of the audit stream as its event source mapping says.
#[derive(Debug, Clone)]
pub struct StreamConsumer {
    pub logical_id: String,
    pub function_name: String,
    pub uuid: String,
    pub state: String,
    pub last_result: Option<String>,
    /// The failed-events queue's ARN (the on-failure destination).
    pub on_failure: Option<String>,
}

/// The audit stream's consumers (publish-events, notices) and their mappings.
pub async fn stream_consumers(
    lambda: &aws_sdk_lambda::Client,
    stack: &StackFile,
) -> CliResult<Vec<StreamConsumer>> {
    let stream = format!("table/{}/stream/", stack.audit_table_name);
    let mut consumers = Vec::new();
    for logical_id in STREAM_CONSUMERS {
        let function_name = stack.function_name(logical_id)?.to_string();
        let mappings = lambda
            .list_event_source_mappings()
            .function_name(&function_name)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "ListEventSourceMappings {logical_id}: {}",
                    DisplayErrorContext(&e)
                )
            })?;
        let Some(mapping) = mappings.event_source_mappings().iter().find(|m| {
            m.event_source_arn()
                .is_some_and(|arn| arn.contains(&stream))
        }) else {
            consumers.push(StreamConsumer {
                logical_id: logical_id.to_string(),
                function_name,
                uuid: String::new(),
                state: "missing".into(),
                last_result: None,
                on_failure: None,
            });
            continue;
        };
        consumers.push(StreamConsumer {
            logical_id: logical_id.to_string(),
            function_name,
            uuid: mapping.uuid().unwrap_or_default().to_string(),
            state: mapping.state().unwrap_or("unknown").to_string(),
            last_result: mapping.last_processing_result().map(str::to_string),
            on_failure: mapping
                .destination_config()
                .and_then(|c| c.on_failure())
                .and_then(|f| f.destination())
                .filter(|d| !d.is_empty())
                .map(str::to_string),
        });
    }
    Ok(consumers)
}

/// The consumers are enabled and send failures to a queue; the queue is empty.
pub async fn stream_checks(d: &Deployment) -> Vec<Finding> {
    let consumers = match stream_consumers(&d.lambda, &d.stack).await {
        Ok(consumers) => consumers,
        Err(e) => {
            return vec![
                Finding::unchecked(
                    check::STREAM_CONSUMERS,
                    "read the event source mappings",
                    &e,
                ),
                Finding::unchecked(check::FAILED_EVENTS, "find the failed-events queue", e),
            ]
        }
    };
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let mut notes = Vec::new();
    for c in &consumers {
        if c.state == "missing" {
            problems.push(format!("{} reads no audit stream", c.logical_id));
            fixes.push("redeploy the stack (its AuditStream events)".to_string());
            continue;
        }
        if c.state != "Enabled" {
            problems.push(format!(
                "{}'s mapping {} is {}",
                c.logical_id, c.uuid, c.state
            ));
            fixes.push(format!(
                "aws lambda update-event-source-mapping --uuid {} --enabled",
                c.uuid
            ));
        }
        if c.on_failure.is_none() {
            problems.push(format!(
                "{} has no on-failure destination: one bad record blocks every event behind it",
                c.logical_id
            ));
            fixes.push(
                "redeploy the stack (DestinationConfig OnFailure: the failed-events queue)".into(),
            );
        }
        if let Some(result) = c
            .last_result
            .as_deref()
            .filter(|r| r.starts_with("PROBLEM") || r.starts_with("FAILED"))
        {
            notes.push(format!("{} last batch: {result}", c.logical_id));
        }
    }
    let consumers_finding = if problems.is_empty() {
        let mut detail = consumers
            .iter()
            .map(|c| format!("{} enabled", c.logical_id))
            .collect::<Vec<_>>()
            .join(", ");
        detail.push_str(", failures to the failed-events queue");
        if notes.is_empty() {
            Finding::ok(check::STREAM_CONSUMERS, detail)
        } else {
            Finding::warn(
                check::STREAM_CONSUMERS,
                format!("{detail}; {}", notes.join("; ")),
                "read the consumer's log: the batch is retried, then sent to the failed-events queue",
            )
        }
    } else {
        fixes.dedup();
        Finding::fail(
            check::STREAM_CONSUMERS,
            problems.join("; "),
            fixes.join("; "),
        )
    };
    let mut queues: Vec<&str> = consumers
        .iter()
        .filter_map(|c| c.on_failure.as_deref())
        .collect();
    queues.sort();
    queues.dedup();
    let failed_events = if queues.is_empty() {
        Finding::fail(
            check::FAILED_EVENTS,
            "no failed-events queue: the consumers have no on-failure destination",
            "redeploy the stack",
        )
    } else {
        let sqs = aws_sdk_sqs::Client::new(&d.sdk);
        let mut waiting = Vec::new();
        let mut empty = Vec::new();
        for arn in queues {
            match crate::events::queue_depth(&sqs, arn).await {
                Ok((_, 0)) => empty.push(queue_name(arn).to_string()),
                Ok((_, n)) => waiting.push(format!("{} holds {n}", queue_name(arn))),
                Err(e) => {
                    return vec![
                        consumers_finding,
                        Finding::unchecked(check::FAILED_EVENTS, "read the failed-events queue", e),
                    ]
                }
            }
        }
        if waiting.is_empty() {
            Finding::ok(
                check::FAILED_EVENTS,
                format!("{} is empty", empty.join(", ")),
            )
        } else {
            Finding::fail(
                check::FAILED_EVENTS,
                format!(
                    "{} batch description(s) of audit events no consumer could handle (the FailedEventsAlarm's cause)",
                    waiting.join(", ")
                ),
                format!(
                    "fix the cause (the publish-events or notices function's log), then \
                     actas events replay --stack-file {} (--dry-run first shows what it would send)",
                    d.stack_file
                ),
            )
        }
    };
    vec![consumers_finding, failed_events]
}

/// A queue's name from its ARN.
pub fn queue_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

// ------------------------------------------------------------------ the printer

/// The report as the command prints it: one line per check, the fix under each one not OK.
pub fn describe(report: &Report) -> String {
    let width = report
        .findings
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    let mut lines = vec![format!("actas doctor: stack {}", report.stack)];
    for finding in &report.findings {
        let mark = match (finding.ok, finding.warning) {
            (true, _) => "OK  ",
            (false, true) => "WARN",
            (false, false) => "FAIL",
        };
        lines.push(format!(
            "  {mark}  {:width$}  {}",
            finding.name, finding.detail
        ));
        if let Some(fix) = &finding.fix {
            lines.push(format!("        {:width$}  fix: {fix}", ""));
        }
    }
    let failed = report.findings.iter().filter(|f| f.failed()).count();
    let warned = report.findings.iter().filter(|f| f.warning).count();
    lines.push(match (failed, warned) {
        (0, 0) => "Every check passed.".to_string(),
        (0, w) => format!("No check failed; {w} warning(s)."),
        (f, w) => format!("{f} check(s) failed, {w} warning(s)."),
    });
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_does_not_fail_the_run_and_a_failure_does() {
        let mut report = Report {
            stack: "actas".into(),
            findings: vec![
                Finding::ok("a", "fine"),
                Finding::warn("b", "old", "rotate"),
            ],
        };
        assert!(report.healthy());
        assert_eq!(report.exit_code(), 0);
        report
            .findings
            .push(Finding::fail("c", "broken", "mend it"));
        assert_eq!(report.exit_code(), 1);
        let text = describe(&report);
        for expected in [
            "OK    a",
            "WARN  b",
            "FAIL  c",
            "fix: mend it",
            "1 check(s) failed, 1 warning(s).",
        ] {
            assert!(text.contains(expected), "{text}");
        }
    }

    #[test]
    fn a_client_answer_with_numbers_as_strings_is_read() {
        let client = client_from_json(&serde_json::json!({
            "ClientId": "c", "AccessTokenValidity": "15", "IdTokenValidity": 15,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes"},
            "ExplicitAuthFlows": ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_PASSWORD_AUTH"],
        }))
        .expect("a client");
        let units = client.token_validity_units();
        assert_eq!(
            validity_secs(
                client.access_token_validity(),
                units.and_then(|u| u.access_token())
            ),
            Some(900)
        );
        let (extra, missing) = flow_problems(&client);
        assert_eq!(extra, ["ALLOW_USER_PASSWORD_AUTH"]);
        assert_eq!(missing, ["ALLOW_REFRESH_TOKEN_AUTH"]);
    }

    #[test]
    fn token_validity_defaults_to_hours() {
        assert_eq!(validity_secs(Some(1), None), Some(3600));
        assert_eq!(
            validity_secs(Some(5), Some(&TimeUnitsType::Minutes)),
            Some(300)
        );
    }
}
