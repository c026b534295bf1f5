//! Typed configuration from the environment. Each function reads what it needs once, at start-up,
//! and refuses to start with a message naming every missing or malformed variable.

use crate::domain::error::Result;
use crate::domain::identity_mapping::{IdentityMapping, MappingSettings};
use crate::domain::mode::ModeRules;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

/// Reads variables from a map (the process environment in production, a literal in tests) and
/// gathers every problem before failing.
pub struct EnvReader {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

impl EnvReader {
    pub fn from_process() -> Self {
        Self::from_map(std::env::vars().collect())
    }

    pub fn from_map(vars: HashMap<String, String>) -> Self {
        EnvReader {
            vars,
            problems: Vec::new(),
        }
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&mut self, name: &str) -> String {
        match self.raw(name) {
            Some(value) => value.to_string(),
            None => {
                self.problems.push(format!("{name} is required"));
                String::new()
            }
        }
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_string)
    }

    pub fn parsed_or<T: FromStr>(&mut self, name: &str, default: T) -> T {
        match self.raw(name) {
            None => default,
            Some(value) => match value.parse() {
                Ok(parsed) => parsed,
                Err(_) => {
                    self.problems.push(format!("{name}={value:?} is not valid"));
                    default
                }
            },
        }
    }

    /// A variable that may be set to empty on purpose (a template parameter left empty):
    /// `None` when unset, `Some("")` when set to nothing.
    pub fn possibly_empty(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(|v| v.trim().to_string())
    }

    /// Where the pool keeps role, tenant, team and protection (`ROLE_GROUPS`,
    /// `TENANT_ATTRIBUTE`, ...; unset: actas's own pool). A bad mapping is a start-up error that
    /// names what is wrong.
    pub fn identity_mapping(&mut self) -> IdentityMapping {
        let settings = MappingSettings {
            role_groups: self.possibly_empty("ROLE_GROUPS"),
            role_attribute: self.possibly_empty("ROLE_ATTRIBUTE"),
            role_attribute_values: self.possibly_empty("ROLE_ATTRIBUTE_VALUES"),
            tenant_attribute: self.possibly_empty("TENANT_ATTRIBUTE"),
            single_tenant: self.possibly_empty("SINGLE_TENANT_ID"),
            team_attribute: self.possibly_empty("TEAM_ATTRIBUTE"),
            team_role_attribute: self.possibly_empty("TEAM_ROLE_ATTRIBUTE"),
            team_admin_value: self.possibly_empty("TEAM_ADMIN_VALUE"),
            protected_attribute: self.possibly_empty("PROTECTED_ATTRIBUTE"),
        };
        match IdentityMapping::parse(&settings) {
            Ok(mapping) => mapping,
            Err(problems) => {
                self.problems.extend(
                    problems
                        .into_iter()
                        .map(|p| format!("identity mapping: {p}")),
                );
                IdentityMapping::default()
            }
        }
    }

