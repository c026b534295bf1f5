//! The Cognito adapter of the pool administration port: reading a pool actas joins, its groups
//! and resource servers, and replacing its triggers.
//!
//! `UpdateUserPool` sets every setting it is not given back to its default (AWS's API reference;
//! the local emulator merges instead, so only a test of the request itself catches a miss). So
//! `replace_lambda_config` reads the pool fresh and sends back every setting the update accepts,
//! as the pool has it, with only `LambdaConfig` replaced. Values the pool does not really have
//! are left out: the emulator reports them as empties (`""`, `{}`) that AWS would refuse.

use crate::domain::error::{ActasError, Result};
use crate::domain::pool_attachment::{
    LambdaConfig, PoolDescription, ResourceServer, VersionedTrigger, RESOURCE_SERVER_SCOPES,
};
use crate::ports::pool::UserPoolAdmin;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cognitoidentityprovider::operation::update_user_pool::builders::UpdateUserPoolFluentBuilder;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, CustomEmailLambdaVersionConfigType,
    CustomEmailSenderLambdaVersionType, CustomSmsLambdaVersionConfigType,
    CustomSmsSenderLambdaVersionType, DefaultEmailOptionType, EmailConfigurationType,
    LambdaConfigType, MessageTemplateType, PasswordPolicyType, PreTokenGenerationLambdaVersionType,
    PreTokenGenerationVersionConfigType, ResourceServerScopeType, SmsConfigurationType,
    UserPoolAddOnsType, UserPoolPolicyType, UserPoolType, VerificationMessageTemplateType,
};
use aws_sdk_cognitoidentityprovider::Client;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use tracing::warn;

pub struct CognitoUserPoolAdmin {
    client: Client,
}

impl CognitoUserPoolAdmin {
    pub fn new(client: Client) -> Self {
        CognitoUserPoolAdmin { client }
    }

    /// The pool as Cognito describes it; `None` when there is no such pool.
    async fn read_pool(&self, user_pool_id: &str) -> Result<Option<UserPoolType>> {
        match self
            .client
            .describe_user_pool()
            .user_pool_id(user_pool_id)
            .send()
            .await
        {
            Ok(output) => Ok(output.user_pool),
            Err(err) if is_not_found(&err) => Ok(None),
            Err(err) => Err(upstream("DescribeUserPool", err)),
        }
    }
}

fn upstream<E>(operation: &str, err: E) -> ActasError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let code = err.code().unwrap_or("unknown").to_string();
    warn!(operation, code, error = %DisplayErrorContext(&err), "Cognito call failed");
    // The message is kept: an operator reads it (`actas pool attach`, the stack's event), and
    // AWS's text says which setting it refused.
    let message = err.message().unwrap_or_default().to_string();
    ActasError::Upstream(format!("{operation}: {code} {message}").trim().to_string())
}

fn is_not_found<E: ProvideErrorMetadata>(err: &E) -> bool {
    err.code() == Some("ResourceNotFoundException")
}

#[async_trait]
impl UserPoolAdmin for CognitoUserPoolAdmin {
    async fn describe_pool(&self, user_pool_id: &str) -> Result<Option<PoolDescription>> {
        Ok(self
            .read_pool(user_pool_id)
            .await?
            .map(|pool| describe(user_pool_id, &pool)))
    }

