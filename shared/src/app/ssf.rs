//! The Shared Signals transmitter: its metadata and key set, the receivers' stream management
//! (SSF 1.0), and delivery — every audit record of an ended impersonation becomes a
//! CAEP `session-revoked` SET pushed (RFC 8935) to each receiver whose stream asks for it.
//!
//! Delivery is at least once: a SET is written as pending (conditional on its `jti`, which is
//! derived from the record, so a stream batch delivered twice makes one SET) before it is pushed;
//! a push that fails stays pending and is retried with back-off by the schedule
//! (`retry_pending`), and a write that fails fails the stream batch, which is delivered again.

use crate::app::publish_events::{inserted_records, DecodeImage, StreamBatch};
use crate::domain::audit::AuditRecord;
use crate::domain::error::{ActasError, Result};
use crate::domain::secrets::{hash_secret, new_secret, secret_matches};
use crate::domain::ssf::{
    backoff_millis, event_of, events_delivered, jti_for, session_subject, PendingDelivery,
    Receiver, SetClaims, Stream, StreamRequest, StreamStatus, EVENTS_SUPPORTED, PENDING_KEPT_SECS,
    PUSH_DELIVERY, SET_TYPE, SPEC_VERSION, VERIFICATION,
};
use crate::ports::clock::Clock;
use crate::ports::ssf::{SetPusher, SetSigner, SsfStore};
use crate::ports::vault::RefreshTokenVault;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use tracing::{info, warn};

/// A receiver's credential: `ssf.<receiver id>.<secret>`.
const CREDENTIAL_PREFIX: &str = "ssf";

/// What the transmitter's functions share.
pub struct SsfState {
    pub store: Arc<dyn SsfStore>,
    pub signer: Arc<dyn SetSigner>,
    pub pusher: Arc<dyn SetPusher>,
    /// Seals the `Authorization` header values receivers ask actas to send.
    pub vault: Arc<dyn RefreshTokenVault>,
    pub clock: Arc<dyn Clock>,
}

/// The vault's context for a stream's sealed header (not an impersonation id: a key of its own).
fn seal_context(stream_id: &str) -> String {
    format!("ssf-stream:{stream_id}")
}

/// The transmitter configuration metadata (SSF 1.0), for the API at `base_url` whose
/// SETs name `issuer`.
pub fn metadata(issuer: &str, base_url: &str) -> Value {
    json!({
        "spec_version": SPEC_VERSION,
        "issuer": issuer,
        "jwks_uri": format!("{base_url}/ssf/jwks"),
        "delivery_methods_supported": [PUSH_DELIVERY],
        "configuration_endpoint": format!("{base_url}/ssf/streams"),
        "status_endpoint": format!("{base_url}/ssf/status"),
        "verification_endpoint": format!("{base_url}/ssf/verify"),
        "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:6750"}],
        "default_subjects": "ALL",
    })
}

/// The SET signing key's public JWKS.
pub async fn jwks(state: &SsfState) -> Result<Value> {
    Ok(json!({"keys": [state.signer.public_jwk().await?]}))
}

