//! The use cases, one per file, each named like the function that serves it in `template.yaml`
//! (`RevertFunction` → `functions/revert` → `http::revert` → `app::revert`). They decide; they
//! reach AWS only through `ports`. What several use cases share and is not one itself lives in
//! `support/` (re-exported here, so its paths stay `app::mint`, `app::state`, ...).

pub mod api_keys;
pub mod audit_log;
pub mod cleanup;
pub mod cognito_endpoint;
pub mod directory;
pub mod exchange;
pub mod governance;
pub mod impersonate;
pub mod issue_token;
pub mod list_impersonations;
pub mod me;
pub mod notices;
pub mod pool_attachment;
pub mod profiles;
pub mod publish_events;
pub mod revert;
pub mod ssf;
pub mod stop;
pub mod token_check;

pub mod support;
pub use support::{
    audit_trail, authenticate, backoff, end, exchange_tokens, mint, refusal, session_policy, state,
    token_verifier,
};
