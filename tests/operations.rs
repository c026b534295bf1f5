//! Operating actas (issue 19): `actas doctor` says what is wrong with a deployment and how to
//! fix it; `actas events replay` re-sends the audit events a stream consumer gave up on.
//!
//! The faults are made on the default stack, which other tests use: each is put back by a guard
//! (also when the test fails: the guard restores on drop), each window is as short as the check
//! it is for, and the tests of this binary run one at a time.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use actas::adapters::aws::user_pool::CognitoUserPoolAdmin;
use actas::ports::pool::UserPoolAdmin;
use actas_cli::doctor::{self, check, Deployment, Finding, Report};
use actas_cli::events;
use actas_integration_tests::{received, subscribe, Harness, StackFile};
use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, UserPoolClientType};
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};

/// The stack file as the fixes name it.
const STACK_FILE: &str = ".local/stack.json";

/// One fault at a time: the tests of this binary change what the others check.
async fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::const_new(());
    SERIAL.lock().await
}

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
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

type Restoring =
    Box<dyn FnOnce(aws_config::SdkConfig) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Puts a fault back: `put_back().await` in the test, or on drop when the test failed first
/// (on a thread of its own with fresh clients, as a test's runtime is unwinding).
struct Fault {
    what: &'static str,
    stack: StackFile,
    restore: Option<Restoring>,
}

impl Fault {
    fn new<F, Fut>(what: &'static str, h: &Harness, restore: F) -> Fault
    where
        F: FnOnce(aws_config::SdkConfig) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Fault {
            what,
            stack: h.stack.clone(),
            restore: Some(Box::new(move |sdk| Box::pin(restore(sdk)))),
        }
    }

    async fn put_back(mut self) {
        if let Some(restore) = self.restore.take() {
            restore(self.stack.sdk_config().await).await;
        }
    }
}

impl Drop for Fault {
    fn drop(&mut self) {
        let Some(restore) = self.restore.take() else {
            return;
        };
        let stack = self.stack.clone();
        let what = self.what;
        let outcome = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(async move { restore(stack.sdk_config().await).await })
        })
        .join();
        if outcome.is_err() {
            eprintln!("could not put back: {what}");
        }
    }
}

async fn deployment(h: &Harness) -> Deployment {
    Deployment::load(h.stack.clone(), STACK_FILE, &h.sdk)
        .await
        .expect("the deployment's settings")
}

fn finding<'a>(findings: &'a [Finding], name: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no finding {name}: {findings:#?}"))
}

/// The finding is a failure whose detail and fix say what they should.
fn assert_named(finding: &Finding, detail: &str, fix: &str) {
    assert!(finding.failed(), "{finding:#?}");
    assert!(finding.detail.contains(detail), "{finding:#?}");
    let given = finding.fix.as_deref().unwrap_or_default();
    assert!(given.contains(fix), "{finding:#?}");
}

/// What the local emulator cannot make healthy, and why it is only a warning there:
/// the notices' sender (SES may not know it), firing alarms (it evaluates an alarm over every
/// function's metric, so one error anywhere fires them all), and alarms without a topic (the
/// local stack has none).
const EMULATOR_WARNINGS: [&str; 3] = [
    check::NOTICE_SENDER,
    check::ALARM_STATES,
    check::ALARM_NOTIFICATIONS,
];

#[tokio::test]
async fn doctor_finds_a_healthy_deployment_healthy() {
    let _serial = one_at_a_time().await;
    let h = Harness::new().await;
    let started = Instant::now();
    let report: Report = doctor::examine(&deployment(&h).await).await;
    println!("{}\n({:?})", doctor::describe(&report), started.elapsed());
    assert_eq!(report.exit_code(), 0, "{report:#?}");
    for name in [
        check::POOL_TIER,
        check::TRIGGERS,
        check::IDENTITY_MAPPING,
        check::RESOURCE_SERVER,
        check::DIRECTORY_UPDATES,
        check::IMPERSONATION_CLIENT,
        check::REVERT_CLIENT,
        check::REFRESH_TOKEN_KEY,
        check::SIGNING_KEY_AGE,
        check::ALARMS,
        check::CLEANUP_SCHEDULE,
        check::FAILED_EVENTS,
    ] {
        let found = finding(&report.findings, name);
        assert!(found.ok, "{found:#?}");
    }
    // A consumer whose last batch failed (it retries) is a warning, never a failure.
    assert!(!finding(&report.findings, check::STREAM_CONSUMERS).failed());
    for found in &report.findings {
        assert!(
            found.ok || EMULATOR_WARNINGS.contains(&found.name.as_str()) || found.warning,
            "{found:#?}"
        );
        assert_eq!(
            found.ok,
            found.fix.is_none(),
            "a fix for each problem: {found:#?}"
        );
    }
}

