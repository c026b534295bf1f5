//! REST (v1) events from `events/` for handler-level tests and the benchmark: read one, set its
//! headers and query, turn it into a request, read a response's JSON.

use serde_json::{json, Value};

/// `events/<name>` of this repository.
pub fn event(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("event JSON")
}

/// Sets a header in both header maps of a REST (v1) event; `None` removes it.
pub fn set_header(event: &mut Value, name: &str, value: Option<&str>) {
    for map in ["headers", "multiValueHeaders"] {
        let headers = event[map].as_object_mut().expect("header map");
        headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            let v = if map == "headers" {
                json!(value)
            } else {
                json!([value])
            };
            headers.insert(name.to_string(), v);
        }
    }
}

/// Sets one query parameter, keeping the others.
pub fn set_query(event: &mut Value, name: &str, value: &str) {
    for (map, v) in [
        ("queryStringParameters", json!(value)),
        ("multiValueQueryStringParameters", json!([value])),
    ] {
        if !event[map].is_object() {
            event[map] = json!({});
        }
        event[map][name] = v;
    }
}

/// `Authorization: Bearer <token>`.
pub fn bearer(event: &mut Value, token: &str) {
    set_header(event, "Authorization", Some(&format!("Bearer {token}")));
}

/// The event as the request a function's handler gets.
pub fn request(event: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string()).expect("a REST event")
}

/// A response's JSON body (`null` when it is not JSON).
pub fn json_body(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}