/// Registers a receiver (the CLI): the credential is returned once, only its hash is kept.
pub async fn add_receiver(
    store: &dyn SsfStore,
    clock: &dyn Clock,
    name: &str,
    audience: &str,
) -> Result<(Receiver, String)> {
    let name = name.trim();
    let audience = audience.trim();
    if name.is_empty() || audience.is_empty() {
        return Err(ActasError::BadRequest(
            "a receiver needs a name and an audience".into(),
        ));
    }
    if name.len() > 128 || audience.len() > 512 {
        return Err(ActasError::Unprocessable(
            "name (128) or audience (512 characters) too long".into(),
        ));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let secret = new_secret()?;
    let receiver = Receiver {
        id: id.clone(),
        name: name.to_string(),
        audience: audience.to_string(),
        secret_hash: hash_secret(&secret),
        created_at_millis: clock.now_millis(),
        stream: None,
    };
    store.put_receiver(&receiver).await?;
    Ok((receiver, format!("{CREDENTIAL_PREFIX}.{id}.{secret}")))
}

/// The receiver a `Bearer ssf.<id>.<secret>` header names, if the secret matches (compared in
/// constant time). Every refusal reads the same: 401.
pub async fn authenticate(state: &SsfState, authorization: Option<&str>) -> Result<Receiver> {
    let invalid = || ActasError::Unauthorized("a valid receiver credential is required".into());
    let value = authorization.map(str::trim).filter(|v| !v.is_empty());
    let token = match value.and_then(|v| v.split_once(' ')) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => return Err(invalid()),
    };
    let mut parts = token.splitn(3, '.');
    let (Some(CREDENTIAL_PREFIX), Some(id), Some(secret)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid());
    }
    let receiver = state.store.get_receiver(id).await?.ok_or_else(invalid)?;
    if !secret_matches(secret, &receiver.secret_hash) {
        return Err(invalid());
    }
    Ok(receiver)
}

/// A stream configuration as SSF 1.0 shows it (the authorization header is never shown).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StreamView {
    pub stream_id: String,
    pub iss: String,
    pub aud: String,
    pub delivery: DeliveryView,
    pub events_supported: Vec<String>,
    pub events_requested: Vec<String>,
    pub events_delivered: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeliveryView {
    pub method: &'static str,
    pub endpoint_url: String,
}

impl StreamView {
    fn of(receiver: &Receiver, stream: &Stream, issuer: &str) -> StreamView {
        StreamView {
            stream_id: stream.id.clone(),
            iss: issuer.to_string(),
            aud: receiver.audience.clone(),
            delivery: DeliveryView {
                method: PUSH_DELIVERY,
                endpoint_url: stream.endpoint_url.clone(),
            },
            events_supported: EVENTS_SUPPORTED.iter().map(|e| e.to_string()).collect(),
            events_requested: stream.events_requested.clone(),
            events_delivered: stream.events_delivered(),
            description: stream.description.clone(),
        }
    }
}

/// A stream's status (SSF 1.0) and, as actas's addition, how delivery is going.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusView {
    pub stream_id: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub delivery: DeliveryStatusView,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeliveryStatusView {
    pub endpoint_url: String,
    pub pending: usize,
    pub delivered: i64,
    pub dropped: i64,
    pub last_delivery_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

fn the_stream<'a>(receiver: &'a Receiver, stream_id: Option<&str>) -> Result<&'a Stream> {
    let stream_id = stream_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| ActasError::BadRequest("stream_id is required".into()))?;
    receiver
        .stream
        .as_ref()
        .filter(|s| s.id == stream_id)
        .ok_or_else(|| ActasError::NotFound("no such stream".into()))
}

async fn seal(state: &SsfState, stream_id: &str, header: Option<&str>) -> Result<Option<String>> {
    match header {
        Some(value) => Ok(Some(
            state.vault.seal(&seal_context(stream_id), value).await?,
        )),
        None => Ok(None),
    }
}

