use super::*;
use crate::domain::audit::{AuditEvent, RequestOrigin};
use crate::domain::ssf::SESSION_REVOKED;
use crate::ports::ssf::PushFailure;
use crate::testkit::clock::ManualClock;
use crate::testkit::memory::MemoryVault;
use crate::testkit::stream::record_from_image;
use crate::testkit::stream::stream_batch;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

const ISSUER: &str = "https://actas.example/v1";

#[derive(Default)]
pub(crate) struct Store {
    receivers: Mutex<BTreeMap<String, Receiver>>,
    pending: Mutex<BTreeMap<(String, String), PendingDelivery>>,
    delivered: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl SsfStore for Store {
    async fn put_receiver(&self, receiver: &Receiver) -> Result<()> {
        self.receivers
            .lock()
            .unwrap()
            .insert(receiver.id.clone(), receiver.clone());
        Ok(())
    }
    async fn get_receiver(&self, id: &str) -> Result<Option<Receiver>> {
        Ok(self.receivers.lock().unwrap().get(id).cloned())
    }
    async fn list_receivers(&self) -> Result<Vec<Receiver>> {
        Ok(self.receivers.lock().unwrap().values().cloned().collect())
    }
    async fn delete_receiver(&self, id: &str) -> Result<bool> {
        Ok(self.receivers.lock().unwrap().remove(id).is_some())
    }
    async fn put_stream(&self, receiver_id: &str, stream: Option<&Stream>) -> Result<bool> {
        let mut receivers = self.receivers.lock().unwrap();
        Ok(match receivers.get_mut(receiver_id) {
            Some(receiver) => {
                receiver.stream = stream.cloned();
                true
            }
            None => false,
        })
    }
    async fn set_stream_status(
        &self,
        receiver_id: &str,
        status: StreamStatus,
        reason: Option<&str>,
    ) -> Result<bool> {
        let mut receivers = self.receivers.lock().unwrap();
        match receivers
            .get_mut(receiver_id)
            .and_then(|r| r.stream.as_mut())
        {
            Some(stream) => {
                stream.status = status;
                stream.status_reason = reason.map(str::to_string);
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn record_delivery(&self, receiver_id: &str, at: i64, error: Option<&str>) -> Result<()> {
        let mut receivers = self.receivers.lock().unwrap();
        if let Some(stream) = receivers
            .get_mut(receiver_id)
            .and_then(|r| r.stream.as_mut())
        {
            match error {
                None => {
                    stream.delivery.last_delivery_at_millis = Some(at);
                    stream.delivery.delivered += 1;
                }
                Some(error) => {
                    stream.delivery.last_error = Some(error.to_string());
                    stream.delivery.last_error_at_millis = Some(at);
                }
            }
        }
        Ok(())
    }
    async fn record_dropped(&self, receiver_id: &str) -> Result<()> {
        let mut receivers = self.receivers.lock().unwrap();
        if let Some(stream) = receivers
            .get_mut(receiver_id)
            .and_then(|r| r.stream.as_mut())
        {
            stream.delivery.dropped += 1;
        }
        Ok(())
    }
    async fn put_pending(&self, pending: &PendingDelivery) -> Result<bool> {
        let key = (pending.receiver_id.clone(), pending.jti.clone());
        let mut all = self.pending.lock().unwrap();
        if all.contains_key(&key) || self.delivered.lock().unwrap().contains(&key) {
            return Ok(false);
        }
        all.insert(key, pending.clone());
        Ok(true)
    }
    async fn update_pending(&self, pending: &PendingDelivery) -> Result<()> {
        let key = (pending.receiver_id.clone(), pending.jti.clone());
        if let Some(kept) = self.pending.lock().unwrap().get_mut(&key) {
            *kept = pending.clone();
        }
        Ok(())
    }
    async fn delete_pending(&self, receiver_id: &str, jti: &str) -> Result<()> {
        self.pending
            .lock()
            .unwrap()
            .remove(&(receiver_id.to_string(), jti.to_string()));
        Ok(())
    }
    async fn mark_delivered(&self, receiver_id: &str, jti: &str, _: i64) -> Result<()> {
        let key = (receiver_id.to_string(), jti.to_string());
        self.pending.lock().unwrap().remove(&key);
        self.delivered.lock().unwrap().push(key);
        Ok(())
    }
    async fn pending(&self, receiver_id: &str) -> Result<Vec<PendingDelivery>> {
        Ok(self
            .pending
            .lock()
            .unwrap()
            .values()
            .filter(|p| p.receiver_id == receiver_id)
            .cloned()
            .collect())
    }
}

/// Signs with a digest: the signature's cryptography is the kit's tests' business.
struct DigestSigner;

#[async_trait]
impl SetSigner for DigestSigner {
    async fn key_id(&self) -> Result<String> {
        Ok("test-kid".into())
    }
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        use sha2::Digest;
        Ok(sha2::Sha256::digest(message).to_vec())
    }
    async fn public_jwk(&self) -> Result<Value> {
        Ok(json!({"kty": "RSA", "kid": "test-kid", "n": "AQAB", "e": "AQAB"}))
    }
}

#[derive(Default)]
pub(crate) struct Pusher {
    pub(crate) down: AtomicBool,
    pub(crate) pushed: Mutex<Vec<(String, Option<String>, String)>>,
}

#[async_trait]
impl SetPusher for Pusher {
    async fn push(
        &self,
        url: &str,
        authorization: Option<&str>,
        set: &str,
    ) -> std::result::Result<(), PushFailure> {
        if self.down.load(Ordering::SeqCst) {
            return Err(PushFailure("unreachable: connection refused".into()));
        }
        self.pushed.lock().unwrap().push((
            url.to_string(),
            authorization.map(str::to_string),
            set.to_string(),
        ));
        Ok(())
    }
}

pub(crate) struct World {
    pub(crate) state: SsfState,
    pub(crate) store: Arc<Store>,
    pub(crate) pusher: Arc<Pusher>,
    pub(crate) clock: Arc<ManualClock>,
}

pub(crate) fn world() -> World {
    let store = Arc::new(Store::default());
    let pusher = Arc::new(Pusher::default());
    let clock = Arc::new(ManualClock::at_millis(1_800_000_000_000));
    World {
        state: SsfState {
            store: store.clone(),
            signer: Arc::new(DigestSigner),
            pusher: pusher.clone(),
            vault: Arc::new(MemoryVault),
            clock: clock.clone(),
        },
        store,
        pusher,
        clock,
    }
}

async fn receiver_with_stream(world: &World, events: Value) -> (Receiver, String) {
    let (receiver, credential) =
        add_receiver(world.store.as_ref(), world.clock.as_ref(), "svc", "svc-aud")
            .await
            .unwrap();
    let body = json!({
        "delivery": {"method": PUSH_DELIVERY, "endpoint_url": "https://svc.example/ssf", "authorization_header": "Bearer push"},
        "events_requested": events,
    });
    let view = create_stream(&world.state, &receiver, body.as_object().unwrap(), ISSUER)
        .await
        .unwrap();
    assert_eq!(view.events_delivered, [SESSION_REVOKED]);
    let receiver = world
        .store
        .get_receiver(&receiver.id)
        .await
        .unwrap()
        .unwrap();
    (receiver, credential)
}

fn stopped(id: &str) -> AuditRecord {
    let mut record = AuditRecord::new(
        AuditEvent::Stopped,
        1_800_000_000_000,
        &RequestOrigin::default(),
    );
    record.impersonation_id = Some(id.into());
    record.target_sub = Some("target-sub".into());
    record.cause = Some("stopped by acme-admin".into());
    record
}

fn claims_of(set: &str) -> Value {
    let payload = set.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn an_ended_impersonation_is_pushed_once_as_a_signed_session_revoked() {
    let world = world();
    let (receiver, _) = receiver_with_stream(&world, json!([SESSION_REVOKED])).await;
    let mut started = stopped("imp-0");
    started.event = AuditEvent::Started;
    let batch = stream_batch(&[started, stopped("imp-1")]);
    let report = deliver_stream_batch(&world.state, &batch, record_from_image, ISSUER)
        .await
        .unwrap();
    assert_eq!((report.made, report.delivered), (1, 1));
    let pushed = world.pusher.pushed.lock().unwrap().clone();
    let (url, authorization, set) = &pushed[0];
    assert_eq!(url, "https://svc.example/ssf");
    assert_eq!(authorization.as_deref(), Some("Bearer push"));
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(set.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        header,
        json!({"alg": "RS256", "typ": "secevent+jwt", "kid": "test-kid"})
    );
    let claims = claims_of(set);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], "svc-aud");
    assert_eq!(claims["sub_id"]["session"]["id"], "imp-1");
    assert_eq!(
        claims["events"][SESSION_REVOKED]["initiating_entity"],
        "admin"
    );
    // The stream delivers the batch again: no second SET.
    let again = deliver_stream_batch(&world.state, &batch, record_from_image, ISSUER)
        .await
        .unwrap();
    assert_eq!(again.made, 0);
    let status = status(
        &world.state,
        &world
            .store
            .get_receiver(&receiver.id)
            .await
            .unwrap()
            .unwrap(),
        Some(&receiver.stream.as_ref().unwrap().id),
    )
    .await
    .unwrap();
    assert_eq!(status.delivery.delivered, 1);
    assert_eq!(status.delivery.pending, 0);
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_the_set_when_the_retry_finds_it_up() {
    let world = world();
    let (receiver, _) = receiver_with_stream(&world, json!([SESSION_REVOKED])).await;
    world.pusher.down.store(true, Ordering::SeqCst);
    let report = deliver_records(&world.state, &[stopped("imp-1")], ISSUER)
        .await
        .unwrap();
    assert_eq!((report.made, report.failed), (1, 1));
    let pending = world.store.pending(&receiver.id).await.unwrap();
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(
        pending[0].next_attempt_at_millis,
        world.clock.now_millis() + 10_000
    );
    let stream = world
        .store
        .get_receiver(&receiver.id)
        .await
        .unwrap()
        .unwrap()
        .stream
        .unwrap();
    assert!(stream.delivery.last_error.unwrap().contains("refused"));

    // Not due yet: the schedule leaves it; due and still down: the back-off doubles.
    world.pusher.down.store(false, Ordering::SeqCst);
    assert_eq!(
        retry_pending(&world.state, false).await.unwrap().delivered,
        0
    );
    world.pusher.down.store(true, Ordering::SeqCst);
    world.clock.advance_secs(11);
    assert_eq!(retry_pending(&world.state, false).await.unwrap().failed, 1);
    let pending = world.store.pending(&receiver.id).await.unwrap();
    assert_eq!(pending[0].attempts, 2);
    assert_eq!(
        pending[0].next_attempt_at_millis,
        world.clock.now_millis() + 20_000
    );

    // Up again: a forced retry (actas ssf retry) delivers it now.
    world.pusher.down.store(false, Ordering::SeqCst);
    assert_eq!(
        retry_pending(&world.state, true).await.unwrap().delivered,
        1
    );
    assert!(world.store.pending(&receiver.id).await.unwrap().is_empty());
    assert_eq!(world.pusher.pushed.lock().unwrap().len(), 1);

    // Three days of failures: dropped and counted.
    world.pusher.down.store(true, Ordering::SeqCst);
    deliver_records(&world.state, &[stopped("imp-2")], ISSUER)
        .await
        .unwrap();
    world.clock.advance_secs(PENDING_KEPT_SECS + 1);
    assert_eq!(retry_pending(&world.state, false).await.unwrap().dropped, 1);
    let stream = world
        .store
        .get_receiver(&receiver.id)
        .await
        .unwrap()
        .unwrap()
        .stream
        .unwrap();
    assert_eq!(stream.delivery.dropped, 1);
}

#[tokio::test]
async fn paused_streams_keep_disabled_ones_drop_and_unwanted_events_are_not_sent() {
    let world = world();
    let (receiver, _) = receiver_with_stream(&world, json!([SESSION_REVOKED])).await;
    let stream_id = receiver.stream.as_ref().unwrap().id.clone();
    let set = |status: &str| json!({"stream_id": stream_id, "status": status});
    set_status(&world.state, &receiver, set("paused").as_object().unwrap())
        .await
        .unwrap();
    deliver_records(&world.state, &[stopped("imp-1")], ISSUER)
        .await
        .unwrap();
    assert!(world.pusher.pushed.lock().unwrap().is_empty());
    assert_eq!(world.store.pending(&receiver.id).await.unwrap().len(), 1);
    let receiver = world
        .store
        .get_receiver(&receiver.id)
        .await
        .unwrap()
        .unwrap();
    let enabled = set_status(&world.state, &receiver, set("enabled").as_object().unwrap())
        .await
        .unwrap();
    assert_eq!(enabled.status, "enabled");
    assert_eq!(enabled.delivery.pending, 0);
    assert_eq!(world.pusher.pushed.lock().unwrap().len(), 1);

    let receiver = world
        .store
        .get_receiver(&receiver.id)
        .await
        .unwrap()
        .unwrap();
    set_status(
        &world.state,
        &receiver,
        set("disabled").as_object().unwrap(),
    )
    .await
    .unwrap();
    let report = deliver_records(&world.state, &[stopped("imp-2")], ISSUER)
        .await
        .unwrap();
    assert_eq!(report.made, 0);

    // A stream that asked for nothing actas sends gets nothing.
    let other = super::tests::world();
    let (quiet, _) = receiver_with_stream(&other, json!([SESSION_REVOKED])).await;
    let body =
        json!({"stream_id": quiet.stream.as_ref().unwrap().id, "events_requested": ["urn:other"]});
    update_stream(
        &other.state,
        &quiet,
        body.as_object().unwrap(),
        false,
        ISSUER,
    )
    .await
    .unwrap();
    let report = deliver_records(&other.state, &[stopped("imp-3")], ISSUER)
        .await
        .unwrap();
    assert_eq!(report.made, 0);
}

#[tokio::test]
async fn only_a_registered_receiver_with_its_secret_gets_in() {
    let world = world();
    let (receiver, credential) = receiver_with_stream(&world, json!([SESSION_REVOKED])).await;
    let ok = authenticate(&world.state, Some(&format!("Bearer {credential}")))
        .await
        .unwrap();
    assert_eq!(ok.id, receiver.id);
    let wrong_secret = format!("Bearer {credential}x");
    let unknown = format!("Bearer ssf.{}.secret", "0".repeat(32));
    for header in [
        None,
        Some(""),
        Some(credential.as_str()),
        Some("Basic abc"),
        Some(wrong_secret.as_str()),
        Some(unknown.as_str()),
        Some("Bearer actas.x.y"),
        Some("Bearer ssf.bad-id!.x"),
    ] {
        let err = authenticate(&world.state, header).await.unwrap_err();
        assert_eq!(err.status(), 401, "{header:?}");
    }
    assert!(
        world
            .store
            .get_receiver(&receiver.id)
            .await
            .unwrap()
            .unwrap()
            .secret_hash
            .len()
            == 64
    );
}

#[test]
fn the_delivery_function_tells_a_stream_batch_from_the_schedule() {
    let batch = serde_json::to_value(stream_batch(&[stopped("imp-1")])).unwrap();
    match DeliveryEvent::read(batch).unwrap() {
        DeliveryEvent::Stream(batch) => assert_eq!(batch.records.len(), 1),
        other => panic!("a stream batch read as {other:?}"),
    }
    let schedule = json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
    assert!(matches!(
        DeliveryEvent::read(schedule).unwrap(),
        DeliveryEvent::Schedule { force: false }
    ));
    assert!(matches!(
        DeliveryEvent::read(json!({"force": true})).unwrap(),
        DeliveryEvent::Schedule { force: true }
    ));
    assert!(
        DeliveryEvent::read(json!({"Records": [{"eventName": "INSERT"}]})).is_err(),
        "a batch that does not read fails (and comes again), it is not taken for the schedule"
    );
}
