//! The use cases, one per file, each named like the function that serves it in `template.yaml`
//! (`RevertFunction` → `functions/revert` → `http::revert` → `app::revert`). They decide; they
//! reach AWS only through `ports`.

pub mod api_keys;
pub mod audit_log;
pub mod audit_trail;
pub mod authenticate;
pub mod backoff;
pub mod cleanup;
pub mod cognito_endpoint;
pub mod directory;
pub mod end;
pub mod exchange;
pub mod exchange_tokens;
pub mod governance;
pub mod impersonate;
pub mod issue_token;
pub mod list_impersonations;
pub mod me;
pub mod mint;
pub mod notices;
pub mod pool_attachment;
pub mod profiles;
pub mod publish_events;
pub mod refusal;
pub mod revert;
pub mod session_policy;
pub mod ssf;
pub mod state;
pub mod stop;
pub mod token_check;
pub mod token_verifier;
