//! Random secrets, their stored form (SHA-256, hex) and constant-time comparison.
//!
//! Every secret actas hands out is 32 random bytes, so a fast hash is enough: there is nothing
//! to brute-force. Only the hash is ever stored.

use crate::domain::error::{ActasError, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 random bytes, base64url without padding (43 characters).
pub fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ActasError::Internal(format!("randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes `presented` and compares it with `stored_hash` in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    let presented_hash = hash_secret(presented);
    presented_hash
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_url_safe() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn only_the_right_secret_matches_its_hash() {
        let secret = new_secret().unwrap();
        let stored = hash_secret(&secret);
        assert_ne!(stored, secret);
        assert!(secret_matches(&secret, &stored));
        assert!(!secret_matches("wrong", &stored));
        assert!(!secret_matches(&secret, ""));
    }
}
