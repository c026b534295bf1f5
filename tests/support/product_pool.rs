//! A product's own user pool, made the way a product would have made it and not from actas's
//! template: its own attributes (`custom:org`, `custom:dept`), its own groups, the Essentials
//! plan, optional TOTP MFA, a strict password policy, messages, deletion protection, tags, and
//! its own trigger functions (small python3.12 Lambdas): a pre-token V2 function that adds the
//! product's claim and scope and tries to forge actas's, a passwordless custom-auth flow with a
//! fixed code, and a post-authentication function. Issue 17 deploys actas onto such a pool and
//! checks that everything of the product's still works and that leaving puts it back as it was.
//!
//! Every run makes its own (the names carry a random suffix) and `delete` removes it all.

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AdminCreateUserConfigType, AttributeDataType, AttributeType,
    AuthFlowType, ChallengeNameType, DefaultEmailOptionType, DeletionProtectionType,
    DeviceConfigurationType, EmailConfigurationType, EmailSendingAccountType,
    ExplicitAuthFlowsType, LambdaConfigType, MessageActionType, MessageTemplateType,
    PasswordPolicyType, PreTokenGenerationLambdaVersionType, PreTokenGenerationVersionConfigType,
    RecoveryOptionNameType, RecoveryOptionType, ResourceServerScopeType, SchemaAttributeType,
    SoftwareTokenMfaConfigType, StringAttributeConstraintsType, UserAttributeUpdateSettingsType,
    UserPoolMfaType, UserPoolPolicyType, UserPoolTierType, UsernameConfigurationType,
    VerificationMessageTemplateType, VerifiedAttributeType,
};
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use serde_json::{json, Value};

use crate::{jwt_claims, uuid_like};

/// The one-time code of the product's passwordless sign-in (its create function always sets it).
pub const PASSWORDLESS_CODE: &str = "424242";

/// The product's groups: the four the mapping names and one it does not.
pub const PRODUCT_GROUPS: [&str; 5] = ["PlatformAdmins", "Admins", "Support", "TeamLeads", "Beta"];

/// The product's own pre-token generation (V2_0): its claim `plan` in both tokens and its scope
/// `product/api` in the access token, and - to prove actas overrules it - an attempt at every
/// claim and scope that is actas's: `act` and `impersonation_id` suppressed from the id token,
/// `act` forged and `impersonation_id` suppressed in the access token, `impersonation_mode`
/// overridden to `full` in both, Cognito self-service and actas's write scope added. No claim is
/// both added and suppressed in one token, so the answer is one AWS itself accepts.
const PRE_TOKEN_PY: &str = r#"
def handler(event, context):
    event["response"] = {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {"plan": "gold", "impersonation_mode": "full"},
                "claimsToSuppress": ["act", "impersonation_id"],
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {
                    "plan": "gold",
                    "impersonation_mode": "full",
                    "act": {"sub": "forged"},
                },
                "claimsToSuppress": ["impersonation_id"],
                "scopesToAdd": ["product/api", "aws.cognito.signin.user.admin", "actas/write"],
            },
        }
    }
    return event
"#;

/// Passwordless sign-in, step one: one challenge, tokens after one correct answer, and a wrong
/// answer ends the attempt.
const DEFINE_PY: &str = r#"
def handler(event, context):
    session = event["request"].get("session") or []
    response = event.setdefault("response", {})
    if not session:
        response.update(challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False)
    elif session[-1].get("challengeName") == "CUSTOM_CHALLENGE" and session[-1].get("challengeResult"):
        response.update(issueTokens=True, failAuthentication=False)
    else:
        response.update(issueTokens=False, failAuthentication=True)
    return event
"#;

const CREATE_PY: &str = r#"
def handler(event, context):
    response = event.setdefault("response", {})
    response["publicChallengeParameters"] = {"delivery": "email"}
    response["privateChallengeParameters"] = {"code": "424242"}
    response["challengeMetadata"] = "PRODUCT_CODE"
    return event
"#;

const VERIFY_PY: &str = r#"
def handler(event, context):
    request = event["request"]
    expected = (request.get("privateChallengeParameters") or {}).get("code")
    event.setdefault("response", {})["answerCorrect"] = (
        expected is not None and request.get("challengeAnswer") == expected
    )
    return event
"#;

/// The product's post-authentication function: records nothing, answers the event.
const POST_AUTHENTICATION_PY: &str = r#"
def handler(event, context):
    return event
"#;

/// A user of the product's pool.
#[derive(Debug, Clone)]
pub struct ProductUser {
    pub username: String,
    pub password: String,
    pub sub: String,
    pub email: String,
    pub org: String,
    pub dept: Option<String>,
    pub group: Option<String>,
}

