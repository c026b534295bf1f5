//! The inputs and edges an outside attack broke (issue 7 §4), against the deployed stack: every
//! answer is in the error shape with a fitting code, never a 5xx for bad input.

use actas_integration_tests::{assert_error, call_api, Harness};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends bytes as they are (no client library would send a control byte in a header, nor keep
/// `..` in a path) and returns the status and the JSON body.
async fn raw(h: &Harness, method: &str, path: &str, headers: &[(&str, &[u8])]) -> (u16, Value) {
    let base = h.stack.api_url.trim_start_matches("http://");
    let (host, prefix) = base.split_once('/').expect("host/path");
    let mut request = format!(
        "{method} /{prefix}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n"
    )
    .into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    stream.write_all(&request).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body.lines()
            .collect::<Vec<_>>()
            .chunks(2)
            .filter_map(|c| c.get(1).copied())
            .collect::<String>()
    } else {
        body.to_string()
    };
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn assert_shape(status: u16, body: &Value, want: u16, context: &str) {
    assert_eq!(status, want, "{context}: {body}");
    assert_eq!(body["status"], "error", "{context}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{context}: {body}"
    );
}

#[tokio::test]
async fn a_control_byte_in_any_header_gets_a_400_on_every_route() {
    let h = Harness::new().await;
    let routes = [
        ("POST", "/auth/impersonate"),
        ("DELETE", "/auth/impersonate"),
        ("POST", "/auth/impersonate/revert"),
        ("GET", "/auth/impersonations"),
        ("DELETE", "/auth/impersonations/x"),
        ("GET", "/auth/token"),
        ("POST", "/auth/cognito"),
        ("GET", "/api/public/coworkers/profiles"),
        ("GET", "/api/public/coworkers/x/impersonate"),
        ("POST", "/api/public/auth/login/x"),
        ("GET", "/api/sys/users/impersonate"),
        ("POST", "/api/sys/users/exchange"),
        ("GET", "/no/such/route"),
    ];
    for (method, path) in routes {
        for byte in [0x01u8, 0x7f] {
            let value = [b'a', byte, b'b'];
            let (status, body) = raw(&h, method, path, &[("X-Probe", &value)]).await;
            assert_shape(
                status,
                &body,
                400,
                &format!("{method} {path} with 0x{byte:02x}"),
            );
        }
    }
}

#[tokio::test]
async fn unknown_routes_get_404_and_wrong_methods_405_in_the_error_shape() {
    let h = Harness::new().await;
    for (method, path, want) in [
        ("GET", "/auth/impersonate", 405),
        ("PUT", "/api/sys/users/exchange", 405),
        ("OPTIONS", "/auth/token", 405),
        ("PATCH", "/auth/impersonations/abc", 405),
        ("GET", "/no/such/route", 404),
        ("POST", "/api/public/auth/login/", 404),
        ("GET", "/auth/../auth/token", 404),
        ("GET", "/auth/impersonations%2Fabc/x", 404),
        ("GET", "/", 404),
    ] {
        let (status, body) = raw(&h, method, path, &[]).await;
        assert_shape(status, &body, want, &format!("{method} {path}"));
    }
}

#[tokio::test]
async fn crafted_page_tokens_are_bad_requests() {
    use base64::Engine;
    let h = Harness::new().await;
    let admin = h.id_token("acme-admin").await;
    let own_partition_without_sort_key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"pk": "IMP#x", "sk": "IMPERSONATION", "gsi2pk": "TENANT#acme"}).to_string());
    for token in [own_partition_without_sort_key.as_str(), "AA", "%%%", "e30"] {
        let listed = h
            .get(
                &format!("/auth/impersonations?nextToken={token}"),
                Some(&admin),
            )
            .await;
        assert_error(&listed, 400, &format!("list nextToken {token}"));
    }
    let profiles = h
        .get("/api/public/coworkers/profiles?nextToken=AA", Some(&admin))
        .await;
    assert_error(&profiles, 400, "profiles nextToken with a NUL byte");
}

#[tokio::test]
async fn the_token_check_reads_the_user_as_they_are_now() {
    let h = Harness::new().await;
    for change in ["disable", "delete"] {
        let user = h.fresh_user("user", "acme", None).await;
        let token = h.id_token_of(&user).await;
        let before = h.get("/auth/token", Some(&token)).await;
        assert_eq!(before.body["valid"], true, "{change}: control");
        let pool = &h.stack.user_pool_id;
        match change {
            "disable" => {
                h.cognito
                    .admin_disable_user()
                    .user_pool_id(pool)
                    .username(&user.username)
                    .send()
                    .await
                    .unwrap();
            }
            _ => {
                h.cognito
                    .admin_delete_user()
                    .user_pool_id(pool)
                    .username(&user.username)
                    .send()
                    .await
                    .unwrap();
            }
        }
        let after = h.get("/auth/token", Some(&token)).await;
        assert_eq!(after.status, 200, "{}", after.body);
        assert_eq!(after.body["valid"], false, "{change}d since sign-in");
    }
}

