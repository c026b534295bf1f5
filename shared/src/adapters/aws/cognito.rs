//! The Cognito adapter of the identity provider port.

use crate::domain::error::{ActasError, Result};
use crate::domain::identity_mapping::IdentityMapping;
use crate::domain::user::{PoolUser, UserRecord, UserRef};
use crate::ports::identity::{
    CognitoTokens, IdentityProvider, MintRequest, UserPage, METADATA_ACTAS_SESSION,
    METADATA_IMPERSONATION_ID, METADATA_REMINT_ID,
};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, ChallengeNameType};
use aws_sdk_cognitoidentityprovider::Client;
use std::collections::HashMap;
use tracing::warn;

pub struct CognitoIdentityProvider {
    client: Client,
    user_pool_id: String,
    /// Where this pool keeps role, tenant, team and protection.
    mapping: IdentityMapping,
}

impl CognitoIdentityProvider {
    pub fn new(client: Client, user_pool_id: impl Into<String>, mapping: IdentityMapping) -> Self {
        CognitoIdentityProvider {
            client,
            user_pool_id: user_pool_id.into(),
            mapping,
        }
    }

    /// Members of the role groups, so a page of users gets its roles without a call per user.
    async fn role_group_members(&self) -> Result<HashMap<String, Vec<String>>> {
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        for group in self.mapping.group_names() {
            let mut next: Option<String> = None;
            loop {
                let page = self
                    .client
                    .list_users_in_group()
                    .user_pool_id(&self.user_pool_id)
                    .group_name(group)
                    .set_next_token(next.take())
                    .send()
                    .await
                    .map_err(|e| upstream("ListUsersInGroup", e))?;
                for user in page.users() {
                    if let Some(name) = user.username() {
                        members
                            .entry(name.to_string())
                            .or_default()
                            .push(group.to_string());
                    }
                }
                match page.next_token() {
                    Some(token) if !token.is_empty() => next = Some(token.to_string()),
                    _ => break,
                }
            }
        }
        Ok(members)
    }

    async fn groups_of(&self, username: &str) -> Result<Vec<String>> {
        let mut groups = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .admin_list_groups_for_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| upstream("AdminListGroupsForUser", e))?;
            groups.extend(
                page.groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_string)),
            );
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_string()),
                _ => return Ok(groups),
            }
        }
    }

    async fn by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        // The user and their groups are read at once (one wave, not two): both are read fresh,
        // in the same moment. The groups read is kept only if it named the same user.
        let (got, groups) = tokio::join!(
            self.client
                .admin_get_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .send(),
            self.client
                .admin_list_groups_for_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .send()
        );
        let output = match got {
            Ok(output) => output,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_user_not_found_exception()) =>
            {
                return Ok(None)
            }
            Err(err) => return Err(upstream("AdminGetUser", err)),
        };
        let attributes = attribute_map(output.user_attributes());
        let Some(sub) = attributes.get("sub").cloned() else {
            return Err(ActasError::Internal(format!("user {username} has no sub")));
        };
        let asked = username;
        let username = output.username().to_string();
        // An alias (or a name in another case) finds the user under their own username: the
        // groups are then read again by it (so are more than one page, and a read that failed).
        let groups = match groups {
            Ok(page) if username == asked && page.next_token().is_none_or(str::is_empty) => page
                .groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_string))
                .collect(),
            _ => self.groups_of(&username).await?,
        };
        Ok(Some(UserRecord::read(
            &self.mapping,
            PoolUser {
                groups,
                username,
                sub,
                enabled: output.enabled(),
                attributes,
                created_at_millis: output.user_create_date().and_then(|d| d.to_millis().ok()),
                updated_at_millis: output
                    .user_last_modified_date()
                    .and_then(|d| d.to_millis().ok()),
            },
        )))
    }

    async fn username_for_sub(&self, sub: &str) -> Result<Option<String>> {
        let output = self
            .client
            .list_users()
            .user_pool_id(&self.user_pool_id)
            // UserRef::parse refuses quotes and backslashes, so this filter cannot be escaped.
            .filter(format!("sub = \"{sub}\""))
            .limit(1)
            .send()
            .await
            .map_err(|e| upstream("ListUsers", e))?;
        Ok(output
            .users()
            .first()
            .and_then(|u| u.username())
            .map(str::to_string))
    }
}

/// `impersonation`, `revert` (an impersonator's own session handed back) or `refresh` (fresh
/// tokens for a live impersonation).
fn session_kind(request: &MintRequest<'_>) -> &'static str {
    if request.remint_id.is_some() {
        "refresh"
    } else if request.is_revert {
        "revert"
    } else {
        "impersonation"
    }
}

fn attribute_map(attributes: &[AttributeType]) -> HashMap<String, String> {
    attributes
        .iter()
        .filter_map(|a| Some((a.name().to_string(), a.value()?.to_string())))
        .collect()
}

fn upstream<E>(operation: &str, err: E) -> ActasError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let code = err.code().unwrap_or("unknown").to_string();
    warn!(operation, code, error = %DisplayErrorContext(&err), "Cognito call failed");
    ActasError::Upstream(format!("{operation}: {code}"))
}

