//! The ports' real implementations. Only `bootstrap` builds them.

pub mod aws;
pub mod jwks;
