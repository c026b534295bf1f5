//! `scripts/bench --load [--clients N] [--seconds T]`: sustained load on the local stack, then a
//! check that nothing was lost. A benchmark, not a test: it prints figures and exits non-zero on
//! any 5xx or lost record.
//!
//! Each of N clients (default 8) has its own operator, team admin and four targets (tenant
//! `acme`, one team), and for T seconds (default 60) runs the flows a support desk runs: a start
//! in each dialect in turn (000, 001, 002's two steps, 003's two steps), a refresh through the
//! payload's `endpointUrl`, a token check with the impersonated token, a listing, and a stop.
//! Its last start of each dialect stays live. Then, from the deployed tables:
//! - every start that answered 200 has exactly one start record (`started`/`exchanged`) and its
//!   impersonation is active (left live) or ended (stopped), with exactly one end record when
//!   stopped and none when live;
//! - no impersonation of the run's targets is pending or unknown to the clients (no grant
//!   half-written, no session nobody was told about).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actas::adapters::aws::dynamodb::audit::DynamoAuditStore;
use actas::adapters::aws::dynamodb::DynamoStore;
use actas::domain::audit::AuditEvent;
use actas::domain::grant::ImpersonationStatus;
use actas::ports::audit::AuditStore;
use actas::ports::grants::{ImpersonationStore, ListQuery, ListScope};
use actas_integration_tests::{Harness, StackUser};
use serde_json::{json, Value};

const TENANT: &str = "acme";
const DIALECTS: [&str; 4] = ["000", "001", "002", "003"];

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One call's outcome: the operation, its status (0: no answer) and its wall time.
struct Sample {
    operation: &'static str,
    status: u16,
    millis: f64,
}

#[derive(Default)]
struct ClientRun {
    samples: Vec<Sample>,
    /// Impersonations this client started (200), and whether it stopped them.
    started: Vec<(String, bool)>,
    targets: Vec<String>,
}

struct Client {
    h: Arc<Harness>,
    operator: StackUser,
    team_admin: StackUser,
    operator_token: String,
    team_admin_token: String,
    key: String,
    /// One target per dialect (002's must be in the team admin's team).
    targets: Vec<StackUser>,
    run: ClientRun,
}

impl Client {
    async fn new(h: Arc<Harness>, index: usize) -> Client {
        let team = format!(
            "load-{index}-{}",
            &actas_integration_tests::uuid_like()[..6]
        );
        let operator = h.fresh_user("operator", TENANT, None).await;
        let team_admin = h.fresh_user("team-admin", TENANT, Some(&team)).await;
        let mut targets = Vec::new();
        for _ in DIALECTS {
            targets.push(h.fresh_user("user", TENANT, Some(&team)).await);
        }
        Client {
            operator_token: h.id_token_of(&operator).await,
            team_admin_token: h.id_token_of(&team_admin).await,
            key: h.api_key(TENANT),
            run: ClientRun {
                targets: targets.iter().map(|t| t.sub.clone()).collect(),
                ..ClientRun::default()
            },
            h,
            operator,
            team_admin,
            targets,
        }
    }

    /// One call through the API, timed; never panics on an answer.
    async fn call(
        &mut self,
        operation: &'static str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (u16, Value) {
        let started = Instant::now();
        let answer =
            actas_cli::call_api(&self.h.http, &self.h.stack, method, path, headers, body).await;
        let (status, body) = match answer {
            Ok(response) => (response.status, response.body),
            Err(e) => (0, json!(e.to_string())),
        };
        self.run.samples.push(Sample {
            operation,
            status,
            millis: started.elapsed().as_secs_f64() * 1000.0,
        });
        (status, body)
    }

