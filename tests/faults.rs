//! Faults (issue 7 §5), by denying one AWS call at a time to a deployed function (an IAM deny
//! on its role, as the local stack enforces IAM): a start whose minting fails is recorded as
//! failed and holds nothing; an event whose publish fails still reaches EventBridge once the
//! fault is gone. The scenarios run one after another in one test: each changes a role that
//! other tests' requests would use.

use std::time::Duration;

use actas_integration_tests::{received, subscribe, Harness};
use serde_json::{json, Value};

/// A deny of `action` on the role of the function deployed as `logical_id`, removed on drop of
/// the returned guard's scope by `lift`.
struct Deny {
    iam: aws_sdk_iam::Client,
    role: String,
}

const DENY_POLICY: &str = "actas-test-deny";

impl Deny {
    async fn on(h: &Harness, logical_id: &str, action: &str) -> Deny {
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
            "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}],
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

async fn an_event_whose_publish_fails_is_delivered_once_the_fault_is_gone(h: &Harness) {
    let tenant = format!("events-{}", &actas_integration_tests::uuid_like()[..8]);
    let (sqs, queue) = subscribe(h, &tenant).await;
    let admin = h.fresh_user("admin", &tenant, None).await;
    let target = h.fresh_user("user", &tenant, None).await;
    let bearer = h.id_token_of(&admin).await;
    let path = format!("/auth/impersonate?uuid={}&reason=events", target.sub);

    let deny = Deny::on(h, "PublishEventsFunction", "events:PutEvents").await;
    let started = h.post_impersonate(&path, Some(&bearer), None, None).await;
    assert_eq!(
        started.status, 200,
        "the start does not depend on EventBridge"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let while_denied = received(&sqs, &queue, 1).await;
    deny.lift().await;
    assert!(
        while_denied.is_empty(),
        "published while denied: {while_denied:?}"
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
    an_event_whose_publish_fails_is_delivered_once_the_fault_is_gone(&h).await;
    a_stop_whose_revoke_fails_is_on_record_and_cleanup_revokes_later(&h).await;
}