#[tokio::test]
async fn a_disabled_callers_unexpired_token_opens_no_route() {
    let h = Harness::new().await;
    let admin = h.fresh_user("admin", "acme", None).await;
    let token = h.id_token_of(&admin).await;
    assert_eq!(
        h.get("/auth/impersonations", Some(&token)).await.status,
        200,
        "control"
    );
    h.cognito
        .admin_disable_user()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&admin.username)
        .send()
        .await
        .unwrap();
    assert_error(
        &h.get("/auth/impersonations", Some(&token)).await,
        403,
        "list",
    );
    assert_error(
        &h.get("/api/public/coworkers/profiles", Some(&token)).await,
        403,
        "profiles",
    );
    assert_error(
        &h.get(
            "/api/sys/users/impersonate?coworkerId=acme-sales-1&reason=r",
            Some(&token),
        )
        .await,
        403,
        "sys token",
    );
}

#[tokio::test]
async fn a_two_step_token_is_bound_to_the_person_not_the_name() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let operator = h.id_token("acme-operator").await;
    let issued = h
        .get(
            &format!(
                "/api/sys/users/impersonate?coworkerId={}&reason=r",
                target.username
            ),
            Some(&operator),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let pool = &h.stack.user_pool_id;
    h.cognito
        .admin_delete_user()
        .user_pool_id(pool)
        .username(&target.username)
        .send()
        .await
        .unwrap();
    h.cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username(&target.username)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("custom:tenant_id")
                .value("acme")
                .build()
                .unwrap(),
        )
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let exchanged = h
        .post(
            "/api/sys/users/exchange",
            &json!({"token": issued.body["token"]}),
        )
        .await;
    assert_error(&exchanged, 401, "the name now belongs to someone else");
}

#[tokio::test]
async fn concurrent_starts_on_one_target_by_two_actors_never_fail() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let admin = h.id_token("acme-admin").await;
    let operator = h.id_token("acme-operator").await;
    let key = h.api_key("acme");
    let body = json!({"username": target.username, "reason": "concurrency"}).to_string();
    let starts = (0..10).map(|i| {
        let bearer = if i % 2 == 0 {
            admin.clone()
        } else {
            operator.clone()
        };
        let (h, key, body) = (&h, key.clone(), body.clone());
        async move { h.impersonate(Some(&bearer), Some(&key), &body).await }
    });
    let answers = futures::future::join_all(starts).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

#[tokio::test]
async fn a_refusal_records_what_the_request_gave_bounded() {
    let h = Harness::new().await;
    let admin = h.id_token("acme-admin").await;
    let ticket = format!("T-{}", actas_integration_tests::uuid_like());
    let long_target = "x".repeat(120);
    let body =
        json!({"username": long_target, "reason": "r".repeat(600), "ticket": ticket}).to_string();
    let refused = h
        .impersonate(Some(&admin), Some(&h.api_key("acme")), &body)
        .await;
    assert_eq!(refused.status / 100, 4, "{}", refused.body);
    let body =
        json!({"username": "globex-user", "reason": "looking", "ticket": ticket}).to_string();
    let refused = h
        .impersonate(Some(&admin), Some(&h.api_key("acme")), &body)
        .await;
    assert_error(&refused, 404, "other tenant");
    let records = h.audit_records("acme").await;
    let mine: Vec<_> = records
        .iter()
        .filter(|r| r.ticket.as_deref() == Some(ticket.as_str()))
        .collect();
    assert_eq!(mine.len(), 2, "both refusals keep the ticket given");
    for record in mine {
        assert_eq!(record.event.as_str(), "denied");
        let reason = record.reason.as_deref().expect("the reason given");
        assert!(reason.chars().count() <= 500, "bounded: {}", reason.len());
        assert!(record
            .target_username
            .as_deref()
            .is_some_and(|t| t.chars().count() <= 256));
    }
}

#[tokio::test]
async fn unauthenticated_refusals_are_counted_per_source_and_minute() {
    let h = Harness::new().await;
    // The emulator takes the source address from X-Forwarded-For: one of this test's own.
    let random = actas_integration_tests::uuid_like();
    let source = format!("2001:db8::{}:{}", &random[..4], &random[4..8]);
    let attempts = 4;
    for _ in 0..attempts {
        let refused = call_api(
            &h.http,
            &h.stack,
            "POST",
            "/auth/impersonate",
            &[("X-Forwarded-For", source.as_str())],
            Some(r#"{"username":"acme-support-1","reason":"r"}"#),
        )
        .await
        .unwrap();
        assert_error(&refused, 401, "no credentials");
    }
    let records: Vec<_> = h
        .audit_records_without_tenant()
        .await
        .into_iter()
        .filter(|r| r.source_ip.as_deref() == Some(source.as_str()))
        .collect();
    assert!(
        (1..=2).contains(&records.len()),
        "one record a minute: {records:?}"
    );
    assert_eq!(records.iter().map(|r| r.count).sum::<u32>(), attempts);
}
