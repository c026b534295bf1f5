//! The requests the adapter sends, read off the SDK's test HTTP client: `UpdateUserPool` must carry
//! the pool's whole configuration back unchanged (AWS resets whatever it is not given), with only
//! `LambdaConfig` new.

use super::*;
use crate::domain::pool_attachment::{attach_plan, ActasTriggers};
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::{json, Value};

const EVERY_SETTING: &str = include_str!("every_setting.json");

fn actas() -> ActasTriggers {
    let arn = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:actas-{name}");
    ActasTriggers {
        define_auth_challenge: arn("define"),
        create_auth_challenge: arn("create"),
        verify_auth_challenge_response: arn("verify"),
        pre_token_generation: arn("pre-token"),
    }
}

fn answer(body: &Value) -> ReplayEvent {
    ReplayEvent::new(
        HttpRequest::new(SdkBody::empty()),
        HttpResponse::new(
            StatusCode::try_from(200).expect("a status"),
            SdkBody::from(body.to_string()),
        ),
    )
}

fn admin(answers: Vec<ReplayEvent>) -> (CognitoUserPoolAdmin, StaticReplayClient) {
    let http = StaticReplayClient::new(answers);
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(http.clone())
        .build();
    (CognitoUserPoolAdmin::new(Client::from_conf(config)), http)
}

/// Describes the pool, attaches actas as `attach_plan` says, and returns the `UpdateUserPool`
/// request's target and body.
async fn attach_to(described: &Value) -> (String, Value) {
    let (admin, http) = admin(vec![
        answer(described),
        answer(described),
        answer(&json!({})),
    ]);
    let pool = admin
        .describe_pool("us-east-1_product")
        .await
        .expect("described")
        .expect("a pool");
    let (attached, _) = attach_plan(&pool.lambda_config, &actas());
    admin
        .replace_lambda_config("us-east-1_product", &attached)
        .await
        .expect("updated");
    let requests: Vec<&HttpRequest> = http.actual_requests().collect();
    assert_eq!(requests.len(), 3, "describe, describe again, update");
    let update = requests[2];
    let target = update
        .headers()
        .get("x-amz-target")
        .unwrap_or_default()
        .to_string();
    let body = serde_json::from_slice(update.body().bytes().expect("an in-memory body"))
        .expect("a JSON body");
    (target, body)
}

fn lambda(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

#[tokio::test]
async fn the_update_carries_every_setting_of_the_pool_and_only_a_new_lambda_config() {
    let described: Value = serde_json::from_str(EVERY_SETTING).expect("fixture");
    let (target, sent) = attach_to(&described).await;
    assert_eq!(target, "AWSCognitoIdentityProviderService.UpdateUserPool");
    let pool = &described["UserPool"];
    let expected = json!({
        "UserPoolId": "us-east-1_product",
        "PoolName": pool["Name"],
        "UserPoolTier": pool["UserPoolTier"],
        "Policies": pool["Policies"],
        "DeletionProtection": pool["DeletionProtection"],
        "LambdaConfig": {
            "PreSignUp": lambda("product-pre-sign-up"),
            "CustomMessage": lambda("product-messages"),
            "PostConfirmation": lambda("product-post-confirmation"),
            "PreAuthentication": lambda("product-pre-auth"),
            "PostAuthentication": lambda("product-post-auth"),
            "DefineAuthChallenge": lambda("actas-define"),
            "CreateAuthChallenge": lambda("actas-create"),
            "VerifyAuthChallengeResponse": lambda("actas-verify"),
            "PreTokenGeneration": lambda("actas-pre-token"),
            "PreTokenGenerationConfig": {"LambdaArn": lambda("actas-pre-token"), "LambdaVersion": "V2_0"},
            "UserMigration": lambda("product-migration"),
            "CustomSMSSender": pool["LambdaConfig"]["CustomSMSSender"],
            "CustomEmailSender": pool["LambdaConfig"]["CustomEmailSender"],
            "KMSKeyID": pool["LambdaConfig"]["KMSKeyID"],
            // Not in actas's LambdaConfig type: carried over from the pool as it is.
            "InboundFederation": pool["LambdaConfig"]["InboundFederation"],
        },
        "AutoVerifiedAttributes": pool["AutoVerifiedAttributes"],
        // The code style is in force: its message and subject, not the link style's; the old
        // top-level names are not sent beside the template.
        "VerificationMessageTemplate": {
            "SmsMessage": pool["VerificationMessageTemplate"]["SmsMessage"],
            "EmailMessage": pool["VerificationMessageTemplate"]["EmailMessage"],
            "EmailSubject": pool["VerificationMessageTemplate"]["EmailSubject"],
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        },
        "SmsAuthenticationMessage": pool["SmsAuthenticationMessage"],
        "UserAttributeUpdateSettings": pool["UserAttributeUpdateSettings"],
        "MfaConfiguration": "OPTIONAL",
        "DeviceConfiguration": pool["DeviceConfiguration"],
        "EmailConfiguration": pool["EmailConfiguration"],
        "SmsConfiguration": pool["SmsConfiguration"],
        "UserPoolTags": {"team": "identity", "cost-center": "42"},
        // TemporaryPasswordValidityDays is set, so the old UnusedAccountValidityDays is not.
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": true,
            "InviteMessageTemplate": pool["AdminCreateUserConfig"]["InviteMessageTemplate"],
        },
        "UserPoolAddOns": pool["UserPoolAddOns"],
        "AccountRecoverySetting": pool["AccountRecoverySetting"],
        "KeyConfiguration": pool["KeyConfiguration"],
        "IssuerConfiguration": pool["IssuerConfiguration"],
        "AcrConfiguration": pool["AcrConfiguration"],
    });
    assert_eq!(
        sent,
        expected,
        "sent:\n{}",
        serde_json::to_string_pretty(&sent).unwrap_or_default()
    );
}

