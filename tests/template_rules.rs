//! Rules `template.yaml` keeps, read from the template itself (the local emulator enforces
//! none of them): what holds data survives a stack's deletion or a resource's replacement.

use serde_yaml_ng::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).expect("template.yaml"))
        .expect("template.yaml is YAML")
}

/// Resource types that hold data a deployment cannot recreate.
const STATEFUL: [&str; 6] = [
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
    "AWS::SecretsManager::Secret",
    "AWS::Cognito::UserPool",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
];

#[test]
fn every_stateful_resource_is_retained_on_delete_and_replace() {
    let template = template();
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut stateful = 0;
    for (name, resource) in resources {
        let kind = resource["Type"].as_str().unwrap_or_default();
        if !STATEFUL.contains(&kind) {
            continue;
        }
        stateful += 1;
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert_eq!(
                resource[policy].as_str(),
                Some("Retain"),
                "{name:?} ({kind}) needs {policy}: Retain"
            );
        }
    }
    assert!(
        stateful >= 5,
        "the tables, the key, the secret and the pool: {stateful}"
    );
}

#[test]
fn a_pool_actas_creates_cannot_be_deleted_by_accident() {
    let template = template();
    let pool = &template["Resources"]["UserPool"];
    assert_eq!(pool["Type"].as_str(), Some("AWS::Cognito::UserPool"));
    assert_eq!(
        pool["Properties"]["DeletionProtection"].as_str(),
        Some("ACTIVE")
    );
}