    pub fn reject(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    pub fn finish<T>(self, config: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

/// A policy knob of the domain; `bootstrap` only reads it from `API_KEY_REQUIRED`.
pub use crate::domain::grant::ApiKeyRequirement;

/// The pool the HTTP functions serve and their policy knobs: domain types, read here.
pub use crate::domain::settings::{Policy, UserPool};

/// Configuration of the HTTP functions: the pool and the policy the use cases are given, and the
/// wiring only `bootstrap` uses (tables, keys, secrets, the issuer and its JWKS).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The pool, its clients and Cognito's public endpoint (the use cases and the console).
    pub pool: UserPool,
    /// The policy knobs the use cases apply.
    pub policy: Policy,
    pub table_name: String,
    /// The audit trail's own table (`AUDIT_TABLE_NAME`).
    pub audit_table_name: String,
    /// Where the pool's signing keys are fetched from. On AWS it derives from the issuer; the
    /// local emulator serves it elsewhere, so it is configuration.
    pub jwks_url: String,
    pub token_issuer: String,
    /// The API's public base URL (`PUBLIC_API_URL`, e.g. behind a custom domain). Unset, it is
    /// read from each request. Impersonated sessions refresh at `{base}/auth/cognito`.
    pub public_api_url: Option<String>,
    /// The KMS key that seals impersonated sessions' refresh tokens (kept for revocation).
    pub refresh_token_key_id: String,
    /// The secret holding actas's signing keys for two-step tokens; only the functions that
    /// issue or exchange them need it (`require_signing_key_secret`).
    pub signing_key_secret_id: Option<String>,
}

impl ApiConfig {
    /// For the functions that sign or verify two-step tokens: refuse to start without the secret.
    pub fn require_signing_key_secret(&self) -> Result<String, ConfigError> {
        self.signing_key_secret_id
            .clone()
            .ok_or_else(|| ConfigError(vec!["SIGNING_KEY_SECRET_ID is required".into()]))
    }

    pub fn from_reader(mut env: EnvReader) -> Result<Self, ConfigError> {
        let region = env.required("AWS_REGION");
        let user_pool_id = env.required("USER_POOL_ID");
        let token_issuer = env.optional("TOKEN_ISSUER").unwrap_or_else(|| {
            format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
        });
        let jwks_url = env
            .optional("JWKS_URL")
            .unwrap_or_else(|| format!("{token_issuer}/.well-known/jwks.json"));
        let cognito_public_endpoint = env
            .optional("COGNITO_PUBLIC_ENDPOINT")
            .unwrap_or_else(|| format!("https://cognito-idp.{region}.amazonaws.com/"));
        // Read in this order, so that the problems are named in it.
        let mode_rules = mode_rules(&mut env);
        let identity_mapping = env.identity_mapping();
        let request_window_secs = env.parsed_or("REQUEST_WINDOW_SECONDS", 900);
        let step_up_max_age_secs = env.parsed_or("STEP_UP_MAX_AGE_SECONDS", 0);
        let table_name = env.required("TABLE_NAME");
        let sign_in_client_id = env.required("SIGN_IN_CLIENT_ID");
        let impersonation_client_id = env.required("IMPERSONATION_CLIENT_ID");
        let revert_client_id = env.required("REVERT_CLIENT_ID");
        let exchange_token_secs = env.parsed_or("EXCHANGE_TOKEN_SECONDS", 120);
        let reason_required = env.parsed_or("REASON_REQUIRED", true);
        let refresh_token_key_id = env.required("REFRESH_TOKEN_KEY_ID");
        let audit_table_name = env.required("AUDIT_TABLE_NAME");
        let token_validity_secs = env.parsed_or::<i64>("IMPERSONATION_TOKEN_MINUTES", 15) * 60;
        let signing_key_secret_id = env.optional("SIGNING_KEY_SECRET_ID");
        let api_key_requests_per_minute = env.parsed_or("API_KEY_REQUESTS_PER_MINUTE", 600);
        let mint_window_secs = env.parsed_or("MINT_WINDOW_SECONDS", 60);
        let impersonation_max_secs = env.parsed_or("IMPERSONATION_MAX_SECONDS", 3600);
        let impersonation_idle_secs = env.parsed_or("IMPERSONATION_IDLE_SECONDS", 1800);
        let api_key_requirement =
            env.parsed_or("API_KEY_REQUIRED", ApiKeyRequirement::UsernameDialect);
        let config = ApiConfig {
            pool: UserPool {
                region,
                user_pool_id,
                sign_in_client_id,
                impersonation_client_id,
                revert_client_id,
                cognito_public_endpoint,
            },
            policy: Policy {
                mint_window_secs,
                impersonation_max_secs,
                impersonation_idle_secs,
                api_key_requirement,
                token_validity_secs,
                reason_required,
                exchange_token_secs,
                api_key_requests_per_minute,
                mode_rules,
                request_window_secs,
                step_up_max_age_secs,
                identity_mapping,
            },
            table_name,
            audit_table_name,
            jwks_url,
            token_issuer,
            public_api_url: env
                .optional("PUBLIC_API_URL")
                .map(|url| url.trim_end_matches('/').to_string())
                .filter(|url| !url.is_empty()),
            refresh_token_key_id,
            signing_key_secret_id,
        };
        let policy = &config.policy;
        if policy.mint_window_secs <= 0
            || policy.impersonation_max_secs <= 0
            || policy.exchange_token_secs <= 0
        {
            env.reject("MINT_WINDOW_SECONDS, IMPERSONATION_MAX_SECONDS and EXCHANGE_TOKEN_SECONDS must be positive");
        }
        if policy.impersonation_max_secs < policy.token_horizon_secs() {
            // Otherwise the first tokens of an impersonation would outlive its end.
            env.reject(format!(
                "IMPERSONATION_MAX_SECONDS ({}) may not be shorter than MINT_WINDOW_SECONDS plus IMPERSONATION_TOKEN_MINUTES ({} s): no token may outlive its impersonation",
                policy.impersonation_max_secs,
                policy.token_horizon_secs()
            ));
        }
        if !(0..=crate::domain::governance::MAX_STEP_UP_SECONDS)
            .contains(&policy.step_up_max_age_secs)
        {
            env.reject(format!(
                "STEP_UP_MAX_AGE_SECONDS must be from 0 (off) to {} seconds",
                crate::domain::governance::MAX_STEP_UP_SECONDS
            ));
        }
        if policy.impersonation_idle_secs < policy.token_horizon_secs() {
            // Otherwise a session would go idle while the tokens of its last refresh still hold.
            env.reject(format!(
                "IMPERSONATION_IDLE_SECONDS ({}) may not be shorter than MINT_WINDOW_SECONDS plus IMPERSONATION_TOKEN_MINUTES ({} s): a session must be able to refresh before it goes idle",
                policy.impersonation_idle_secs,
                policy.token_horizon_secs()
            ));
        }
        env.finish(config)
    }
}

fn mode_rules(env: &mut EnvReader) -> ModeRules {
    let defaults = ModeRules::default();
    let full_roles = match env.optional("FULL_MODE_ROLES") {
        None => defaults.full_roles,
        Some(value) => ModeRules::parse_roles(&value).unwrap_or_else(|| {
            env.reject(format!(
                "FULL_MODE_ROLES={value:?} is not valid (role slugs: team-admin, operator, admin, super-admin)"
            ));
            Vec::new()
        }),
    };
    ModeRules {
        default: env.parsed_or("DEFAULT_IMPERSONATION_MODE", defaults.default),
        full_roles,
        full_requires_ticket: env
            .parsed_or("FULL_MODE_REQUIRES_TICKET", defaults.full_requires_ticket),
    }
}

/// Configuration of the Cognito trigger functions.
#[derive(Debug, Clone)]
pub struct TriggerConfig {
    pub table_name: String,
    /// Custom auth is refused for every other client. (The template names the trigger ARNs by
    /// function name, so the pool does not depend on the functions and this can be a plain
    /// reference to the client without a cycle.)
    pub impersonation_client_id: String,
    /// Custom auth here mints an impersonator's own session (after a revert), without `act`.
    pub revert_client_id: String,
    /// On refresh the actor is read again from the pool, and the policy applied.
    pub user_pool_id: String,
    /// Lifetime of impersonated id/access tokens (the impersonation client's setting): a refresh
    /// whose tokens would outlive the impersonation's hard end is refused.
    pub token_validity_secs: i64,
    /// The OAuth scopes of the pool's resource server (`READ_SCOPE`, `WRITE_SCOPE`; default
    /// `actas/read`, `actas/write`): every access token gets the read scope, and the write
    /// scope unless it is a read-only impersonation's.
    pub scopes: SessionScopes,
    /// Where the pool keeps role, tenant and team (the directory the pre-token trigger writes).
    pub identity_mapping: IdentityMapping,
    /// `CHAIN_POOL_TRIGGERS` (the template sets it when actas joined an existing pool): the
    /// triggers pass what is not actas's to the pool's own functions, read from the attachment
    /// record of `user_pool_id`.
    pub chain_pool_triggers: bool,
}

/// The resource server's scopes the pre-token trigger hands out (a domain type, read here).
pub use crate::domain::scopes::SessionScopes;

impl TriggerConfig {
    pub fn from_reader(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = TriggerConfig {
            table_name: env.required("TABLE_NAME"),
            impersonation_client_id: env.required("IMPERSONATION_CLIENT_ID"),
            revert_client_id: env.required("REVERT_CLIENT_ID"),
            user_pool_id: env.required("USER_POOL_ID"),
            token_validity_secs: env.parsed_or::<i64>("IMPERSONATION_TOKEN_MINUTES", 15) * 60,
            scopes: SessionScopes {
                read: env
                    .optional("READ_SCOPE")
                    .unwrap_or_else(|| SessionScopes::default().read),
                write: env
                    .optional("WRITE_SCOPE")
                    .unwrap_or_else(|| SessionScopes::default().write),
            },
            identity_mapping: env.identity_mapping(),
            chain_pool_triggers: env.parsed_or("CHAIN_POOL_TRIGGERS", false),
        };
        if [&config.scopes.read, &config.scopes.write]
            .iter()
            .any(|scope| scope.contains(char::is_whitespace))
        {
            env.reject("READ_SCOPE and WRITE_SCOPE may not contain spaces");
        }
        env.finish(config)
    }
}

/// A function's configuration, read once at start-up from the environment.
pub trait FromEnv: Sized {
    fn from_env() -> Result<Self, ConfigError>;
}

impl FromEnv for ApiConfig {
    fn from_env() -> Result<Self, ConfigError> {
        Self::from_reader(EnvReader::from_process())
    }
}

impl FromEnv for TriggerConfig {
    fn from_env() -> Result<Self, ConfigError> {
        Self::from_reader(EnvReader::from_process())
    }
}

/// Configuration of the stream → EventBridge function.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    /// `EVENT_BUS_NAME`, default `default`.
    pub event_bus_name: String,
}

impl FromEnv for PublishConfig {
    fn from_env() -> Result<Self, ConfigError> {
        let env = EnvReader::from_process();
        let event_bus_name = env
            .optional("EVENT_BUS_NAME")
            .unwrap_or_else(|| "default".into());
        env.finish(PublishConfig { event_bus_name })
    }
}

/// Configuration of the directory events function: it follows changes to the pool's users, and
/// ends the live impersonations a change no longer allows.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    pub table_name: String,
    pub audit_table_name: String,
    pub user_pool_id: String,
    pub identity_mapping: IdentityMapping,
}