#[tokio::test]
async fn doctor_names_a_detached_trigger_and_how_to_attach_it() {
    let _serial = one_at_a_time().await;
    let h = Harness::new().await;
    let d = deployment(&h).await;
    let pool = h.stack.user_pool_id.clone();
    let admin = CognitoUserPoolAdmin::new(h.cognito.clone());
    let before = admin
        .describe_pool(&pool)
        .await
        .expect("describe")
        .expect("the pool")
        .lambda_config;
    let mut detached = before.clone();
    detached.pre_token_generation = None;
    detached.pre_token_generation_config = None;

    // Only the pre-token slot, and only for the one check: sign-ins of other tests need it.
    let fault = {
        let (pool, before) = (pool.clone(), before.clone());
        Fault::new(
            "the pool's PreTokenGeneration trigger",
            &h,
            move |sdk| async move {
                CognitoUserPoolAdmin::new(aws_sdk_cognitoidentityprovider::Client::new(&sdk))
                    .replace_lambda_config(&pool, &before)
                    .await
                    .expect("the trigger put back");
            },
        )
    };
    admin
        .replace_lambda_config(&pool, &detached)
        .await
        .expect("detach the pre-token trigger");
    let window = Instant::now();
    let findings = doctor::pool_checks(&d).await;
    fault.put_back().await;
    let window = window.elapsed();

    let after = admin
        .describe_pool(&pool)
        .await
        .expect("describe")
        .expect("the pool")
        .lambda_config;
    assert_eq!(after, before, "the pool's triggers are as they were");
    println!(
        "fault window {window:?}: {:#?}",
        finding(&findings, check::TRIGGERS)
    );
    assert_named(
        finding(&findings, check::TRIGGERS),
        "PreTokenGeneration",
        &format!("actas pool attach --stack-file {STACK_FILE}"),
    );
    for other in [
        check::POOL_TIER,
        check::IDENTITY_MAPPING,
        check::RESOURCE_SERVER,
    ] {
        assert!(finding(&findings, other).ok, "only the trigger is named");
    }
}

/// `UpdateUserPoolClient` with every setting `client` has (an update resets what it is not
/// given), its flows replaced by `flows`.
async fn update_client(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    client: &UserPoolClientType,
    flows: Vec<ExplicitAuthFlowsType>,
) {
    let non_empty = |values: &[String]| (!values.is_empty()).then(|| values.to_vec());
    cognito
        .update_user_pool_client()
        .set_user_pool_id(client.user_pool_id().map(str::to_string))
        .set_client_id(client.client_id().map(str::to_string))
        .set_client_name(client.client_name().map(str::to_string))
        .set_refresh_token_validity(Some(client.refresh_token_validity()).filter(|v| *v > 0))
        .set_access_token_validity(client.access_token_validity())
        .set_id_token_validity(client.id_token_validity())
        .set_token_validity_units(client.token_validity_units().cloned())
        .set_read_attributes(non_empty(client.read_attributes()))
        .set_write_attributes(non_empty(client.write_attributes()))
        .set_explicit_auth_flows(Some(flows))
        .set_supported_identity_providers(non_empty(client.supported_identity_providers()))
        .set_callback_urls(non_empty(client.callback_urls()))
        .set_logout_urls(non_empty(client.logout_urls()))
        .set_default_redirect_uri(client.default_redirect_uri().map(str::to_string))
        .set_allowed_o_auth_flows(
            (!client.allowed_o_auth_flows().is_empty())
                .then(|| client.allowed_o_auth_flows().to_vec()),
        )
        .set_allowed_o_auth_scopes(non_empty(client.allowed_o_auth_scopes()))
        .set_allowed_o_auth_flows_user_pool_client(client.allowed_o_auth_flows_user_pool_client())
        .set_analytics_configuration(client.analytics_configuration().cloned())
        .set_prevent_user_existence_errors(client.prevent_user_existence_errors().cloned())
        .set_enable_token_revocation(client.enable_token_revocation())
        .set_enable_propagate_additional_user_context_data(
            client.enable_propagate_additional_user_context_data(),
        )
        .set_auth_session_validity(client.auth_session_validity())
        .set_refresh_token_rotation(client.refresh_token_rotation().cloned())
        .send()
        .await
        .expect("UpdateUserPoolClient");
}