    async fn group_names(&self, user_pool_id: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .list_groups()
                .user_pool_id(user_pool_id)
                .limit(60)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| upstream("ListGroups", e))?;
            names.extend(
                page.groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_string)),
            );
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_string()),
                _ => return Ok(names),
            }
        }
    }

    async fn create_group(&self, user_pool_id: &str, name: &str, description: &str) -> Result<()> {
        self.client
            .create_group()
            .user_pool_id(user_pool_id)
            .group_name(name)
            .description(description)
            .send()
            .await
            .map_err(|e| upstream("CreateGroup", e))?;
        Ok(())
    }

    async fn delete_group(&self, user_pool_id: &str, name: &str) -> Result<()> {
        match self
            .client
            .delete_group()
            .user_pool_id(user_pool_id)
            .group_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if is_not_found(&err) => Ok(()),
            Err(err) => Err(upstream("DeleteGroup", err)),
        }
    }

    async fn group_has_members(&self, user_pool_id: &str, name: &str) -> Result<bool> {
        match self
            .client
            .list_users_in_group()
            .user_pool_id(user_pool_id)
            .group_name(name)
            .limit(1)
            .send()
            .await
        {
            Ok(page) => Ok(!page.users().is_empty()),
            Err(err) if is_not_found(&err) => Ok(false),
            Err(err) => Err(upstream("ListUsersInGroup", err)),
        }
    }

    async fn resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ResourceServer>> {
        let output = match self
            .client
            .describe_resource_server()
            .user_pool_id(user_pool_id)
            .identifier(identifier)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) if is_not_found(&err) => return Ok(None),
            Err(err) => return Err(upstream("DescribeResourceServer", err)),
        };
        Ok(output.resource_server.map(|server| ResourceServer {
            identifier: server.identifier.unwrap_or_else(|| identifier.to_string()),
            name: server.name.unwrap_or_default(),
            scopes: server
                .scopes
                .unwrap_or_default()
                .into_iter()
                .map(|scope| scope.scope_name)
                .collect(),
        }))
    }

    async fn create_resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
        name: &str,
    ) -> Result<()> {
        let mut scopes = Vec::new();
        for (scope, description) in RESOURCE_SERVER_SCOPES.iter().zip([
            "Read-only impersonated sessions",
            "Full impersonated sessions",
        ]) {
            scopes.push(
                ResourceServerScopeType::builder()
                    .scope_name(*scope)
                    .scope_description(description)
                    .build()
                    .map_err(|e| ActasError::Internal(format!("resource server scope: {e}")))?,
            );
        }
        self.client
            .create_resource_server()
            .user_pool_id(user_pool_id)
            .identifier(identifier)
            .name(name)
            .set_scopes(Some(scopes))
            .send()
            .await
            .map_err(|e| upstream("CreateResourceServer", e))?;
        Ok(())
    }

    async fn delete_resource_server(&self, user_pool_id: &str, identifier: &str) -> Result<()> {
        match self
            .client
            .delete_resource_server()
            .user_pool_id(user_pool_id)
            .identifier(identifier)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if is_not_found(&err) => Ok(()),
            Err(err) => Err(upstream("DeleteResourceServer", err)),
        }
    }

    async fn replace_lambda_config(
        &self,
        user_pool_id: &str,
        lambda_config: &LambdaConfig,
    ) -> Result<()> {
        // Read just before writing, so a setting changed since the caller's own read is kept.
        let Some(pool) = self.read_pool(user_pool_id).await? else {
            return Err(ActasError::NotFound(format!(
                "user pool {user_pool_id} does not exist"
            )));
        };
        let lambda_config = sdk_lambda_config(lambda_config, pool.lambda_config())?;
        let request = self
            .client
            .update_user_pool()
            .user_pool_id(user_pool_id)
            .lambda_config(lambda_config);
        with_settings_of(request, &pool)?
            .customize()
            .interceptor(OmitUnusedAccountValidity)
            .send()
            .await
            .map_err(|e| upstream("UpdateUserPool", e))?;
        Ok(())
    }
}

/// What actas reads of a pool.
fn describe(user_pool_id: &str, pool: &UserPoolType) -> PoolDescription {
    PoolDescription {
        user_pool_id: pool.id().unwrap_or(user_pool_id).to_string(),
        name: pool.name().unwrap_or_default().to_string(),
        arn: text(pool.arn()),
        tier: pool
            .user_pool_tier()
            .map(|tier| tier.as_str().to_string())
            .filter(|tier| !tier.is_empty()),
        lambda_config: pool
            .lambda_config()
            .map(domain_lambda_config)
            .unwrap_or_default(),
        attribute_names: pool
            .schema_attributes()
            .iter()
            .filter_map(|attribute| attribute.name().map(str::to_string))
            .collect(),
    }
}

