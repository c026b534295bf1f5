//! The deployed wiring: what each function builds from its configuration and one SDK
//! configuration — only the clients its route uses. One builder per function, named like it;
//! the only place that chooses AWS adapters (the use cases see ports).

pub mod config;
pub mod ssf;

use crate::adapters::aws::cognito::CognitoIdentityProvider;
use crate::adapters::aws::dynamodb::audit::DynamoAuditStore;
use crate::adapters::aws::dynamodb::DynamoStore;
use crate::adapters::aws::eventbridge::EventBridgePublisher;
use crate::adapters::aws::kms::KmsVault;
use crate::adapters::aws::lambda::LambdaTriggerInvoker;
use crate::adapters::aws::secrets_manager::SecretsManagerKeys;
use crate::adapters::jwks::HttpJwksSource;
use crate::app::audit_trail::AuditTrail;
use crate::app::cleanup::CleanupState;
use crate::app::directory::DirectoryState;
use crate::app::exchange::ExchangeState;
use crate::app::exchange_tokens::ExchangeTokens;
use crate::app::governance::{Governance, GovernanceState};
use crate::app::impersonate::ImpersonateState;
use crate::app::issue_token::IssueTokenState;
use crate::app::notices::NoticeState;
use crate::app::profiles::ProfilesState;
use crate::app::state::{Api, ReadState, SessionState, Sessions};
use crate::app::token_verifier::JwtVerifier;
use crate::bootstrap::config::NoticesConfig;
use crate::bootstrap::config::{
    ApiConfig, CleanupConfig, DirectoryConfig, FromEnv, PublishConfig, TriggerConfig,
};
use crate::domain::error::{ActasError, Result};
use crate::ports::clock::SystemClock;
use crate::triggers::chain::PoolTriggerChain;
use crate::triggers::{CustomAuthClients, CustomAuthTrigger, TriggerState};
use aws_config::SdkConfig;
use lambda_runtime::{service_fn, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use tracing_subscriber::filter::LevelFilter;

/// The common part of every API function: the pool (Cognito), the audit trail (DynamoDB), and
/// the pool's JWKS over HTTPS.
fn api(config: ApiConfig, sdk: &SdkConfig, dynamodb: &aws_sdk_dynamodb::Client) -> Result<Api> {
    let identity = Arc::new(CognitoIdentityProvider::new(
        aws_sdk_cognitoidentityprovider::Client::new(sdk),
        &config.pool.user_pool_id,
        config.policy.identity_mapping.clone(),
    ));
    let verifier = JwtVerifier::new(
        Arc::new(HttpJwksSource::new(&config.jwks_url)?),
        &config.token_issuer,
        vec![
            config.pool.sign_in_client_id.clone(),
            config.pool.revert_client_id.clone(),
            config.pool.impersonation_client_id.clone(),
        ],
    )?;
    let audit = AuditTrail {
        store: Arc::new(DynamoAuditStore::new(
            dynamodb.clone(),
            &config.audit_table_name,
        )),
    };
    Ok(Api {
        policy: config.policy,
        pool: config.pool,
        public_api_url: config.public_api_url,
        clock: Arc::new(SystemClock),
        verifier,
        identity,
        audit,
    })
}

/// Routes that start or end sessions add the grants table (the function's one store) and the
/// KMS vault.
fn sessions(config: &ApiConfig, sdk: &SdkConfig, grants: Arc<DynamoStore>) -> Sessions {
    Sessions {
        impersonations: grants,
        vault: Arc::new(KmsVault::new(
            aws_sdk_kms::Client::new(sdk),
            &config.refresh_token_key_id,
        )),
    }
}

/// The token routes add the two-step grants and the signing keys from Secrets Manager.
fn exchange_tokens(config: &ApiConfig, sdk: &SdkConfig) -> Result<ExchangeTokens> {
    let secret_id = config
        .require_signing_key_secret()
        .map_err(|e| ActasError::Internal(e.to_string()))?;
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    Ok(ExchangeTokens::new(Arc::new(SecretsManagerKeys::new(
        client, &secret_id,
    ))))
}

/// `ImpersonateFunction`: `POST /auth/impersonate`.
pub fn impersonate(config: ApiConfig, sdk: &SdkConfig) -> Result<ImpersonateState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let grants = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    let sessions = sessions(&config, sdk, grants.clone());
    let governance = Governance::new(grants.clone(), &config.policy);
    Ok(ImpersonateState {
        api: api(config, sdk, &dynamodb)?,
        sessions,
        api_keys: grants.clone(),
        directory: grants,
        governance,
    })
}

