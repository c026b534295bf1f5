//! What no route owns: the fallback, malformed events, the stream publisher.

use super::*;

#[test]
fn the_fallback_event_gets_405_with_allow() {
    let request = lambda_http::request::from_str(&event("route-fallback.json").to_string())
        .expect("a REST event");
    let response = crate::http::routes::no_route(&request);
    assert_eq!(response.status(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST, DELETE")
    );
}

#[test]
fn an_event_with_a_control_byte_in_a_header_is_a_bad_request() {
    let mut ev = event("token-check.json");
    set_header(&mut ev, "X-Probe", Some("a\u{1}b"));
    assert!(matches!(
        crate::http::runtime::request_from_event(ev),
        Err(ActasError::BadRequest(_))
    ));
    assert!(crate::http::runtime::request_from_event(event("token-check.json")).is_ok());
}

#[tokio::test]
async fn the_publish_events_event_publishes_its_record() {
    let publisher = crate::testkit::memory::MemoryPublisher::default();
    let published = crate::app::publish_events::publish_stream_batch(
        &publisher,
        // As the runtime reads it for the function: the typed stream batch.
        &serde_json::from_value(event("publish-events.json")).unwrap(),
        crate::adapters::aws::dynamodb::audit::record_from_image,
    )
    .await
    .unwrap();
    assert_eq!(published, 1);
    let records = publisher.published.lock().unwrap().clone();
    assert_eq!(records[0].id, "EVENT_RECORD_ID");
    assert_eq!(records[0].detail_type(), "Impersonation Started");
    assert_eq!(records[0].tenant.as_deref(), Some("EVENT_TENANT"));
}
