//! `scripts/bench --scale [--users N] [--items M]`: costs that should follow the answer, not the
//! table or the pool, measured on the local stack at a tenth of the size and at full size.
//!
//! Seeds (straight into the tables, as the functions write them) N directory users over 10
//! tenants of 10 teams each (default 10,000) and M impersonations (default 100,000; 1 in 200
//! live, the rest ended) plus 1,000 past their hard end for the cleanup. Then measures, with the
//! deployed functions' own DynamoDB adapter:
//! - every listing scope's first page (super-admin all, `active=true` overall and by tenant,
//!   tenant, actor, target): latency, items returned and items read;
//! - profiles pages by team and tenant: latency, users per page (one Query reads exactly those);
//! - a cleanup run of the deployed function: latency and impersonations ended.

use std::time::Instant;

use actas::adapters::aws::dynamodb::DynamoStore;
use actas::domain::grant::{GrantKind, Impersonation, ImpersonationStatus};
use actas::domain::secrets::hash_secret;
use actas::domain::user::{UserRecord, ATTR_TEAM, ATTR_TEAM_ROLE, ATTR_TENANT};
use actas::ports::directory::{Directory, DirectoryScope};
use actas::ports::grants::{ImpersonationStore, ListQuery, ListScope};
use actas_cli::StackFile;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use serde_json::{json, Value};

const TENANTS: usize = 10;
const TEAMS: usize = 10;
const PAGE: i32 = 50;
const DUE: usize = 1_000;