fn issue_token(config: ApiConfig, sdk: &SdkConfig) -> Result<IssueTokenState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let tokens = exchange_tokens(&config, sdk)?;
    let exchanges = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    let governance = Governance::new(exchanges.clone(), &config.policy);
    Ok(IssueTokenState {
        api: api(config, sdk, &dynamodb)?,
        exchanges,
        tokens,
        governance,
    })
}

/// `CoworkerImpersonateFunction`: `GET /api/public/coworkers/{coworkerId}/impersonate`.
pub fn coworker_impersonate(config: ApiConfig, sdk: &SdkConfig) -> Result<IssueTokenState> {
    issue_token(config, sdk)
}

/// `SysImpersonateFunction`: `GET /api/sys/users/impersonate`.
pub fn sys_impersonate(config: ApiConfig, sdk: &SdkConfig) -> Result<IssueTokenState> {
    issue_token(config, sdk)
}

fn exchange(config: ApiConfig, sdk: &SdkConfig) -> Result<ExchangeState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let tokens = exchange_tokens(&config, sdk)?;
    let grants = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    let sessions = sessions(&config, sdk, grants.clone());
    let governance = Governance::new(grants.clone(), &config.policy);
    Ok(ExchangeState {
        api: api(config, sdk, &dynamodb)?,
        sessions,
        exchanges: grants.clone(),
        tokens,
        directory: grants,
        governance,
    })
}

/// `LoginExchangeFunction`: `POST /api/public/auth/login/{token}`.
pub fn login_exchange(config: ApiConfig, sdk: &SdkConfig) -> Result<ExchangeState> {
    exchange(config, sdk)
}

/// `SysExchangeFunction`: `POST /api/sys/users/exchange`.
pub fn sys_exchange(config: ApiConfig, sdk: &SdkConfig) -> Result<ExchangeState> {
    exchange(config, sdk)
}

/// `ProfilesFunction`: `GET /api/public/coworkers/profiles` reads the directory.
pub fn profiles(config: ApiConfig, sdk: &SdkConfig) -> Result<ProfilesState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let directory = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    Ok(ProfilesState {
        api: api(config, sdk, &dynamodb)?,
        directory,
    })
}

fn session_routes(config: ApiConfig, sdk: &SdkConfig) -> Result<SessionState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let grants = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    let sessions = sessions(&config, sdk, grants);
    Ok(SessionState {
        api: api(config, sdk, &dynamodb)?,
        sessions,
    })
}

/// `RevertFunction`: `POST /auth/impersonate/revert`.
pub fn revert(config: ApiConfig, sdk: &SdkConfig) -> Result<SessionState> {
    session_routes(config, sdk)
}

/// `StopFunction`: `DELETE /auth/impersonations/{id}` and `DELETE /auth/impersonate`.
pub fn stop(config: ApiConfig, sdk: &SdkConfig) -> Result<SessionState> {
    session_routes(config, sdk)
}

/// `CognitoEndpointFunction`: `POST /auth/cognito`.
pub fn cognito_endpoint(config: ApiConfig, sdk: &SdkConfig) -> Result<SessionState> {
    session_routes(config, sdk)
}

fn read_routes(config: ApiConfig, sdk: &SdkConfig) -> Result<ReadState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let impersonations = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    Ok(ReadState {
        api: api(config, sdk, &dynamodb)?,
        impersonations,
    })
}

/// `NoticesFunction`: the audit stream → emails to the people acted as.
pub fn notices(config: NoticesConfig, sdk: &SdkConfig) -> Result<NoticeState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    Ok(NoticeState {
        settings: Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name)),
        identity: Arc::new(CognitoIdentityProvider::new(
            aws_sdk_cognitoidentityprovider::Client::new(sdk),
            &config.user_pool_id,
            config.identity_mapping.clone(),
        )),
        notifier: Arc::new(crate::adapters::aws::ses::SesNotifier::new(
            aws_sdk_sesv2::Client::new(sdk),
            &config.sender,
        )),
        audit: AuditTrail {
            store: Arc::new(DynamoAuditStore::new(dynamodb, &config.audit_table_name)),
        },
        clock: Arc::new(SystemClock),
        console_url: config.console_url,
    })
}

/// `SettingsFunction`, `RequestsFunction`, `ProtectionFunction`: the governance routes.
pub fn governance(config: ApiConfig, sdk: &SdkConfig) -> Result<GovernanceState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let store = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    let governance = Governance::new(store, &config.policy);
    Ok(GovernanceState {
        api: api(config, sdk, &dynamodb)?,
        governance,
    })
}

/// `MeFunction`: `GET /auth/me` (the caller, read fresh from the pool); also
/// `ProtectionFunction` (`GET|PUT /auth/users/{id}/protection`, the pool's attribute).
pub fn me(config: ApiConfig, sdk: &SdkConfig) -> Result<Api> {
    api(config, sdk, &aws_sdk_dynamodb::Client::new(sdk))
}