/// The product's trigger functions (ARNs).
#[derive(Debug, Clone, Default)]
pub struct ProductFunctions {
    pub pre_token_generation: String,
    pub define_auth_challenge: String,
    pub create_auth_challenge: String,
    pub verify_auth_challenge_response: String,
    pub post_authentication: String,
}

impl ProductFunctions {
    pub fn arns(&self) -> [&str; 5] {
        [
            &self.pre_token_generation,
            &self.define_auth_challenge,
            &self.create_auth_challenge,
            &self.verify_auth_challenge_response,
            &self.post_authentication,
        ]
    }
}

/// What a test may vary about the product's pool; the default is the whole product.
#[derive(Debug, Clone)]
pub struct ProductPoolShape {
    /// `ESSENTIALS`, `PLUS` or `LITE` (a Lite pool gets no pre-token trigger: Lite has no V2).
    pub tier: &'static str,
    pub groups: Vec<&'static str>,
    /// Custom attributes without the `custom:` prefix.
    pub custom_attributes: Vec<&'static str>,
    /// The product's users (one per role, two members, one of another organisation).
    pub users: bool,
}

impl Default for ProductPoolShape {
    fn default() -> Self {
        ProductPoolShape {
            tier: "ESSENTIALS",
            groups: PRODUCT_GROUPS.to_vec(),
            custom_attributes: vec!["org", "dept"],
            users: true,
        }
    }
}

/// (username, org, dept, group) of the product's users.
const PRODUCT_USERS: [(&str, &str, Option<&str>, Option<&str>); 7] = [
    ("initech-platform", "initech", None, Some("PlatformAdmins")),
    ("initech-admin", "initech", None, Some("Admins")),
    ("initech-support", "initech", None, Some("Support")),
    ("initech-lead", "initech", Some("tps"), Some("TeamLeads")),
    ("initech-user-1", "initech", Some("tps"), None),
    ("initech-user-2", "initech", Some("tps"), None),
    ("umbrella-user", "umbrella", Some("tps"), None),
];

/// The product's users' password: 14+ characters with every class, as its policy demands.
pub const PRODUCT_PASSWORD: &str = "Product-Passw0rd!2026";
/// What they are created with (the policy holds for temporary passwords too).
const TEMPORARY_PASSWORD: &str = "Temporary-Passw0rd!2026";

pub struct ProductPool {
    pub name: String,
    pub pool_id: String,
    pub pool_arn: String,
    /// The product's own app client (`product-web`, no secret).
    pub client_id: String,
    pub users: BTreeMap<String, ProductUser>,
    pub functions: ProductFunctions,
    role_name: String,
    function_names: Vec<String>,
    cognito: Cognito,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
    sdk: aws_config::SdkConfig,
    deleted: bool,
}

/// Tokens of a sign-in on the product's client.
#[derive(Debug, Clone)]
pub struct ProductTokens {
    pub id_token: String,
    pub access_token: String,
}

impl ProductTokens {
    pub fn id_claims(&self) -> Value {
        jwt_claims(&self.id_token).expect("an id token")
    }
    pub fn access_claims(&self) -> Value {
        jwt_claims(&self.access_token).expect("an access token")
    }
    pub fn scopes(&self) -> Vec<String> {
        scopes_of(&self.access_token)
    }
}

