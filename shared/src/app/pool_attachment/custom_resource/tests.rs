//! The custom resource as CloudFormation drives it: requests in, response documents out.

use super::*;
use crate::testkit::clock::ManualClock;
use crate::testkit::pool::{product_pool, MemoryAttachments, MemoryPools, RecordedResponses};

const POOL: &str = "us-east-1_product";
const RESPONSE_URL: &str = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/answer?X-Amz-Signature=abc";

struct World {
    pools: Arc<MemoryPools>,
    attachments: Arc<MemoryAttachments>,
    responses: Arc<RecordedResponses>,
    state: PoolAttachmentState,
}

fn world() -> World {
    let pools = Arc::new(MemoryPools::with_pool(
        product_pool(POOL, "ESSENTIALS"),
        &[("Admins", &[]), ("Support", &[])],
    ));
    pools.add_pool(
        product_pool("us-east-1_other", "ESSENTIALS"),
        &[("Admins", &[]), ("Support", &[])],
    );
    let attachments = Arc::new(MemoryAttachments::default());
    let responses = Arc::new(RecordedResponses::default());
    let state = PoolAttachmentState {
        pools: pools.clone(),
        attachments: attachments.clone(),
        responder: responses.clone(),
        clock: Arc::new(ManualClock::at_millis(1_700_000_000_000)),
    };
    World {
        pools,
        attachments,
        responses,
        state,
    }
}

fn properties(user_pool_id: &str) -> Value {
    let arn = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:actas-{name}");
    json!({
        "ServiceToken": arn("pool-attachment"),
        "UserPoolId": user_pool_id,
        "DefineAuthChallengeArn": arn("define"),
        "CreateAuthChallengeArn": arn("create"),
        "VerifyAuthChallengeArn": arn("verify"),
        "PreTokenGenerationArn": arn("pre-token"),
        "ResourceServerIdentifier": "actas",
        "CreateGroups": "false",
        "RoleGroups": "admin=Admins,operator=Support",
        "RoleAttribute": "",
        "RoleAttributeValues": "",
        "TenantAttribute": "custom:org",
        "SingleTenantId": "",
        "TeamAttribute": "custom:dept",
        "TeamRoleAttribute": "",
        "TeamAdminValue": "admin",
        "ProtectedAttribute": ""
    })
}

fn event(
    request_type: &str,
    physical_id: Option<&str>,
    properties: Value,
    old: Option<Value>,
) -> Value {
    let mut event = json!({
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:actas-pool-attachment",
        "ResponseURL": RESPONSE_URL,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/product-actas/1a2b",
        "RequestId": "5d478078-13e9-baf0-464a-7ef285ecc786",
        "LogicalResourceId": "PoolAttachment",
        "ResourceType": "Custom::ActasPoolAttachment",
        "ResourceProperties": properties
    });
    if let Some(id) = physical_id {
        event["PhysicalResourceId"] = json!(id);
    }
    if let Some(old) = old {
        event["OldResourceProperties"] = old;
    }
    event
}

/// Serves the event and returns the one answer sent.
async fn answer(world: &World, event: Value) -> Value {
    let before = world.responses.sent().len();
    let returned = handle_custom_resource(&world.state, event)
        .await
        .expect("the function never fails");
    let sent = world.responses.sent();
    assert_eq!(sent.len(), before + 1, "exactly one answer");
    let (url, body) = sent.last().cloned().expect("an answer");
    assert_eq!(url, RESPONSE_URL);
    assert_eq!(returned, body);
    body
}

#[test]
fn the_request_is_read_from_cloudformation_s_event() {
    let event = event(
        "Update",
        Some("actas-pool-us-east-1_product"),
        properties(POOL),
        Some(properties("us-east-1_old")),
    );
    let request: CustomResourceRequest = serde_json::from_value(event.clone()).expect("parsed");
    assert_eq!(request.request_type, "Update");
    assert_eq!(request.response_url, RESPONSE_URL);
    assert_eq!(request.logical_resource_id, "PoolAttachment");
    assert_eq!(
        request.physical_resource_id.as_deref(),
        Some("actas-pool-us-east-1_product")
    );
    let new = AttachmentProperties::from_event(&event, "ResourceProperties")
        .expect("parsed")
        .expect("present");
    let old = AttachmentProperties::from_event(&event, "OldResourceProperties")
        .expect("parsed")
        .expect("present");
    assert_eq!(old.user_pool_id, "us-east-1_old");
    let attach = new.attach_request(7).expect("a valid request");
    assert_eq!(attach.user_pool_id, POOL);
    assert_eq!(attach.resource_server_identifier, "actas");
    assert!(!attach.create_groups);
    assert_eq!(attach.now, 7);
    assert_eq!(attach.mapping.group_names(), ["Admins", "Support"]);
    assert!(
        attach.mapping.protected_attribute.is_none(),
        "empty is none"
    );
    assert!(attach
        .actas
        .verify_auth_challenge_response
        .ends_with("actas-verify"));
}

