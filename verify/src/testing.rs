//! Test support (feature `testing`): an RSA key made on the spot with its key set, a key source
//! that counts its fetches, and Cognito-shaped claims. Not for production use.

use crate::error::VerifyError;
use crate::keys::{Jwks, KeySource};
use crate::verifier::{now_secs, VerifierConfig};
use async_trait::async_trait;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test";
pub const JWKS_URL: &str =
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test/.well-known/jwks.json";
pub const SIGN_IN_CLIENT: &str = "sign-in-client";
pub const IMPERSONATION_CLIENT: &str = "impersonation-client";

/// The configuration the helpers' tokens pass: `ISSUER`, the sign-in and impersonation clients.
pub fn config() -> VerifierConfig {
    VerifierConfig::new(ISSUER, JWKS_URL, [SIGN_IN_CLIENT, IMPERSONATION_CLIENT])
}

/// An RSA-2048 key pair made for one test run.
pub struct TestSigner {
    pub kid: String,
    pair: KeyPair,
}

impl TestSigner {
    pub fn generate(kid: &str) -> TestSigner {
        TestSigner {
            kid: kid.to_string(),
            pair: KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"),
        }
    }

    pub fn jwks(&self) -> Jwks {
        let public = self.pair.public_key();
        serde_json::from_value(json!({"keys": [{
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        }]}))
        .expect("JWKS shape")
    }

    /// An RS256 token with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// A token with any header, RS256-signed with this key whatever the header says.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The public key's DER bytes, for forging an HS256 token "signed" with it.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// An HS256 token with `secret` as the HMAC key (what an attacker holding the public key tries).
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = signing_input(header, claims);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// A token with `alg: none` and no signature.
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.",
        signing_input(&json!({"alg": "none", "typ": "JWT", "kid": "k1"}), claims)
    )
}

/// A key set in memory that counts how often it is asked; its keys may be swapped (rotation).
pub struct StaticKeys {
    set: Mutex<Jwks>,
    fetches: AtomicUsize,
}

impl StaticKeys {
    pub fn new(set: Jwks) -> StaticKeys {
        StaticKeys {
            set: Mutex::new(set),
            fetches: AtomicUsize::new(0),
        }
    }

    pub fn replace(&self, set: Jwks) {
        *self.set.lock().expect("key set lock") = set;
    }

    pub fn fetch_count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl KeySource for StaticKeys {
    async fn fetch(&self) -> Result<Jwks, VerifyError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(self.set.lock().expect("key set lock").clone())
    }
}

/// Claims of an id token of the sign-in client, valid for an hour.
pub fn id_claims(sub: &str, username: &str) -> Value {
    let now = now_secs();
    json!({
        "sub": sub, "iss": ISSUER, "aud": SIGN_IN_CLIENT, "token_use": "id",
        "cognito:username": username, "cognito:groups": ["support"],
        "custom:tenant_id": "acme", "iat": now, "auth_time": now, "exp": now + 3600,
    })
}

/// Claims of an access token of the sign-in client, valid for an hour.
pub fn access_claims(sub: &str, username: &str) -> Value {
    let now = now_secs();
    json!({
        "sub": sub, "iss": ISSUER, "client_id": SIGN_IN_CLIENT, "token_use": "access",
        "username": username, "scope": "actas/read actas/write", "iat": now, "auth_time": now,
        "exp": now + 3600,
    })
}

/// `claims` as an impersonated session's (the impersonation client's), acting as `actor`.
/// `mode` is the `impersonation_mode` claim; `None` leaves it out.
pub fn impersonated(mut claims: Value, actor: (&str, &str), mode: Option<&str>) -> Value {
    let client_claim = if claims["token_use"] == "id" {
        "aud"
    } else {
        "client_id"
    };
    claims[client_claim] = json!(IMPERSONATION_CLIENT);
    claims["act"] = json!({"sub": actor.0, "username": actor.1});
    claims["impersonation_id"] = json!("imp-0001");
    claims["impersonation_expires_at"] = json!(now_secs() + 1800);
    if let Some(mode) = mode {
        claims["impersonation_mode"] = json!(mode);
        if claims["token_use"] == "access" && mode != "full" {
            claims["scope"] = json!("actas/read");
        }
    }
    claims
}

/// A local HTTP server for tests of the revocation check.
pub mod test_server {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers every request with one canned response and records each request's head.
    pub struct CannedServer {
        /// `http://127.0.0.1:{port}`
        pub url: String,
        heads: Arc<Mutex<Vec<String>>>,
    }

    impl CannedServer {
        pub async fn start(status: u16, body: &str) -> CannedServer {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a local port");
            let url = format!("http://{}", listener.local_addr().expect("its address"));
            let heads = Arc::new(Mutex::new(Vec::new()));
            let recorded = heads.clone();
            let response = format!(
                "HTTP/1.1 {status} Canned\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    recorded
                        .lock()
                        .expect("requests lock")
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                }
            });
            CannedServer { url, heads }
        }

        pub fn requests(&self) -> Vec<String> {
            self.heads.lock().expect("requests lock").clone()
        }
    }
}
