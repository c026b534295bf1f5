//! Plain types and rules: nothing here talks to AWS or reads the clock.

pub mod audit;
pub mod error;
pub mod exchange;
pub mod governance;
pub mod grant;
pub mod identity_mapping;
pub mod justification;
pub mod jwt_crypto;
pub mod metrics;
pub mod mode;
pub mod payload;
pub mod policy;
pub mod pool_attachment;
pub mod scopes;
pub mod secrets;
pub mod settings;
pub mod ssf;
pub mod time;
pub mod token;
pub mod user;
