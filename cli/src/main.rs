//! `actas`: the operator CLI.
//!
//!   actas api-key create --tenant T [--description D] [--table NAME | --stack FILE]
//!   actas api-key revoke --id ID                      [--table NAME | --stack FILE]
//!   actas api-key list --tenant T                     [--table NAME | --stack FILE]
//!   actas signing-key rotate [--secret-id ID | --stack FILE]
//!   actas token decode JWT
//!   actas demo seed --outputs FILE --endpoint URL --out FILE
//!   actas demo walkthrough --stack FILE
//!
//! AWS credentials, region and endpoint come from the environment, as for any AWS tool.

use std::path::PathBuf;
use std::process::ExitCode;

use actas::api_keys::issue_api_key;
use actas::clock::SystemClock;
use actas::dynamodb::DynamoStore;
use actas::store::ApiKeyStore;
use actas_cli::{call_api, jwt_claims, seed, sign_in, CliResult, StackFile};
use serde_json::json;

const USAGE: &str = "usage:
  actas api-key create --tenant T [--description D] [--table NAME | --stack FILE]
  actas api-key revoke --id ID [--table NAME | --stack FILE]
  actas api-key list --tenant T [--table NAME | --stack FILE]
  actas signing-key rotate [--secret-id ID | --stack FILE]
  actas token decode JWT
  actas demo seed --outputs FILE --endpoint URL --out FILE
  actas demo walkthrough --stack FILE";

struct Args(Vec<String>);

impl Args {
    fn flag(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .cloned()
    }

    fn required(&self, name: &str) -> CliResult<String> {
        self.flag(name)
            .ok_or_else(|| format!("{name} is required\n{USAGE}").into())
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
            let sdk = aws_config::load_from_env().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table()?);
            let description = args.flag("--description").unwrap_or_default();
            let (key, plaintext) = issue_api_key(
                &store,
                &SystemClock,
                &args.required("--tenant")?,
                &description,
            )
            .await?;
            println!(
                "{}",
                json!({"id": key.id, "tenant": key.tenant, "apiKey": plaintext})
            );
            eprintln!("Store the key now: only its hash is kept.");
        }
        ["api-key", "revoke"] => {
            let sdk = aws_config::load_from_env().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table()?);
            let id = args.required("--id")?;
            if !store.revoke_api_key(&id).await? {
                return Err(format!("no API key {id}").into());
            }
            println!("{}", json!({"id": id, "status": "revoked"}));
        }
        ["api-key", "list"] => {
            let sdk = aws_config::load_from_env().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table()?);
            for key in store.list_api_keys(&args.required("--tenant")?).await? {
                let status = format!("{:?}", key.status).to_lowercase();
                println!(
                    "{}",
                    json!({"id": key.id, "tenant": key.tenant, "status": status, "description": key.description})
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
            let sdk = aws_config::load_from_env().await;
            let kid =
                seed::rotate_signing_keys(&aws_sdk_secretsmanager::Client::new(&sdk), &secret_id)
                    .await?;
            println!("{}", json!({"signingKey": kid, "status": "rotated"}));
            eprintln!("New tokens are signed with {kid}; tokens signed with the previous keys still verify.");
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
        ["demo", "seed"] => {
            let sdk = aws_config::load_from_env().await;
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
        ["demo", "walkthrough"] => {
            walkthrough(&StackFile::load(&PathBuf::from(args.required("--stack")?))?).await?
        }
        _ => return Err(USAGE.into()),
    }
    Ok(())
}

/// Shows the main job working against the deployed stack, then how to do it by hand.
async fn walkthrough(stack: &StackFile) -> CliResult<()> {
    let sdk = aws_config::load_from_env().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let http = reqwest::Client::new();
    let admin = stack.user("acme-admin")?;
    let target = stack.user("acme-support-1")?;
    let acme_key = stack.api_keys.get("acme").ok_or("no acme API key")?;

    let signed_in = sign_in(&cognito, stack, &admin.username, &admin.password).await?;
    let body = json!({"username": target.username}).to_string();
    let authorization = format!("Bearer {}", signed_in.id_token);
    let response = call_api(
        &http,
        stack,
        "POST",
        "/auth/impersonate",
        &[("authorization", &authorization), ("x-api-key", acme_key)],
        Some(&body),
    )
    .await?;
    if response.status != 200 {
        return Err(format!(
            "impersonation failed: {} {}",
            response.status, response.body
        )
        .into());
    }
    let id_token = response.body["session"]["authorization"]
        .as_str()
        .ok_or("no id token in payload")?;
    let claims = jwt_claims(id_token)?;

    println!();
    println!("actas is running on the local AWS stack.");
    println!("  API:        {}", stack.api_url);
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
    println!(
        "Just now: {} signed in and impersonated {}:",
        admin.username, target.username
    );
    println!("  POST /auth/impersonate -> {}", response.status);
    println!(
        "  id token sub:              {} ({})",
        claims["sub"], claims["cognito:username"]
    );
    println!("  id token act:              {}", claims["act"]);
    println!(
        "  impersonation id:          {}",
        claims["impersonation_id"]
    );
    println!(
        "  session.expireEpoch:       {}",
        response.body["session"]["expireEpoch"]
    );
    println!();
    println!("Try it yourself (copy and paste):");
    println!();
    println!("  API={}", stack.api_url);
    println!("  ID_TOKEN=$(curl -s {} \\", stack.endpoint);
    println!("    -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \\");
    println!("    -H 'Content-Type: application/x-amz-json-1.1' \\");
    println!(
        "    -d '{{\"AuthFlow\":\"USER_PASSWORD_AUTH\",\"ClientId\":\"{}\",\"AuthParameters\":{{\"USERNAME\":\"{}\",\"PASSWORD\":\"{}\"}}}}' \\",
        stack.sign_in_client_id, admin.username, admin.password
    );
    println!("    | python3 -c 'import sys,json; print(json.load(sys.stdin)[\"AuthenticationResult\"][\"IdToken\"])')");
    println!();
    println!(
        "  curl -s -X POST \"$API/auth/impersonate\" -H \"Authorization: Bearer $ID_TOKEN\" \\"
    );
    println!("    -H 'X-API-Key: {acme_key}' -H 'Content-Type: application/json' \\");
    println!(
        "    -d '{{\"username\":\"{}\"}}' | tee /tmp/actas-session.json",
        target.username
    );
    println!();
    println!(
        "  # the impersonated id token, decoded: sub is {}, act names {}",
        target.username, admin.username
    );
    println!("  python3 -c 'import json,base64; t=json.load(open(\"/tmp/actas-session.json\"))[\"session\"][\"authorization\"].split(\".\")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(t+\"==\")), indent=2))'");
    println!();
    println!("  # seed 000 dialect: by sub, no API key needed");
    println!("  curl -s -X POST \"$API/auth/impersonate?uuid={}\" -H \"Authorization: Bearer $ID_TOKEN\"", target.sub);
    println!();
    println!("Stop the stack with scripts/down.");
    Ok(())
}
