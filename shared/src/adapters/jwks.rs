//! The pool's JWKS over HTTPS: the real adapter of the JWKS port. One GET through the same
//! TLS connector the SDK uses (no second HTTP stack, no certificate store read at start-up): the
//! key source actas hands the kit's verifier.

use std::time::Duration;

use async_trait::async_trait;
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::byte_stream::ByteStream;

use crate::adapters::https::connector;
use crate::domain::error::{ActasError, Result};
use crate::ports::jwks::{Jwks, JwksSource};
use actas_verify::{VerifyError, MAX_JWKS_BYTES};

const TIMEOUT: Duration = Duration::from_secs(5);

pub struct HttpJwksSource {
    /// Built on the first fetch, not at start-up.
    connector: tokio::sync::OnceCell<Connector>,
    url: String,
}

impl HttpJwksSource {
    pub fn new(url: impl Into<String>) -> Result<Self> {
        let url = url.into();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ActasError::Internal(format!(
                "JWKS URL is not http(s): {url}"
            )));
        }
        Ok(HttpJwksSource {
            connector: tokio::sync::OnceCell::new(),
            url,
        })
    }
}

fn upstream(context: &'static str, detail: impl std::fmt::Display) -> VerifyError {
    VerifyError::Upstream {
        context,
        detail: detail.to_string(),
    }
}

#[async_trait]
impl JwksSource for HttpJwksSource {
    async fn fetch(&self) -> std::result::Result<Jwks, VerifyError> {
        let connector = self.connector.get_or_init(|| async { connector() }).await;
        let mut request = HttpRequest::get(self.url.as_str())
            .map_err(|e| upstream("building the JWKS request", e))?;
        request.headers_mut().insert("accept", "application/json");
        let response = tokio::time::timeout(TIMEOUT, connector.call(request))
            .await
            .map_err(|e| upstream("fetching the JWKS", e))?
            .map_err(|e| upstream("fetching the JWKS", e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(upstream("fetching the JWKS", format!("HTTP {status}")));
        }
        let body = tokio::time::timeout(TIMEOUT, ByteStream::new(response.into_body()).collect())
            .await
            .map_err(|e| upstream("reading the JWKS", e))?
            .map_err(|e| upstream("reading the JWKS", e))?
            .into_bytes();
        if body.len() > MAX_JWKS_BYTES {
            return Err(upstream("reading the JWKS", "too large"));
        }
        serde_json::from_slice(&body).map_err(|e| upstream("reading the JWKS", e))
    }
}