/// `POST /ssf/streams`: the receiver's push stream (one per receiver: a second is a 409).
pub async fn create_stream(
    state: &SsfState,
    receiver: &Receiver,
    body: &Map<String, Value>,
    issuer: &str,
) -> Result<StreamView> {
    let request = StreamRequest::parse(body)?;
    if receiver.stream.is_some() {
        return Err(ActasError::Conflict(
            "this receiver has a stream already; update or delete it".into(),
        ));
    }
    let endpoint_url = request.endpoint_url.ok_or_else(|| {
        ActasError::BadRequest("delivery.endpoint_url is required (push delivery)".into())
    })?;
    let id = uuid::Uuid::new_v4().to_string();
    let authorization_sealed = seal(
        state,
        &id,
        request.authorization_header.clone().flatten().as_deref(),
    )
    .await?;
    let stream = Stream {
        id,
        endpoint_url,
        authorization_sealed,
        events_requested: request
            .events_requested
            .unwrap_or_else(|| EVENTS_SUPPORTED.iter().map(|e| e.to_string()).collect()),
        description: request.description.flatten(),
        status: StreamStatus::Enabled,
        status_reason: None,
        created_at_millis: state.clock.now_millis(),
        delivery: Default::default(),
    };
    if !state.store.put_stream(&receiver.id, Some(&stream)).await? {
        return Err(ActasError::Unauthorized(
            "a valid receiver credential is required".into(),
        ));
    }
    info!(receiver = %receiver.id, stream = %stream.id, "SSF stream created");
    Ok(StreamView::of(receiver, &stream, issuer))
}

/// `GET /ssf/streams[?stream_id=]`: one stream, or (without an id) the list of the receiver's.
pub async fn read_streams(
    receiver: &Receiver,
    stream_id: Option<&str>,
    issuer: &str,
) -> Result<Value> {
    match stream_id {
        Some(_) => {
            let stream = the_stream(receiver, stream_id)?;
            to_value(StreamView::of(receiver, stream, issuer))
        }
        None => to_value(
            receiver
                .stream
                .iter()
                .map(|s| StreamView::of(receiver, s, issuer))
                .collect::<Vec<_>>(),
        ),
    }
}

fn to_value(value: impl Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| ActasError::Internal(e.to_string()))
}

/// `PATCH /ssf/streams` (the members given change) and `PUT /ssf/streams` (`replace`: what is
/// not given goes back to its default; the endpoint is required).
pub async fn update_stream(
    state: &SsfState,
    receiver: &Receiver,
    body: &Map<String, Value>,
    replace: bool,
    issuer: &str,
) -> Result<StreamView> {
    let request = StreamRequest::parse(body)?;
    let mut stream = the_stream(receiver, request.stream_id.as_deref())?.clone();
    if replace && request.endpoint_url.is_none() {
        return Err(ActasError::BadRequest(
            "delivery.endpoint_url is required (push delivery)".into(),
        ));
    }
    if let Some(url) = request.endpoint_url {
        stream.endpoint_url = url;
    }
    match request.authorization_header {
        Some(header) => {
            stream.authorization_sealed = seal(state, &stream.id, header.as_deref()).await?
        }
        None if replace => stream.authorization_sealed = None,
        None => {}
    }
    match request.events_requested {
        Some(events) => stream.events_requested = events,
        None if replace => {
            stream.events_requested = EVENTS_SUPPORTED.iter().map(|e| e.to_string()).collect()
        }
        None => {}
    }
    match request.description {
        Some(description) => stream.description = description,
        None if replace => stream.description = None,
        None => {}
    }
    if !state.store.put_stream(&receiver.id, Some(&stream)).await? {
        return Err(ActasError::NotFound("no such stream".into()));
    }
    Ok(StreamView::of(receiver, &stream, issuer))
}

/// `DELETE /ssf/streams?stream_id=`: the stream and what was pending for it.
pub async fn delete_stream(
    state: &SsfState,
    receiver: &Receiver,
    stream_id: Option<&str>,
) -> Result<()> {
    the_stream(receiver, stream_id)?;
    for pending in state.store.pending(&receiver.id).await? {
        state
            .store
            .delete_pending(&receiver.id, &pending.jti)
            .await?;
    }
    state.store.put_stream(&receiver.id, None).await?;
    info!(receiver = %receiver.id, "SSF stream deleted");
    Ok(())
}

/// `GET /ssf/status?stream_id=`.
pub async fn status(
    state: &SsfState,
    receiver: &Receiver,
    stream_id: Option<&str>,
) -> Result<StatusView> {
    let stream = the_stream(receiver, stream_id)?;
    status_of(state.store.as_ref(), &receiver.id, stream).await
}