/// `AuditLogFunction`: `GET /auth/audit` (the audit table, read).
pub fn audit_log(config: ApiConfig, sdk: &SdkConfig) -> Result<Api> {
    api(config, sdk, &aws_sdk_dynamodb::Client::new(sdk))
}

/// `TokenCheckFunction`: `GET /auth/token`.
pub fn token_check(config: ApiConfig, sdk: &SdkConfig) -> Result<ReadState> {
    read_routes(config, sdk)
}

/// `ListImpersonationsFunction`: `GET /auth/impersonations`.
pub fn list_impersonations(config: ApiConfig, sdk: &SdkConfig) -> Result<ReadState> {
    read_routes(config, sdk)
}

/// In a pool actas joined (`CHAIN_POOL_TRIGGERS`), the pool's own trigger functions: the
/// attachment record (in the grants table) names them, Lambda calls them. `None` in a pool
/// actas created: there is nothing to pass on.
fn pool_chain(
    config: &TriggerConfig,
    sdk: &SdkConfig,
    attachments: Arc<DynamoStore>,
) -> Option<PoolTriggerChain> {
    config.chain_pool_triggers.then(|| {
        PoolTriggerChain::new(
            &config.user_pool_id,
            attachments,
            Arc::new(LambdaTriggerInvoker::new(aws_sdk_lambda::Client::new(sdk))),
            Arc::new(SystemClock),
        )
    })
}

/// The grants table only: what the verify and pre-token triggers read and redeem (and the
/// directory, in the same table, that a sign-in refreshes); in a pool actas joined, the pool's
/// own functions too.
fn grant_triggers(config: TriggerConfig, sdk: &SdkConfig) -> Result<TriggerState> {
    let grants = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        &config.table_name,
    ));
    let chain = pool_chain(&config, sdk, grants.clone());
    Ok(TriggerState {
        store: grants.clone(),
        directory: grants,
        impersonation_client_id: config.impersonation_client_id,
        revert_client_id: config.revert_client_id,
        scopes: config.scopes,
        clock: Arc::new(SystemClock),
        identity_mapping: config.identity_mapping,
        chain,
    })
}

/// `VerifyAuthChallengeFunction`: redeems grants.
pub fn verify_auth_challenge(config: TriggerConfig, sdk: &SdkConfig) -> Result<TriggerState> {
    grant_triggers(config, sdk)
}

/// `PreTokenGenerationFunction`: reads the grant a session was minted for.
pub fn pre_token_generation(config: TriggerConfig, sdk: &SdkConfig) -> Result<TriggerState> {
    grant_triggers(config, sdk)
}

/// The client ids; in a pool actas joined, the pool's own functions as well. Only then is an
/// SDK configuration built (`start_without_aws` builds none): in a pool actas created these two
/// functions call no AWS service and their cold start stays without one.
fn custom_auth(config: TriggerConfig) -> CustomAuthTrigger {
    let clients = CustomAuthClients {
        impersonation_client_id: config.impersonation_client_id.clone(),
        revert_client_id: config.revert_client_id.clone(),
    };
    let chain = if config.chain_pool_triggers {
        let sdk = crate::adapters::https::sdk_config();
        let attachments = Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            &config.table_name,
        ));
        pool_chain(&config, &sdk, attachments)
    } else {
        None
    };
    CustomAuthTrigger { clients, chain }
}

/// `DefineAuthChallengeFunction`: the client ids (and a joined pool's own functions).
pub fn define_auth_challenge(config: TriggerConfig) -> CustomAuthTrigger {
    custom_auth(config)
}

/// `CreateAuthChallengeFunction`: the client ids (and a joined pool's own functions).
pub fn create_auth_challenge(config: TriggerConfig) -> CustomAuthTrigger {
    custom_auth(config)
}

/// `CleanupFunction`: ends what expired, revokes, deletes expired grants.
pub fn cleanup(config: CleanupConfig, sdk: &SdkConfig) -> Result<CleanupState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let store = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    Ok(CleanupState {
        impersonations: store.clone(),
        cleanup: store,
        identity: Arc::new(CognitoIdentityProvider::new(
            aws_sdk_cognitoidentityprovider::Client::new(sdk),
            &config.user_pool_id,
            config.identity_mapping.clone(),
        )),
        vault: Arc::new(KmsVault::new(
            aws_sdk_kms::Client::new(sdk),
            &config.refresh_token_key_id,
        )),
        audit: AuditTrail {
            store: Arc::new(DynamoAuditStore::new(dynamodb, &config.audit_table_name)),
        },
        clock: Arc::new(SystemClock),
        impersonation_client_id: config.impersonation_client_id,
        budget: config.budget,
    })
}