#[tokio::test]
async fn doctor_names_a_password_flow_on_the_impersonation_client() {
    let _serial = one_at_a_time().await;
    let h = Harness::new().await;
    let d = deployment(&h).await;
    let pool = &h.stack.user_pool_id;
    let before = doctor::describe_app_client(&h.cognito, pool, &h.stack.impersonation_client_id)
        .await
        .expect("the impersonation client");
    let mut flows = before.explicit_auth_flows().to_vec();
    flows.push(ExplicitAuthFlowsType::AllowUserPasswordAuth);

    let fault = {
        let before = before.clone();
        Fault::new(
            "the impersonation client's flows",
            &h,
            move |sdk| async move {
                let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
                update_client(&cognito, &before, before.explicit_auth_flows().to_vec()).await;
            },
        )
    };
    update_client(&h.cognito, &before, flows).await;
    let window = Instant::now();
    let report = doctor::examine(&d).await;
    fault.put_back().await;
    let window = window.elapsed();

    let after = doctor::describe_app_client(&h.cognito, pool, &h.stack.impersonation_client_id)
        .await
        .expect("the impersonation client");
    assert_eq!(after.explicit_auth_flows(), before.explicit_auth_flows());
    assert_eq!(
        after.access_token_validity(),
        before.access_token_validity()
    );
    assert_eq!(after.id_token_validity(), before.id_token_validity());
    assert_eq!(after.token_validity_units(), before.token_validity_units());
    println!("fault window {window:?}:\n{}", doctor::describe(&report));
    assert_eq!(report.exit_code(), 1);
    assert_named(
        finding(&report.findings, check::IMPERSONATION_CLIENT),
        "ALLOW_USER_PASSWORD_AUTH",
        "ExplicitAuthFlows ALLOW_CUSTOM_AUTH ALLOW_REFRESH_TOKEN_AUTH",
    );
    let failed: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.failed())
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        failed,
        [check::IMPERSONATION_CLIENT],
        "only the client is named"
    );
}

#[tokio::test]
async fn doctor_names_a_disabled_cleanup_schedule_and_the_rule_to_enable() {
    let _serial = one_at_a_time().await;
    let h = Harness::new().await;
    let d = deployment(&h).await;
    let events = aws_sdk_eventbridge::Client::new(&h.sdk);
    let lambda = aws_sdk_lambda::Client::new(&h.sdk);
    let cleanup = lambda
        .get_function_configuration()
        .function_name(h.stack.function_name("CleanupFunction").expect("deployed"))
        .send()
        .await
        .expect("the cleanup function")
        .function_arn()
        .expect("its ARN")
        .to_string();
    let rule = doctor::rules_targeting(&events, &cleanup)
        .await
        .expect("its rules")
        .into_iter()
        .find(|r| r.schedule.is_some())
        .expect("the cleanup's schedule");
    assert!(rule.enabled, "enabled before the fault: {rule:?}");

    let fault = {
        let name = rule.name.clone();
        Fault::new("the cleanup schedule", &h, move |sdk| async move {
            aws_sdk_eventbridge::Client::new(&sdk)
                .enable_rule()
                .name(&name)
                .send()
                .await
                .expect("EnableRule");
        })
    };
    events
        .disable_rule()
        .name(&rule.name)
        .send()
        .await
        .expect("DisableRule");
    let report = doctor::examine(&d).await;
    fault.put_back().await;

    let after = doctor::rules_targeting(&events, &cleanup)
        .await
        .expect("its rules");
    assert!(
        after.iter().any(|r| r.name == rule.name && r.enabled),
        "enabled again: {after:?}"
    );
    println!("{}", doctor::describe(&report));
    assert_eq!(report.exit_code(), 1);
    assert_named(
        finding(&report.findings, check::CLEANUP_SCHEDULE),
        "is disabled",
        &format!("aws events enable-rule --name {}", rule.name),
    );
}

