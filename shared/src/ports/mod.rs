//! The narrow traits the use cases need. Each has a real adapter in `adapters` and an in-memory
//! one in `testkit`.

pub mod audit;
pub mod clock;
pub mod directory;
pub mod governance;
pub mod grants;
pub mod identity;
pub mod jwks;
pub mod pool;
pub mod signing_keys;
pub mod ssf;
pub mod vault;
