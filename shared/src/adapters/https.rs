//! The HTTP client every AWS call and the JWKS fetch go through: rustls on ring, trusting the
//! Amazon roots compiled into the binary. Nothing is read from the system's certificate store at
//! start-up (scanning `/etc/ssl/certs` cost 3–8 ms of every cold start), and aws-lc-rs is not
//! linked. Plain `http://` endpoints (the local stack) work unchanged.

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Root CA 1–4 and Starfield Services Root CA G2: every AWS endpoint actas calls
/// (Cognito, DynamoDB, KMS, Secrets Manager, EventBridge, the pool's JWKS) chains to one of them.
const AMAZON_ROOTS_PEM: &[u8] = include_bytes!("amazon-roots.pem");

fn tls_context() -> TlsContext {
    TlsContext::builder()
        .with_trust_store(
            TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(AMAZON_ROOTS_PEM),
        )
        .build()
        // `build` cannot fail (it only stores the trust store); were it to, the function would
        // refuse to start rather than fall back to another trust store.
        .expect("a TLS context")
}

/// The SDK's HTTP client (its connections are built lazily, on the first call).
pub fn https_client() -> SharedHttpClient {
    Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls_context())
        .build_https()
}

/// A connector for actas's own HTTPS GETs (the JWKS), with the same TLS settings.
pub fn connector() -> Connector {
    Connector::builder()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls_context())
        .build()
}

/// The SDK configuration every function builds once, from what Lambda sets: `AWS_REGION`, the
/// execution role's credentials in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
/// `AWS_SESSION_TOKEN`, and `AWS_ENDPOINT_URL` when set (the local stack), over `https_client`;
/// standard retries (3 attempts) and a 3.1 s connect timeout, `aws-config`'s defaults.
///
/// Not `aws_config::load_from_env()`: its provider chain (profile files, IMDS, ECS, STS web
/// identity, SSO) has nothing to find on Lambda, yet is built at every cold start and linked into
/// every binary. The CLI, which runs anywhere, keeps the full chain.
pub fn sdk_config() -> aws_config::SdkConfig {
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_sdk_dynamodb::config::{SharedAsyncSleep, SharedCredentialsProvider};
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok()
        .map(aws_config::Region::new);
    let endpoint_url = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let mut sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(https_client())
        .sleep_impl(SharedAsyncSleep::new(
            aws_smithy_async::rt::sleep::TokioSleep::new(),
        ))
        .retry_config(aws_config::retry::RetryConfig::standard())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_millis(3100))
                .build(),
        );
    sdk.set_endpoint_url(endpoint_url);
    sdk.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    /// The roots are parsed on the first connection, where a bad one would panic: each block
    /// must be a DER certificate (a SEQUENCE), and there must be the five of them.
    #[test]
    fn the_compiled_in_roots_are_five_der_certificates() {
        let text = std::str::from_utf8(AMAZON_ROOTS_PEM).expect("PEM is text");
        let blocks: Vec<Vec<u8>> = text
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|block| {
                let body = block
                    .split("-----END CERTIFICATE-----")
                    .next()
                    .expect("an end");
                let b64: String = body.split_whitespace().collect();
                STANDARD.decode(b64).expect("base64")
            })
            .collect();
        assert_eq!(blocks.len(), 5);
        for der in &blocks {
            assert_eq!(der[0], 0x30, "a DER SEQUENCE");
            assert!(der.len() > 400, "a whole certificate");
        }
        let _ = tls_context();
    }
}