#[async_trait]
impl IdentityProvider for CognitoIdentityProvider {
    async fn list_users(&self, page_token: Option<String>, limit: i32) -> Result<UserPage> {
        let page = self
            .client
            .list_users()
            .user_pool_id(&self.user_pool_id)
            .limit(limit.clamp(1, 60))
            .set_pagination_token(page_token)
            .send()
            .await
            .map_err(|e| {
                // A pagination token Cognito does not know is the caller's bad input.
                if e.code() == Some("InvalidParameterException") {
                    ActasError::BadRequest("nextToken is not valid".into())
                } else {
                    upstream("ListUsers", e)
                }
            })?;
        let groups = self.role_group_members().await?;
        let users = page
            .users()
            .iter()
            .filter_map(|u| {
                let attributes = attribute_map(u.attributes());
                let username = u.username()?.to_string();
                Some(UserRecord::read(
                    &self.mapping,
                    PoolUser {
                        sub: attributes.get("sub")?.clone(),
                        groups: groups.get(&username).cloned().unwrap_or_default(),
                        enabled: u.enabled(),
                        created_at_millis: u.user_create_date().and_then(|d| d.to_millis().ok()),
                        updated_at_millis: u
                            .user_last_modified_date()
                            .and_then(|d| d.to_millis().ok()),
                        attributes,
                        username,
                    },
                ))
            })
            .collect();
        Ok(UserPage {
            users,
            next_token: page
                .pagination_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        })
    }

    async fn find_user(&self, user: &UserRef) -> Result<Option<UserRecord>> {
        if let Some(found) = self.by_username(user.as_str()).await? {
            return Ok(Some(found));
        }
        if !user.could_be_sub() {
            return Ok(None);
        }
        match self.username_for_sub(user.as_str()).await? {
            Some(username) => self.by_username(&username).await,
            None => Ok(None),
        }
    }

    async fn revoke_refresh_token(&self, client_id: &str, refresh_token: &str) -> Result<()> {
        self.client
            .revoke_token()
            .client_id(client_id)
            .token(refresh_token)
            .send()
            .await
            .map_err(|e| upstream("RevokeToken", e))?;
        Ok(())
    }

    async fn set_protected(&self, username: &str, protected: bool) -> Result<()> {
        let Some(name) = self.mapping.protected_attribute.as_deref() else {
            return Err(ActasError::Conflict(
                "this deployment has no protection attribute (ProtectedAttribute is empty)".into(),
            ));
        };
        let attribute = AttributeType::builder()
            .name(name)
            .value(if protected { "true" } else { "false" })
            .build()
            .map_err(|e| ActasError::Internal(e.to_string()))?;
        self.client
            .admin_update_user_attributes()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .user_attributes(attribute)
            .send()
            .await
            .map_err(|e| upstream("AdminUpdateUserAttributes", e))?;
        Ok(())
    }

    async fn mint_session(&self, request: MintRequest<'_>) -> Result<CognitoTokens> {
        let started = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.user_pool_id)
            .client_id(request.client_id)
            .auth_flow(AuthFlowType::CustomAuth)
            .auth_parameters("USERNAME", request.username)
            .send()
            .await
            .map_err(|e| upstream("AdminInitiateAuth", e))?;
        if started.challenge_name() != Some(&ChallengeNameType::CustomChallenge) {
            return Err(ActasError::Upstream(
                "AdminInitiateAuth: no custom challenge".into(),
            ));
        }
        let session = started
            .session()
            .ok_or_else(|| ActasError::Upstream("AdminInitiateAuth: no session".into()))?;
        // Only the respond call's ClientMetadata reaches the triggers on AWS, so the grant id
        // travels here.
        let mut respond = self
            .client
            .admin_respond_to_auth_challenge()
            .user_pool_id(&self.user_pool_id)
            .client_id(request.client_id)
            .challenge_name(ChallengeNameType::CustomChallenge)
            .session(session)
            .challenge_responses("USERNAME", request.username)
            .challenge_responses("ANSWER", request.secret)
            .client_metadata(METADATA_IMPERSONATION_ID, request.impersonation_id)
            // How the pool's other triggers (post authentication, ...) tell actas's sessions
            // from the user's own sign-ins.
            .client_metadata(METADATA_ACTAS_SESSION, session_kind(&request));
        if let Some(remint_id) = request.remint_id {
            respond = respond.client_metadata(METADATA_REMINT_ID, remint_id);
        }
        let answered = respond
            .send()
            .await
            .map_err(|e| upstream("AdminRespondToAuthChallenge", e))?;
        let result = answered
            .authentication_result()
            .ok_or_else(|| ActasError::Upstream("AdminRespondToAuthChallenge: no tokens".into()))?;
        let missing =
            || ActasError::Upstream("AdminRespondToAuthChallenge: incomplete tokens".into());
        Ok(CognitoTokens {
            id_token: result.id_token().ok_or_else(missing)?.to_string(),
            access_token: result.access_token().ok_or_else(missing)?.to_string(),
            refresh_token: result.refresh_token().ok_or_else(missing)?.to_string(),
            expires_in_secs: i64::from(result.expires_in()),
        })
    }
}