fn domain_lambda_config(sdk: &LambdaConfigType) -> LambdaConfig {
    LambdaConfig {
        pre_sign_up: text(sdk.pre_sign_up()),
        custom_message: text(sdk.custom_message()),
        post_confirmation: text(sdk.post_confirmation()),
        pre_authentication: text(sdk.pre_authentication()),
        post_authentication: text(sdk.post_authentication()),
        define_auth_challenge: text(sdk.define_auth_challenge()),
        create_auth_challenge: text(sdk.create_auth_challenge()),
        verify_auth_challenge_response: text(sdk.verify_auth_challenge_response()),
        pre_token_generation: text(sdk.pre_token_generation()),
        pre_token_generation_config: sdk
            .pre_token_generation_config()
            .filter(|t| !t.lambda_arn().is_empty())
            .map(|t| VersionedTrigger {
                lambda_arn: t.lambda_arn().to_string(),
                lambda_version: t.lambda_version().as_str().to_string(),
            }),
        user_migration: text(sdk.user_migration()),
        custom_sms_sender: sdk
            .custom_sms_sender()
            .filter(|t| !t.lambda_arn().is_empty())
            .map(|t| VersionedTrigger {
                lambda_arn: t.lambda_arn().to_string(),
                lambda_version: t.lambda_version().as_str().to_string(),
            }),
        custom_email_sender: sdk
            .custom_email_sender()
            .filter(|t| !t.lambda_arn().is_empty())
            .map(|t| VersionedTrigger {
                lambda_arn: t.lambda_arn().to_string(),
                lambda_version: t.lambda_version().as_str().to_string(),
            }),
        kms_key_id: text(sdk.kms_key_id()),
    }
}

/// The domain's `LambdaConfig` for the API. A slot the domain type does not model (the
/// inbound federation trigger) is carried over from the pool as it is now.
fn sdk_lambda_config(
    config: &LambdaConfig,
    current: Option<&LambdaConfigType>,
) -> Result<LambdaConfigType> {
    let invalid = |e: aws_sdk_cognitoidentityprovider::error::BuildError| {
        ActasError::Internal(format!("LambdaConfig: {e}"))
    };
    let pre_token_generation_config = match &config.pre_token_generation_config {
        Some(t) => Some(
            PreTokenGenerationVersionConfigType::builder()
                .lambda_arn(&t.lambda_arn)
                .lambda_version(PreTokenGenerationLambdaVersionType::from(
                    t.lambda_version.as_str(),
                ))
                .build()
                .map_err(invalid)?,
        ),
        None => None,
    };
    let custom_sms_sender = match &config.custom_sms_sender {
        Some(t) => Some(
            CustomSmsLambdaVersionConfigType::builder()
                .lambda_arn(&t.lambda_arn)
                .lambda_version(CustomSmsSenderLambdaVersionType::from(
                    t.lambda_version.as_str(),
                ))
                .build()
                .map_err(invalid)?,
        ),
        None => None,
    };
    let custom_email_sender = match &config.custom_email_sender {
        Some(t) => Some(
            CustomEmailLambdaVersionConfigType::builder()
                .lambda_arn(&t.lambda_arn)
                .lambda_version(CustomEmailSenderLambdaVersionType::from(
                    t.lambda_version.as_str(),
                ))
                .build()
                .map_err(invalid)?,
        ),
        None => None,
    };
    Ok(LambdaConfigType::builder()
        .set_pre_sign_up(config.pre_sign_up.clone())
        .set_custom_message(config.custom_message.clone())
        .set_post_confirmation(config.post_confirmation.clone())
        .set_pre_authentication(config.pre_authentication.clone())
        .set_post_authentication(config.post_authentication.clone())
        .set_define_auth_challenge(config.define_auth_challenge.clone())
        .set_create_auth_challenge(config.create_auth_challenge.clone())
        .set_verify_auth_challenge_response(config.verify_auth_challenge_response.clone())
        .set_pre_token_generation(config.pre_token_generation.clone())
        .set_pre_token_generation_config(pre_token_generation_config)
        .set_user_migration(config.user_migration.clone())
        .set_custom_sms_sender(custom_sms_sender)
        .set_custom_email_sender(custom_email_sender)
        .set_kms_key_id(config.kms_key_id.clone())
        .set_inbound_federation(current.and_then(|c| c.inbound_federation()).cloned())
        .build())
}

