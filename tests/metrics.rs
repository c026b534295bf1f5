//! The metrics a start writes: CloudWatch Embedded Metric Format lines in the impersonate
//! function's own log (no API call), read back from the invocation's log tail.

use actas_integration_tests::{event, set_header, uuid_like, Harness};
use aws_sdk_lambda::types::LogType;
use base64::Engine;
use serde_json::{json, Value};

#[tokio::test]
async fn a_start_writes_its_starts_metric_for_its_tenant_and_dialect() {
    let h = Harness::new().await;
    let tenant = format!("emf-{}", &uuid_like()[..8]);
    let admin = h.fresh_user("admin", &tenant, None).await;
    let member = h.fresh_user("user", &tenant, None).await;
    let mut start = event("impersonate-uuid.json");
    set_header(
        &mut start,
        "Authorization",
        &format!("Bearer {}", h.id_token_of(&admin).await),
    );
    start["queryStringParameters"] = json!({"uuid": member.sub, "reason": "metrics"});
    start["multiValueQueryStringParameters"] = json!({"uuid": [member.sub], "reason": ["metrics"]});
    start["body"] = Value::Null;

    let lambda = aws_sdk_lambda::Client::new(&h.sdk);
    let output = lambda
        .invoke()
        .function_name(
            h.stack
                .function_name("ImpersonateFunction")
                .expect("deployed"),
        )
        .log_type(LogType::Tail)
        .payload(aws_sdk_lambda::primitives::Blob::new(start.to_string()))
        .send()
        .await
        .expect("invoke");
    let answer: Value =
        serde_json::from_slice(output.payload().expect("a payload").as_ref()).expect("JSON");
    assert_eq!(answer["statusCode"], 200, "the start: {}", answer["body"]);
    let tail = base64::engine::general_purpose::STANDARD
        .decode(output.log_result().expect("a log tail"))
        .expect("base64");
    let tail = String::from_utf8_lossy(&tail);
    let metrics: Vec<Value> = tail
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect();
    let starts = metrics
        .iter()
        .find(|m| m["Starts"] == 1.0 && m["Tenant"] == tenant.as_str())
        .unwrap_or_else(|| panic!("no Starts metric for {tenant} in the log tail:\n{tail}"));
    assert_eq!(starts["Dialect"], "one-step");
    let declared = &starts["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(declared["Namespace"], "actas");
    assert_eq!(declared["Dimensions"][0], json!(["Tenant", "Dialect"]));
    assert_eq!(declared["Metrics"][0]["Name"], "Starts");
    assert!(starts["_aws"]["Timestamp"].as_i64().is_some());
    // No token ever reaches the log, metrics or not.
    assert!(!tail.contains("eyJ"), "a token in the log tail:\n{tail}");
}
