//! `actas`: the operator CLI.
//!
//!   actas api-key create --tenant T [--description D] [--requests-per-minute N]
//!                        [--table NAME | --stack FILE]
//!   actas api-key revoke --id ID                      [--table NAME | --stack FILE]
//!   actas api-key list --tenant T                     [--table NAME | --stack FILE]
//!   actas signing-key rotate [--secret-id ID | --stack FILE]
//!   actas audit --tenant T [--since EPOCH_MS] [--audit-table NAME | --stack FILE]
//!   actas directory sync [--table NAME --user-pool ID | --stack FILE]
//!   actas settings show --tenant T                   [--table NAME | --stack FILE]
//!   actas settings set --tenant T --json JSON         [--table NAME --audit-table NAME | --stack FILE]
//!   actas token decode JWT
//!   actas demo seed --outputs FILE --endpoint URL --out FILE
//!   actas demo describe --outputs FILE --endpoint URL --out FILE
//!   actas demo walkthrough --stack FILE
//!   actas pool attach|detach|status [--user-pool-id ID] [--dry-run] [--create-groups] ...
//!   actas doctor [--stack-file FILE] [--json]
//!   actas events replay [--stack-file FILE] [--dry-run] [--json]
//!   actas ssf receiver add --name N --audience A     [--table NAME | --stack FILE]
//!   actas ssf receiver list|status                    [--table NAME | --stack FILE]
//!   actas ssf receiver remove --id ID                 [--table NAME | --stack FILE]
//!   actas ssf retry                                   [--function NAME | --stack FILE]
//!
//! AWS credentials, region and endpoint come from the environment, as for any AWS tool.

use std::path::PathBuf;
use std::process::ExitCode;

use actas::adapters::aws::dynamodb::DynamoStore;
use actas::app::api_keys::issue_api_key;
use actas::ports::clock::SystemClock;
use actas::ports::grants::ApiKeyStore;
use actas_cli::{call_api, jwt_claims, seed, sign_in, CliResult, StackFile};
use serde_json::json;

const USAGE: &str = "usage:
  actas api-key create --tenant T [--description D] [--requests-per-minute N] [--table NAME | --stack FILE]
  actas api-key revoke --id ID [--table NAME | --stack FILE]
  actas api-key list --tenant T [--table NAME | --stack FILE]
  actas signing-key rotate [--secret-id ID | --stack FILE]
  actas audit --tenant T [--since EPOCH_MS] [--audit-table NAME | --stack FILE]
  actas settings show --tenant T [--table NAME | --stack FILE]
  actas settings set --tenant T --json JSON [--table NAME --audit-table NAME | --stack FILE]
  actas token decode JWT
  actas demo seed --outputs FILE --endpoint URL --out FILE
  actas demo describe --outputs FILE --endpoint URL --out FILE
  actas demo walkthrough --stack FILE
  actas pool attach|detach|status [--user-pool-id ID] [--dry-run] [--create-groups] [--stack-file FILE] (actas pool help)
  actas doctor [--stack-file FILE] [--json]
  actas events replay [--stack-file FILE] [--dry-run] [--json]
  actas ssf receiver add --name N --audience A [--table NAME | --stack FILE]
  actas ssf receiver list [--table NAME | --stack FILE]
  actas ssf receiver remove --id ID [--table NAME | --stack FILE]
  actas ssf status [--table NAME | --stack FILE]
  actas ssf retry [--function NAME | --stack FILE]";

struct Args(Vec<String>);

impl Args {
    fn flag(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .cloned()
    }

    /// `--stack-file` (or `--stack`), else the local stack's.
    fn stack_file(&self) -> PathBuf {
        PathBuf::from(
            self.flag("--stack-file")
                .or_else(|| self.flag("--stack"))
                .unwrap_or_else(|| ".local/stack.json".into()),
        )
    }

    fn required(&self, name: &str) -> CliResult<String> {
        self.flag(name)
            .ok_or_else(|| format!("{name} is required\n{USAGE}").into())
    }

