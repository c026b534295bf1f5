//! Checks real responses against `docs/openapi.yaml`: the route and status must be documented,
//! and the body must validate against the documented schema.

use std::sync::OnceLock;

use actas_cli::ApiResponse;
use serde_json::Value;

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
        let text = std::fs::read_to_string(path).expect("docs/openapi.yaml");
        serde_yaml_ng::from_str(&text).expect("valid YAML")
    })
}

/// Replaces every local `$ref` with what it points to (the document has no recursive schemas).
fn inline_refs(value: &Value, doc: &Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference.strip_prefix('#').expect("a local $ref");
                let target = doc
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {reference}"));
                return inline_refs(target, doc);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), inline_refs(v, doc)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline_refs(v, doc)).collect()),
        other => other.clone(),
    }
}

fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

pub fn assert_matches_openapi(method: &str, path: &str, response: &ApiResponse) {
    let doc = document();
    let path_only = path.split('?').next().unwrap_or(path);
    let paths = doc["paths"].as_object().expect("paths");
    let (template, item) = paths
        .iter()
        .find(|(template, _)| template_matches(template, path_only))
        .unwrap_or_else(|| panic!("{path_only} is not in docs/openapi.yaml"));
    let operation = &item[method.to_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not in docs/openapi.yaml"
    );
    let documented = inline_refs(&operation["responses"][response.status.to_string()], doc);
    assert!(
        documented.is_object(),
        "{method} {template} answered {} which docs/openapi.yaml does not document: {}",
        response.status,
        response.body
    );
    let schema = &documented["content"]["application/json"]["schema"];
    if documented.get("content").is_none() {
        // A documented answer without a body (204).
        assert!(
            response.body == Value::String(String::new()) || response.body.is_null(),
            "{method} {template} {} has a body docs/openapi.yaml does not document: {}",
            response.status,
            response.body
        );
        return;
    }
    let validator = jsonschema::draft202012::new(schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&response.body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {}: the body does not match docs/openapi.yaml: {errors:?}\n{}",
        response.status,
        response.body
    );
}