#[tokio::test]
async fn settings_the_pool_does_not_have_are_not_sent() {
    // As the emulator describes a pool made with a password policy and nothing else.
    let described = json!({"UserPool": {
        "Id": "us-east-1_product", "Name": "bare",
        "Policies": {"PasswordPolicy": {
            "MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true,
            "RequireNumbers": true, "RequireSymbols": true, "PasswordHistorySize": 0,
            "TemporaryPasswordValidityDays": 7
        }},
        "DeletionProtection": "INACTIVE",
        "LambdaConfig": {},
        "SchemaAttributes": [{"Name": "sub"}],
        "AutoVerifiedAttributes": [], "AliasAttributes": [], "UsernameAttributes": [],
        "SmsVerificationMessage": "", "EmailVerificationMessage": "",
        "EmailVerificationSubject": "", "SmsAuthenticationMessage": "",
        "MfaConfiguration": "OFF",
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "SmsConfiguration": {},
        "UserPoolTags": {"aws:cloudformation:stack-id": "arn:stack"},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7},
        "AccountRecoverySetting": {},
        "UserPoolTier": "ESSENTIALS"
    }});
    let (_, sent) = attach_to(&described).await;
    let expected = json!({
        "UserPoolId": "us-east-1_product",
        "PoolName": "bare",
        "UserPoolTier": "ESSENTIALS",
        "Policies": {"PasswordPolicy": {
            "MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true,
            "RequireNumbers": true, "RequireSymbols": true, "TemporaryPasswordValidityDays": 7
        }},
        "DeletionProtection": "INACTIVE",
        "LambdaConfig": {
            "DefineAuthChallenge": lambda("actas-define"),
            "CreateAuthChallenge": lambda("actas-create"),
            "VerifyAuthChallengeResponse": lambda("actas-verify"),
            "PreTokenGeneration": lambda("actas-pre-token"),
            "PreTokenGenerationConfig": {"LambdaArn": lambda("actas-pre-token"), "LambdaVersion": "V2_0"},
        },
        "MfaConfiguration": "OFF",
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false},
    });
    assert_eq!(
        sent,
        expected,
        "sent:\n{}",
        serde_json::to_string_pretty(&sent).unwrap_or_default()
    );
}

