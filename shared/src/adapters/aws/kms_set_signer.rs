//! The SET signing key in KMS: an RSA-2048 `SIGN_VERIFY` key that never leaves KMS. SETs are
//! signed with `RSASSA_PKCS1_V1_5_SHA_256` (RS256); the public key (`GetPublicKey`, a DER
//! SubjectPublicKeyInfo) is published as a JWK whose `kid` is its RFC 7638 thumbprint.

use crate::domain::error::{ActasError, Result};
use crate::ports::ssf::SetSigner;
use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub struct KmsSetSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    /// The public JWK, read once per process.
    public: tokio::sync::OnceCell<Value>,
}

impl KmsSetSigner {
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        KmsSetSigner {
            client,
            key_id: key_id.into(),
            public: tokio::sync::OnceCell::new(),
        }
    }

    async fn jwk(&self) -> Result<&Value> {
        self.public
            .get_or_try_init(|| async {
                let output = self
                    .client
                    .get_public_key()
                    .key_id(&self.key_id)
                    .send()
                    .await
                    .map_err(|e| crate::adapters::aws::kms::kms_failure("GetPublicKey", e))?;
                let der = output
                    .public_key()
                    .ok_or_else(|| ActasError::Upstream("GetPublicKey: no key".into()))?;
                let (n, e) = rsa_public_key(der.as_ref()).ok_or_else(|| {
                    ActasError::Internal("the SET signing key is not an RSA public key".into())
                })?;
                Ok(rsa_jwk(&n, &e))
            })
            .await
    }
}

/// The JWK of an RSA public key (big-endian modulus and exponent), `kid` its thumbprint.
pub fn rsa_jwk(n: &[u8], e: &[u8]) -> Value {
    let n = URL_SAFE_NO_PAD.encode(strip_zeros(n));
    let e = URL_SAFE_NO_PAD.encode(strip_zeros(e));
    // RFC 7638: the required members, lexicographic order, no whitespace.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": n, "e": e})
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// One DER element: (tag, contents, the bytes after it).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// `(n, e)` of a DER SubjectPublicKeyInfo holding an RSA key.
pub fn rsa_public_key(spki: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    const SEQUENCE: u8 = 0x30;
    const BIT_STRING: u8 = 0x03;
    const INTEGER: u8 = 0x02;
    // rsaEncryption, 1.2.840.113549.1.1.1
    const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (SEQUENCE, info, _) = der(spki)? else {
        return None;
    };
    let (SEQUENCE, algorithm, rest) = der(info)? else {
        return None;
    };
    let (0x06, oid, _) = der(algorithm)? else {
        return None;
    };
    if oid != RSA_OID {
        return None;
    }
    let (BIT_STRING, bits, _) = der(rest)? else {
        return None;
    };
    let (0, key) = bits.split_first()? else {
        return None;
    };
    let (SEQUENCE, key, _) = der(key)? else {
        return None;
    };
    let (INTEGER, n, rest) = der(key)? else {
        return None;
    };
    let (INTEGER, e, _) = der(rest)? else {
        return None;
    };
    Some((n.to_vec(), e.to_vec()))
}

#[async_trait]
impl SetSigner for KmsSetSigner {
    async fn key_id(&self) -> Result<String> {
        Ok(self.jwk().await?["kid"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let digest = Sha256::digest(message);
        let output = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(digest.to_vec()))
            .message_type(MessageType::Digest)
            .signing_algorithm(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(|e| crate::adapters::aws::kms::kms_failure("Sign", e))?;
        output
            .signature()
            .map(|s| s.as_ref().to_vec())
            .ok_or_else(|| ActasError::Upstream("Sign: no signature".into()))
    }

    async fn public_jwk(&self) -> Result<Value> {
        Ok(self.jwk().await?.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_rsa_subject_public_key_info() {
        use aws_lc_rs::signature::KeyPair as _;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let public = pair.public_key();
        let spki =
            aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(public)
                .unwrap();
        let (n, e) = rsa_public_key(spki.as_ref()).expect("an RSA key");
        assert_eq!(
            strip_zeros(&n),
            public.modulus().big_endian_without_leading_zero()
        );
        assert_eq!(
            strip_zeros(&e),
            public.exponent().big_endian_without_leading_zero()
        );
        let jwk = rsa_jwk(&n, &e);
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["kid"].as_str().unwrap().len(), 43);
        assert!(rsa_public_key(b"\x30\x03\x02\x01\x01").is_none());
        assert!(rsa_public_key(b"").is_none());
    }
}