#[test]
fn bad_properties_are_named() {
    let mut bad = properties("");
    bad["CreateGroups"] = json!("yes");
    bad["RoleGroups"] = json!("boss=Bosses");
    bad["PreTokenGenerationArn"] = json!("");
    let problems = serde_json::from_value::<AttachmentProperties>(bad)
        .expect("parsed")
        .attach_request(0)
        .expect_err("invalid")
        .to_string();
    for expected in [
        "UserPoolId is required",
        "PreTokenGenerationArn is required",
        "CreateGroups: \"yes\" is not true or false",
        "RoleGroups: \"boss\" is not a role",
    ] {
        assert!(
            problems.contains(expected),
            "{problems:?} lacks {expected:?}"
        );
    }
}

#[tokio::test]
async fn create_attaches_and_answers_success_with_the_pool() {
    let world = world();
    let body = answer(&world, event("Create", None, properties(POOL), None)).await;
    assert_eq!(
        body,
        json!({
            "Status": "SUCCESS",
            "Reason": "attached (5 slots changed)",
            "PhysicalResourceId": "actas-pool-us-east-1_product",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/product-actas/1a2b",
            "RequestId": "5d478078-13e9-baf0-464a-7ef285ecc786",
            "LogicalResourceId": "PoolAttachment",
            "Data": {
                "UserPoolId": POOL,
                "UserPoolArn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_product"
            }
        })
    );
    let record = world.attachments.record(POOL).expect("recorded");
    assert_eq!(record.attached_at, 1_700_000_000);
}

#[tokio::test]
async fn a_failed_create_answers_failed_with_the_reason_and_names_no_pool() {
    let world = world();
    let mut wrong = properties(POOL);
    wrong["TenantAttribute"] = json!("custom:tenant_id");
    let body = answer(&world, event("Create", None, wrong, None)).await;
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(
        body["Reason"],
        "TenantAttribute: \"custom:tenant_id\" is not an attribute of pool us-east-1_product"
    );
    let physical = body["PhysicalResourceId"].as_str().expect("an id");
    assert_eq!(
        physical,
        "actas-pool-not-attached-5d478078-13e9-baf0-464a-7ef285ecc786"
    );

    // The rollback's Delete of that id leaves an attachment made elsewhere alone.
    answer(&world, event("Create", None, properties(POOL), None)).await;
    let rollback = answer(
        &world,
        event("Delete", Some(physical), properties(POOL), None),
    )
    .await;
    assert_eq!(rollback["Status"], "SUCCESS");
    assert_eq!(rollback["PhysicalResourceId"], physical);
    assert!(world.attachments.record(POOL).is_some());
}

#[tokio::test]
async fn update_to_another_pool_detaches_the_old_one_first() {
    let world = world();
    answer(&world, event("Create", None, properties(POOL), None)).await;
    let body = answer(
        &world,
        event(
            "Update",
            Some("actas-pool-us-east-1_product"),
            properties("us-east-1_other"),
            Some(properties(POOL)),
        ),
    )
    .await;
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "actas-pool-us-east-1_other");
    assert!(world.attachments.record(POOL).is_none());
    assert!(world.attachments.record("us-east-1_other").is_some());
    assert_eq!(
        world.pools.pool(POOL).expect("the pool").lambda_config,
        product_pool(POOL, "ESSENTIALS").lambda_config
    );
}

#[tokio::test]
async fn delete_detaches_and_a_pool_already_gone_is_success() {
    let world = world();
    answer(&world, event("Create", None, properties(POOL), None)).await;
    let body = answer(
        &world,
        event(
            "Delete",
            Some("actas-pool-us-east-1_product"),
            properties(POOL),
            None,
        ),
    )
    .await;
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "actas-pool-us-east-1_product");
    assert!(world.attachments.record(POOL).is_none());

    answer(&world, event("Create", None, properties(POOL), None)).await;
    world.pools.remove_pool(POOL);
    let gone = answer(
        &world,
        event(
            "Delete",
            Some("actas-pool-us-east-1_product"),
            properties(POOL),
            None,
        ),
    )
    .await;
    assert_eq!(gone["Status"], "SUCCESS");
    assert_eq!(gone["Reason"], "the pool is gone; record removed");
    assert!(world.attachments.record(POOL).is_none());
}

#[tokio::test]
async fn a_failing_delete_answers_failed_and_keeps_its_id() {
    let world = world();
    answer(&world, event("Create", None, properties(POOL), None)).await;
    world.pools.fail("UpdateUserPool");
    let body = answer(
        &world,
        event(
            "Delete",
            Some("actas-pool-us-east-1_product"),
            properties(POOL),
            None,
        ),
    )
    .await;
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(body["PhysicalResourceId"], "actas-pool-us-east-1_product");
    assert!(body["Reason"]
        .as_str()
        .is_some_and(|r| r.contains("UpdateUserPool")));
}

#[tokio::test]
async fn a_malformed_request_is_still_answered() {
    let world = world();
    let mut odd = event("Rename", None, properties(POOL), None);
    let body = answer(&world, odd.clone()).await;
    assert_eq!(body["Status"], "FAILED");
    assert!(body["Reason"]
        .as_str()
        .is_some_and(|r| r.contains("\"Rename\"")));

    odd["RequestType"] = json!("Create");
    odd["ResourceProperties"] = json!({"UserPoolId": 42});
    let body = answer(&world, odd).await;
    assert_eq!(body["Status"], "FAILED");
    assert!(body["Reason"]
        .as_str()
        .is_some_and(|r| r.starts_with("ResourceProperties:")));
    assert!(world.pools.updates().is_empty());
}
