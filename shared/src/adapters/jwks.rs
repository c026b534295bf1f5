//! The pool's JWKS over HTTPS: the real adapter of the JWKS port. One GET through the same
//! TLS connector the SDK uses (no second HTTP stack, no certificate store read at start-up).

use std::time::Duration;

use async_trait::async_trait;
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::byte_stream::ByteStream;
use jsonwebtoken::jwk::JwkSet;

use crate::adapters::https::connector;
use crate::domain::error::{ActasError, Result};
use crate::ports::jwks::JwksSource;

/// A JWKS is a few keys; anything much larger is not one.
const MAX_JWKS_BYTES: usize = 64 * 1024;
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

#[async_trait]
impl JwksSource for HttpJwksSource {
    async fn fetch(&self) -> Result<JwkSet> {
        let connector = self.connector.get_or_init(|| async { connector() }).await;
        let mut request = HttpRequest::get(self.url.as_str())
            .map_err(|e| ActasError::upstream("building the JWKS request", e))?;
        request.headers_mut().insert("accept", "application/json");
        let response = tokio::time::timeout(TIMEOUT, connector.call(request))
            .await
            .map_err(|e| ActasError::upstream("fetching the JWKS", e))?
            .map_err(|e| ActasError::upstream("fetching the JWKS", e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(ActasError::upstream(
                "fetching the JWKS",
                format!("HTTP {status}"),
            ));
        }
        let body = tokio::time::timeout(TIMEOUT, ByteStream::new(response.into_body()).collect())
            .await
            .map_err(|e| ActasError::upstream("reading the JWKS", e))?
            .map_err(|e| ActasError::upstream("reading the JWKS", e))?
            .into_bytes();
        if body.len() > MAX_JWKS_BYTES {
            return Err(ActasError::upstream("reading the JWKS", "too large"));
        }
        serde_json::from_slice(&body).map_err(|e| ActasError::upstream("reading the JWKS", e))
    }
}
