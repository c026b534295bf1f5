//! The ports' real implementations. Only `bootstrap` builds them.

pub mod aws;
pub mod https;
pub mod jwks;
pub mod set_push;
