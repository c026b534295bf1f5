//! Promises of the README that only a test can keep (issue 18): each test here fails if its
//! promise breaks. No chains: an impersonated session starts nothing on any route, whatever its
//! rank. The refresh token is sealed: never in the clear in the table, and opened only under its
//! own impersonation's encryption context. No app client may write a custom attribute (tenant,
//! team, team role, protection): the emulator does not enforce `WriteAttributes`, so the
//! template is read.

use std::collections::HashMap;

use actas::bootstrap::config::{ApiConfig, EnvReader};
use actas::domain::policy::Denial;
use actas::domain::secrets::hash_secret;
use actas_integration_tests::{assert_error, now_millis, ApiResponse, Harness, StackUser};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::json;
use serde_yaml_ng::Value as Yaml;

/// The four ways to start: seed 000 (by sub), 001 (by username, with the tenant's API key), and
/// the two-step token routes of seeds 002 and 003. The response, whatever it is.
async fn start_on(h: &Harness, seed: &str, bearer: &str, target: &StackUser) -> ApiResponse {
    match seed {
        "000" => {
            let path = format!("/auth/impersonate?uuid={}&reason=chain+test", target.sub);
            h.post_impersonate(&path, Some(bearer), None, None).await
        }
        "001" => {
            let body = json!({"username": target.username, "reason": "chain test"});
            h.impersonate(
                Some(bearer),
                Some(&h.api_key(&target.tenant)),
                &body.to_string(),
            )
            .await
        }
        "002" => {
            let path = format!(
                "/api/public/coworkers/{}/impersonate?reason=chain+test",
                target.username
            );
            h.get(&path, Some(bearer)).await
        }
        "003" => {
            let path = format!(
                "/api/sys/users/impersonate?coworkerId={}&reason=chain+test",
                target.username
            );
            h.get(&path, Some(bearer)).await
        }
        other => unreachable!("seed {other}"),
    }
}

const SEEDS: [&str; 4] = ["000", "001", "002", "003"];

#[tokio::test]
async fn an_impersonated_admin_starts_nothing_on_any_route() {
    let h = Harness::new().await;
    let since = now_millis();
    let admin = h.fresh_user("admin", "acme", None).await;
    let target = h.fresh_user("user", "acme", Some("support")).await;

    // A super-admin acts as the admin, in each mode: sessions whose rank allows a start.
    let mut sessions = Vec::new();
    for mode in ["full", "read_only"] {
        let started = h
            .start_in_mode("acme-super", &admin.username, Some(mode))
            .await;
        assert_eq!(started.status, 200, "{mode}: {}", started.body);
        assert_eq!(started.body["impersonation"]["mode"], mode);
        let bearer = started.body["session"]["authorization"]
            .as_str()
            .expect("the session's id token")
            .to_string();
        sessions.push((mode, bearer));
    }

    // Control: the admin's own session starts on every route.
    let own = h.id_token_of(&admin).await;
    for seed in SEEDS {
        let response = start_on(&h, seed, &own, &target).await;
        assert_eq!(
            response.status, 200,
            "seed {seed}, own session: {}",
            response.body
        );
    }

    for (mode, bearer) in &sessions {
        for seed in SEEDS {
            let response = start_on(&h, seed, bearer, &target).await;
            let context = format!("seed {seed}, {mode} impersonation of an admin");
            assert_error(&response, 403, &context);
            assert_eq!(
                response.body["message"],
                Denial::ChainedImpersonation.to_string(),
                "{context}"
            );
        }
    }

    // Each refusal is on record as a chain, under the admin the session acts as.
    let store = actas::adapters::aws::dynamodb::audit::DynamoAuditStore::new(
        aws_sdk_dynamodb::Client::new(&h.sdk),
        &h.stack.audit_table_name,
    );
    let records = actas::ports::audit::AuditStore::audit_for_tenant(&store, Some("acme"), since)
        .await
        .expect("audit records");
    let chains = records
        .iter()
        .filter(|r| r.actor_sub.as_deref() == Some(admin.sub.as_str()))
        .filter(|r| r.cause.as_deref() == Some("chained_impersonation"))
        .count();
    assert_eq!(chains, sessions.len() * SEEDS.len(), "{records:?}");
}

