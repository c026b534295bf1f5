//! Faults (issue 7 §5), by denying one AWS call at a time to a deployed function (an IAM deny
//! on its role, as the local stack enforces IAM): a start whose minting fails is recorded as
//! failed and holds nothing; a start whose audit record cannot be written leaves no session; an
//! event whose publish fails still reaches EventBridge once the fault is gone. The scenarios run
//! one after another in one test: each changes a role that other tests' requests would use.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use actas::bootstrap::config::{ApiConfig, EnvReader};
use actas_integration_tests::{received, subscribe, Harness};
use serde_json::{json, Value};

/// Polls `probe` until it yields a value, failing the test after `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A deny of `action` on the role of the function deployed as `logical_id`, removed on drop of
/// the returned guard's scope by `lift`.
struct Deny {
    iam: aws_sdk_iam::Client,
    role: String,
}

const DENY_POLICY: &str = "actas-test-deny";

impl Deny {
    async fn on(h: &Harness, logical_id: &str, action: &str) -> Deny {
        Deny::on_resource(h, logical_id, action, "*").await
    }

    /// A deny of `action` on `resource` only (an ARN), so the function's other calls of the
    /// same action still work.
    async fn on_resource(h: &Harness, logical_id: &str, action: &str, resource: &str) -> Deny {
        let function = h
            .stack
            .functions
            .get(logical_id)
            .expect("a deployed function");
        let lambda = aws_sdk_lambda::Client::new(&h.sdk);
        let config = lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .expect("function configuration");
        let role = config
            .role()
            .and_then(|arn| arn.rsplit('/').next())
            .expect("a role")
            .to_string();
        let iam = aws_sdk_iam::Client::new(&h.sdk);
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": action, "Resource": resource}],
        });
        iam.put_role_policy()
            .role_name(&role)
            .policy_name(DENY_POLICY)
            .policy_document(policy.to_string())
            .send()
            .await
            .expect("deny");
        Deny { iam, role }
    }

    async fn lift(self) {
        self.iam
            .delete_role_policy()
            .role_name(&self.role)
            .policy_name(DENY_POLICY)
            .send()
            .await
            .expect("lift the deny");
    }
}

async fn a_start_whose_minting_fails_is_recorded_as_failed_and_holds_nothing(h: &Harness) {
    let tenant = format!("fault-{}", &actas_integration_tests::uuid_like()[..8]);
    let admin = h.fresh_user("admin", &tenant, None).await;
    let target = h.fresh_user("user", &tenant, None).await;
    let bearer = h.id_token_of(&admin).await;
    let path = format!("/auth/impersonate?uuid={}&reason=fault", target.sub);

    let deny = Deny::on(
        h,
        "ImpersonateFunction",
        "cognito-idp:AdminRespondToAuthChallenge",
    )
    .await;
    let failed = h.post_impersonate(&path, Some(&bearer), None, None).await;
    deny.lift().await;
    assert_eq!(failed.status, 502, "{}", failed.body);
    assert_eq!(failed.body["status"], "error");
    let message = failed.body["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains("Exception"),
        "no AWS error text: {message}"
    );

    let listed = h
        .get(
            &format!("/auth/impersonations?target={}", target.sub),
            Some(&bearer),
        )
        .await;
    let items = listed.body["impersonations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", listed.body);
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["active"], false);
    let records = h.audit_records(&tenant).await;
    let record = records
        .iter()
        .find(|r| r.impersonation_id.as_deref() == items[0]["id"].as_str())
        .expect("the failed start is on record");
    assert_eq!(record.event.as_str(), "started");
    assert_eq!(record.outcome, "failed");
    assert!(record
        .cause
        .as_deref()
        .is_some_and(|c| c.contains("could not be minted")));

    // Nothing is held: the same start works once the fault is gone.
    let started = h.post_impersonate(&path, Some(&bearer), None, None).await;
    assert_eq!(started.status, 200, "{}", started.body);
}

/// What the audit stream's event source mapping says of the batch it processed last: `FAILED`
/// when the publish function failed on it (the batch is then delivered again), `OK - …` else.
async fn last_stream_batch(h: &Harness) -> String {
    let lambda = aws_sdk_lambda::Client::new(&h.sdk);
    let mappings = lambda
        .list_event_source_mappings()
        .function_name(
            h.stack
                .functions
                .get("PublishEventsFunction")
                .expect("the publish function"),
        )
        .send()
        .await
        .expect("event source mappings");
    let mapping = mappings
        .event_source_mappings()
        .iter()
        .find(|m| {
            m.event_source_arn()
                .is_some_and(|arn| arn.contains(&h.stack.audit_table_name))
        })
        .expect("the audit stream's mapping");
    mapping
        .last_processing_result()
        .unwrap_or_default()
        .to_string()
}