// ------------------------------------------------------------------ events replay

/// A deny of `events:PutEvents` on the publish-events function's role.
const DENY_POLICY: &str = "actas-test-operations-deny";

/// How old (seconds) a failing batch may get before the publish-events mapping gives up on it
/// and sends it to the failed-events queue, during the fault. The emulator does not count
/// retries (`MaximumRetryAttempts`): it retries a failing batch until the batch is older than
/// `MaximumRecordAgeInSeconds` (AWS's minimum is 60; the emulator takes any).
const GIVE_UP_AFTER_SECS: i32 = 3;

async fn publish_role(h: &Harness) -> String {
    aws_sdk_lambda::Client::new(&h.sdk)
        .get_function_configuration()
        .function_name(
            h.stack
                .function_name("PublishEventsFunction")
                .expect("deployed"),
        )
        .send()
        .await
        .expect("the publish function")
        .role()
        .and_then(|arn| arn.rsplit('/').next())
        .expect("its role")
        .to_string()
}

/// The publish-events function's mapping on the audit stream.
async fn publish_mapping(h: &Harness) -> aws_sdk_lambda::types::EventSourceMappingConfiguration {
    let stream = format!("table/{}/stream/", h.stack.audit_table_name);
    aws_sdk_lambda::Client::new(&h.sdk)
        .list_event_source_mappings()
        .function_name(
            h.stack
                .function_name("PublishEventsFunction")
                .expect("deployed"),
        )
        .send()
        .await
        .expect("its mappings")
        .event_source_mappings()
        .iter()
        .find(|m| {
            m.event_source_arn()
                .is_some_and(|arn| arn.contains(&stream))
        })
        .expect("the audit stream's mapping")
        .clone()
}

async fn failed_events_depth(h: &Harness, queue_arn: &str) -> u64 {
    events::queue_depth(&aws_sdk_sqs::Client::new(&h.sdk), queue_arn)
        .await
        .expect("the failed-events queue")
        .1
}

/// An admin of `tenant` (their id token) and a user they may act as (their sub).
async fn admin_and_target(h: &Harness, tenant: &str) -> (String, String) {
    let admin = h.fresh_user("admin", tenant, None).await;
    let target = h.fresh_user("user", tenant, None).await;
    (h.id_token_of(&admin).await, target.sub)
}

/// Starts an impersonation; its id.
async fn start(h: &Harness, (bearer, target): &(String, String)) -> String {
    let path = format!("/auth/impersonate?uuid={target}&reason=replay");
    let started = h.post_impersonate(&path, Some(bearer), None, None).await;
    assert_eq!(started.status, 200, "{}", started.body);
    started.body["impersonation"]["id"]
        .as_str()
        .expect("an id")
        .to_string()
}

/// The impersonations whose start reached the tenant's queue, until `id`'s has (or 30 s).
async fn delivered_starts(sqs: &aws_sdk_sqs::Client, queue: &str, id: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut starts = Vec::new();
    while !starts.iter().any(|s| s == id) && Instant::now() < deadline {
        starts.extend(
            received(sqs, queue, 1)
                .await
                .iter()
                .filter(|e| e["detail-type"] == "Impersonation Started")
                .filter_map(|e| e["detail"]["impersonation_id"].as_str().map(str::to_string)),
        );
    }
    starts
}