pub async fn status_of(
    store: &dyn SsfStore,
    receiver_id: &str,
    stream: &Stream,
) -> Result<StatusView> {
    let pending = store.pending(receiver_id).await?.len();
    let time = |millis: Option<i64>| millis.map(crate::ports::clock::rfc3339_millis);
    Ok(StatusView {
        stream_id: stream.id.clone(),
        status: stream.status.as_str(),
        reason: stream.status_reason.clone(),
        delivery: DeliveryStatusView {
            endpoint_url: stream.endpoint_url.clone(),
            pending,
            delivered: stream.delivery.delivered,
            dropped: stream.delivery.dropped,
            last_delivery_at: time(stream.delivery.last_delivery_at_millis),
            last_error: stream.delivery.last_error.clone(),
            last_error_at: time(stream.delivery.last_error_at_millis),
        },
    })
}

/// `POST /ssf/status` `{"stream_id", "status", "reason"}`: enable, pause or disable. Enabling
/// again pushes what was kept while paused.
pub async fn set_status(
    state: &SsfState,
    receiver: &Receiver,
    body: &Map<String, Value>,
) -> Result<StatusView> {
    let field = |name: &str| match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ActasError::BadRequest(format!("{name} must be a string"))),
    };
    let stream_id = field("stream_id")?;
    let wanted =
        field("status")?.ok_or_else(|| ActasError::BadRequest("status is required".into()))?;
    let reason = field("reason")?.map(|r| crate::domain::audit::bounded(r, 256));
    let mut stream = the_stream(receiver, stream_id)?.clone();
    let status = StreamStatus::parse(wanted).ok_or_else(|| {
        ActasError::Unprocessable("status must be enabled, paused or disabled".into())
    })?;
    if !state
        .store
        .set_stream_status(&receiver.id, status, reason.as_deref())
        .await?
    {
        return Err(ActasError::NotFound("no such stream".into()));
    }
    if status == StreamStatus::Disabled {
        // A disabled stream keeps nothing (SSF 1.0).
        for pending in state.store.pending(&receiver.id).await? {
            state
                .store
                .delete_pending(&receiver.id, &pending.jti)
                .await?;
        }
    }
    stream.status = status;
    stream.status_reason = reason;
    if status == StreamStatus::Enabled {
        let receiver = Receiver {
            stream: Some(stream.clone()),
            ..receiver.clone()
        };
        retry_receiver(state, &receiver, true).await?;
    }
    status_of(state.store.as_ref(), &receiver.id, &stream).await
}

/// `POST /ssf/verify` `{"stream_id", "state"}`: a verification SET (SSF 1.0) pushed
/// to the stream, kept and retried like any other.
pub async fn verify(
    state: &SsfState,
    receiver: &Receiver,
    body: &Map<String, Value>,
    issuer: &str,
) -> Result<()> {
    let stream_id = match body.get("stream_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ActasError::BadRequest("stream_id must be a string".into())),
    };
    let verification_state = match body.get("state") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 256 => Some(s.clone()),
        Some(_) => {
            return Err(ActasError::BadRequest(
                "state must be a string of at most 256 characters".into(),
            ))
        }
    };
    let stream = the_stream(receiver, stream_id)?;
    if stream.status != StreamStatus::Enabled {
        return Err(ActasError::Conflict("the stream is not enabled".into()));
    }
    let jti = uuid::Uuid::new_v4().to_string();
    let mut event = json!({});
    if let Some(value) = verification_state {
        event["state"] = json!(value);
    }
    let claims = SetClaims {
        issuer,
        audience: &receiver.audience,
        jti: &jti,
        iat: state.clock.now_secs(),
        subject: json!({"format": "opaque", "id": stream.id}),
        txn: None,
        event_type: VERIFICATION,
        event,
    };
    let set = sign_set(state.signer.as_ref(), &claims.to_json()).await?;
    let pending = PendingDelivery {
        receiver_id: receiver.id.clone(),
        jti,
        set,
        attempts: 0,
        next_attempt_at_millis: state.clock.now_millis(),
        created_at_millis: state.clock.now_millis(),
    };
    state.store.put_pending(&pending).await?;
    attempt(state, receiver, stream, pending).await?;
    Ok(())
}