    /// A start in `dialect` for its target; the session payload on 200.
    async fn start(&mut self, dialect: &str) -> Option<(Value, &'static str)> {
        let index = DIALECTS.iter().position(|d| *d == dialect).unwrap_or(0);
        let target = self.targets[index].clone();
        let operator = format!("Bearer {}", self.operator_token);
        let team_admin = format!("Bearer {}", self.team_admin_token);
        let key = self.key.clone();
        let (operation, status, body) = match dialect {
            "000" => {
                let path = format!("/auth/impersonate?uuid={}&reason=load", target.sub);
                let headers = [("authorization", operator.as_str()), ("x-api-key", &key)];
                let (s, b) = self.call("start 000", "POST", &path, &headers, None).await;
                ("start 000", s, b)
            }
            "001" => {
                let body = json!({"username": target.username, "reason": "load"}).to_string();
                let headers = [("authorization", operator.as_str()), ("x-api-key", &key)];
                let (s, b) = self
                    .call(
                        "start 001",
                        "POST",
                        "/auth/impersonate",
                        &headers,
                        Some(&body),
                    )
                    .await;
                ("start 001", s, b)
            }
            "002" => {
                let path = format!(
                    "/api/public/coworkers/{}/impersonate?reason=load",
                    target.username
                );
                let headers = [("authorization", team_admin.as_str())];
                let (s, b) = self.call("token 002", "GET", &path, &headers, None).await;
                let token = b["token"].as_str().filter(|_| s == 200)?.to_string();
                let path = format!("/api/public/auth/login/{token}");
                let (s, b) = self
                    .call("exchange 002", "POST", &path, &[], Some("{}"))
                    .await;
                ("exchange 002", s, b)
            }
            _ => {
                let path = format!(
                    "/api/sys/users/impersonate?coworkerId={}&reason=load",
                    target.username
                );
                let headers = [("authorization", operator.as_str())];
                let (s, b) = self.call("token 003", "GET", &path, &headers, None).await;
                let token = b["token"].as_str().filter(|_| s == 200)?.to_string();
                let body = json!({ "token": token }).to_string();
                let (s, b) = self
                    .call(
                        "exchange 003",
                        "POST",
                        "/api/sys/users/exchange",
                        &[],
                        Some(&body),
                    )
                    .await;
                ("exchange 003", s, b)
            }
        };
        (status == 200).then_some((body, operation))
    }

    /// The session's actor's bearer header (who may stop and list it).
    fn actor_bearer(&self, dialect: &str) -> String {
        let token = if dialect == "002" {
            &self.team_admin_token
        } else {
            &self.operator_token
        };
        format!("Bearer {token}")
    }

