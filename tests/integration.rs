//! Every integration test against the deployed local stack, one module per file (see
//! tests/Cargo.toml for why one binary, and scripts/test for how the modules are run).

mod audit;
mod aws_calls;
// Deploys a second stack beside the default one (a product's own pool), and removes it.
mod byo_pool;
mod console_api;
mod custom_auth;
mod deployed_events;
mod dialects;
mod directory;
mod edges;
// Denies deployed functions their AWS calls for a while: never beside another module.
mod faults;
mod governance;
mod idle;
mod impersonate;
mod lifecycle;
mod listing;
mod metrics;
// `actas doctor` and `actas events replay`: breaks one thing at a time and puts it back.
mod operations;
mod promises;
mod read_only;
mod revert;
mod session_rules;
mod sessions;
mod shared_signals;
// Reads template.yaml only.
mod template_rules;
mod throttling;