/// The deployed impersonate function's configuration and wiring, in this process: its vault is
/// the one that sealed the token.
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

/// Every item the grants table holds for one impersonation: its record and what shares its
/// partition, and the pointer from its refresh token's hash.
async fn stored_items(
    h: &Harness,
    id: &str,
    refresh_token: &str,
) -> Vec<HashMap<String, AttributeValue>> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&h.sdk);
    let partition = dynamodb
        .query()
        .table_name(&h.stack.table_name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("IMP#{id}")))
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    let pointer = dynamodb
        .query()
        .table_name(&h.stack.table_name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("RTOKEN#{}", hash_secret(refresh_token))),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    let pointers = pointer.items().to_vec();
    assert_eq!(
        pointers.len(),
        1,
        "the refresh token's pointer: {pointers:?}"
    );
    assert_eq!(
        pointers[0]
            .get("impersonation_id")
            .and_then(|v| v.as_s().ok()),
        Some(&id.to_string())
    );
    partition.items().iter().cloned().chain(pointers).collect()
}

/// Every string and binary value in an item, as bytes, names included.
fn item_bytes(item: &HashMap<String, AttributeValue>) -> Vec<Vec<u8>> {
    fn walk(value: &AttributeValue, out: &mut Vec<Vec<u8>>) {
        match value {
            AttributeValue::S(s) | AttributeValue::N(s) => out.push(s.clone().into_bytes()),
            AttributeValue::B(b) => out.push(b.as_ref().to_vec()),
            AttributeValue::Ss(v) | AttributeValue::Ns(v) => {
                out.extend(v.iter().map(|s| s.clone().into_bytes()))
            }
            AttributeValue::Bs(v) => out.extend(v.iter().map(|b| b.as_ref().to_vec())),
            AttributeValue::L(v) => v.iter().for_each(|x| walk(x, out)),
            AttributeValue::M(m) => m.iter().for_each(|(k, x)| {
                out.push(k.clone().into_bytes());
                walk(x, out);
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (name, value) in item {
        out.push(name.clone().into_bytes());
        walk(value, &mut out);
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The forms a refresh token could be stored in the clear: as is, and in every base64.
fn clear_forms(token: &str) -> Vec<(&'static str, Vec<u8>)> {
    let bytes = token.as_bytes();
    vec![
        ("as is", bytes.to_vec()),
        ("base64", STANDARD.encode(bytes).into_bytes()),
        (
            "base64, unpadded",
            STANDARD_NO_PAD.encode(bytes).into_bytes(),
        ),
        ("base64url", URL_SAFE.encode(bytes).into_bytes()),
        (
            "base64url, unpadded",
            URL_SAFE_NO_PAD.encode(bytes).into_bytes(),
        ),
    ]
}

#[tokio::test]
async fn the_refresh_token_is_stored_sealed_and_opens_only_for_its_own_impersonation() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    let other = h.impersonate_ok("acme-operator", &target.username).await;
    let id = payload["impersonation"]["id"].as_str().unwrap().to_string();
    let other_id = other["impersonation"]["id"].as_str().unwrap().to_string();
    let refresh_token = payload["session"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();

    let items = stored_items(&h, &id, &refresh_token).await;
    let record = items
        .iter()
        .find(|item| {
            item.get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("IMPERSONATION")
        })
        .expect("the impersonation's record");
    let sealed = record
        .get("refresh_token_sealed")
        .and_then(|v| v.as_s().ok())
        .expect("the refresh token is kept, sealed")
        .clone();
    // Not in any stored value, and not inside the sealed blob's bytes either.
    let mut stored: Vec<Vec<u8>> = items.iter().flat_map(item_bytes).collect();
    stored.push(
        STANDARD
            .decode(&sealed)
            .expect("the sealed token is base64"),
    );
    for (form, clear) in clear_forms(&refresh_token) {
        for value in &stored {
            assert!(
                !contains(value, &clear),
                "the refresh token is stored in the clear ({form}): {}",
                String::from_utf8_lossy(value)
            );
        }
    }

    // Sealed under its impersonation's encryption context: another's cannot open it.
    let vault = deployed_sessions(&h).await.vault;
    let opened = vault.open(&id, &sealed).await.expect("opens as its own");
    assert_eq!(opened, refresh_token);
    assert!(
        vault.open(&other_id, &sealed).await.is_err(),
        "opened under another impersonation's context"
    );
    let other_sealed = stored_items(
        &h,
        &other_id,
        other["session"]["refreshToken"].as_str().unwrap(),
    )
    .await
    .into_iter()
    .find_map(|item| {
        item.get("refresh_token_sealed")
            .and_then(|v| v.as_s().ok())
            .cloned()
    })
    .expect("the other's sealed token");
    assert!(
        vault.open(&id, &other_sealed).await.is_err(),
        "another's token opened under this context"
    );
}

/// The lists of attributes `WriteAttributes` may be, one per branch of an `If` (short `!If`
/// or long `Fn::If`). Unset (absent or `AWS::NoValue`) is an empty list: Cognito then lets a
/// client write the standard attributes only, never a custom one.
fn write_attribute_lists(value: &Yaml) -> Vec<Vec<String>> {
    let strings = |items: &[Yaml]| -> Vec<String> {
        items
            .iter()
            .map(|a| {
                a.as_str()
                    .unwrap_or_else(|| panic!("an attribute name, not {a:?}"))
                    .to_string()
            })
            .collect()
    };
    let branches = |args: &Yaml| -> Vec<Vec<String>> {
        let args = args
            .as_sequence()
            .expect("If takes [condition, then, else]");
        assert_eq!(args.len(), 3, "If takes [condition, then, else]");
        args[1..].iter().flat_map(write_attribute_lists).collect()
    };
    let no_value = |v: &Yaml| v.as_str() == Some("AWS::NoValue");
    match value {
        Yaml::Null => vec![Vec::new()],
        Yaml::Sequence(items) => vec![strings(items)],
        Yaml::Tagged(tagged) if tagged.tag == "If" => branches(&tagged.value),
        Yaml::Tagged(tagged) if tagged.tag == "Ref" && no_value(&tagged.value) => vec![Vec::new()],
        Yaml::Mapping(map) if map.len() == 1 && map.contains_key("Fn::If") => {
            branches(&map["Fn::If"])
        }
        Yaml::Mapping(map) if map.len() == 1 && map.get("Ref").is_some_and(no_value) => {
            vec![Vec::new()]
        }
        other => panic!("WriteAttributes must be a list or an If of lists, not {other:?}"),
    }
}

/// The custom attributes any client of `template` may write, by client.
fn custom_writes(template: &Yaml) -> (usize, Vec<(String, String)>) {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut clients = 0;
    let mut writes = Vec::new();
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Cognito::UserPoolClient") {
            continue;
        }
        clients += 1;
        let name = name.as_str().unwrap_or_default().to_string();
        for list in write_attribute_lists(&resource["Properties"]["WriteAttributes"]) {
            writes.extend(
                list.into_iter()
                    .filter(|a| a.starts_with("custom:"))
                    .map(|a| (name.clone(), a)),
            );
        }
    }
    (clients, writes)
}

#[test]
fn no_app_client_may_write_a_custom_attribute() {
    // The check sees through both forms of If, into either branch.
    let planted: Yaml = serde_yaml_ng::from_str(
        "Resources:
  Short:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      WriteAttributes: !If [C, [email], [custom:tenant_id]]
  Long:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      WriteAttributes: {'Fn::If': [C, [custom:protected], !Ref AWS::NoValue]}
",
    )
    .expect("YAML");
    assert_eq!(
        custom_writes(&planted).1,
        [
            ("Short".to_string(), "custom:tenant_id".to_string()),
            ("Long".to_string(), "custom:protected".to_string()),
        ]
    );

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let template: Yaml = serde_yaml_ng::from_str(&std::fs::read_to_string(path).expect("template"))
        .expect("template.yaml is YAML");
    let (clients, writes) = custom_writes(&template);
    assert!(
        clients >= 3,
        "the sign-in, impersonation and revert clients: {clients}"
    );
    assert!(
        writes.is_empty(),
        "app clients that may write custom attributes (tenant, team, team role, protection): {writes:?}"
    );
}
