//! What the Shared Signals transmitter needs from the outside world: where receivers, streams
//! and pending deliveries are kept (DynamoDB), the key SETs are signed with (KMS), and the
//! receivers' push endpoints (HTTPS).

use crate::domain::error::Result;
use crate::domain::ssf::{PendingDelivery, Receiver, Stream, StreamStatus};
use async_trait::async_trait;

#[async_trait]
pub trait SsfStore: Send + Sync {
    /// Writes a new receiver (its id must be new).
    async fn put_receiver(&self, receiver: &Receiver) -> Result<()>;
    async fn get_receiver(&self, id: &str) -> Result<Option<Receiver>>;
    async fn list_receivers(&self) -> Result<Vec<Receiver>>;
    /// Removes a receiver, its stream and its pending deliveries. Whether it existed.
    async fn delete_receiver(&self, id: &str) -> Result<bool>;
    /// Sets (or with `None`, removes) the receiver's stream. `false` when the receiver is gone.
    async fn put_stream(&self, receiver_id: &str, stream: Option<&Stream>) -> Result<bool>;
    async fn set_stream_status(
        &self,
        receiver_id: &str,
        status: StreamStatus,
        reason: Option<&str>,
    ) -> Result<bool>;
    /// Records a delivery's outcome on the stream: `error` `None` is a success.
    async fn record_delivery(
        &self,
        receiver_id: &str,
        at_millis: i64,
        error: Option<&str>,
    ) -> Result<()>;
    async fn record_dropped(&self, receiver_id: &str) -> Result<()>;
    /// Writes a pending delivery unless one with its `jti` exists. Whether it was new.
    async fn put_pending(&self, pending: &PendingDelivery) -> Result<bool>;
    async fn update_pending(&self, pending: &PendingDelivery) -> Result<()>;
    async fn delete_pending(&self, receiver_id: &str, jti: &str) -> Result<()>;
    /// Marks a SET delivered: no longer pending, but kept (until its TTL) so that a stream
    /// batch delivered again does not make it a second time.
    async fn mark_delivered(&self, receiver_id: &str, jti: &str, at_millis: i64) -> Result<()>;
    /// A receiver's pending (not delivered) SETs, oldest first.
    async fn pending(&self, receiver_id: &str) -> Result<Vec<PendingDelivery>>;
}

/// The SET signing key: RS256 signatures and the public key as a JWK.
#[async_trait]
pub trait SetSigner: Send + Sync {
    /// The key's id (the JWK's `kid`).
    async fn key_id(&self) -> Result<String>;
    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
    /// The public key as a JWK (`kty`, `kid`, `alg`, `use`, `n`, `e`).
    async fn public_jwk(&self) -> Result<serde_json::Value>;
}

/// Why a push was not accepted (the text is for the stream's status and the logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushFailure(pub String);

/// RFC 8935: POST a SET (`application/secevent+jwt`) to a receiver's endpoint; `202` (or any
/// 2xx) is accepted.
#[async_trait]
pub trait SetPusher: Send + Sync {
    async fn push(
        &self,
        endpoint_url: &str,
        authorization: Option<&str>,
        set: &str,
    ) -> std::result::Result<(), PushFailure>;
}