/// The scopes of an access token.
pub fn scopes_of(access_token: &str) -> Vec<String> {
    jwt_claims(access_token).expect("an access token")["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

impl ProductPool {
    /// The whole product: pool, functions, groups, client and users.
    pub async fn create(sdk: &aws_config::SdkConfig) -> ProductPool {
        ProductPool::create_shaped(sdk, ProductPoolShape::default()).await
    }

    pub async fn create_shaped(
        sdk: &aws_config::SdkConfig,
        shape: ProductPoolShape,
    ) -> ProductPool {
        let suffix = &uuid_like()[..10];
        let name = format!("product-{suffix}");
        let cognito = Cognito::new(sdk);
        let lambda = aws_sdk_lambda::Client::new(sdk);
        let iam = aws_sdk_iam::Client::new(sdk);
        let role_name = format!("{name}-triggers");
        let role_arn = create_role(&iam, &role_name).await;

        let mut function_names = Vec::new();
        let mut function = |what: &str| {
            let fname = format!("{name}-{what}");
            function_names.push(fname.clone());
            fname
        };
        let names = [
            function("pre-token"),
            function("define-auth"),
            function("create-auth"),
            function("verify-auth"),
            function("post-auth"),
        ];
        let sources = [
            PRE_TOKEN_PY,
            DEFINE_PY,
            CREATE_PY,
            VERIFY_PY,
            POST_AUTHENTICATION_PY,
        ];
        let mut arns = Vec::new();
        for (fname, source) in names.iter().zip(sources) {
            arns.push(create_python_function(&lambda, fname, &role_arn, source).await);
        }
        let functions = ProductFunctions {
            pre_token_generation: arns[0].clone(),
            define_auth_challenge: arns[1].clone(),
            create_auth_challenge: arns[2].clone(),
            verify_auth_challenge_response: arns[3].clone(),
            post_authentication: arns[4].clone(),
        };

        let pool = create_user_pool(&cognito, &name, &shape, &functions).await;
        let pool_id = pool.0;
        let pool_arn = pool.1;
        // Optional TOTP, as the product's users may turn it on.
        cognito
            .set_user_pool_mfa_config()
            .user_pool_id(&pool_id)
            .software_token_mfa_configuration(
                SoftwareTokenMfaConfigType::builder().enabled(true).build(),
            )
            .mfa_configuration(UserPoolMfaType::Optional)
            .send()
            .await
            .unwrap_or_else(|e| panic!("SetUserPoolMfaConfig: {}", DisplayErrorContext(&e)));
        // Cognito may call the product's functions (on AWS it checks; the emulator does not).
        for fname in &function_names {
            lambda
                .add_permission()
                .function_name(fname)
                .statement_id("cognito-idp")
                .action("lambda:InvokeFunction")
                .principal("cognito-idp.amazonaws.com")
                .source_arn(&pool_arn)
                .send()
                .await
                .unwrap_or_else(|e| panic!("AddPermission {fname}: {}", DisplayErrorContext(&e)));
        }
        for group in &shape.groups {
            cognito
                .create_group()
                .user_pool_id(&pool_id)
                .group_name(*group)
                .description(format!("The product's {group}"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateGroup {group}: {}", DisplayErrorContext(&e)));
        }
        cognito
            .create_resource_server()
            .user_pool_id(&pool_id)
            .identifier("product")
            .name("The product's API")
            .scopes(
                ResourceServerScopeType::builder()
                    .scope_name("api")
                    .scope_description("The product's API")
                    .build()
                    .expect("scope"),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateResourceServer: {}", DisplayErrorContext(&e)));
        let client = cognito
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name("product-web")
            .generate_secret(false)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowCustomAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateUserPoolClient: {}", DisplayErrorContext(&e)));
        let client_id = client
            .user_pool_client()
            .and_then(|c| c.client_id())
            .expect("a client id")
            .to_string();

        let mut product = ProductPool {
            name,
            pool_id,
            pool_arn,
            client_id,
            users: BTreeMap::new(),
            functions,
            role_name,
            function_names,
            cognito,
            lambda,
            iam,
            sdk: sdk.clone(),
            deleted: false,
        };
        if shape.users {
            for (username, org, dept, group) in PRODUCT_USERS {
                let group = group.filter(|g| shape.groups.contains(g));
                let user = product.create_user(username, org, dept, group).await;
                product.users.insert(username.to_string(), user);
            }
        }
        product
    }

    /// Another python3.12 function (`index.py` is `source`) under the product's role, deleted with
    /// the pool: e.g. stand-ins for another deployment's triggers. Its ARN.
    pub async fn add_function(&mut self, what: &str, source: &str) -> String {
        let name = format!("{}-{what}", self.name);
        let role_arn = self
            .iam
            .get_role()
            .role_name(&self.role_name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetRole: {}", DisplayErrorContext(&e)))
            .role()
            .map(|r| r.arn().to_string())
            .expect("a role");
        let arn = create_python_function(&self.lambda, &name, &role_arn, source).await;
        self.function_names.push(name);
        arn
    }

    pub fn user(&self, username: &str) -> &ProductUser {
        self.users
            .get(username)
            .unwrap_or_else(|| panic!("no product user {username}"))
    }

    async fn create_user(
        &self,
        username: &str,
        org: &str,
        dept: Option<&str>,
        group: Option<&str>,
    ) -> ProductUser {
        let email = format!("{username}@{org}.example");
        let attr = |n: &str, v: &str| {
            AttributeType::builder()
                .name(n)
                .value(v)
                .build()
                .expect("attribute")
        };
        let mut attributes = vec![
            attr("email", &email),
            attr("email_verified", "true"),
            attr("custom:org", org),
        ];
        if let Some(dept) = dept {
            attributes.push(attr("custom:dept", dept));
        }
        self.cognito
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .temporary_password(TEMPORARY_PASSWORD)
            .set_user_attributes(Some(attributes))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminCreateUser {username}: {}", DisplayErrorContext(&e)));
        self.cognito
            .admin_set_user_password()
            .user_pool_id(&self.pool_id)
            .username(username)
            .password(PRODUCT_PASSWORD)
            .permanent(true)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "AdminSetUserPassword {username}: {}",
                    DisplayErrorContext(&e)
                )
            });
        if let Some(group) = group {
            self.cognito
                .admin_add_user_to_group()
                .user_pool_id(&self.pool_id)
                .username(username)
                .group_name(group)
                .send()
                .await
                .unwrap_or_else(|e| panic!("AdminAddUserToGroup: {}", DisplayErrorContext(&e)));
        }
        let read = self
            .cognito
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminGetUser {username}: {}", DisplayErrorContext(&e)));
        let sub = read
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .expect("a sub")
            .to_string();
        ProductUser {
            username: username.to_string(),
            password: PRODUCT_PASSWORD.to_string(),
            sub,
            email,
            org: org.to_string(),
            dept: dept.map(str::to_string),
            group: group.map(str::to_string),
        }
    }

    /// A password sign-in on the product's own client (`product-web`).
    pub async fn sign_in(&self, username: &str) -> Result<ProductTokens, String> {
        let user = self.user(username);
        let output = self
            .cognito
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &user.username)
            .auth_parameters("PASSWORD", &user.password)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        tokens_of(output.authentication_result())
    }

    /// The product's passwordless sign-in on its own client: `CUSTOM_AUTH`, then the code.
    pub async fn passwordless(&self, username: &str, code: &str) -> Result<ProductTokens, String> {
        let started = self
            .cognito
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::CustomAuth)
            .auth_parameters("USERNAME", username)
            .send()
            .await
            .map_err(|e| format!("InitiateAuth: {}", DisplayErrorContext(&e)))?;
        if started.challenge_name() != Some(&ChallengeNameType::CustomChallenge) {
            return Err(format!(
                "no custom challenge: {:?} {:?}",
                started.challenge_name(),
                started.challenge_parameters()
            ));
        }
        let answered = self
            .cognito
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::CustomChallenge)
            .set_session(started.session().map(str::to_string))
            .challenge_responses("USERNAME", username)
            .challenge_responses("ANSWER", code)
            .send()
            .await
            .map_err(|e| format!("RespondToAuthChallenge: {}", DisplayErrorContext(&e)))?;
        tokens_of(answered.authentication_result())
    }

    /// The pool as `DescribeUserPool` and `GetUserPoolMfaConfig` tell it, without timestamps.
    pub async fn snapshot(&self) -> Value {
        pool_snapshot(&self.cognito, &self.pool_id).await
    }

    /// Deletion protection off, then the pool, its functions and their role.
    pub async fn delete(mut self) {
        let failures = delete_everything(
            &self.cognito,
            &self.lambda,
            &self.iam,
            &self.pool_id,
            &self.function_names,
            &self.role_name,
        )
        .await;
        self.deleted = true;
        assert!(failures.is_empty(), "deleting the product: {failures:?}");
    }
}

