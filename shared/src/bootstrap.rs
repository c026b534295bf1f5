//! The deployed wiring: what each kind of function builds from its configuration and one SDK
//! configuration. The only place that chooses AWS adapters; the use cases see ports.

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::audit::AuditTrail;
use crate::cleanup::{CleanupConfig, CleanupState};
use crate::clock::SystemClock;
use crate::cognito::CognitoIdentityProvider;
use crate::config::{ApiConfig, TriggerConfig};
use crate::dynamodb::DynamoStore;
use crate::dynamodb_audit::DynamoAuditStore;
use crate::error::Result;
use crate::exchange::{ExchangeTokens, SecretsManagerKeys};
use crate::impersonation::ApiState;
use crate::jwt::{HttpJwksSource, JwtVerifier};
use crate::triggers::TriggerState;
use crate::vault::KmsVault;

/// The HTTP functions: Cognito and DynamoDB adapters over one SDK configuration (one client
/// per service, shared), the pool's JWKS over HTTP, the KMS vault, and (when configured) the
/// signing keys from Secrets Manager.
pub fn api_state(config: ApiConfig, sdk: &SdkConfig) -> Result<ApiState> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let store = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    let identity = Arc::new(CognitoIdentityProvider::new(
        aws_sdk_cognitoidentityprovider::Client::new(sdk),
        &config.user_pool_id,
    ));
    let verifier = JwtVerifier::new(
        Arc::new(HttpJwksSource::new(&config.jwks_url)?),
        &config.token_issuer,
        vec![
            config.sign_in_client_id.clone(),
            config.revert_client_id.clone(),
            config.impersonation_client_id.clone(),
        ],
    );
    let exchange_tokens = config.signing_key_secret_id.as_ref().map(|secret_id| {
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        ExchangeTokens::new(Arc::new(SecretsManagerKeys::new(client, secret_id)))
    });
    let vault = Arc::new(KmsVault::new(
        aws_sdk_kms::Client::new(sdk),
        &config.refresh_token_key_id,
    ));
    let audit = AuditTrail {
        store: Arc::new(DynamoAuditStore::new(dynamodb, &config.audit_table_name)),
    };
    Ok(ApiState {
        audit,
        vault,
        config,
        verifier,
        identity,
        impersonations: store.clone(),
        exchanges: store.clone(),
        api_keys: store,
        exchange_tokens,
        clock: Arc::new(SystemClock),
    })
}

/// An HTTP function's start: its configuration from the environment (refusing to start with a
/// message naming every problem), one SDK configuration, and its wiring.
pub async fn api_state_from_env() -> std::result::Result<ApiState, lambda_runtime::Error> {
    let config = ApiConfig::from_env()?;
    let sdk = aws_config::load_from_env().await;
    Ok(api_state(config, &sdk)?)
}

/// The verify and pre-token triggers: the grants table only.
pub fn trigger_state(config: TriggerConfig, sdk: &SdkConfig) -> TriggerState {
    TriggerState {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &config.table_name,
        )),
        impersonation_client_id: config.impersonation_client_id,
        revert_client_id: config.revert_client_id,
        clock: Arc::new(SystemClock),
    }
}

/// The scheduled cleanup.
pub fn cleanup_state(config: CleanupConfig, sdk: &SdkConfig) -> CleanupState {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let store = Arc::new(DynamoStore::new(dynamodb.clone(), &config.table_name));
    CleanupState {
        impersonations: store.clone(),
        cleanup: store,
        identity: Arc::new(CognitoIdentityProvider::new(
            aws_sdk_cognitoidentityprovider::Client::new(sdk),
            &config.user_pool_id,
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
    }
}
