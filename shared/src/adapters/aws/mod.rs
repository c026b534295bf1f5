//! AWS adapters, one file per service.

pub mod cloudformation;
pub mod cognito;
pub mod dynamodb;
pub mod eventbridge;
pub mod kms;
pub mod kms_set_signer;
pub mod lambda;
pub mod secrets_manager;
pub mod ses;
pub mod user_pool;