impl FromEnv for DirectoryConfig {
    fn from_env() -> Result<Self, ConfigError> {
        let mut env = EnvReader::from_process();
        let config = DirectoryConfig {
            table_name: env.required("TABLE_NAME"),
            audit_table_name: env.required("AUDIT_TABLE_NAME"),
            user_pool_id: env.required("USER_POOL_ID"),
            identity_mapping: env.identity_mapping(),
        };
        env.finish(config)
    }
}

/// Configuration of the notices function.
#[derive(Debug, Clone)]
pub struct NoticesConfig {
    pub table_name: String,
    pub audit_table_name: String,
    pub user_pool_id: String,
    /// `NOTICE_SENDER`: the deployment-wide From address.
    pub sender: String,
    /// `CONSOLE_URL`: linked from every notice ("Who acted as me").
    pub console_url: Option<String>,
    pub identity_mapping: IdentityMapping,
}

impl FromEnv for NoticesConfig {
    fn from_env() -> Result<Self, ConfigError> {
        let mut env = EnvReader::from_process();
        let config = NoticesConfig {
            table_name: env.required("TABLE_NAME"),
            audit_table_name: env.required("AUDIT_TABLE_NAME"),
            user_pool_id: env.required("USER_POOL_ID"),
            sender: env.required("NOTICE_SENDER"),
            console_url: env.optional("CONSOLE_URL"),
            identity_mapping: env.identity_mapping(),
        };
        env.finish(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mode::Mode;
    use crate::domain::policy::Role;

    fn reader(pairs: &[(&str, &str)]) -> EnvReader {
        EnvReader::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn names_every_missing_variable() {
        let err = ApiConfig::from_reader(reader(&[("AWS_REGION", "us-east-1")])).unwrap_err();
        let text = err.to_string();
        for name in [
            "TABLE_NAME",
            "AUDIT_TABLE_NAME",
            "USER_POOL_ID",
            "SIGN_IN_CLIENT_ID",
            "IMPERSONATION_CLIENT_ID",
        ] {
            assert!(text.contains(name), "{text} should name {name}");
        }
    }

    #[test]
    fn derives_cognito_urls_from_region_and_pool() {
        let config = ApiConfig::from_reader(reader(&[
            ("AWS_REGION", "eu-west-1"),
            ("TABLE_NAME", "t"),
            ("AUDIT_TABLE_NAME", "a"),
            ("USER_POOL_ID", "eu-west-1_abc"),
            ("SIGN_IN_CLIENT_ID", "s"),
            ("IMPERSONATION_CLIENT_ID", "i"),
            ("REVERT_CLIENT_ID", "r"),
            ("REFRESH_TOKEN_KEY_ID", "k"),
        ]))
        .unwrap();
        assert_eq!(
            config.token_issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
        );
        assert_eq!(
            config.jwks_url,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json"
        );
        assert_eq!(config.policy.impersonation_max_secs, 3600);
        assert_eq!(config.policy.impersonation_idle_secs, 1800);
        assert_eq!(
            config.policy.api_key_requirement,
            ApiKeyRequirement::UsernameDialect
        );
    }

    #[test]
    fn the_idle_timeout_may_not_be_shorter_than_the_token_horizon() {
        // The horizon: a 60 s mint window and 15-minute tokens (960 s).
        for (idle, accepted) in [
            ("959", false),
            ("960", true),
            ("1800", true),
            ("soon", false),
        ] {
            let mut vars = API_VARS.to_vec();
            vars.push(("IMPERSONATION_IDLE_SECONDS", idle));
            match ApiConfig::from_reader(reader(&vars)) {
                Ok(config) => {
                    assert!(accepted, "{idle} accepted");
                    assert_eq!(config.policy.impersonation_idle_secs.to_string(), idle);
                }
                Err(err) => {
                    assert!(!accepted, "{idle} refused: {err}");
                    assert!(
                        err.to_string().contains("IMPERSONATION_IDLE_SECONDS"),
                        "{err}"
                    );
                }
            }
        }
    }

    #[test]
    fn rejects_malformed_numbers_and_modes() {
        let err = ApiConfig::from_reader(reader(&[
            ("AWS_REGION", "eu-west-1"),
            ("TABLE_NAME", "t"),
            ("USER_POOL_ID", "p"),
            ("SIGN_IN_CLIENT_ID", "s"),
            ("IMPERSONATION_CLIENT_ID", "i"),
            ("REVERT_CLIENT_ID", "r"),
            ("IMPERSONATION_MAX_SECONDS", "an hour"),
            ("API_KEY_REQUIRED", "sometimes"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("IMPERSONATION_MAX_SECONDS"));
        assert!(err.to_string().contains("API_KEY_REQUIRED"));
    }

    const API_VARS: [(&str, &str); 8] = [
        ("AWS_REGION", "eu-west-1"),
        ("TABLE_NAME", "t"),
        ("AUDIT_TABLE_NAME", "a"),
        ("USER_POOL_ID", "p"),
        ("SIGN_IN_CLIENT_ID", "s"),
        ("IMPERSONATION_CLIENT_ID", "i"),
        ("REVERT_CLIENT_ID", "r"),
        ("REFRESH_TOKEN_KEY_ID", "k"),
    ];

    #[test]
    fn mode_rules_default_to_read_only_and_parse_from_the_environment() {
        let config = ApiConfig::from_reader(reader(&API_VARS)).unwrap();
        assert_eq!(config.policy.mode_rules, ModeRules::default());
        assert_eq!(config.policy.mode_rules.default, Mode::ReadOnly);

        let mut vars = API_VARS.to_vec();
        vars.extend([
            ("DEFAULT_IMPERSONATION_MODE", "full"),
            ("FULL_MODE_ROLES", "admin, super-admin"),
            ("FULL_MODE_REQUIRES_TICKET", "true"),
        ]);
        let rules = ApiConfig::from_reader(reader(&vars))
            .unwrap()
            .policy
            .mode_rules;
        assert_eq!(
            rules,
            ModeRules {
                default: Mode::Full,
                full_roles: vec![Role::Admin, Role::SuperAdmin],
                full_requires_ticket: true,
            }
        );

        let mut bad = API_VARS.to_vec();
        bad.extend([
            ("DEFAULT_IMPERSONATION_MODE", "write"),
            ("FULL_MODE_ROLES", "admin,root"),
            ("FULL_MODE_REQUIRES_TICKET", "maybe"),
        ]);
        let err = ApiConfig::from_reader(reader(&bad))
            .unwrap_err()
            .to_string();
        for name in [
            "DEFAULT_IMPERSONATION_MODE",
            "FULL_MODE_ROLES",
            "FULL_MODE_REQUIRES_TICKET",
        ] {
            assert!(err.contains(name), "{err} should name {name}");
        }
    }

    #[test]
    fn trigger_scopes_default_and_may_not_hold_spaces() {
        let vars = [
            ("TABLE_NAME", "t"),
            ("IMPERSONATION_CLIENT_ID", "i"),
            ("REVERT_CLIENT_ID", "r"),
            ("USER_POOL_ID", "p"),
        ];
        let config = TriggerConfig::from_reader(reader(&vars)).unwrap();
        assert_eq!(config.scopes.write, "actas/write");
        assert_eq!(config.scopes.read, "actas/read");
        let mut custom = vars.to_vec();
        custom.push(("WRITE_SCOPE", "https://api.example/write"));
        let config = TriggerConfig::from_reader(reader(&custom)).unwrap();
        assert_eq!(config.scopes.write, "https://api.example/write");
        let mut spaced = vars.to_vec();
        spaced.push(("WRITE_SCOPE", "a b"));
        assert!(TriggerConfig::from_reader(reader(&spaced)).is_err());
    }

    #[test]
    fn triggers_chain_the_pools_functions_only_when_told() {
        let vars = [
            ("TABLE_NAME", "t"),
            ("IMPERSONATION_CLIENT_ID", "i"),
            ("REVERT_CLIENT_ID", "r"),
            ("USER_POOL_ID", "p"),
        ];
        let config = TriggerConfig::from_reader(reader(&vars)).unwrap();
        assert!(!config.chain_pool_triggers, "a pool actas created");
        for (value, chained) in [("true", true), ("false", false)] {
            let mut joined = vars.to_vec();
            joined.push(("CHAIN_POOL_TRIGGERS", value));
            let config = TriggerConfig::from_reader(reader(&joined)).unwrap();
            assert_eq!(config.chain_pool_triggers, chained, "{value}");
        }
        let mut bad = vars.to_vec();
        bad.push(("CHAIN_POOL_TRIGGERS", "yes"));
        let err = TriggerConfig::from_reader(reader(&bad)).unwrap_err();
        assert!(err.to_string().contains("CHAIN_POOL_TRIGGERS"), "{err}");
    }
}

#[derive(Debug, Clone)]
pub struct CleanupConfig {
    pub table_name: String,
    pub user_pool_id: String,
    pub impersonation_client_id: String,
    pub refresh_token_key_id: String,
    pub audit_table_name: String,
    /// How long one run may work before it stops and leaves the rest to the next.
    pub budget: Duration,
    pub identity_mapping: IdentityMapping,
}

impl FromEnv for CleanupConfig {
    fn from_env() -> std::result::Result<Self, ConfigError> {
        let mut env = EnvReader::from_process();
        let config = CleanupConfig {
            table_name: env.required("TABLE_NAME"),
            user_pool_id: env.required("USER_POOL_ID"),
            impersonation_client_id: env.required("IMPERSONATION_CLIENT_ID"),
            refresh_token_key_id: env.required("REFRESH_TOKEN_KEY_ID"),
            audit_table_name: env.required("AUDIT_TABLE_NAME"),
            budget: Duration::from_secs(env.parsed_or("CLEANUP_BUDGET_SECONDS", 20)),
            identity_mapping: env.identity_mapping(),
        };
        env.finish(config)
    }
}

/// Configuration of the pool attachment custom resource function (the pool and actas's four
/// functions come with each request, as the resource's properties).
#[derive(Debug, Clone)]
pub struct PoolAttachmentConfig {
    /// `TABLE_NAME`: actas's table, which keeps the attachment record.
    pub table_name: String,
}

impl FromEnv for PoolAttachmentConfig {
    fn from_env() -> std::result::Result<Self, ConfigError> {
        let mut env = EnvReader::from_process();
        let config = PoolAttachmentConfig {
            table_name: env.required("TABLE_NAME"),
        };
        env.finish(config)
    }
}
