//! HTTP: reading API Gateway REST (v1) requests and writing responses, one file per route, each
//! named like its function in `template.yaml`. A route's `handle` extracts, calls its use case in
//! `app`, and maps the result.

pub mod extract;
pub mod filters;
pub mod origin;
pub mod refusal;
pub mod respond;
pub mod routes;
pub mod runtime;

pub mod audit_log;
pub mod cognito_endpoint;
pub mod console;
pub mod coworker_impersonate;
pub mod impersonate;
pub mod issue_token;
pub mod list_impersonations;
pub mod login_exchange;
pub mod me;
pub mod profiles;
pub mod protection;
pub mod requests;
pub mod revert;
pub mod settings;
pub mod ssf;
pub mod stop;
pub mod sys_exchange;
pub mod sys_impersonate;
pub mod token_check;