fn flag(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn tenant(i: usize) -> String {
    format!("scale-{}", i % TENANTS)
}

fn scale_user(i: usize) -> UserRecord {
    let tenant = tenant(i);
    let team = format!("team-{}", (i / TENANTS) % TEAMS);
    let username = format!("scale-user-{i:06}");
    let role = if i.is_multiple_of(97) {
        "admin"
    } else {
        "member"
    };
    UserRecord::read(
        &actas::domain::identity_mapping::IdentityMapping::default(),
        actas::domain::user::PoolUser {
            sub: format!("scale-sub-{i:06}"),
            attributes: [
                ("sub", format!("scale-sub-{i:06}")),
                ("email", format!("{username}@{tenant}.example")),
                (ATTR_TENANT, tenant),
                (ATTR_TEAM, team),
                (ATTR_TEAM_ROLE, role.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            username,
            enabled: true,
            groups: vec![],
            created_at_millis: None,
            updated_at_millis: None,
        },
    )
}

/// Impersonation `i`: actor and target among the scale users of one tenant; every 200th live,
/// the rest ended, started one second apart going back from `now`.
fn scale_impersonation(i: usize, now_secs: i64) -> Impersonation {
    let started = now_secs - 7_200 - i as i64;
    // One in 200 live, spread over every tenant.
    let live = (i / TENANTS).is_multiple_of(200);
    let actor = i % 1_000;
    let target = (i * 7 + 3) % 10_000;
    Impersonation {
        id: format!("scale-{i:07}"),
        kind: GrantKind::Impersonation,
        actor_sub: format!("scale-sub-{actor:06}"),
        actor_username: format!("scale-user-{actor:06}"),
        target_sub: format!("scale-sub-{target:06}"),
        target_username: format!("scale-user-{target:06}"),
        tenant: Some(tenant(i)),
        reason: Some("scale bench".into()),
        ticket: None,
        mode: actas::domain::mode::Mode::Full,
        break_glass: false,
        client_id: "scale-client".into(),
        status: if live {
            ImpersonationStatus::Active
        } else {
            ImpersonationStatus::Ended
        },
        created_at_millis: started * 1000,
        ends_at: if live {
            now_secs + 3_600
        } else {
            started + 3_600
        },
        mint_deadline: started + 60,
        mint_secret_hash: hash_secret("scale"),
        revert_secret_hash: hash_secret("scale"),
        expires_at: now_secs + 86_400,
        refresh_token_sealed: None,
        ended_at: (!live).then_some(started + 600),
        revoked_at: None,
        last_active_at: if live { now_secs } else { started },
        idle_secs: 1_800,
    }
}

/// Writes impersonations 25 at a time, as the store writes one (same item shape).
async fn put_impersonations(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    items: Vec<Impersonation>,
) {
    for chunk in items.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .filter_map(|imp| {
                let put = PutRequest::builder()
                    .set_item(Some(
                        actas::adapters::aws::dynamodb::items::impersonation_item(imp),
                    ))
                    .build()
                    .ok()?;
                Some(WriteRequest::builder().put_request(put).build())
            })
            .collect();
        // Unprocessed writes are sent again, a few times; a failed call fails the benchmark.
        for _ in 0..5 {
            if requests.is_empty() {
                break;
            }
            let out = client
                .batch_write_item()
                .request_items(table, requests.clone())
                .send()
                .await
                .expect("seeding the table");
            requests = out
                .unprocessed_items()
                .and_then(|left| left.get(table))
                .cloned()
                .unwrap_or_default();
        }
        assert!(requests.is_empty(), "some seed writes were never processed");
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

async fn measure_stage(
    store: &DynamoStore,
    lambda: &aws_sdk_lambda::Client,
    stack: &StackFile,
    users: usize,
    items: usize,
) -> Vec<Value> {
    let now = now_secs();
    let query = |scope: ListScope,
                 actor: Option<String>,
                 target: Option<String>,
                 active: Option<bool>| ListQuery {
        scope,
        actor_sub: actor,
        target_sub: target,
        active_only: active,
        since_millis: None,
        page_token: None,
        limit: PAGE,
        now_secs: now,
    };
    let t = Some("scale-3".to_string());
    let listings = [
        (
            "list: everyone's (super-admin)",
            query(ListScope::All, None, None, None),
        ),
        (
            "list: active=true, everyone's",
            query(ListScope::All, None, None, Some(true)),
        ),
        (
            "list: active=true, one tenant",
            query(ListScope::Tenant(t.clone()), None, None, Some(true)),
        ),
        (
            "list: one tenant",
            query(ListScope::Tenant(t.clone()), None, None, None),
        ),
        (
            "list: one tenant, active=false",
            query(ListScope::Tenant(t.clone()), None, None, Some(false)),
        ),
        (
            "list: by actor",
            query(
                ListScope::Tenant(t.clone()),
                Some("scale-sub-000003".into()),
                None,
                None,
            ),
        ),
        (
            "list: by target (target=me)",
            query(
                ListScope::Target("scale-sub-000024".into()),
                None,
                None,
                None,
            ),
        ),
    ];
    let mut rows = Vec::new();
    for (name, q) in listings {
        let started = Instant::now();
        let page = store.list(&q).await.expect("a listing page");
        let ms = started.elapsed().as_secs_f64() * 1e3;
        rows.push(
            json!({"operation": name, "users": users, "items": items, "ms": ms,
            "returned": page.items.len(), "read": page.read, "page_size": PAGE}),
        );
    }
    let scopes = [
        (
            "profiles: a team",
            DirectoryScope::Team {
                tenant: "scale-3".into(),
                team: "team-4".into(),
            },
        ),
        (
            "profiles: a tenant",
            DirectoryScope::Tenant(Some("scale-3".into())),
        ),
        ("profiles: everyone (super-admin)", DirectoryScope::All),
    ];
    for (name, scope) in scopes {
        let started = Instant::now();
        let page = store
            .page(&scope, None, 60)
            .await
            .expect("a directory page");
        let ms = started.elapsed().as_secs_f64() * 1e3;
        // One Query with a limit and no filter: what it read is what it returned.
        rows.push(
            json!({"operation": name, "users": users, "items": items, "ms": ms,
            "returned": page.users.len(), "read": page.users.len(), "page_size": 60}),
        );
    }
    let started = Instant::now();
    let output = lambda
        .invoke()
        .function_name(stack.function_name("CleanupFunction").expect("deployed"))
        .payload(aws_sdk_lambda::primitives::Blob::new("{}"))
        .send()
        .await
        .expect("cleanup invoked");
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let report: Value = output
        .payload()
        .and_then(|p| serde_json::from_slice(p.as_ref()).ok())
        .unwrap_or(Value::Null);
    rows.push(
        json!({"operation": "cleanup run (deployed function)", "users": users, "items": items,
        "ms": ms, "returned": report["ended"], "read": report["pages"], "page_size": 100,
        "report": report}),
    );
    rows
}

pub async fn run(root: &std::path::Path, args: &[String]) {
    let users = flag(args, "--users", 10_000);
    let items = flag(args, "--items", 100_000);
    let Ok(stack) = StackFile::load(&root.join(".local/stack.json")) else {
        println!("no local stack: run ./scripts/up first");
        return;
    };
    let sdk = stack.sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(client.clone(), &stack.table_name);
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let mut rows = Vec::new();
    let mut seeded_users = 0;
    let mut seeded_items = 0;
    for (stage_users, stage_items) in [(users / 10, items / 10), (users, items)] {
        let started = Instant::now();
        let new_users: Vec<UserRecord> = (seeded_users..stage_users).map(scale_user).collect();
        for chunk in new_users.chunks(500) {
            store.put_users(chunk).await.expect("directory written");
        }
        let now = now_secs();
        let new_items: Vec<Impersonation> = (seeded_items..stage_items)
            .map(|i| scale_impersonation(i, now))
            .collect();
        put_impersonations(&client, &stack.table_name, new_items).await;
        // Due for the cleanup: live, past their hard end.
        let due: Vec<Impersonation> = (0..DUE)
            .map(|i| {
                let mut imp = scale_impersonation(stage_items + i, now);
                imp.id = format!("scale-due-{stage_items}-{i:04}");
                imp.status = ImpersonationStatus::Active;
                imp.ended_at = None;
                imp.ends_at = now - 60 - i as i64;
                imp
            })
            .collect();
        put_impersonations(&client, &stack.table_name, due).await;
        seeded_users = stage_users;
        seeded_items = stage_items;
        println!(
            "seeded {stage_users} users, {stage_items} impersonations and {DUE} due in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        rows.extend(measure_stage(&store, &lambda, &stack, stage_users, stage_items).await);
    }
    println!();
    println!(
        "{:<36} {:>7} {:>8} {:>9} {:>9} {:>6} {:>6}",
        "operation", "users", "items", "ms", "returned", "read", "page"
    );
    for row in &rows {
        println!(
            "{:<36} {:>7} {:>8} {:>9.1} {:>9} {:>6} {:>6}",
            row["operation"].as_str().unwrap_or_default(),
            row["users"].as_u64().unwrap_or_default(),
            row["items"].as_u64().unwrap_or_default(),
            row["ms"].as_f64().unwrap_or_default(),
            row["returned"].as_u64().unwrap_or_default(),
            row["read"].as_u64().unwrap_or_default(),
            row["page_size"].as_u64().unwrap_or_default(),
        );
    }
    let path = root.join("bench-scale.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&rows).unwrap_or_default(),
    )
    .expect("bench-scale.json");
    println!();
    println!("wrote {}", path.display());
}