async fn an_event_whose_publish_fails_is_delivered_once_the_fault_is_gone(h: &Harness) {
    let tenant = format!("events-{}", &actas_integration_tests::uuid_like()[..8]);
    let (sqs, queue) = subscribe(h, &tenant).await;
    let admin = h.fresh_user("admin", &tenant, None).await;
    let target = h.fresh_user("user", &tenant, None).await;
    let bearer = h.id_token_of(&admin).await;
    let path = format!("/auth/impersonate?uuid={}&reason=events", target.sub);

    // The stream is healthy before the fault: a failure seen later is the fault's.
    eventually(
        "the audit stream publishes",
        Duration::from_secs(30),
        || async { (last_stream_batch(h).await != "FAILED").then_some(()) },
    )
    .await;
    let deny = Deny::on(h, "PublishEventsFunction", "events:PutEvents").await;
    let started = h.post_impersonate(&path, Some(&bearer), None, None).await;
    assert_eq!(
        started.status, 200,
        "the start does not depend on EventBridge"
    );
    // The publish was attempted and failed: the stream holds the batch to deliver again.
    eventually(
        "a publish attempted and refused",
        Duration::from_secs(30),
        || async { (last_stream_batch(h).await == "FAILED").then_some(()) },
    )
    .await;
    let while_denied = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    deny.lift().await;
    assert!(
        while_denied.messages().is_empty(),
        "published while denied: {:?}",
        while_denied.messages()
    );

    let delivered = received(&sqs, &queue, 1).await;
    let starts: Vec<&Value> = delivered
        .iter()
        .filter(|e| e["detail-type"] == "Impersonation Started")
        .collect();
    assert_eq!(starts.len(), 1, "delivered after the fault: {delivered:?}");
    assert_eq!(
        starts[0]["detail"]["impersonation_id"],
        started.body["impersonation"]["id"]
    );
}

/// The deployed impersonate function's configuration and wiring, in this process: its vault
/// opens a sealed refresh token as the stop function would.
async fn deployed_sessions(h: &Harness) -> actas::app::state::Sessions {
    let lambda = aws_sdk_lambda::Client::new(&h.sdk);
    let config = lambda
        .get_function_configuration()
        .function_name(
            h.stack
                .functions
                .get("ImpersonateFunction")
                .expect("deployed"),
        )
        .send()
        .await
        .expect("function configuration");
    let mut env: HashMap<String, String> = config
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    env.insert("AWS_REGION".into(), h.stack.region.clone());
    env.insert("PUBLIC_API_URL".into(), h.stack.api_url.clone());
    let config = ApiConfig::from_reader(EnvReader::from_map(env)).expect("the deployed config");
    actas::bootstrap::impersonate(config, &h.sdk)
        .expect("wired")
        .sessions
}