    /// AWS configuration from the environment, like any AWS tool; without one (no region set),
    /// the local stack's from its stack file.
    async fn sdk(&self) -> aws_config::SdkConfig {
        let configured = std::env::var_os("AWS_REGION").is_some()
            || std::env::var_os("AWS_DEFAULT_REGION").is_some();
        let stack = self
            .flag("--stack")
            .unwrap_or_else(|| ".local/stack.json".into());
        match StackFile::load(&PathBuf::from(stack)) {
            Ok(stack) if !configured => stack.sdk_config().await,
            _ => {
                aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .http_client(actas::adapters::https::https_client())
                    .load()
                    .await
            }
        }
    }

    fn audit_table(&self) -> CliResult<String> {
        if let Some(table) = self
            .flag("--audit-table")
            .or_else(|| std::env::var("AUDIT_TABLE_NAME").ok())
        {
            return Ok(table);
        }
        let stack = self
            .flag("--stack")
            .unwrap_or_else(|| ".local/stack.json".into());
        Ok(StackFile::load(&PathBuf::from(stack))?.audit_table_name)
    }

    fn user_pool(&self) -> CliResult<String> {
        if let Some(pool) = self
            .flag("--user-pool")
            .or_else(|| std::env::var("USER_POOL_ID").ok())
        {
            return Ok(pool);
        }
        let stack = self
            .flag("--stack")
            .unwrap_or_else(|| ".local/stack.json".into());
        Ok(StackFile::load(&PathBuf::from(stack))?.user_pool_id)
    }