/// A SET signed RS256 with the transmitter's key: `typ: secevent+jwt` (RFC 8417 §2.3).
pub async fn sign_set(signer: &dyn SetSigner, claims: &Value) -> Result<String> {
    let header = json!({"alg": "RS256", "typ": SET_TYPE, "kid": signer.key_id().await?});
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string().as_bytes());
    let input = format!("{}.{}", encode(&header), encode(claims));
    let signature = signer.sign(input.as_bytes()).await?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// What one delivery run did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DeliveryReport {
    /// SETs made (new pending deliveries).
    pub made: usize,
    pub delivered: usize,
    pub failed: usize,
    pub dropped: usize,
}

/// The records of one audit stream batch (new images): each ended impersonation becomes a SET
/// for every receiver whose stream asks for it.
pub async fn deliver_stream_batch(
    state: &SsfState,
    batch: &StreamBatch,
    decode: DecodeImage,
    issuer: &str,
) -> Result<DeliveryReport> {
    let records = inserted_records(batch, decode).collect::<Result<Vec<_>>>()?;
    deliver_records(state, &records, issuer).await
}

/// What the delivery function is invoked with: a batch of the audit table's stream, or the
/// schedule's event (`{"force": true}` from `actas ssf retry`: push again what is pending now).
#[derive(Debug)]
pub enum DeliveryEvent {
    Stream(StreamBatch),
    Schedule { force: bool },
}

impl DeliveryEvent {
    /// An event with `Records` is a stream batch, and one that does not read as a batch is an
    /// error (the batch fails and comes again), never a schedule; any other event is the
    /// schedule's.
    pub fn read(event: Value) -> Result<DeliveryEvent> {
        if event.get("Records").is_some() {
            return serde_json::from_value(event)
                .map(DeliveryEvent::Stream)
                .map_err(|e| ActasError::BadRequest(format!("unreadable stream batch: {e}")));
        }
        Ok(DeliveryEvent::Schedule {
            force: event["force"] == Value::Bool(true),
        })
    }
}