/// An attribute of an impersonation's item in the grants table.
async fn grant_attribute(
    h: &Harness,
    id: &str,
    name: &str,
) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue;
    aws_sdk_dynamodb::Client::new(&h.sdk)
        .get_item()
        .table_name(&h.stack.table_name)
        .key("pk", AttributeValue::S(format!("IMP#{id}")))
        .key("sk", AttributeValue::S("IMPERSONATION".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get")
        .item()
        .and_then(|item| item.get(name).cloned())
}

async fn a_start_whose_audit_record_cannot_be_written_leaves_no_session(h: &Harness) {
    let tenant = format!("unaudited-{}", &actas_integration_tests::uuid_like()[..8]);
    let admin = h.fresh_user("admin", &tenant, None).await;
    let target = h.fresh_user("user", &tenant, None).await;
    let bearer = h.id_token_of(&admin).await;
    let path = format!("/auth/impersonate?uuid={}&reason=unaudited", target.sub);
    let audit_table = aws_sdk_dynamodb::Client::new(&h.sdk)
        .describe_table()
        .table_name(&h.stack.audit_table_name)
        .send()
        .await
        .expect("the audit table")
        .table()
        .and_then(|t| t.table_arn())
        .expect("its ARN")
        .to_string();

    // Only the audit table's PutItem: the grant is written, Cognito mints, the token is sealed
    // and kept; the start's record is what fails.
    let deny = Deny::on_resource(h, "ImpersonateFunction", "dynamodb:PutItem", &audit_table).await;
    let failed = h.post_impersonate(&path, Some(&bearer), None, None).await;
    deny.lift().await;
    assert_eq!(failed.status, 502, "{}", failed.body);
    assert_eq!(failed.body["status"], "error");
    assert!(failed.body.get("session").is_none(), "no tokens handed out");

    let listed = h
        .get(
            &format!("/auth/impersonations?target={}", target.sub),
            Some(&bearer),
        )
        .await;
    let items = listed.body["impersonations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", listed.body);
    assert_eq!(items[0]["status"], "failed", "never live");
    assert_eq!(items[0]["active"], false);
    let id = items[0]["id"].as_str().expect("an id").to_string();
    assert!(
        h.audit_records(&tenant)
            .await
            .iter()
            .all(|r| r.impersonation_id.as_deref() != Some(id.as_str())),
        "nothing could be recorded"
    );

    // A session was minted (its refresh token is kept, sealed) and revoked at once.
    assert!(
        revoked_at(h, &id).await.is_some(),
        "the minted session is revoked"
    );
    let sealed = grant_attribute(h, &id, "refresh_token_sealed")
        .await
        .and_then(|v| v.as_s().ok().cloned())
        .expect("the minted session's refresh token was kept");
    let refresh_token = deployed_sessions(h)
        .await
        .vault
        .open(&id, &sealed)
        .await
        .expect("opened with its own context");

    // Control: with the fault gone the same start gives a live session that refreshes.
    let started = h.post_impersonate(&path, Some(&bearer), None, None).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(h.refresh_session(&started.body).await.is_ok());

    // The failed start's refresh token, used as its session would be (at the payload's
    // endpointUrl, both refresh calls), yields nothing.
    let mut unrecorded = started.body.clone();
    unrecorded["session"]["refreshToken"] = json!(refresh_token);
    assert!(
        h.refresh_session(&unrecorded).await.is_err(),
        "InitiateAuth"
    );
    assert!(
        h.refresh_session_with_get_tokens(&unrecorded)
            .await
            .is_err(),
        "GetTokensFromRefreshToken"
    );
}

/// `revoked_at` of an impersonation, read from the grants table.
async fn revoked_at(h: &Harness, id: &str) -> Option<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    aws_sdk_dynamodb::Client::new(&h.sdk)
        .get_item()
        .table_name(&h.stack.table_name)
        .key("pk", AttributeValue::S(format!("IMP#{id}")))
        .key("sk", AttributeValue::S("IMPERSONATION".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get")
        .item()
        .and_then(|item| item.get("revoked_at")?.as_n().ok().cloned())
}

async fn a_stop_whose_revoke_fails_is_on_record_and_cleanup_revokes_later(h: &Harness) {
    let tenant = format!("revoke-{}", &actas_integration_tests::uuid_like()[..8]);
    let admin = h.fresh_user("admin", &tenant, None).await;
    let target = h.fresh_user("user", &tenant, None).await;
    let bearer = h.id_token_of(&admin).await;
    let path = format!("/auth/impersonate?uuid={}&reason=revoke", target.sub);
    let started = h.post_impersonate(&path, Some(&bearer), None, None).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let id = started.body["impersonation"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The sealed refresh token cannot be opened: the revoke fails, the stop does not.
    let deny = Deny::on(h, "StopFunction", "kms:Decrypt").await;
    let stopped = h
        .delete(&format!("/auth/impersonations/{id}"), &bearer)
        .await;
    deny.lift().await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    assert_eq!(stopped.body["impersonation"]["status"], "ended");
    assert!(
        h.refresh_session(&started.body).await.is_err(),
        "ended means ended"
    );
    assert_eq!(
        revoked_at(h, &id).await,
        None,
        "the failed revoke is not recorded as done"
    );
    let records = h.audit_records(&tenant).await;
    assert!(
        records
            .iter()
            .any(|r| r.event.as_str() == "stopped"
                && r.impersonation_id.as_deref() == Some(id.as_str())),
        "the end is on record although the revoke failed"
    );

    let lambda = aws_sdk_lambda::Client::new(&h.sdk);
    let cleanup = lambda
        .invoke()
        .function_name(h.stack.functions.get("CleanupFunction").expect("cleanup"))
        .payload(aws_sdk_lambda::primitives::Blob::new("{}"))
        .send()
        .await
        .expect("invoke cleanup");
    assert!(
        cleanup.function_error().is_none(),
        "{:?}",
        cleanup.payload()
    );
    assert!(
        revoked_at(h, &id).await.is_some(),
        "the next cleanup revokes it"
    );
}

#[tokio::test]
async fn faults_leave_nothing_half_done() {
    let h = Harness::new().await;
    a_start_whose_minting_fails_is_recorded_as_failed_and_holds_nothing(&h).await;
    a_start_whose_audit_record_cannot_be_written_leaves_no_session(&h).await;
    an_event_whose_publish_fails_is_delivered_once_the_fault_is_gone(&h).await;
    a_stop_whose_revoke_fails_is_on_record_and_cleanup_revokes_later(&h).await;
}
