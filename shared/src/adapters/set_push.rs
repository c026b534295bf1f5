//! RFC 8935 push delivery over HTTP(S): one POST of the SET as `application/secevent+jwt`,
//! a 2xx answer (202 Accepted) is delivery. Receivers are anyone's services, so this connector
//! trusts the system's certificate store (read on the first push, not at start-up), not only
//! the Amazon roots the AWS calls use.

use std::time::Duration;

use async_trait::async_trait;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::ports::ssf::{PushFailure, SetPusher};

const TIMEOUT: Duration = Duration::from_secs(5);
/// An error answer is a small JSON object (`{"err", "description"}`); more is not read.
const MAX_ANSWER_BYTES: usize = 4 * 1024;

#[derive(Default)]
pub struct HttpSetPusher {
    connector: tokio::sync::OnceCell<Connector>,
}

impl HttpSetPusher {
    pub fn new() -> Self {
        Self::default()
    }
}

fn connector() -> Connector {
    let tls = TlsContext::builder()
        .with_trust_store(TrustStore::default())
        .build()
        .expect("a TLS context");
    Connector::builder()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls)
        .build()
}

#[async_trait]
impl SetPusher for HttpSetPusher {
    async fn push(
        &self,
        endpoint_url: &str,
        authorization: Option<&str>,
        set: &str,
    ) -> Result<(), PushFailure> {
        let failure = |what: String| PushFailure(what);
        let connector = self.connector.get_or_init(|| async { connector() }).await;
        let mut request = HttpRequest::new(SdkBody::from(set.as_bytes().to_vec()));
        request
            .set_method("POST")
            .map_err(|e| failure(format!("request: {e}")))?;
        request
            .set_uri(endpoint_url)
            .map_err(|e| failure(format!("endpoint URL: {e}")))?;
        let headers = request.headers_mut();
        headers.insert("content-type", "application/secevent+jwt");
        headers.insert("accept", "application/json");
        headers.insert("content-length", set.len().to_string());
        if let Some(value) = authorization {
            headers.insert("authorization", value.to_string());
        }
        let response = match tokio::time::timeout(TIMEOUT, connector.call(request)).await {
            Err(_) => return Err(failure("timed out".into())),
            Ok(Err(e)) => return Err(failure(format!("unreachable: {e}"))),
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        // RFC 8935 §2.4: `{"err": "invalid_key", "description": "..."}`.
        let body = tokio::time::timeout(TIMEOUT, ByteStream::new(response.into_body()).collect())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|b| b.into_bytes())
            .unwrap_or_default();
        let detail =
            serde_json::from_slice::<serde_json::Value>(&body[..body.len().min(MAX_ANSWER_BYTES)])
                .ok()
                .and_then(|v| {
                    let err = v.get("err")?.as_str()?.to_string();
                    let description = v.get("description").and_then(|d| d.as_str()).unwrap_or("");
                    Some(
                        format!(": {err} {description}")
                            .trim_end()
                            .chars()
                            .take(200)
                            .collect::<String>(),
                    )
                })
                .unwrap_or_default();
        Err(failure(format!("HTTP {status}{detail}")))
    }
}
