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

//!
//! ## Features
//!
//! - `fetch` (default): the HTTP client (reqwest) that fetches the pool's keys and asks actas
//!   whether a session is still on, and what needs it: [`HttpKeySource`], [`Verifier::new`],
//!   [`Guard`], [`ActasLayer`], [`RevocationCheck`], the SET receiver and [`env`]. Without it
//!   ([`Verifier::with_key_source`] and a [`KeySource`] of the host's), the crate is the token
//!   format and its verification only: actas itself verifies tokens so, fetching the keys over
//!   the AWS SDK's connector.
//! - `testing`: a local RSA signer, its key set and Cognito-shaped claims ([`testing`]).

mod backoff;
pub mod claims;
#[cfg(feature = "fetch")]
pub mod env;
mod error;
mod fetch;
#[cfg(feature = "fetch")]
mod guard;
mod keys;
#[cfg(feature = "fetch")]
mod layer;
#[cfg(feature = "fetch")]
mod revocation;
mod session;
#[cfg(feature = "fetch")]
pub mod set;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod verifier;
mod write_rule;

pub use backoff::Backoff;
pub use claims::Claims;
pub use error::VerifyError;
#[cfg(feature = "fetch")]
pub use guard::Guard;
#[cfg(feature = "fetch")]
pub use keys::HttpKeySource;
pub use keys::{Jwk, Jwks, KeySource, MAX_JWKS_BYTES};
#[cfg(feature = "fetch")]
pub use layer::{refusal, ActasLayer, ActasService};
#[cfg(feature = "fetch")]
pub use revocation::RevocationCheck;
pub use session::{Actor, Mode, Session, TokenUse, UnknownMode};
#[cfg(feature = "fetch")]
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
