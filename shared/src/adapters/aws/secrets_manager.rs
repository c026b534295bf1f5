//! The Secrets Manager adapter of the signing-key port.

use crate::domain::error::{ActasError, Result};
use crate::domain::exchange::{parse_key_set, SigningKey};
use crate::ports::signing_keys::SigningKeySource;
use async_trait::async_trait;
use tracing::warn;

pub struct SecretsManagerKeys {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

impl SecretsManagerKeys {
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerKeys {
            client,
            secret_id: secret_id.into(),
        }
    }
}

#[async_trait]
impl SigningKeySource for SecretsManagerKeys {
    async fn load(&self) -> Result<Vec<SigningKey>> {
        let output = self.client.get_secret_value().secret_id(&self.secret_id).send().await.map_err(|e| {
            warn!(error = %aws_sdk_secretsmanager::error::DisplayErrorContext(&e), "GetSecretValue failed");
            ActasError::Upstream("GetSecretValue".into())
        })?;
        parse_key_set(output.secret_string().unwrap_or_default())
    }
}
