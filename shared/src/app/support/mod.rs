//! What the use cases share and is not a use case of its own: who the caller is
//! (`authenticate`, `token_verifier`), minting and ending sessions (`mint`, `end`,
//! `exchange_tokens`), the rules a live session keeps answering to (`session_policy`), the audit
//! trail and audited refusals (`audit_trail`, `refusal`), back-off, and each route's state.

pub mod audit_trail;
pub mod authenticate;
pub mod backoff;
pub mod end;
pub mod exchange_tokens;
pub mod mint;
pub mod refusal;
pub mod session_policy;
pub mod state;
pub mod token_verifier;
