//! Starting an impersonation: authenticate the caller, apply the policy, write a single-use
//! grant, have Cognito mint the target's session through custom auth, and return the payload.

use std::sync::Arc;

use tracing::info;

use crate::api_keys::check_api_key;
use crate::clock::{rfc3339_millis, Clock};
use crate::config::ApiConfig;
use crate::error::{ActasError, Result};
use crate::identity::{IdentityProvider, MintRequest, UserRecord, UserRef};
use crate::jwt::{JwtVerifier, VerifiedToken};
use crate::payload::{ActorSummary, ImpersonationSummary, SessionPayload, SessionTokens};
use crate::policy::{self, Role, SessionKind};
use crate::secrets::{hash_secret, new_secret};
use crate::store::{ApiKeyStore, Impersonation, ImpersonationStatus, ImpersonationStore};

/// Everything the HTTP functions need, built once per container in `main`.
pub struct ApiState {
    pub config: ApiConfig,
    pub verifier: JwtVerifier,
    pub identity: Arc<dyn IdentityProvider>,
    pub impersonations: Arc<dyn ImpersonationStore>,
    pub api_keys: Arc<dyn ApiKeyStore>,
    pub clock: Arc<dyn Clock>,
}

impl ApiState {
    /// The deployed wiring: Cognito and DynamoDB adapters over one SDK configuration, and the
    /// pool's JWKS over HTTP.
    pub fn from_aws(config: ApiConfig, sdk: &aws_config::SdkConfig) -> Result<ApiState> {
        use crate::clock::SystemClock;
        use crate::cognito::CognitoIdentityProvider;
        use crate::dynamodb::DynamoStore;
        use crate::jwt::HttpJwksSource;

        let cognito = aws_sdk_cognitoidentityprovider::Client::new(sdk);
        let store = Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &config.table_name,
        ));
        let identity = Arc::new(CognitoIdentityProvider::new(
            cognito,
            &config.user_pool_id,
            &config.impersonation_client_id,
        ));
        let verifier = JwtVerifier::new(
            Arc::new(HttpJwksSource::new(&config.jwks_url)?),
            &config.token_issuer,
            vec![
                config.sign_in_client_id.clone(),
                config.impersonation_client_id.clone(),
            ],
        );
        Ok(ApiState {
            config,
            verifier,
            identity,
            impersonations: store.clone(),
            api_keys: store,
            clock: Arc::new(SystemClock),
        })
    }
}

/// An authenticated caller: what their token says, and who they are in the pool right now.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: VerifiedToken,
    pub user: UserRecord,
}

impl Caller {
    pub fn session_kind(&self, state: &ApiState) -> SessionKind {
        if self.token.is_impersonated()
            || self.token.client_id == state.config.impersonation_client_id
        {
            SessionKind::Impersonated
        } else {
            SessionKind::Own
        }
    }
}

pub async fn authenticate(state: &ApiState, authorization: Option<&str>) -> Result<Caller> {
    let token = state.verifier.verify_header(authorization).await?;
    let reference = UserRef::parse(&token.username)
        .map_err(|_| ActasError::Unauthorized("invalid token: unusable username".into()))?;
    let user = state
        .identity
        .find_user(&reference)
        .await?
        .filter(|u| u.sub == token.sub)
        .ok_or_else(|| ActasError::Unauthorized("the token's user no longer exists".into()))?;
    Ok(Caller { token, user })
}

/// Which seed's request shape named the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Seed 001: body `{"username": ...}` with `X-API-Key`.
    Username,
    /// Seed 000: `?uuid=<sub>`.
    Uuid,
}

pub struct StartRequest<'a> {
    pub target: UserRef,
    pub dialect: Dialect,
    pub api_key: Option<&'a str>,
}