#[tokio::test]
async fn an_event_the_publisher_gave_up_on_is_replayed_from_the_stream() {
    let _serial = one_at_a_time().await;
    let h = Harness::new().await;
    let mapping = publish_mapping(&h).await;
    let queue_arn = mapping
        .destination_config()
        .and_then(|c| c.on_failure())
        .and_then(|f| f.destination())
        .expect("publish-events sends failures to a queue")
        .to_string();
    let uuid = mapping.uuid().expect("a mapping").to_string();
    assert_eq!(
        failed_events_depth(&h, &queue_arn).await,
        0,
        "the failed-events queue is empty before the test (replay or purge it)"
    );
    // The stream is healthy before the fault: a failure seen later is the fault's.
    eventually(
        "the audit stream publishes",
        Duration::from_secs(30),
        || async {
            (publish_mapping(&h).await.last_processing_result() != Some("FAILED")).then_some(())
        },
    )
    .await;
    let tenant = format!("replay-{}", &actas_integration_tests::uuid_like()[..8]);
    let (sqs, delivered) = subscribe(&h, &tenant).await;
    let (first, second) = (
        admin_and_target(&h, &tenant).await,
        admin_and_target(&h, &tenant).await,
    );

    // The fault: the publisher may not put events, and gives up on a batch after a few seconds.
    let role = publish_role(&h).await;
    let age_before = mapping.maximum_record_age_in_seconds().unwrap_or(-1);
    let fault = {
        let (role, uuid) = (role.clone(), uuid.clone());
        Fault::new(
            "the publisher's deny and give-up age",
            &h,
            move |sdk| async move {
                let _ = aws_sdk_iam::Client::new(&sdk)
                    .delete_role_policy()
                    .role_name(&role)
                    .policy_name(DENY_POLICY)
                    .send()
                    .await;
                aws_sdk_lambda::Client::new(&sdk)
                    .update_event_source_mapping()
                    .uuid(&uuid)
                    .maximum_record_age_in_seconds(age_before)
                    .send()
                    .await
                    .expect("the mapping's record age put back");
            },
        )
    };
    let window = Instant::now();
    aws_sdk_lambda::Client::new(&h.sdk)
        .update_event_source_mapping()
        .uuid(&uuid)
        .maximum_record_age_in_seconds(GIVE_UP_AFTER_SECS)
        .send()
        .await
        .expect("UpdateEventSourceMapping");
    let deny = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "events:PutEvents", "Resource": "*"}],
    });
    aws_sdk_iam::Client::new(&h.sdk)
        .put_role_policy()
        .role_name(&role)
        .policy_name(DENY_POLICY)
        .policy_document(deny.to_string())
        .send()
        .await
        .expect("deny");
    let lost = start(&h, &first).await;
    eventually(
        "the failed batch in the failed-events queue",
        Duration::from_secs(60),
        || async { (failed_events_depth(&h, &queue_arn).await > 0).then_some(()) },
    )
    .await;
    fault.put_back().await;
    let window = window.elapsed();
    let after = publish_mapping(&h).await;
    assert_eq!(
        after.maximum_record_age_in_seconds().unwrap_or(-1),
        age_before
    );

    // The stream moved on: an event written after the failed batch is delivered, the failed
    // batch's is not, until it is replayed.
    let later = start(&h, &second).await;
    let before_replay = delivered_starts(&sqs, &delivered, &later).await;
    assert!(before_replay.contains(&later), "{before_replay:?}");
    assert!(!before_replay.contains(&lost), "{before_replay:?}");

    let doctor_says = doctor::examine(&deployment(&h).await).await;
    assert_named(
        finding(&doctor_says.findings, check::FAILED_EVENTS),
        "holds",
        &format!("actas events replay --stack-file {STACK_FILE}"),
    );

    let dry = events::replay(&h.sdk, &h.stack, true)
        .await
        .expect("a dry run");
    println!("{}", events::describe(&dry));
    assert!(dry
        .batches
        .iter()
        .any(|b| b.records.iter().any(|r| r.contains(&lost))));
    assert!(
        failed_events_depth(&h, &queue_arn).await > 0,
        "a dry run deletes nothing"
    );

    let started = Instant::now();
    let replayed = events::replay(&h.sdk, &h.stack, false)
        .await
        .expect("replay");
    let took = started.elapsed();
    println!(
        "{}\n(fault window {window:?}, replay {took:?})",
        events::describe(&replayed)
    );
    assert!(replayed.complete(), "{replayed:#?}");
    let batch = replayed
        .batches
        .iter()
        .find(|b| b.records.iter().any(|r| r.contains(&lost)))
        .expect("the lost start's batch");
    assert!(batch.replayed(), "{batch:#?}");
    assert!(
        batch.records.iter().any(|r| r.contains("started")),
        "{batch:#?}"
    );

    let after_replay = delivered_starts(&sqs, &delivered, &lost).await;
    assert!(
        after_replay.contains(&lost),
        "delivered after replay: {after_replay:?}"
    );
    assert_eq!(
        failed_events_depth(&h, &queue_arn).await,
        0,
        "the queue is empty"
    );
}
