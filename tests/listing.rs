//! Listings read an index, not the table (issue 9): pages are full, newest first, and
//! `active=true` reads live impersonations only, however many ended ones are newer.

use actas::domain::grant::ImpersonationStatus;
use actas_integration_tests::{now_millis, uuid_like, Harness};
use serde_json::Value;

fn ids(page: &Value) -> Vec<String> {
    page["impersonations"]
        .as_array()
        .expect("impersonations")
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_string())
        .collect()
}

#[tokio::test]
async fn pages_are_full_and_active_reads_live_impersonations_first() {
    let h = Harness::new().await;
    let tenant = format!("tenant-{}", &uuid_like()[..8]);
    let admin = h.fresh_user("admin", &tenant, None).await;
    let user = h.fresh_user("user", &tenant, None).await;
    let admin_token = h.id_token_of(&admin).await;
    let bearer = admin_token.clone();

    // Two live impersonations, started through the API (seed 000's dialect needs no API key)...
    let mut live = Vec::new();
    for _ in 0..2 {
        let path = format!("/auth/impersonate?uuid={}&reason=listing+test", user.sub);
        let started = h
            .post_impersonate(&path, Some(&admin_token), None, None)
            .await;
        assert_eq!(started.status, 200, "{}", started.body);
        live.push(
            started.body["impersonation"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // ...then 60 ended ones, all newer: a scan-and-filter listing would read these first.
    let newer = now_millis() + 10_000;
    let mut ended = Vec::new();
    for i in 0..60 {
        let id = h
            .write_impersonation(&admin, &user, ImpersonationStatus::Ended, newer + i)
            .await;
        ended.push(id);
    }

    // The tenant's live impersonations: exactly the two, on the first page, newest first.
    let page = h
        .get("/auth/impersonations?active=true", Some(&bearer))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut want = live.clone();
    want.reverse();
    assert_eq!(ids(&page.body), want);
    assert!(page.body["next_token"].is_null(), "{}", page.body);

    // Everyone's live impersonations (a super-admin): the two are among the newest live ones.
    let super_token = h.id_token("acme-super").await;
    let page = h
        .get("/auth/impersonations?active=true", Some(&super_token))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let all_live = ids(&page.body);
    assert!(
        !all_live.is_empty() && all_live.len() <= 50,
        "{}",
        page.body
    );
    for id in &live {
        assert!(all_live.contains(id), "{id} missing from {all_live:?}");
    }
    for item in page.body["impersonations"].as_array().unwrap() {
        assert_eq!(item["active"], true, "{item}");
    }

    // The tenant's whole listing (admin) and everyone's (super-admin): full first pages, newest
    // first.
    let tenant_page = h.get("/auth/impersonations", Some(&bearer)).await;
    assert_eq!(tenant_page.status, 200, "{}", tenant_page.body);
    let tenant_ids = ids(&tenant_page.body);
    assert_eq!(tenant_ids.len(), 50);
    assert_eq!(tenant_ids[0], *ended.last().unwrap());
    assert!(tenant_page.body["next_token"].is_string());
    let everyone = h.get("/auth/impersonations", Some(&super_token)).await;
    assert_eq!(everyone.status, 200, "{}", everyone.body);
    assert_eq!(ids(&everyone.body).len(), 50, "{}", everyone.body);
    assert!(everyone.body["next_token"].is_string());

    // Ended ones: a full first page (50), newest first, then the other 10.
    let first = h
        .get("/auth/impersonations?active=false", Some(&bearer))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let first_ids = ids(&first.body);
    let mut newest: Vec<String> = ended.iter().rev().cloned().collect();
    assert_eq!(first_ids, newest[..50].to_vec());
    let token = first.body["next_token"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = h
        .get(
            &format!("/auth/impersonations?active=false&nextToken={token}"),
            Some(&bearer),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(ids(&second.body), newest.split_off(50));

    // By actor: a full page too, the newest first, the live ones last.
    let by_actor = h
        .get(
            &format!("/auth/impersonations?actor={}", admin.username),
            Some(&bearer),
        )
        .await;
    assert_eq!(by_actor.status, 200, "{}", by_actor.body);
    let by_actor_ids = ids(&by_actor.body);
    assert_eq!(by_actor_ids.len(), 50);
    assert_eq!(by_actor_ids[0], *ended.last().unwrap());

    // By target: all 62 over two pages, nothing else.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(t) => format!(
                "/auth/impersonations?target={}&nextToken={t}",
                user.username
            ),
            None => format!("/auth/impersonations?target={}", user.username),
        };
        let page = h.get(&path, Some(&bearer)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(ids(&page.body));
        match page.body["next_token"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 62);
}
