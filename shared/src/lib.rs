//! actas: user impersonation ("act as") for Amazon Cognito user pools.
//!
//! The domain (`policy`, `impersonation`, `triggers`), its ports (`identity`, `store`, `jwt`,
//! `clock`) with their AWS adapters (`cognito`, `dynamodb`) and in-memory ones (`memory`), and
//! the HTTP glue (`http`, `handlers`). Each Lambda's `main` only builds these and runs.

pub mod api_keys;
pub mod audit;
pub mod backoff;
pub mod bootstrap;
pub mod cleanup;
pub mod clock;
pub mod cognito;
pub mod cognito_endpoint;
pub mod config;
pub mod dynamodb;
pub mod dynamodb_audit;
pub mod error;
pub mod exchange;
pub mod handlers;
pub mod http;
pub mod http_runtime;
pub mod identity;
pub mod impersonation;
pub mod jwt;
pub mod lifecycle;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod payload;
pub mod policy;
pub mod routes;
pub mod secrets;
pub mod store;
pub mod triggers;
pub mod vault;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{ActasError, Result};