/// A test that failed before `delete` still removes what it made: from a thread of its own with
/// a runtime and an HTTP client of its own (the test's runtime is unwinding).
impl Drop for ProductPool {
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        let sdk = self
            .sdk
            .to_builder()
            .http_client(actas::adapters::https::https_client())
            .build();
        let (pool_id, functions, role) = (
            self.pool_id.clone(),
            self.function_names.clone(),
            self.role_name.clone(),
        );
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                delete_everything(
                    &Cognito::new(&sdk),
                    &aws_sdk_lambda::Client::new(&sdk),
                    &aws_sdk_iam::Client::new(&sdk),
                    &pool_id,
                    &functions,
                    &role,
                )
                .await
            })
        });
        match cleanup.join() {
            Ok(failures) if failures.is_empty() => {}
            outcome => eprintln!(
                "product pool {}: cleanup incomplete: {outcome:?}",
                self.pool_id
            ),
        }
    }
}

/// Deletes the pool (protection off first), the functions and the role; what failed.
async fn delete_everything(
    cognito: &Cognito,
    lambda: &aws_sdk_lambda::Client,
    iam: &aws_sdk_iam::Client,
    pool_id: &str,
    function_names: &[String],
    role_name: &str,
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut note = |what: &str, e: &dyn std::fmt::Display| failures.push(format!("{what}: {e}"));
    if let Err(e) = cognito
        .update_user_pool()
        .user_pool_id(pool_id)
        .deletion_protection(DeletionProtectionType::Inactive)
        .send()
        .await
    {
        note("UpdateUserPool (protection off)", &DisplayErrorContext(&e));
    }
    if let Err(e) = cognito
        .delete_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
    {
        note("DeleteUserPool", &DisplayErrorContext(&e));
    }
    for name in function_names {
        if let Err(e) = lambda.delete_function().function_name(name).send().await {
            note(&format!("DeleteFunction {name}"), &DisplayErrorContext(&e));
        }
    }
    if let Err(e) = iam
        .delete_role_policy()
        .role_name(role_name)
        .policy_name(TRIGGER_POLICY)
        .send()
        .await
    {
        note("DeleteRolePolicy", &DisplayErrorContext(&e));
    }
    if let Err(e) = iam.delete_role().role_name(role_name).send().await {
        note("DeleteRole", &DisplayErrorContext(&e));
    }
    failures
}

