//! Where the pool's signing keys (JWKS) come from: the kit's key source, so that actas and the
//! services behind it verify tokens with one verifier. HTTPS is the real adapter (`adapters::jwks`).

pub use actas_verify::{Jwks, KeySource as JwksSource};