/// `DirectoryEventsFunction`: reads users from the pool, writes the directory.
pub fn directory_events(config: DirectoryConfig, sdk: &SdkConfig) -> Result<DirectoryState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let store = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    Ok(DirectoryState {
        identity: Arc::new(CognitoIdentityProvider::new(
            aws_sdk_cognitoidentityprovider::Client::new(sdk),
            &config.user_pool_id,
            config.identity_mapping.clone(),
        )),
        directory: store.clone(),
        impersonations: store,
        audit: AuditTrail {
            store: Arc::new(DynamoAuditStore::new(dynamodb, &config.audit_table_name)),
        },
        clock: Arc::new(SystemClock),
        user_pool_id: config.user_pool_id,
    })
}

/// `PublishEventsFunction`: EventBridge only.
pub fn publish_events(config: PublishConfig, sdk: &SdkConfig) -> Result<EventBridgePublisher> {
    Ok(EventBridgePublisher::new(
        aws_sdk_eventbridge::Client::new(sdk),
        config.event_bus_name,
    ))
}

/// How the audit table's stream images become audit records (the audit store adapter's mapping):
/// what `publish-events`, `notices` and `ssf-deliver` hand their use case.
pub fn audit_image_decoder() -> crate::app::publish_events::DecodeImage {
    crate::adapters::aws::dynamodb::audit::record_from_image
}

/// Structured logs as Lambda configures them: JSON when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, at
/// `AWS_LAMBDA_LOG_LEVEL` (or `RUST_LOG`, a plain level; default INFO). A level filter rather than
/// `lambda_runtime`'s `EnvFilter`: per-module directives are not worth their regex engine in
/// every binary and at every cold start.
pub fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level)
        .with_writer(std::io::stdout);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // An error means a subscriber is set already (a second start in one process): keep it.
    let _ = if json {
        logs.json().try_init()
    } else {
        logs.try_init()
    };
}

/// A function's start, called by its `main` with its builder above: logging, its configuration
/// from the environment (refusing to start with a message naming every problem), one SDK
/// configuration, and its state.
pub async fn start<C: FromEnv, S>(
    build: fn(C, &SdkConfig) -> Result<S>,
) -> std::result::Result<S, lambda_runtime::Error> {
    init_logging();
    let config = C::from_env()?;
    let sdk = crate::adapters::https::sdk_config();
    Ok(build(config, &sdk)?)
}

/// The one SDK configuration of a function, for a `main` that wires its own clients (the sample
/// service): Lambda's environment, the compiled-in roots and ring (`adapters::https`).
pub fn sdk_config() -> SdkConfig {
    crate::adapters::https::sdk_config()
}

/// The start of a function that calls no AWS service: no SDK configuration is loaded.
pub fn start_without_aws<C: FromEnv, S>(
    build: fn(C) -> S,
) -> std::result::Result<S, lambda_runtime::Error> {
    init_logging();
    Ok(build(C::from_env()?))
}

/// Runs a function whose events are JSON (the Cognito triggers, the schedule, the stream): each
/// read as `E` (a typed event such as the stream's `StreamBatch`, or the JSON value itself) by
/// the runtime, which fails an invocation whose event does not read. An error of the handler
/// fails the invocation too, which is what Cognito and the stream act on.
pub async fn run_event<E, F, Fut, T>(handler: F) -> std::result::Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned,
    F: Fn(E) -> Fut,
    Fut: Future<Output = Result<T>>,
    T: Serialize,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| async move {
        let answer = handler(event.payload).await?;
        Ok::<Value, lambda_runtime::Error>(serde_json::to_value(answer)?)
    }))
    .await
}

/// `PoolAttachmentFunction`: the custom resource that attaches actas to a pool it did not
/// create (Cognito for the pool, DynamoDB for the record, HTTPS for CloudFormation's answer).
pub fn pool_attachment(
    config: config::PoolAttachmentConfig,
    sdk: &SdkConfig,
) -> Result<crate::app::pool_attachment::custom_resource::PoolAttachmentState> {
    use crate::adapters::aws::cloudformation::CloudFormationResponder;
    use crate::adapters::aws::user_pool::CognitoUserPoolAdmin;
    Ok(
        crate::app::pool_attachment::custom_resource::PoolAttachmentState {
            pools: Arc::new(CognitoUserPoolAdmin::new(
                aws_sdk_cognitoidentityprovider::Client::new(sdk),
            )),
            attachments: Arc::new(DynamoStore::new(
                aws_sdk_dynamodb::Client::new(sdk),
                &config.table_name,
            )),
            responder: Arc::new(CloudFormationResponder::new()),
            clock: Arc::new(SystemClock),
        },
    )
}
