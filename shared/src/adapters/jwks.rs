//! The pool's JWKS over HTTPS: the real adapter of the JWKS port.

use crate::domain::error::{ActasError, Result};
use crate::ports::jwks::JwksSource;
use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;
use std::time::Duration;

pub struct HttpJwksSource {
    http: reqwest::Client,
    url: String,
}

impl HttpJwksSource {
    pub fn new(url: impl Into<String>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ActasError::Internal(format!("http client: {e}")))?;
        Ok(HttpJwksSource {
            http,
            url: url.into(),
        })
    }
}

#[async_trait]
impl JwksSource for HttpJwksSource {
    async fn fetch(&self) -> Result<JwkSet> {
        let response = self
            .http
            .get(&self.url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| ActasError::upstream("fetching the JWKS", e))?;
        response
            .json::<JwkSet>()
            .await
            .map_err(|e| ActasError::upstream("reading the JWKS", e))
    }
}