pub async fn deliver_records(
    state: &SsfState,
    records: &[AuditRecord],
    issuer: &str,
) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let events: Vec<_> = records
        .iter()
        .filter_map(|r| event_of(r).map(|e| (r, e)))
        .collect();
    if events.is_empty() {
        return Ok(report);
    }
    let receivers = state.store.list_receivers().await?;
    for (record, (event_type, event)) in events {
        for receiver in &receivers {
            let Some(stream) = &receiver.stream else {
                continue;
            };
            if stream.status == StreamStatus::Disabled || !stream.wants(event_type) {
                continue;
            }
            let jti = jti_for(&record.id, &receiver.id);
            let claims = SetClaims {
                issuer,
                audience: &receiver.audience,
                jti: &jti,
                iat: state.clock.now_secs(),
                subject: session_subject(
                    record.impersonation_id.as_deref().unwrap_or_default(),
                    record.target_sub.as_deref(),
                ),
                txn: Some(&record.id),
                event_type,
                event: event.clone(),
            };
            let set = sign_set(state.signer.as_ref(), &claims.to_json()).await?;
            let pending = PendingDelivery {
                receiver_id: receiver.id.clone(),
                jti: jti.clone(),
                set,
                attempts: 0,
                next_attempt_at_millis: state.clock.now_millis(),
                created_at_millis: state.clock.now_millis(),
            };
            if !state.store.put_pending(&pending).await? {
                continue; // this batch was delivered before: the SET exists (or went out)
            }
            report.made += 1;
            if stream.status == StreamStatus::Enabled {
                if attempt(state, receiver, stream, pending).await? {
                    report.delivered += 1;
                } else {
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}

/// One push of a pending SET: delivered, it is deleted; refused or unreachable, its next
/// attempt is set back (10 s, 20 s, 40 s, ... at most an hour). Both are recorded on the stream.
async fn attempt(
    state: &SsfState,
    receiver: &Receiver,
    stream: &Stream,
    mut pending: PendingDelivery,
) -> Result<bool> {
    let authorization = match &stream.authorization_sealed {
        Some(sealed) => Some(state.vault.open(&seal_context(&stream.id), sealed).await?),
        None => None,
    };
    let now = state.clock.now_millis();
    match state
        .pusher
        .push(&stream.endpoint_url, authorization.as_deref(), &pending.set)
        .await
    {
        Ok(()) => {
            state
                .store
                .mark_delivered(&receiver.id, &pending.jti, now)
                .await?;
            state.store.record_delivery(&receiver.id, now, None).await?;
            info!(receiver = %receiver.id, jti = %pending.jti, "SET delivered");
            Ok(true)
        }
        Err(failure) => {
            pending.attempts += 1;
            pending.next_attempt_at_millis = now + backoff_millis(pending.attempts);
            state.store.update_pending(&pending).await?;
            state
                .store
                .record_delivery(&receiver.id, now, Some(&failure.0))
                .await?;
            warn!(receiver = %receiver.id, jti = %pending.jti, attempts = pending.attempts, error = %failure.0, "SET not delivered; retried later");
            Ok(false)
        }
    }
}

/// The schedule: every enabled stream's pending SETs that are due (all of them with `force`,
/// as `actas ssf retry` asks), oldest first; a SET pending longer than three days is dropped.
pub async fn retry_pending(state: &SsfState, force: bool) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    for receiver in state.store.list_receivers().await? {
        let part = retry_receiver(state, &receiver, force).await?;
        report.delivered += part.delivered;
        report.failed += part.failed;
        report.dropped += part.dropped;
    }
    Ok(report)
}

async fn retry_receiver(
    state: &SsfState,
    receiver: &Receiver,
    force: bool,
) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let Some(stream) = receiver
        .stream
        .as_ref()
        .filter(|s| s.status == StreamStatus::Enabled)
    else {
        return Ok(report);
    };
    let now = state.clock.now_millis();
    for pending in state.store.pending(&receiver.id).await? {
        if now - pending.created_at_millis > PENDING_KEPT_SECS * 1000 {
            state
                .store
                .delete_pending(&receiver.id, &pending.jti)
                .await?;
            state.store.record_dropped(&receiver.id).await?;
            report.dropped += 1;
            continue;
        }
        if !force && pending.next_attempt_at_millis > now {
            continue;
        }
        if attempt(state, receiver, stream, pending).await? {
            report.delivered += 1;
        } else {
            report.failed += 1;
            // The receiver is down: the rest would fail the same way; they wait their turn.
            break;
        }
    }
    Ok(report)
}

/// What `actas ssf receiver list` and `actas ssf status` show of a receiver (never its hash).
pub async fn receiver_summary(store: &dyn SsfStore, receiver: &Receiver) -> Result<Value> {
    let stream = match &receiver.stream {
        Some(stream) => Some(to_value(status_of(store, &receiver.id, stream).await?)?),
        None => None,
    };
    Ok(json!({
        "id": receiver.id,
        "name": receiver.name,
        "audience": receiver.audience,
        "created_at": crate::ports::clock::rfc3339_millis(receiver.created_at_millis),
        "stream": stream,
        "events_delivered": receiver.stream.as_ref().map(|s| events_delivered(&s.events_requested)),
    }))
}

#[cfg(test)]
pub(crate) mod tests;
