//! jsonwebtoken's crypto, on ring: HS256 only, for the two-step tokens actas signs and checks
//! itself (Cognito's tokens are verified by `actas-verify`, on ring too). ring is already linked
//! for TLS, so this keeps aws-lc-rs and the RustCrypto RSA/EC stack out of the binaries. Every
//! other algorithm is refused.

use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use ring::hmac;

struct Hs256(hmac::Key);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(hmac::sign(&self.0, msg).as_ref().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    /// `hmac::verify` compares in constant time.
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        hmac::verify(&self.0, msg, sig).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

fn hs256(secret: &[u8]) -> Hs256 {
    Hs256(hmac::Key::new(hmac::HMAC_SHA256, secret))
}

fn signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match alg {
        Algorithm::HS256 => Ok(Box::new(hs256(key.try_get_hmac_secret()?))),
        _ => Err(new_error(ErrorKind::InvalidAlgorithm)),
    }
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match alg {
        Algorithm::HS256 => Ok(Box::new(hs256(key.try_get_hmac_secret()?))),
        _ => Err(new_error(ErrorKind::InvalidAlgorithm)),
    }
}

static RING: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // Only JWK thumbprints and `Jwk::from_encoding_key` need these; actas uses neither.
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Makes ring jsonwebtoken's provider for this process. Idempotent; called by whatever signs or
/// verifies with jsonwebtoken before it does (the two-step tokens).
pub fn install() {
    // An error means a provider is installed already: this one, by an earlier call.
    let _ = RING.install_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, encode, Header, Validation};
    use serde_json::{json, Value};

    #[test]
    fn hs256_signs_and_verifies_and_refuses_a_changed_token() {
        install();
        let key = b"0123456789abcdef0123456789abcdef";
        let claims = json!({"sub": "a", "exp": 4_000_000_000u64});
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(key),
        )
        .expect("signed");
        let validation = Validation::new(Algorithm::HS256);
        let decoded = decode::<Value>(&token, &DecodingKey::from_secret(key), &validation);
        assert_eq!(decoded.expect("verified").claims["sub"], "a");
        let other = decode::<Value>(
            &token,
            &DecodingKey::from_secret(b"another key"),
            &validation,
        );
        assert!(other.is_err());
        let mut changed = token.clone();
        changed.pop();
        changed.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(decode::<Value>(&changed, &DecodingKey::from_secret(key), &validation).is_err());
    }

    #[test]
    fn other_algorithms_are_refused() {
        install();
        let key = EncodingKey::from_secret(b"k");
        let claims = json!({"sub": "a"});
        assert!(encode(&Header::new(Algorithm::HS512), &claims, &key).is_err());
        assert!(encode(&Header::new(Algorithm::ES256), &claims, &key).is_err());
        assert!(encode(&Header::new(Algorithm::RS256), &claims, &key).is_err());
    }
}
