//! # actas-verify
//!
//! Verification of the Amazon Cognito tokens of a pool that actas (user impersonation for Cognito) mints sessions in, for the
//! services behind it: RS256 signature against the pool's JWKS, issuer, expiry, token use, app
//! client; who the caller is and who (if anyone) is acting as them ([`Session`]); the
//! read-only rule for impersonated sessions ([`WriteRule`]); the online revocation check
//! ([`RevocationCheck`]); and a tower layer ([`ActasLayer`]) that does it all for an
//! `http::Request` service (axum, hyper, `lambda_http`).
//!
//! ```no_run
//! # async fn example() -> Result<(), actas_verify::VerifyError> {
//! use actas_verify::{Guard, RevocationCheck, Verifier, VerifierConfig};
//! let verifier = Verifier::new(VerifierConfig::new(
//!     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
//!     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json",
//!     ["sign-in-client-id", "impersonation-client-id", "revert-client-id"],
//! ))?;
//! let guard = Guard::new(verifier)
//!     .revocation(RevocationCheck::new("https://auth.example.com/v1"));
//! let session = guard
//!     .admit(&http::Method::POST, Some("Bearer eyJ..."), None)
//!     .await?;
//! println!("{} acting: {:?}", session.username, session.actor);
//! # Ok(()) }
//! ```

pub mod env;
mod error;
mod fetch;
mod guard;
mod keys;
mod layer;
mod revocation;
mod session;
pub mod set;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod verifier;
mod write_rule;

pub use error::VerifyError;
pub use guard::Guard;
pub use keys::{HttpKeySource, Jwk, Jwks, KeySource};
pub use layer::{refusal, ActasLayer, ActasService};
pub use revocation::RevocationCheck;
pub use session::{Actor, Mode, Session, TokenUse};
pub use set::{
    MemoryRevokedSessions, ReceiveError, RevokedSessions, SecurityEvent, SetError, SetReceiver,
    SetVerifier, SetVerifierConfig,
};
pub use verifier::{bearer_token, Verifier, VerifierConfig};
pub use write_rule::WriteRule;

/// The README's example compiles.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