    fn table(&self) -> CliResult<String> {
        if let Some(table) = self
            .flag("--table")
            .or_else(|| std::env::var("TABLE_NAME").ok())
        {
            return Ok(table);
        }
        let stack = self
            .flag("--stack")
            .unwrap_or_else(|| ".local/stack.json".into());
        Ok(StackFile::load(&PathBuf::from(stack))?.table_name)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args(std::env::args().skip(1).collect());
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("actas: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> CliResult<()> {
    let words: Vec<&str> = args.0.iter().take(2).map(String::as_str).collect();
    match words.as_slice() {
        ["api-key", "create"] => {
            let sdk = args.sdk().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table()?);
            let description = args.flag("--description").unwrap_or_default();
            let (key, plaintext) = issue_api_key(
                &store,
                &SystemClock,
                &args.required("--tenant")?,
                &description,
            )
            .await?;
            let limit = match args.flag("--requests-per-minute") {
                Some(value) => {
                    let limit: u32 = value
                        .parse()
                        .ok()
                        .filter(|l| *l > 0)
                        .ok_or("--requests-per-minute must be a positive whole number")?;
                    store.set_requests_per_minute(&key.id, limit).await?;
                    Some(limit)
                }
                None => None,
            };
            println!(
                "{}",
                json!({"id": key.id, "tenant": key.tenant, "apiKey": plaintext, "requestsPerMinute": limit})
            );
            eprintln!("Store the key now: only its hash is kept.");
        }
        ["ssf", "receiver"] => {
            let sdk = args.sdk().await;
            let table = args.table()?;
            match args.0.get(2).map(String::as_str) {
                Some("add") => {
                    let added = actas_cli::ssf::add_receiver(
                        &sdk,
                        &table,
                        &args.required("--name")?,
                        &args.required("--audience")?,
                    )
                    .await?;
                    println!("{added}");
                    eprintln!("Give the receiver its credential now: only its hash is kept.");
                }
                Some("list") | Some("status") => {
                    for receiver in actas_cli::ssf::list_receivers(&sdk, &table).await? {
                        println!("{receiver}");
                    }
                }
                Some("remove") => {
                    let id = args.required("--id")?;
                    if !actas_cli::ssf::remove_receiver(&sdk, &table, &id).await? {
                        return Err(format!("no receiver {id}").into());
                    }
                    println!("{}", json!({"id": id, "status": "removed"}));
                }
                _ => return Err(USAGE.into()),
            }
        }
        ["ssf", "status"] => {
            let sdk = args.sdk().await;
            for receiver in actas_cli::ssf::list_receivers(&sdk, &args.table()?).await? {
                println!("{receiver}");
            }
        }
        ["ssf", "retry"] => {
            let sdk = args.sdk().await;
            let function = match args.flag("--function") {
                Some(name) => name,
                None => StackFile::load(&args.stack_file())?
                    .function_name("SsfDeliverFunction")?
                    .to_string(),
            };
            println!("{}", actas_cli::ssf::retry(&sdk, &function).await?);
        }
        ["api-key", "revoke"] => {
            let sdk = args.sdk().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table()?);
            let id = args.required("--id")?;
            if !store.revoke_api_key(&id).await? {
                return Err(format!("no API key {id}").into());
            }
            println!("{}", json!({"id": id, "status": "revoked"}));
        }
        ["api-key", "list"] => {
            let sdk = args.sdk().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table()?);
            for key in store.list_api_keys(&args.required("--tenant")?).await? {
                let status = format!("{:?}", key.status).to_lowercase();
                println!(
                    "{}",
                    json!({"id": key.id, "tenant": key.tenant, "status": status, "description": key.description, "requestsPerMinute": key.requests_per_minute})
                );
            }
        }
        ["signing-key", "rotate"] => {
            let secret_id = match args.flag("--secret-id") {
                Some(id) => id,
                None => {
                    let stack = args
                        .flag("--stack")
                        .unwrap_or_else(|| ".local/stack.json".into());
                    StackFile::load(&PathBuf::from(stack))?.signing_key_secret_id
                }
            };
            let sdk = args.sdk().await;
            let kid =
                seed::rotate_signing_keys(&aws_sdk_secretsmanager::Client::new(&sdk), &secret_id)
                    .await?;
            println!("{}", json!({"signingKey": kid, "status": "rotated"}));
            eprintln!("New tokens are signed with {kid}; tokens signed with the previous keys still verify.");
        }
        ["audit", ..] => {
            use actas::ports::audit::AuditStore;
            let sdk = args.sdk().await;
            let store = actas::adapters::aws::dynamodb::audit::DynamoAuditStore::new(
                aws_sdk_dynamodb::Client::new(&sdk),
                args.audit_table()?,
            );
            let since = args
                .flag("--since")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            for record in store
                .audit_for_tenant(Some(&args.required("--tenant")?), since)
                .await?
            {
                println!("{}", serde_json::to_string(&record)?);
            }
        }
        ["settings", "show"] => {
            let sdk = args.sdk().await;
            let governance = actas_cli::settings::governance(&sdk, &args.table()?);
            let settings =
                actas_cli::settings::show(&governance, &args.required("--tenant")?).await?;
            println!("{}", serde_json::to_string_pretty(&settings)?);
        }
        ["settings", "set"] => {
            let sdk = args.sdk().await;
            let governance = actas_cli::settings::governance(&sdk, &args.table()?);
            let changes: serde_json::Value = serde_json::from_str(&args.required("--json")?)
                .map_err(|e| format!("--json is not JSON: {e}"))?;
            let settings = actas_cli::settings::set(
                &governance,
                &sdk,
                &args.audit_table()?,
                &args.required("--tenant")?,
                &changes,
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&settings)?);
        }
        ["token", "decode"] => {
            let token = args.0.get(2).ok_or(USAGE)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&jwt_claims(
                    token.trim_start_matches("Bearer ").trim()
                )?)?
            );
        }
        ["directory", "sync"] => {
            let sdk = args.sdk().await;
            let directory = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table()?);
            let identity = actas::adapters::aws::cognito::CognitoIdentityProvider::new(
                aws_sdk_cognitoidentityprovider::Client::new(&sdk),
                &args.user_pool()?,
                // The deployment's mapping, from ACTAS_ROLE_GROUPS, ACTAS_TENANT_ATTRIBUTE, ...
                actas_cli::mapping_from_env()?,
            );
            let report = actas::app::directory::sync_all(&identity, &directory).await?;
            println!("{}", serde_json::to_string(&report)?);
        }
        ["demo", "seed"] => {
            let sdk = args.sdk().await;
            let stack_name = std::env::var("STACK_NAME").unwrap_or_else(|_| "actas".into());
            let out = PathBuf::from(args.required("--out")?);
            let stack = seed::seed_demo(
                &sdk,
                &PathBuf::from(args.required("--outputs")?),
                &args.required("--endpoint")?,
                &stack_name,
                &out,
            )
            .await?;
            eprintln!(
                "seeded {} users in 2 tenants; wrote {}",
                stack.users.len(),
                out.display()
            );
        }
        ["demo", "describe"] => {
            // A stack on a pool actas did not create: no demo users, no API keys.
            let sdk = args.sdk().await;
            let stack_name = std::env::var("STACK_NAME").unwrap_or_else(|_| "actas".into());
            let out = PathBuf::from(args.required("--out")?);
            let stack = seed::describe_stack(
                &sdk,
                &PathBuf::from(args.required("--outputs")?),
                &args.required("--endpoint")?,
                &stack_name,
            )
            .await?;
            seed::sync_directory(&sdk, &stack).await?;
            std::fs::write(&out, serde_json::to_string_pretty(&stack)?)?;
            eprintln!("wrote {}", out.display());
        }
        ["pool", action @ ("attach" | "detach" | "status")] => {
            let flag = |name: &str| args.flag(name);
            let switch = |name: &str| args.0.iter().any(|a| a == name);
            actas_cli::pool::run(
                action,
                &actas_cli::pool::PoolArgs {
                    flag: &flag,
                    switch: &switch,
                },
            )
            .await?
        }
        ["pool", ..] => return Err(actas_cli::pool::USAGE.into()),
        ["doctor", ..] => {
            let report = actas_cli::doctor::run(&args.stack_file()).await?;
            if args.0.iter().any(|a| a == "--json") {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", actas_cli::doctor::describe(&report));
            }
            if !report.healthy() {
                return Err("the deployment needs the fixes above".into());
            }
        }
        ["events", "replay"] => {
            let dry_run = args.0.iter().any(|a| a == "--dry-run");
            let report = actas_cli::events::run(&args.stack_file(), dry_run).await?;
            if args.0.iter().any(|a| a == "--json") {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", actas_cli::events::describe(&report));
            }
            if !report.complete() {
                return Err("some failed batches were kept in the queue (see above)".into());
            }
        }
        ["events", ..] => return Err(actas_cli::events::USAGE.into()),
        ["demo", "walkthrough"] => {
            walkthrough(&StackFile::load(&PathBuf::from(args.required("--stack")?))?).await?
        }
        _ => return Err(USAGE.into()),
    }
    Ok(())
}

