//! The back-off of fetches every request would otherwise retry (the two-step signing keys here;
//! the pool's JWKS inside the token verifier): the kit's, so both behave alike.

pub use actas_verify::Backoff;
