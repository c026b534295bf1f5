//! What the Shared Signals functions build: the grants table (receivers, streams, pending
//! SETs), the KMS signing key, the KMS vault (sealed push headers) and the HTTPS pusher.

use crate::adapters::aws::dynamodb::DynamoStore;
use crate::adapters::aws::kms::KmsVault;
use crate::adapters::aws::kms_set_signer::KmsSetSigner;
use crate::adapters::set_push::HttpSetPusher;
use crate::app::ssf::SsfState;
use crate::bootstrap::config::{ConfigError, EnvReader, FromEnv};
use crate::domain::error::Result;
use crate::http::ssf::SsfRoutes;
use crate::ports::clock::SystemClock;
use aws_config::SdkConfig;
use std::sync::Arc;

/// Configuration of the SSF functions.
#[derive(Debug, Clone)]
pub struct SsfConfig {
    pub table_name: String,
    /// `SET_SIGNING_KEY_ID`: the KMS key SETs are signed with.
    pub signing_key_id: String,
    /// `REFRESH_TOKEN_KEY_ID`: the KMS key that seals the receivers' push headers.
    pub sealing_key_id: String,
    /// `SSF_ISSUER`: required by the delivery function, optional for the routes.
    pub issuer: Option<String>,
    pub public_api_url: Option<String>,
    pub region: String,
}

impl FromEnv for SsfConfig {
    fn from_env() -> std::result::Result<Self, ConfigError> {
        let mut env = EnvReader::from_process();
        let config = SsfConfig {
            table_name: env.required("TABLE_NAME"),
            signing_key_id: env.required("SET_SIGNING_KEY_ID"),
            sealing_key_id: env.required("REFRESH_TOKEN_KEY_ID"),
            issuer: env.optional("SSF_ISSUER"),
            public_api_url: env.optional("PUBLIC_API_URL"),
            region: env
                .optional("AWS_REGION")
                .unwrap_or_else(|| "us-east-1".into()),
        };
        env.finish(config)
    }
}

pub fn state(config: &SsfConfig, sdk: &SdkConfig) -> SsfState {
    let kms = aws_sdk_kms::Client::new(sdk);
    SsfState {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &config.table_name,
        )),
        signer: Arc::new(KmsSetSigner::new(kms.clone(), &config.signing_key_id)),
        pusher: Arc::new(HttpSetPusher::new()),
        vault: Arc::new(KmsVault::new(kms, &config.sealing_key_id)),
        clock: Arc::new(SystemClock),
    }
}

/// `SsfFunction`: the transmitter's metadata, key set, streams and status.
pub fn routes(config: SsfConfig, sdk: &SdkConfig) -> Result<SsfRoutes> {
    Ok(SsfRoutes {
        ssf: state(&config, sdk),
        issuer: config.issuer,
        public_api_url: config.public_api_url,
        region: config.region,
    })
}

/// `SsfDeliverFunction`: the audit stream's ended sessions as SETs, and the retry schedule.
pub fn deliver(config: SsfConfig, sdk: &SdkConfig) -> Result<(SsfState, String)> {
    let issuer = config.issuer.clone().ok_or_else(|| {
        crate::domain::error::ActasError::Internal("SSF_ISSUER is required".into())
    })?;
    Ok((state(&config, sdk), issuer))
}