fn tokens_of(
    result: Option<&aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
) -> Result<ProductTokens, String> {
    let result = result.ok_or("no tokens")?;
    Ok(ProductTokens {
        id_token: result.id_token().ok_or("no id token")?.to_string(),
        access_token: result.access_token().ok_or("no access token")?.to_string(),
    })
}

const TRIGGER_POLICY: &str = "write-logs";

/// A role Lambda may assume; the product's functions only write logs.
async fn create_role(iam: &aws_sdk_iam::Client, role_name: &str) -> String {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }],
    });
    let role = iam
        .create_role()
        .role_name(role_name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRole: {}", DisplayErrorContext(&e)));
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }],
    });
    iam.put_role_policy()
        .role_name(role_name)
        .policy_name(TRIGGER_POLICY)
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutRolePolicy: {}", DisplayErrorContext(&e)));
    role.role().map(|r| r.arn().to_string()).expect("a role")
}

/// A python3.12 function whose `index.py` is `source`; its ARN.
pub async fn create_python_function(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
    role_arn: &str,
    source: &str,
) -> String {
    use aws_sdk_lambda::primitives::Blob;
    use aws_sdk_lambda::types::{FunctionCode, Runtime};
    let output = lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Python312)
        .role(role_arn)
        .handler("index.handler")
        .timeout(10)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(stored_zip("index.py", source.as_bytes())))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateFunction {name}: {}", DisplayErrorContext(&e)));
    output.function_arn().expect("a function ARN").to_string()
}

async fn create_user_pool(
    cognito: &Cognito,
    name: &str,
    shape: &ProductPoolShape,
    functions: &ProductFunctions,
) -> (String, String) {
    let lite = shape.tier.eq_ignore_ascii_case("LITE");
    let password_policy = PasswordPolicyType::builder()
        .minimum_length(14)
        .require_uppercase(true)
        .require_lowercase(true)
        .require_numbers(true)
        .require_symbols(true)
        .temporary_password_validity_days(3)
        .build();
    let mut lambda_config = LambdaConfigType::builder()
        .define_auth_challenge(&functions.define_auth_challenge)
        .create_auth_challenge(&functions.create_auth_challenge)
        .verify_auth_challenge_response(&functions.verify_auth_challenge_response)
        .post_authentication(&functions.post_authentication);
    if !lite {
        // AWS keeps the V1 field equal to the versioned one; set both as it would report them.
        lambda_config = lambda_config
            .pre_token_generation(&functions.pre_token_generation)
            .pre_token_generation_config(
                PreTokenGenerationVersionConfigType::builder()
                    .lambda_arn(&functions.pre_token_generation)
                    .lambda_version(PreTokenGenerationLambdaVersionType::V20)
                    .build()
                    .expect("pre-token config"),
            );
    }
    let string_attribute = |attribute: &str| {
        SchemaAttributeType::builder()
            .name(attribute)
            .attribute_data_type(AttributeDataType::String)
            .mutable(true)
            .required(false)
            .developer_only_attribute(false)
            .string_attribute_constraints(
                StringAttributeConstraintsType::builder()
                    .min_length("1")
                    .max_length("64")
                    .build(),
            )
            .build()
    };
    let mut tags = std::collections::HashMap::new();
    tags.insert("product".to_string(), "initech-portal".to_string());
    tags.insert("cost-center".to_string(), "tps-42".to_string());
    let output = cognito
        .create_user_pool()
        .pool_name(name)
        .user_pool_tier(UserPoolTierType::from(shape.tier))
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(password_policy)
                .build(),
        )
        .set_schema(Some(
            shape
                .custom_attributes
                .iter()
                .map(|a| string_attribute(a))
                .collect(),
        ))
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .verification_message_template(
            VerificationMessageTemplateType::builder()
                .default_email_option(DefaultEmailOptionType::ConfirmWithCode)
                .email_subject("Your Initech verification code")
                .email_message("Your Initech verification code is {####}.")
                .build(),
        )
        .email_configuration(
            EmailConfigurationType::builder()
                .email_sending_account(EmailSendingAccountType::CognitoDefault)
                .reply_to_email_address("support@initech.example")
                .build(),
        )
        .admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(true)
                .invite_message_template(
                    MessageTemplateType::builder()
                        .email_subject("Welcome to Initech")
                        .email_message("Hello {username}, your first password is {####}.")
                        .build(),
                )
                .build(),
        )
        .account_recovery_setting(
            AccountRecoverySettingType::builder()
                .recovery_mechanisms(
                    RecoveryOptionType::builder()
                        .priority(1)
                        .name(RecoveryOptionNameType::VerifiedEmail)
                        .build()
                        .expect("recovery option"),
                )
                .build(),
        )
        .user_attribute_update_settings(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        )
        .username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(false)
                .build()
                .expect("username configuration"),
        )
        .device_configuration(
            DeviceConfigurationType::builder()
                .challenge_required_on_new_device(true)
                .device_only_remembered_on_user_prompt(true)
                .build(),
        )
        .deletion_protection(DeletionProtectionType::Active)
        .set_user_pool_tags(Some(tags))
        .lambda_config(lambda_config.build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateUserPool: {}", DisplayErrorContext(&e)));
    let pool = output.user_pool().expect("a pool");
    (
        pool.id().expect("a pool id").to_string(),
        pool.arn().expect("a pool ARN").to_string(),
    )
}

