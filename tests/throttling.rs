//! Throttling (issue 9): an API key's usage plan. A key allowed 2 starts a minute makes 2, and
//! the third in the same minute is refused with 429 in the error shape; the key's tenant and
//! the other keys are unaffected.

use actas::adapters::aws::dynamodb::DynamoStore;
use actas::app::api_keys::issue_api_key;
use actas::ports::clock::SystemClock;
use actas::ports::grants::ApiKeyStore;
use actas_integration_tests::{assert_error, uuid_like, Harness};
use serde_json::json;

#[tokio::test]
async fn a_key_past_its_usage_plan_gets_429_until_the_next_minute() {
    let h = Harness::new().await;
    let tenant = format!("plan-{}", &uuid_like()[..8]);
    let admin = h.fresh_user("admin", &tenant, None).await;
    let target = h.fresh_user("user", &tenant, None).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&h.sdk), &h.stack.table_name);
    let (key, plain) = issue_api_key(&store, &SystemClock, &tenant, "usage plan test")
        .await
        .expect("a key");
    assert!(store
        .set_requests_per_minute(&key.id, 2)
        .await
        .expect("set"));
    let (_, unlimited) = issue_api_key(&store, &SystemClock, &tenant, "another key")
        .await
        .expect("a key");
    let token = h.id_token_of(&admin).await;

    // Three starts inside one minute: wait for a fresh minute if this one is nearly over.
    let second = (actas_integration_tests::now_millis() / 1000) % 60;
    if second > 45 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second as u64)).await;
    }
    let start = |key: String| {
        let h = &h;
        let token = token.clone();
        let body = json!({"username": target.username, "reason": "usage plan test"}).to_string();
        async move {
            h.post_impersonate("/auth/impersonate", Some(&token), Some(&key), Some(&body))
                .await
        }
    };
    for _ in 0..2 {
        let ok = start(plain.clone()).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
    }
    let throttled = start(plain.clone()).await;
    assert_error(&throttled, 429, "the third start of the minute");
    // Another key of the same tenant has its own plan.
    let other = start(unlimited).await;
    assert_eq!(other.status, 200, "{}", other.body);
}