#[tokio::test]
async fn link_style_verification_sends_the_link_message_and_no_code_message() {
    let described = json!({"UserPool": {
        "Id": "us-east-1_product", "Name": "links",
        "EmailVerificationMessage": "Your code is {####}",
        "EmailVerificationSubject": "Your code",
        "SmsVerificationMessage": "Your code is {####}",
        "VerificationMessageTemplate": {
            "SmsMessage": "Your code is {####}",
            "EmailMessage": "Your code is {####}",
            "EmailSubject": "Your code",
            "EmailMessageByLink": "Please {##verify##}",
            "EmailSubjectByLink": "Verify your address",
            "DefaultEmailOption": "CONFIRM_WITH_LINK"
        },
        "UserPoolTier": "ESSENTIALS"
    }});
    let (_, sent) = attach_to(&described).await;
    assert_eq!(
        sent["VerificationMessageTemplate"],
        json!({
            "SmsMessage": "Your code is {####}",
            "EmailMessageByLink": "Please {##verify##}",
            "EmailSubjectByLink": "Verify your address",
            "DefaultEmailOption": "CONFIRM_WITH_LINK"
        })
    );
    for old_name in [
        "EmailVerificationMessage",
        "EmailVerificationSubject",
        "SmsVerificationMessage",
    ] {
        assert!(sent.get(old_name).is_none(), "{old_name} sent: {sent}");
    }
}

#[tokio::test]
async fn an_old_pool_keeps_its_unused_account_validity_and_its_old_message_names() {
    let described = json!({"UserPool": {
        "Id": "us-east-1_product", "Name": "old",
        "EmailVerificationMessage": "Code {####}",
        "EmailVerificationSubject": "Code",
        "SmsVerificationMessage": "Code {####}",
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true, "UnusedAccountValidityDays": 30},
        "UserPoolTier": "LITE",
        "AcrConfiguration": {"aal1": {"AcrValue": "urn:default"}}
    }});
    let (_, sent) = attach_to(&described).await;
    assert_eq!(
        sent["AdminCreateUserConfig"]["UnusedAccountValidityDays"],
        30
    );
    assert_eq!(sent["EmailVerificationMessage"], "Code {####}");
    assert_eq!(sent["EmailVerificationSubject"], "Code");
    assert_eq!(sent["SmsVerificationMessage"], "Code {####}");
    // A Lite pool's ACR names are the defaults, which it may not name.
    assert!(sent.get("AcrConfiguration").is_none());
}

#[tokio::test]
async fn a_pool_is_described_with_its_tier_triggers_and_attribute_names() {
    let described: Value = serde_json::from_str(EVERY_SETTING).expect("fixture");
    let (admin, _) = admin(vec![answer(&described)]);
    let pool = admin
        .describe_pool("us-east-1_product")
        .await
        .expect("described")
        .expect("a pool");
    assert_eq!(pool.tier.as_deref(), Some("PLUS"));
    assert!(!pool.is_lite());
    assert!(pool.has_attribute("custom:org"));
    assert!(!pool.has_attribute("custom:tenant_id"));
    assert_eq!(
        pool.lambda_config.pre_token().map(|t| t.lambda_version),
        Some("V1_0".to_string())
    );
    assert_eq!(
        pool.lambda_config.kms_key_id.as_deref(),
        Some("arn:aws:kms:us-east-1:123456789012:key/product-senders")
    );
}

#[tokio::test]
async fn a_missing_pool_is_none_and_is_not_updated() {
    let missing = ReplayEvent::new(
        HttpRequest::new(SdkBody::empty()),
        HttpResponse::new(
            StatusCode::try_from(400).expect("a status"),
            SdkBody::from(
                json!({"__type": "ResourceNotFoundException", "message": "User pool does not exist."})
                    .to_string(),
            ),
        ),
    );
    let again = ReplayEvent::new(
        HttpRequest::new(SdkBody::empty()),
        HttpResponse::new(
            StatusCode::try_from(400).expect("a status"),
            SdkBody::from(json!({"__type": "ResourceNotFoundException"}).to_string()),
        ),
    );
    let (admin, http) = admin(vec![missing, again]);
    assert!(admin
        .describe_pool("us-east-1_gone")
        .await
        .expect("no error")
        .is_none());
    let err = admin
        .replace_lambda_config("us-east-1_gone", &LambdaConfig::default())
        .await
        .expect_err("no pool to update");
    assert!(matches!(err, ActasError::NotFound(_)), "{err:?}");
    assert_eq!(http.actual_requests().count(), 2, "no UpdateUserPool");
}
