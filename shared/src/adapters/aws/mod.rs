//! AWS adapters, one file per service.

pub mod cognito;
pub mod dynamodb;
pub mod eventbridge;
pub mod kms;
pub mod secrets_manager;
pub mod ses;