/// Shows every dialect working against the deployed stack, then how to do it by hand. (Demo
/// targets: acme-support-1 by acme-admin, acme-support-2 by acme-team-admin, acme-sales-1 by
/// acme-operator — the integration tests keep to the same pairs.)
async fn walkthrough(stack: &StackFile) -> CliResult<()> {
    let sdk = stack.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let http = reqwest::Client::new();
    let acme_key = stack.api_keys.get("acme").ok_or("no acme API key")?;
    let bearer = |token: &str| format!("Bearer {token}");
    let token_of = |username: &str| {
        let cognito = &cognito;
        let username = username.to_string();
        async move {
            let user = stack.user(&username)?;
            CliResult::Ok(
                sign_in(cognito, stack, &user.username, &user.password)
                    .await?
                    .id_token,
            )
        }
    };
    let expect = |what: &str, response: &actas_cli::ApiResponse| -> CliResult<()> {
        if response.status != 200 {
            return Err(format!("{what} failed: {} {}", response.status, response.body).into());
        }
        Ok(())
    };

    // Seed 001: one step, username and API key.
    let admin = bearer(&token_of("acme-admin").await?);
    let body = json!({"username": "acme-support-1", "reason": "walkthrough", "ticket": "DEMO-1"})
        .to_string();
    let one_step = call_api(
        &http,
        stack,
        "POST",
        "/auth/impersonate",
        &[("authorization", &admin), ("x-api-key", acme_key)],
        Some(&body),
    )
    .await?;
    expect("POST /auth/impersonate", &one_step)?;
    let claims = jwt_claims(one_step.body["token"].as_str().ok_or("no token")?)?;
    // Seed 000: the way back.
    // A revert carries the impersonated session it reverts.
    let revert_body =
        json!({"impersonator_revert_token": one_step.body["impersonator_revert_token"]})
            .to_string();
    let session_of = |payload: &serde_json::Value| {
        bearer(
            payload["session"]["accessToken"]
                .as_str()
                .unwrap_or_default(),
        )
    };
    let reverted = call_api(
        &http,
        stack,
        "POST",
        "/auth/impersonate/revert",
        &[("authorization", &session_of(&one_step.body))],
        Some(&revert_body),
    )
    .await?;
    expect("POST /auth/impersonate/revert", &reverted)?;
    let own = jwt_claims(reverted.body["token"].as_str().ok_or("no token")?)?;

    // Seed 002: a team admin's profiles, token, and exchange.
    let team_admin = bearer(&token_of("acme-team-admin").await?);
    let profiles = call_api(
        &http,
        stack,
        "GET",
        "/api/public/coworkers/profiles",
        &[("authorization", &team_admin)],
        None,
    )
    .await?;
    expect("GET /api/public/coworkers/profiles", &profiles)?;
    let names: Vec<&str> = profiles.body["Profiles"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["Username"].as_str()).collect())
        .unwrap_or_default();
    let issued = call_api(
        &http,
        stack,
        "GET",
        "/api/public/coworkers/acme-support-2/impersonate?reason=walkthrough",
        &[("authorization", &team_admin)],
        None,
    )
    .await?;
    expect("GET /api/public/coworkers/{id}/impersonate", &issued)?;
    let login_path = format!(
        "/api/public/auth/login/{}",
        issued.body["token"].as_str().unwrap_or_default()
    );
    let two_step = call_api(&http, stack, "POST", &login_path, &[], None).await?;
    expect("POST /api/public/auth/login/{token}", &two_step)?;

    // Seed 003: an operator's token and exchange.
    let operator = bearer(&token_of("acme-operator").await?);
    let sys = call_api(
        &http,
        stack,
        "GET",
        "/api/sys/users/impersonate?coworkerId=acme-sales-1&reason=walkthrough",
        &[("authorization", &operator)],
        None,
    )
    .await?;
    expect("GET /api/sys/users/impersonate", &sys)?;
    let exchange_body = json!({"token": sys.body["token"]}).to_string();
    let sys_session = call_api(
        &http,
        stack,
        "POST",
        "/api/sys/users/exchange",
        &[],
        Some(&exchange_body),
    )
    .await?;
    expect("POST /api/sys/users/exchange", &sys_session)?;
    for session in [&two_step, &sys_session] {
        let body = json!({"impersonator_revert_token": session.body["impersonator_revert_token"]})
            .to_string();
        let reverted = call_api(
            &http,
            stack,
            "POST",
            "/auth/impersonate/revert",
            &[("authorization", &session_of(&session.body))],
            Some(&body),
        )
        .await?;
        expect("POST /auth/impersonate/revert", &reverted)?;
    }

    // Issue 10: a read-only session reads the sample service and is refused its write at the
    // gateway; a full one writes, and the note names the actor.
    let support_sub = stack.user("acme-support-1")?.sub.clone();
    let mut notes = Vec::new();
    for (caller, mode) in [(&admin, "read_only"), (&operator, "full")] {
        let path = format!("/auth/impersonate?uuid={support_sub}&reason=walkthrough&mode={mode}");
        let started = call_api(
            &http,
            stack,
            "POST",
            &path,
            &[("authorization", caller)],
            None,
        )
        .await?;
        expect("POST /auth/impersonate (mode)", &started)?;
        let session = session_of(&started.body);
        let note = json!({"text": format!("written by a {mode} session")}).to_string();
        let written = call_api(
            &http,
            stack,
            "POST",
            "/demo/notes",
            &[
                ("authorization", &session),
                ("content-type", "application/json"),
            ],
            Some(&note),
        )
        .await?;
        let stop_path = format!(
            "/auth/impersonations/{}",
            started.body["impersonation"]["id"]
                .as_str()
                .unwrap_or_default()
        );
        let stopped = call_api(
            &http,
            stack,
            "DELETE",
            &stop_path,
            &[("authorization", caller)],
            None,
        )
        .await?;
        expect("DELETE /auth/impersonations/{id}", &stopped)?;
        notes.push((mode, written));
    }

    println!();
    println!("actas is running on the local AWS stack.");
    println!("  API:        {}", stack.api_url);
    println!(
        "  Console:    {}/console/  (sign in as a demo user below)",
        stack.api_url
    );
    println!(
        "  User pool:  {}   sign-in client: {}",
        stack.user_pool_id, stack.sign_in_client_id
    );
    println!(
        "  Demo users: {} (password {}), details in .local/stack.json",
        stack.users.len(),
        seed::DEMO_PASSWORD
    );
    println!();
    println!("Just now, against the deployed stack:");
    println!(
        "  seed 001  acme-admin     POST /auth/impersonate {{username: acme-support-1}} -> 200"
    );
    println!(
        "            id token: sub {} ({}), act {}",
        claims["sub"], claims["cognito:username"], claims["act"]
    );
    println!(
        "            session.expireEpoch {} (ms)",
        one_step.body["session"]["expireEpoch"]
    );
    println!("  seed 000  POST /auth/impersonate/revert -> 200: acme-admin's own session (sub {}, act {})", own["sub"], own.get("act").cloned().unwrap_or(json!("none")));
    // Users the integration tests created (`t-...`) are counted, not listed.
    let (tests, demo): (Vec<&str>, Vec<&str>) = names.iter().partition(|n| n.starts_with("t-"));
    let more = if tests.is_empty() {
        String::new()
    } else {
        format!(" (+{} test users)", tests.len())
    };
    println!(
        "  seed 002  acme-team-admin profiles (first page): {}{more}",
        demo.join(", ")
    );
    println!("            GET  /api/public/coworkers/acme-support-2/impersonate -> {{token}}; POST /api/public/auth/login/{{token}} -> 200 as {}", two_step.body["username"]);
    println!("  seed 003  acme-operator  GET /api/sys/users/impersonate?coworkerId=acme-sales-1 -> {{token}}; POST /api/sys/users/exchange -> 200 as {}", sys_session.body["username"]);
    for (mode, written) in &notes {
        let outcome = if written.status == 201 {
            format!(
                "201, user {} actor {}",
                written.body["user"]["username"], written.body["actor"]["username"]
            )
        } else {
            format!("{} {}", written.status, written.body["message"])
        };
        println!("  {mode:<9} acting as acme-support-1: POST /demo/notes -> {outcome}");
    }
    println!();

    let script = format!(
        r#"# actas walkthrough: copy and paste, or run with `bash .local/walkthrough.sh`
API={api}
signin() {{ curl -s {endpoint} -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \
  -H 'Content-Type: application/x-amz-json-1.1' \
  -d "{{\"AuthFlow\":\"USER_PASSWORD_AUTH\",\"ClientId\":\"{client}\",\"AuthParameters\":{{\"USERNAME\":\"$1\",\"PASSWORD\":\"{password}\"}}}}" \
  | python3 -c 'import sys,json; print(json.load(sys.stdin)["AuthenticationResult"]["IdToken"])'; }}
field() {{ python3 -c 'import sys,json; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }}
jwt() {{ python3 -c 'import sys,json,base64; t=sys.argv[1].split(".")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(t+"==")), indent=2))' "$1"; }}
session() {{ python3 -c 'import sys,json; print(json.load(sys.stdin)["session"][sys.argv[1]])' "$1"; }}

# Seed 001: an admin impersonates a user of their tenant (username + the tenant's API key)
ADMIN=$(signin acme-admin)
curl -s -X POST "$API/auth/impersonate" -H "Authorization: Bearer $ADMIN" \
  -H 'X-API-Key: {key}' -H 'Content-Type: application/json' \
  -d '{{"username":"acme-support-1","reason":"Customer asked for help","ticket":"SUP-1042"}}' > /tmp/actas-session.json
jwt "$(field token < /tmp/actas-session.json)"          # sub: acme-support-1, act: acme-admin

# A front end refreshes at the payload's endpointUrl, in Cognito's own protocol: fresh tokens of
# this impersonation (same act, same impersonation_id) while it lives. At Cognito itself the same
# refresh token yields nothing.
curl -s -X POST "$(field endpointUrl < /tmp/actas-session.json)" \
  -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' -H 'Content-Type: application/x-amz-json-1.1' \
  -d "{{\"AuthFlow\":\"REFRESH_TOKEN_AUTH\",\"ClientId\":\"$(field clientId < /tmp/actas-session.json)\",\"AuthParameters\":{{\"REFRESH_TOKEN\":\"$(session refreshToken < /tmp/actas-session.json)\"}}}}"

# Seed 000: the same by sub (no API key needed), then back to the admin's own session
curl -s -X POST "$API/auth/impersonate?uuid={sub}&reason=Customer+asked+for+help" -H "Authorization: Bearer $ADMIN" > /tmp/actas-session.json
curl -s -X POST "$API/auth/impersonate/revert" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $(session accessToken < /tmp/actas-session.json)" \
  -d "{{\"impersonator_revert_token\":\"$(field impersonator_revert_token < /tmp/actas-session.json)\"}}" | field username

# Seed 002: a team admin lists whom they may act as, gets a short-lived token, exchanges it once
TEAM_ADMIN=$(signin acme-team-admin)
curl -s "$API/api/public/coworkers/profiles" -H "Authorization: Bearer $TEAM_ADMIN"
TOKEN=$(curl -s "$API/api/public/coworkers/acme-support-2/impersonate?reason=Team+member+needs+help" -H "Authorization: Bearer $TEAM_ADMIN" | field token)
curl -s -X POST "$API/api/public/auth/login/$TOKEN" | field username     # acme-support-2
curl -s -X POST "$API/api/public/auth/login/$TOKEN"                      # 401: single use

# Seed 003: an operator does the same through the sys routes
OPERATOR=$(signin acme-operator)
TOKEN=$(curl -s "$API/api/sys/users/impersonate?coworkerId=acme-sales-1&reason=Support+call" -H "Authorization: Bearer $OPERATOR" | field token)
curl -s -X POST "$API/api/sys/users/exchange" -H 'Content-Type: application/json' -d "{{\"token\":\"$TOKEN\"}}" | field username

# Read-only (the default) and full sessions against the sample service behind the actas authorizer
curl -s -X POST "$API/auth/impersonate?uuid={sub}&reason=Look+only" -H "Authorization: Bearer $ADMIN" > /tmp/actas-session.json
curl -s "$API/demo/notes" -H "Authorization: Bearer $(session accessToken < /tmp/actas-session.json)"
curl -s -X POST "$API/demo/notes" -H "Authorization: Bearer $(session accessToken < /tmp/actas-session.json)" -d '{{"text":"hi"}}'   # 403
curl -s -X POST "$API/auth/impersonate?uuid={sub}&reason=Fix+it&mode=full" -H "Authorization: Bearer $OPERATOR" > /tmp/actas-session.json
curl -s -X POST "$API/demo/notes" -H "Authorization: Bearer $(session accessToken < /tmp/actas-session.json)" -d '{{"text":"fixed the address"}}'   # 201, actor acme-operator
"#,
        api = stack.api_url,
        endpoint = stack.endpoint,
        client = stack.sign_in_client_id,
        password = seed::DEMO_PASSWORD,
        key = acme_key,
        sub = stack.user("acme-support-1")?.sub,
    );
    std::fs::write(".local/walkthrough.sh", &script)?;
    println!("Try it yourself (also in .local/walkthrough.sh):");
    println!();
    for line in script.lines() {
        println!("  {line}");
    }
    println!();
    println!("Stop the stack with scripts/down.");
    Ok(())
}