    /// One round: a start, a refresh through `endpointUrl`, a token check, a listing, and a
    /// stop unless `keep` (then the session stays live).
    async fn round(&mut self, dialect: &str, keep: bool) {
        let Some((payload, _)) = self.start(dialect).await else {
            return;
        };
        let Some(id) = payload["impersonation"]["id"].as_str().map(str::to_string) else {
            return;
        };
        self.run.started.push((id.clone(), !keep));
        let refreshed = Instant::now();
        let outcome = self.h.refresh_session(&payload).await;
        self.run.samples.push(Sample {
            operation: "refresh (endpointUrl)",
            status: if outcome.is_ok() { 200 } else { 401 },
            millis: refreshed.elapsed().as_secs_f64() * 1000.0,
        });
        let session = format!("Bearer {}", payload["token"].as_str().unwrap_or_default());
        self.call(
            "token check",
            "GET",
            "/auth/token",
            &[("authorization", &session)],
            None,
        )
        .await;
        let actor = self.actor_bearer(dialect);
        self.call(
            "list",
            "GET",
            "/auth/impersonations?active=true",
            &[("authorization", &actor)],
            None,
        )
        .await;
        if !keep {
            let path = format!("/auth/impersonations/{id}");
            let (status, _) = self
                .call("stop", "DELETE", &path, &[("authorization", &actor)], None)
                .await;
            if status != 200 {
                // Not stopped: it is expected live at the end.
                if let Some(last) = self.run.started.last_mut() {
                    last.1 = false;
                }
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clients = flag(&args, "--clients", 8).clamp(1, 64) as usize;
    let seconds = flag(&args, "--seconds", 60).clamp(1, 3_600);
    let h = Arc::new(Harness::new().await);
    let since_millis = actas_integration_tests::now_millis() - 1_000;
    println!(
        "load: {clients} clients for {seconds} s against {}",
        h.stack.api_url
    );

    let mut setup = Vec::new();
    for index in 0..clients {
        setup.push(tokio::spawn(Client::new(h.clone(), index)));
    }
    let mut prepared = Vec::new();
    for client in setup {
        prepared.push(client.await.expect("a client's users"));
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let began = Instant::now();
    let mut running = Vec::new();
    for mut client in prepared {
        running.push(tokio::spawn(async move {
            let mut turn = 0usize;
            while Instant::now() < deadline {
                client.round(DIALECTS[turn % DIALECTS.len()], false).await;
                turn += 1;
            }
            // The last start of each dialect stays live.
            for dialect in DIALECTS {
                client.round(dialect, true).await;
            }
            let _ = (&client.operator, &client.team_admin);
            client.run
        }));
    }
    let mut runs = Vec::new();
    for client in running {
        runs.push(client.await.expect("a client's run"));
    }
    let elapsed = began.elapsed().as_secs_f64();

    // Figures per operation.
    let mut by_operation: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut codes: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    let mut total = 0usize;
    for sample in runs.iter().flat_map(|r| &r.samples) {
        total += 1;
        by_operation
            .entry(sample.operation)
            .or_default()
            .push(sample.millis);
        if !(200..300).contains(&sample.status) {
            *codes.entry((sample.operation, sample.status)).or_default() += 1;
        }
    }
    println!(
        "\n{total} calls in {elapsed:.1} s: {:.1} calls/s\n",
        total as f64 / elapsed
    );
    println!("| operation | calls | per s | p50 ms | p95 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (operation, millis) in &mut by_operation {
        millis.sort_by(f64::total_cmp);
        println!(
            "| {operation} | {} | {:.1} | {:.0} | {:.0} | {:.0} |",
            millis.len(),
            millis.len() as f64 / elapsed,
            percentile(millis, 50.0),
            percentile(millis, 95.0),
            percentile(millis, 99.0)
        );
    }
    if codes.is_empty() {
        println!("\nevery answer 2xx");
    } else {
        println!("\nanswers other than 2xx:");
        for ((operation, status), count) in &codes {
            println!("  {operation}: {status} x{count}");
        }
    }

    // Nothing lost.
    let mut problems = Vec::new();
    for ((operation, status), count) in &codes {
        if *status >= 500 || *status == 0 {
            problems.push(format!("{operation}: {count} answers {status}"));
        }
    }
    let dynamodb = aws_sdk_dynamodb::Client::new(&h.sdk);
    let store = DynamoStore::new(dynamodb.clone(), &h.stack.table_name);
    let audit = DynamoAuditStore::new(dynamodb, &h.stack.audit_table_name);
    // The stream consumers and the audit writes are synchronous with the answers; a moment for
    // the emulator's eventual reads.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let records = audit
        .audit_for_tenant(Some(TENANT), since_millis)
        .await
        .expect("the audit records");
    let started: Vec<(String, bool)> = runs.iter().flat_map(|r| r.started.clone()).collect();
    let known: HashSet<&str> = started.iter().map(|(id, _)| id.as_str()).collect();
    let (mut live, mut ended) = (0, 0);
    for (id, stopped) in &started {
        let of_it = |events: &[AuditEvent]| {
            records
                .iter()
                .filter(|r| r.impersonation_id.as_deref() == Some(id.as_str()))
                .filter(|r| r.outcome == "success" && events.contains(&r.event))
                .count()
        };
        let starts = of_it(&[AuditEvent::Started, AuditEvent::Exchanged]);
        let ends = of_it(&[
            AuditEvent::Stopped,
            AuditEvent::Reverted,
            AuditEvent::Expired,
        ]);
        let want_ends = usize::from(*stopped);
        if starts != 1 {
            problems.push(format!("{id}: {starts} start records, want 1"));
        }
        if ends != want_ends {
            problems.push(format!("{id}: {ends} end records, want {want_ends}"));
        }
        match store.get(id).await {
            Ok(Some(impersonation)) => {
                let want = if *stopped {
                    ImpersonationStatus::Ended
                } else {
                    ImpersonationStatus::Active
                };
                if impersonation.status != want {
                    problems.push(format!(
                        "{id}: {} (want {})",
                        impersonation.status.as_str(),
                        want.as_str()
                    ));
                }
                if *stopped {
                    ended += 1;
                } else {
                    live += 1;
                }
            }
            other => problems.push(format!("{id}: not found ({other:?})")),
        }
    }
    let now_secs = actas_integration_tests::now_millis() / 1000;
    for target in runs.iter().flat_map(|r| &r.targets) {
        let mut page_token = None;
        loop {
            let page = store
                .list(&ListQuery {
                    scope: ListScope::Target(target.clone()),
                    actor_sub: None,
                    target_sub: None,
                    active_only: None,
                    since_millis: None,
                    page_token: page_token.take(),
                    limit: 100,
                    now_secs,
                })
                .await
                .expect("a listing");
            for impersonation in &page.items {
                let failed_start = impersonation.status == ImpersonationStatus::Failed;
                if impersonation.status == ImpersonationStatus::Pending {
                    problems.push(format!("{}: half-written (pending)", impersonation.id));
                } else if !known.contains(impersonation.id.as_str()) && !failed_start {
                    problems.push(format!(
                        "{}: {} but no client was told",
                        impersonation.id,
                        impersonation.status.as_str()
                    ));
                }
            }
            match page.next_token {
                Some(next) => page_token = Some(next),
                None => break,
            }
        }
    }
    println!(
        "\nchecked {} impersonations ({ended} ended, {live} live), {} audit records",
        started.len(),
        records.len()
    );
    if problems.is_empty() {
        println!("nothing lost: one start record per start, one end record per stop, no grant half-written");
    } else {
        println!("\n{} problems:", problems.len());
        for problem in problems.iter().take(50) {
            println!("  {problem}");
        }
        std::process::exit(1);
    }
}
