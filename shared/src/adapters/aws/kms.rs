//! The KMS adapter of the refresh-token vault: sealed with KMS, bound to its impersonation by the
//! encryption context, never in the clear.

use crate::domain::error::{ActasError, Result};
use crate::ports::vault::RefreshTokenVault;
use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tracing::warn;

pub struct KmsVault {
    client: aws_sdk_kms::Client,
    key_id: String,
}

impl KmsVault {
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        KmsVault {
            client,
            key_id: key_id.into(),
        }
    }
}

pub(crate) const CONTEXT_KEY: &str = "actas:impersonation_id";

pub(crate) fn kms_failure<E: std::error::Error + 'static>(operation: &str, err: E) -> ActasError {
    warn!(operation, error = %aws_sdk_kms::error::DisplayErrorContext(&err), "KMS call failed");
    ActasError::Upstream(operation.to_string())
}

#[async_trait]
impl RefreshTokenVault for KmsVault {
    async fn seal(&self, impersonation_id: &str, refresh_token: &str) -> Result<String> {
        let output = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(refresh_token.as_bytes()))
            .encryption_context(CONTEXT_KEY, impersonation_id)
            .send()
            .await
            .map_err(|e| kms_failure("Encrypt", e))?;
        let blob = output
            .ciphertext_blob()
            .ok_or_else(|| ActasError::Upstream("Encrypt: no ciphertext".into()))?;
        Ok(STANDARD.encode(blob.as_ref()))
    }

    async fn open(&self, impersonation_id: &str, sealed: &str) -> Result<String> {
        let ciphertext = STANDARD
            .decode(sealed)
            .map_err(|_| ActasError::Internal("sealed token is not base64".into()))?;
        let output = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_context(CONTEXT_KEY, impersonation_id)
            .send()
            .await
            .map_err(|e| kms_failure("Decrypt", e))?;
        let plaintext = output
            .plaintext()
            .ok_or_else(|| ActasError::Upstream("Decrypt: no plaintext".into()))?;
        String::from_utf8(plaintext.as_ref().to_vec())
            .map_err(|_| ActasError::Internal("sealed token is not text".into()))
    }
}
