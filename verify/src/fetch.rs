//! The two GETs this crate makes (the pool's JWKS, actas's token check): a timeout, no
//! redirects, and a bound on what is read. The client (reqwest) is there with the `fetch`
//! feature only; without it the keys come from a [`KeySource`](crate::KeySource) of the host's.

use crate::error::VerifyError;
#[cfg(feature = "fetch")]
use std::time::Duration;

#[cfg(feature = "fetch")]
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);
#[cfg(feature = "fetch")]
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A client built on first use, so that building a verifier costs nothing at start-up.
#[cfg(feature = "fetch")]
#[derive(Default)]
pub(crate) struct LazyClient(tokio::sync::OnceCell<reqwest::Client>);

#[cfg(feature = "fetch")]
impl LazyClient {
    pub(crate) fn with(client: reqwest::Client) -> LazyClient {
        LazyClient(tokio::sync::OnceCell::new_with(Some(client)))
    }

    async fn get(&self, context: &'static str) -> Result<&reqwest::Client, VerifyError> {
        self.0
            .get_or_try_init(|| async {
                reqwest::Client::builder()
                    .timeout(TIMEOUT)
                    .connect_timeout(CONNECT_TIMEOUT)
                    // Nothing we call redirects; following one would send a token elsewhere.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| VerifyError::upstream(context, e))
            })
            .await
    }
}

/// A response's status and at most `max_bytes` of its body (more is an upstream error).
#[cfg(feature = "fetch")]
pub(crate) async fn get(
    client: &LazyClient,
    context: &'static str,
    url: &str,
    authorization: Option<&str>,
    max_bytes: usize,
) -> Result<(u16, Vec<u8>), VerifyError> {
    let mut request = client
        .get(context)
        .await?
        .get(url)
        .header(http::header::ACCEPT, "application/json");
    if let Some(value) = authorization {
        let mut value = http::HeaderValue::from_str(value)
            .map_err(|_| VerifyError::invalid("not a header value"))?;
        value.set_sensitive(true);
        request = request.header(http::header::AUTHORIZATION, value);
    }
    // reqwest's errors name the URL, never a header: safe to log.
    let mut response = request
        .send()
        .await
        .map_err(|e| VerifyError::upstream(context, e.without_url()))?;
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|len| len > max_bytes as u64)
    {
        return Err(VerifyError::upstream(context, "response too large"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| VerifyError::upstream(context, e.without_url()))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(VerifyError::upstream(context, "response too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// Only http(s) URLs with a host.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub(crate) fn check_url(url: &str, what: &str) -> Result<(), VerifyError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(VerifyError::Config(format!(
            "{what} is not an http(s) URL: {url:?}"
        ))),
    }
}