/// `POST /auth/impersonate`: operators, admins and super-admins.
pub async fn start_impersonation(
    state: &ApiState,
    caller: &Caller,
    request: StartRequest<'_>,
) -> Result<SessionPayload> {
    use crate::config::ApiKeyRequirement;
    let needs_key = request.api_key.is_some()
        || request.dialect == Dialect::Username
        || state.config.api_key_requirement == ApiKeyRequirement::Always;
    let actor = caller.user.principal();
    if needs_key {
        check_api_key(
            state.api_keys.as_ref(),
            request.api_key,
            actor.tenant.as_deref(),
        )
        .await?;
    }
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(policy::Denial::ChainedImpersonation.into());
    }
    policy::check_route_role(&actor, Role::Operator)?;

    let target_user = state
        .identity
        .find_user(&request.target)
        .await?
        .ok_or_else(|| ActasError::NotFound("no such user".into()))?;
    policy::check(&actor, SessionKind::Own, &target_user.principal())?;

    mint_impersonation(state, caller, &target_user).await
}

/// Writes the grant, has Cognito redeem it, and builds the payload. The grant is written before
/// any token exists; if minting fails, the unredeemed grant simply expires.
pub async fn mint_impersonation(
    state: &ApiState,
    caller: &Caller,
    target: &UserRecord,
) -> Result<SessionPayload> {
    let now_millis = state.clock.now_millis();
    let now_secs = now_millis.div_euclid(1000);
    let mint_secret = new_secret()?;
    let revert_secret = new_secret()?;
    let ends_at = now_secs + state.config.impersonation_max_secs;
    let grant = Impersonation {
        id: uuid::Uuid::new_v4().to_string(),
        actor_sub: caller.user.sub.clone(),
        actor_username: caller.user.username.clone(),
        target_sub: target.sub.clone(),
        target_username: target.username.clone(),
        tenant: target.principal().tenant,
        client_id: state.config.impersonation_client_id.clone(),
        status: ImpersonationStatus::Pending,
        created_at_millis: now_millis,
        ends_at,
        mint_deadline: now_secs + state.config.mint_window_secs,
        mint_secret_hash: hash_secret(&mint_secret),
        revert_secret_hash: hash_secret(&revert_secret),
        // Kept a day past its end so the record can still be read after it ended.
        expires_at: ends_at + 86_400,
    };
    state.impersonations.create(&grant).await?;

    let tokens = state
        .identity
        .mint_session(MintRequest {
            username: &target.username,
            impersonation_id: &grant.id,
            secret: &mint_secret,
        })
        .await?;
    info!(
        impersonation_id = %grant.id,
        actor = %grant.actor_username,
        target = %grant.target_username,
        "impersonation started"
    );

    let expire_epoch = (now_millis + tokens.expires_in_secs * 1000).min(ends_at * 1000);
    let created = rfc3339_millis(now_millis);
    Ok(SessionPayload {
        endpoint_url: state.config.cognito_public_endpoint.clone(),
        client_id: state.config.impersonation_client_id.clone(),
        user_pool_id: state.config.user_pool_id.clone(),
        username: target.username.clone(),
        token: tokens.id_token.clone(),
        session: SessionTokens {
            authorization: tokens.id_token,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expire_epoch,
        },
        role: target.role().display_name().to_string(),
        timezone: target.attribute("zoneinfo").unwrap_or("UTC").to_string(),
        provider: provider_of(target),
        impersonator_revert_token: format!("{}.{}", grant.id, revert_secret),
        created_at: created.clone(),
        updated_at: created,
        impersonation: ImpersonationSummary {
            id: grant.id,
            actor: ActorSummary {
                sub: grant.actor_sub,
                username: grant.actor_username,
            },
            expires_at: rfc3339_millis(ends_at * 1000),
        },
    })
}

/// Seed 000's `provider`: how the target signs in — `email` for the pool's own users, the
/// identity provider's name for federated ones.
fn provider_of(user: &UserRecord) -> String {
    user.attribute("identities")
        .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw).ok())
        .and_then(|v| {
            v.get(0)?
                .get("providerName")?
                .as_str()
                .map(str::to_lowercase)
        })
        .unwrap_or_else(|| "email".to_string())
}