/// A string the pool really has (the emulator reports unset ones as `""`).
fn text(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_string)
}

/// An enum value the pool really has (an empty string parses as an unknown variant).
fn known<T: Clone>(value: Option<&T>, as_str: fn(&T) -> &str) -> Option<T> {
    value.filter(|v| !as_str(v).is_empty()).cloned()
}

/// The update request with every setting of `pool` that `UpdateUserPool` accepts besides
/// `LambdaConfig`, each as the pool has it.
fn with_settings_of(
    request: UpdateUserPoolFluentBuilder,
    pool: &UserPoolType,
) -> Result<UpdateUserPoolFluentBuilder> {
    let lite = pool
        .user_pool_tier()
        .is_some_and(|tier| tier.as_str().eq_ignore_ascii_case("LITE"));
    let template = pool
        .verification_message_template()
        .and_then(verification_template);
    let template_has = |field: fn(&VerificationMessageTemplateType) -> Option<&str>| {
        template.as_ref().and_then(field).is_some()
    };
    let by_link = template
        .as_ref()
        .and_then(|t| t.default_email_option())
        .is_some_and(|option| *option == DefaultEmailOptionType::ConfirmWithLink);
    // `EmailVerificationMessage`/`Subject` and `SmsVerificationMessage` are the old names of the
    // template's `EmailMessage`/`EmailSubject`/`SmsMessage` ("no longer used", AWS's reference):
    // a setting is sent once, under its template name when the template has it. The old email
    // fields are code-style messages and are never sent beside link-style verification, which
    // AWS refuses ("The message is invalid").
    let email_verification_message = text(pool.email_verification_message())
        .filter(|_| !by_link && !template_has(VerificationMessageTemplateType::email_message));
    let email_verification_subject = text(pool.email_verification_subject())
        .filter(|_| !by_link && !template_has(VerificationMessageTemplateType::email_subject));
    let sms_verification_message = text(pool.sms_verification_message())
        .filter(|_| !template_has(VerificationMessageTemplateType::sms_message));
    let tags: std::collections::HashMap<String, String> = pool
        .user_pool_tags()
        .map(|tags| {
            tags.iter()
                // `aws:` tags belong to AWS (CloudFormation's own); a caller may not set them.
                .filter(|(key, _)| !key.starts_with("aws:"))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(request
        .set_pool_name(text(pool.name()))
        .set_user_pool_tier(known(pool.user_pool_tier(), |t| t.as_str()))
        .set_policies(pool.policies().and_then(policies))
        .set_deletion_protection(known(pool.deletion_protection(), |d| d.as_str()))
        .set_auto_verified_attributes(
            Some(
                pool.auto_verified_attributes()
                    .iter()
                    .filter(|a| !a.as_str().is_empty())
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .filter(|attributes| !attributes.is_empty()),
        )
        .set_verification_message_template(template)
        .set_email_verification_message(email_verification_message)
        .set_email_verification_subject(email_verification_subject)
        .set_sms_verification_message(sms_verification_message)
        .set_sms_authentication_message(text(pool.sms_authentication_message()))
        .set_user_attribute_update_settings(
            pool.user_attribute_update_settings()
                .filter(|s| !s.attributes_require_verification_before_update().is_empty())
                .cloned(),
        )
        // Sent as the pool has it, never left out (left out, AWS documents a reset to OFF).
        // AWS refuses ON or OPTIONAL here unless a factor is enabled already, which on a pool
        // that has ON or OPTIONAL it is. The factors themselves (software token, email,
        // passkeys: `SetUserPoolMfaConfig`) are no part of this request: it cannot change them.
        .set_mfa_configuration(known(pool.mfa_configuration(), |m| m.as_str()))
        // Present means "devices are remembered" (even with both flags false); absent means off.
        .set_device_configuration(pool.device_configuration().cloned())
        .set_email_configuration(pool.email_configuration().and_then(email_configuration))
        .set_sms_configuration(sms_configuration(pool.sms_configuration())?)
        .set_user_pool_tags(Some(tags).filter(|tags| !tags.is_empty()))
        .set_admin_create_user_config(pool.admin_create_user_config().map(|config| {
            admin_create_user_config(config, pool.policies().and_then(|p| p.password_policy()))
        }))
        .set_user_pool_add_ons(user_pool_add_ons(pool)?)
        .set_account_recovery_setting(
            pool.account_recovery_setting()
                .filter(|s| !s.recovery_mechanisms().is_empty())
                .cloned(),
        )
        .set_key_configuration(
            pool.key_configuration()
                .filter(|k| k.key_type().is_some() || text(k.kms_key_arn()).is_some())
                .cloned(),
        )
        .set_issuer_configuration(
            pool.issuer_configuration()
                .filter(|i| i.r#type().is_some())
                .cloned(),
        )
        // Cognito describes every ACR level's name, defaults included; a Lite pool can have only
        // the defaults and may not name them, so they are left to default there.
        .set_acr_configuration(
            pool.acr_configuration()
                .filter(|a| !a.is_empty() && !lite)
                .cloned(),
        ))
}

fn policies(pool: &UserPoolPolicyType) -> Option<UserPoolPolicyType> {
    let password_policy = pool.password_policy().map(|p| {
        PasswordPolicyType::builder()
            .set_minimum_length(p.minimum_length().filter(|n| *n > 0))
            .require_uppercase(p.require_uppercase())
            .require_lowercase(p.require_lowercase())
            .require_numbers(p.require_numbers())
            .require_symbols(p.require_symbols())
            // 0 is "no history", the default; a Lite pool may not name the field at all.
            .set_password_history_size(p.password_history_size().filter(|n| *n > 0))
            .temporary_password_validity_days(p.temporary_password_validity_days())
            .build()
    });
    let sign_in_policy = pool
        .sign_in_policy()
        .filter(|s| !s.allowed_first_auth_factors().is_empty())
        .cloned();
    if password_policy.is_none() && sign_in_policy.is_none() {
        return None;
    }
    Some(
        UserPoolPolicyType::builder()
            .set_password_policy(password_policy)
            .set_sign_in_policy(sign_in_policy)
            .build(),
    )
}

/// The message and subject of the email style in force, and the SMS message. AWS refuses a
/// template that carries both styles' messages ("When you supply both parameters with either
/// choice, Amazon Cognito returns an error", UpdateUserPool's reference), so the other style's
/// message, which the pool does not send, is left out.
fn verification_template(
    template: &VerificationMessageTemplateType,
) -> Option<VerificationMessageTemplateType> {
    let option = known(template.default_email_option(), |o| o.as_str());
    let by_link = option == Some(DefaultEmailOptionType::ConfirmWithLink);
    let builder = VerificationMessageTemplateType::builder()
        .set_sms_message(text(template.sms_message()))
        .set_default_email_option(option);
    let copied = if by_link {
        builder
            .set_email_message_by_link(text(template.email_message_by_link()))
            .set_email_subject_by_link(text(template.email_subject_by_link()))
    } else {
        builder
            .set_email_message(text(template.email_message()))
            .set_email_subject(text(template.email_subject()))
    }
    .build();
    (copied != VerificationMessageTemplateType::builder().build()).then_some(copied)
}

fn email_configuration(pool: &EmailConfigurationType) -> Option<EmailConfigurationType> {
    let copied = EmailConfigurationType::builder()
        .set_source_arn(text(pool.source_arn()))
        .set_reply_to_email_address(text(pool.reply_to_email_address()))
        .set_email_sending_account(known(pool.email_sending_account(), |a| a.as_str()))
        .set_from(text(pool.from()))
        .set_configuration_set(text(pool.configuration_set()))
        .build();
    (copied != EmailConfigurationType::builder().build()).then_some(copied)
}

/// `SnsCallerArn` is required: without it the pool has no SMS configuration (the emulator's
/// `{}`), and none is sent.
fn sms_configuration(pool: Option<&SmsConfigurationType>) -> Result<Option<SmsConfigurationType>> {
    let Some(pool) = pool.filter(|c| !c.sns_caller_arn().is_empty()) else {
        return Ok(None);
    };
    Ok(Some(
        SmsConfigurationType::builder()
            .sns_caller_arn(pool.sns_caller_arn())
            .set_external_id(text(pool.external_id()))
            .set_sns_region(text(pool.sns_region()))
            .set_eums_sms(pool.eums_sms().cloned())
            .build(),
    ))
}

/// `UnusedAccountValidityDays` is the old name of the temporary passwords' lifetime: once the
/// pool has `PasswordPolicy.TemporaryPasswordValidityDays`, AWS refuses the old one ("Please use
/// TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays"), so it
/// goes only to a pool that still has nothing else (0 is "not given").
fn admin_create_user_config(
    pool: &AdminCreateUserConfigType,
    password_policy: Option<&PasswordPolicyType>,
) -> AdminCreateUserConfigType {
    let temporary_passwords_set =
        password_policy.is_some_and(|p| p.temporary_password_validity_days() > 0);
    let invite = pool.invite_message_template().and_then(|t| {
        let copied = MessageTemplateType::builder()
            .set_sms_message(text(t.sms_message()))
            .set_email_message(text(t.email_message()))
            .set_email_subject(text(t.email_subject()))
            .build();
        (copied != MessageTemplateType::builder().build()).then_some(copied)
    });
    AdminCreateUserConfigType::builder()
        .allow_admin_create_user_only(pool.allow_admin_create_user_only())
        .set_invite_message_template(invite)
        .unused_account_validity_days(if temporary_passwords_set {
            0
        } else {
            pool.unused_account_validity_days()
        })
        .build()
}

/// `AdvancedSecurityMode` is required: without it the pool has no add-ons (the emulator's `{}`).
fn user_pool_add_ons(pool: &UserPoolType) -> Result<Option<UserPoolAddOnsType>> {
    let Some(add_ons) = pool
        .user_pool_add_ons()
        .filter(|a| !a.advanced_security_mode().as_str().is_empty())
    else {
        return Ok(None);
    };
    UserPoolAddOnsType::builder()
        .advanced_security_mode(add_ons.advanced_security_mode().clone())
        .set_advanced_security_additional_flows(
            add_ons.advanced_security_additional_flows().cloned(),
        )
        .build()
        .map(Some)
        .map_err(|e| ActasError::Internal(format!("UserPoolAddOns: {e}")))
}

/// Leaves `AdminCreateUserConfig.UnusedAccountValidityDays` out of the request when it is 0. This
/// SDK writes every member that has a default, so "not given" goes on the wire as 0, where the
/// CLI and the other SDKs send nothing; and AWS refuses the old setting once a pool has
/// `TemporaryPasswordValidityDays`, so the request says nothing about it, as theirs do.
#[derive(Debug)]
struct OmitUnusedAccountValidity;

impl Intercept for OmitUnusedAccountValidity {
    fn name(&self) -> &'static str {
        "OmitUnusedAccountValidity"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let request = context.request_mut();
        let Some(bytes) = request.body().bytes() else {
            return Ok(());
        };
        let mut body: serde_json::Value = serde_json::from_slice(bytes)?;
        let Some(config) = body
            .get_mut("AdminCreateUserConfig")
            .and_then(serde_json::Value::as_object_mut)
        else {
            return Ok(());
        };
        if config.get("UnusedAccountValidityDays") != Some(&serde_json::Value::from(0)) {
            return Ok(());
        }
        config.remove("UnusedAccountValidityDays");
        let text = serde_json::to_vec(&body)?;
        if request.headers().contains_key("content-length") {
            request
                .headers_mut()
                .insert("content-length", text.len().to_string());
        }
        *request.body_mut() = SdkBody::from(text);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