// ---------------------------------------------------------------------------------- snapshot

/// Everything `DescribeUserPool` and `GetUserPoolMfaConfig` report of a pool, as JSON, with the
/// two timestamps (`CreationDate`, `LastModifiedDate`) left out: equal snapshots before and after
/// mean nothing about the pool changed. The SDK's types are not `Serialize`, so each field is
/// read by name; absent and empty stay distinct (`null` vs `""`/`[]`).
pub async fn pool_snapshot(cognito: &Cognito, pool_id: &str) -> Value {
    let described = cognito
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeUserPool: {}", DisplayErrorContext(&e)));
    let pool = described.user_pool().expect("a pool");
    let mfa = cognito
        .get_user_pool_mfa_config()
        .user_pool_id(pool_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetUserPoolMfaConfig: {}", DisplayErrorContext(&e)));
    json!({
        "DescribeUserPool": describe_json(pool),
        "GetUserPoolMfaConfig": {
            "MfaConfiguration": mfa.mfa_configuration().map(|m| m.as_str()),
            "SmsMfaConfiguration": mfa.sms_mfa_configuration().map(|s| json!({
                "SmsAuthenticationMessage": s.sms_authentication_message(),
                "SmsConfiguration": s.sms_configuration().map(sms_configuration),
            })),
            "SoftwareTokenMfaConfiguration": mfa.software_token_mfa_configuration()
                .map(|s| json!({"Enabled": s.enabled()})),
            "EmailMfaConfiguration": mfa.email_mfa_configuration()
                .map(|e| json!({"Message": e.message(), "Subject": e.subject()})),
            "WebAuthnConfiguration": mfa.web_authn_configuration().map(|w| json!({
                "RelyingPartyId": w.relying_party_id(),
                "UserVerification": w.user_verification().map(|u| u.as_str()),
                "FactorConfiguration": w.factor_configuration().map(|f| f.as_str()),
            })),
        },
    })
}

fn describe_json(pool: &aws_sdk_cognitoidentityprovider::types::UserPoolType) -> Value {
    let enums = |values: Vec<&str>| json!(values);
    json!({
        "Id": pool.id(),
        "Name": pool.name(),
        "Arn": pool.arn(),
                "Policies": pool.policies().map(|p| json!({
            "PasswordPolicy": p.password_policy().map(|pp| json!({
                "MinimumLength": pp.minimum_length(),
                "RequireUppercase": pp.require_uppercase(),
                "RequireLowercase": pp.require_lowercase(),
                "RequireNumbers": pp.require_numbers(),
                "RequireSymbols": pp.require_symbols(),
                "PasswordHistorySize": pp.password_history_size(),
                "TemporaryPasswordValidityDays": pp.temporary_password_validity_days(),
            })),
            "SignInPolicy": p.sign_in_policy().map(|s| json!({
                "AllowedFirstAuthFactors": s.allowed_first_auth_factors.as_ref()
                    .map(|f| f.iter().map(|f| f.as_str()).collect::<Vec<_>>()),
            })),
        })),
        "DeletionProtection": pool.deletion_protection().map(|d| d.as_str()),
        "LambdaConfig": pool.lambda_config().map(lambda_config_json),
        "SchemaAttributes": pool.schema_attributes().iter().map(|a| json!({
            "Name": a.name(),
            "AttributeDataType": a.attribute_data_type().map(|t| t.as_str()),
            "DeveloperOnlyAttribute": a.developer_only_attribute(),
            "Mutable": a.mutable(),
            "Required": a.required(),
            "NumberAttributeConstraints": a.number_attribute_constraints().map(|c| json!({
                "MinValue": c.min_value(), "MaxValue": c.max_value(),
            })),
            "StringAttributeConstraints": a.string_attribute_constraints().map(|c| json!({
                "MinLength": c.min_length(), "MaxLength": c.max_length(),
            })),
        })).collect::<Vec<_>>(),
        "AutoVerifiedAttributes": enums(pool.auto_verified_attributes().iter().map(|a| a.as_str()).collect()),
        "AliasAttributes": enums(pool.alias_attributes().iter().map(|a| a.as_str()).collect()),
        "UsernameAttributes": enums(pool.username_attributes().iter().map(|a| a.as_str()).collect()),
        "SmsVerificationMessage": pool.sms_verification_message(),
        "EmailVerificationMessage": pool.email_verification_message(),
        "EmailVerificationSubject": pool.email_verification_subject(),
        "VerificationMessageTemplate": pool.verification_message_template().map(|t| json!({
            "SmsMessage": t.sms_message(),
            "EmailMessage": t.email_message(),
            "EmailSubject": t.email_subject(),
            "EmailMessageByLink": t.email_message_by_link(),
            "EmailSubjectByLink": t.email_subject_by_link(),
            "DefaultEmailOption": t.default_email_option().map(|o| o.as_str()),
        })),
        "SmsAuthenticationMessage": pool.sms_authentication_message(),
        "UserAttributeUpdateSettings": pool.user_attribute_update_settings().map(|s| json!({
            "AttributesRequireVerificationBeforeUpdate": s
                .attributes_require_verification_before_update().iter()
                .map(|a| a.as_str()).collect::<Vec<_>>(),
        })),
        "MfaConfiguration": pool.mfa_configuration().map(|m| m.as_str()),
        "DeviceConfiguration": pool.device_configuration().map(|d| json!({
            "ChallengeRequiredOnNewDevice": d.challenge_required_on_new_device(),
            "DeviceOnlyRememberedOnUserPrompt": d.device_only_remembered_on_user_prompt(),
        })),
        "EstimatedNumberOfUsers": pool.estimated_number_of_users(),
        "EmailConfiguration": pool.email_configuration().map(|e| json!({
            "SourceArn": e.source_arn(),
            "ReplyToEmailAddress": e.reply_to_email_address(),
            "EmailSendingAccount": e.email_sending_account().map(|a| a.as_str()),
            "From": e.from(),
            "ConfigurationSet": e.configuration_set(),
        })),
        "SmsConfiguration": pool.sms_configuration().map(sms_configuration),
        "UserPoolTags": pool.user_pool_tags().map(|tags| {
            tags.iter().collect::<BTreeMap<_, _>>()
        }),
        "SmsConfigurationFailure": pool.sms_configuration_failure(),
        "EmailConfigurationFailure": pool.email_configuration_failure(),
        "Domain": pool.domain(),
        "CustomDomain": pool.custom_domain(),
        "AdminCreateUserConfig": pool.admin_create_user_config().map(|c| json!({
            "AllowAdminCreateUserOnly": c.allow_admin_create_user_only(),
            "UnusedAccountValidityDays": c.unused_account_validity_days(),
            "InviteMessageTemplate": c.invite_message_template().map(|t| json!({
                "SmsMessage": t.sms_message(),
                "EmailMessage": t.email_message(),
                "EmailSubject": t.email_subject(),
            })),
        })),
        "UserPoolAddOns": pool.user_pool_add_ons().map(|a| json!({
            "AdvancedSecurityMode": a.advanced_security_mode().as_str(),
            "AdvancedSecurityAdditionalFlows": a.advanced_security_additional_flows().map(|f| json!({
                "CustomAuthMode": f.custom_auth_mode().map(|m| m.as_str()),
            })),
        })),
        "UsernameConfiguration": pool.username_configuration()
            .map(|u| json!({"CaseSensitive": u.case_sensitive()})),
        "AccountRecoverySetting": pool.account_recovery_setting().map(|r| json!({
            "RecoveryMechanisms": r.recovery_mechanisms().iter().map(|m| json!({
                "Priority": m.priority(),
                "Name": m.name().as_str(),
            })).collect::<Vec<_>>(),
        })),
        "UserPoolTier": pool.user_pool_tier().map(|t| t.as_str()),
        "KeyConfiguration": pool.key_configuration().map(|k| json!({
            "KeyType": k.key_type().map(|t| t.as_str()),
            "KmsKeyArn": k.kms_key_arn(),
        })),
        "IssuerConfiguration": pool.issuer_configuration()
            .map(|i| json!({"Type": i.r#type().map(|t| t.as_str())})),
        "AcrConfiguration": pool.acr_configuration().map(|acr| {
            acr.iter()
                .map(|(k, v)| (k.clone(), v.acr_value().to_string()))
                .collect::<BTreeMap<_, _>>()
        }),
    })
}

/// Every slot of a `LambdaConfig` (absent slots as `null`).
pub fn lambda_config_json(c: &LambdaConfigType) -> Value {
    json!({
        "PreSignUp": c.pre_sign_up(),
        "CustomMessage": c.custom_message(),
        "PostConfirmation": c.post_confirmation(),
        "PreAuthentication": c.pre_authentication(),
        "PostAuthentication": c.post_authentication(),
        "DefineAuthChallenge": c.define_auth_challenge(),
        "CreateAuthChallenge": c.create_auth_challenge(),
        "VerifyAuthChallengeResponse": c.verify_auth_challenge_response(),
        "PreTokenGeneration": c.pre_token_generation(),
        "PreTokenGenerationConfig": c.pre_token_generation_config().map(|t| json!({
            "LambdaArn": t.lambda_arn(),
            "LambdaVersion": t.lambda_version().as_str(),
        })),
        "UserMigration": c.user_migration(),
        "CustomSMSSender": c.custom_sms_sender().map(|t| json!({
            "LambdaArn": t.lambda_arn(),
            "LambdaVersion": t.lambda_version().as_str(),
        })),
        "CustomEmailSender": c.custom_email_sender().map(|t| json!({
            "LambdaArn": t.lambda_arn(),
            "LambdaVersion": t.lambda_version().as_str(),
        })),
        "KMSKeyID": c.kms_key_id(),
        "InboundFederation": c.inbound_federation().map(|t| json!({
            "LambdaArn": t.lambda_arn(),
            "LambdaVersion": t.lambda_version().as_str(),
        })),
    })
}

fn sms_configuration(s: &aws_sdk_cognitoidentityprovider::types::SmsConfigurationType) -> Value {
    json!({
        "SnsCallerArn": s.sns_caller_arn(),
        "ExternalId": s.external_id(),
        "SnsRegion": s.sns_region(),
        "EumsSms": s.eums_sms().map(|e| format!("{e:?}")),
    })
}

/// The paths (`/DescribeUserPool/Policies/...`) where two snapshots differ, each with both
/// values: an assertion message that says what changed, not two pages of JSON.
pub fn snapshot_differences(before: &Value, after: &Value) -> Vec<String> {
    let mut differences = Vec::new();
    diff(before, after, String::new(), &mut differences);
    differences
}

fn diff(before: &Value, after: &Value, path: String, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let null = Value::Null;
                diff(
                    a.get(key).unwrap_or(&null),
                    b.get(key).unwrap_or(&null),
                    format!("{path}/{key}"),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, format!("{path}/{i}"), out);
            }
        }
        _ if before != after => out.push(format!("{path}: {before} -> {after}")),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------- zip

/// A zip archive of one file, stored (not compressed): what `CreateFunction` takes, without a
/// zip library.
pub fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data);
    let size = u32::try_from(data.len()).expect("a small file");
    let name_len = u16::try_from(name.len()).expect("a short name");
    // 1980-01-01 00:00 in DOS format; some readers refuse a zero date.
    let (time, date) = (0u16, 0x0021u16);
    let mut out = Vec::new();
    let local = |out: &mut Vec<u8>| {
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&time.to_le_bytes());
        out.extend_from_slice(&date.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name.as_bytes());
    };
    local(&mut out);
    out.extend_from_slice(data);
    let central_offset = u32::try_from(out.len()).expect("small");
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&0x031eu16.to_le_bytes()); // made by: Unix, 3.0
    out.extend_from_slice(&20u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&time.to_le_bytes());
    out.extend_from_slice(&date.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    out.extend_from_slice(&0u16.to_le_bytes()); // disk
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes()); // -rw-r--r--
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name.as_bytes());
    let central_size = u32::try_from(out.len()).expect("small") - central_offset;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_of_the_check_string() {
        assert_eq!(super::crc32(b"123456789"), 0xcbf4_3926);
    }
}
