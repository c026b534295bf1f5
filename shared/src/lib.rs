//! actas: user impersonation ("act as") for Amazon Cognito user pools.
//!
//! Where things are:
//! - `domain`: plain types and rules (policy, grants, audit records, payloads, errors);
//! - `ports`: the narrow traits the use cases need (identity, grants, audit, vault, keys, clock);
//! - `app`: one use case per file, named like its function in `template.yaml`;
//! - `triggers`: one file per Cognito trigger;
//! - `adapters`: the ports' real implementations (AWS, the JWKS over HTTPS);
//! - `http`: reading requests and writing responses, one file per route;
//! - `bootstrap`: configuration and wiring, what each function builds, and its `main`'s one call;
//! - `testkit` (feature `testing`): in-memory adapters, signers, events and fixtures;
//! - `scenarios` (tests only): every route's handler over the in-memory world, one file per flow.

pub mod adapters;
pub mod app;
pub mod bootstrap;
pub mod domain;
pub mod http;
pub mod ports;
pub mod triggers;

#[cfg(any(test, feature = "testing"))]
pub mod testkit;

#[cfg(test)]
mod scenarios;

pub use domain::error::{ActasError, Result};
