//! The impersonation services: start (seeds 000/001), issue and exchange a two-step token (seeds
//! 002/003), list the profiles a caller may act as, and revert (seed 000). Each authenticates,
//! applies the policy, and mints through the same single-use grant.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tracing::{info, warn};

use crate::api_keys::check_api_key;
use crate::audit::{AuditEvent, AuditRecord, AuditTrail, RequestOrigin};
use crate::clock::{rfc3339_millis, Clock};
use crate::config::{ApiConfig, ApiKeyRequirement};
use crate::error::{ActasError, Result};
use crate::exchange::{ExchangeClaims, ExchangeTokens, AUDIENCE_PUBLIC, AUDIENCE_SYS};
use crate::identity::{IdentityProvider, MintRequest, UserRecord, UserRef};
use crate::jwt::{ActorClaim, JwtVerifier, VerifiedToken};
use crate::payload::{
    ActorSummary, ImpersonationSummary, Profile, ProfilesPage, SessionPayload, SessionTokens,
    TokenResponse,
};
use crate::policy::{self, Denial, Role, SessionKind};
use crate::secrets::{hash_secret, new_secret, secret_matches};
use crate::store::{
    ApiKeyStore, ExchangeGrant, ExchangeStore, GrantKind, Impersonation, ImpersonationStatus,
    ImpersonationStore,
};
use crate::vault::RefreshTokenVault;

/// Everything the HTTP functions need, built once per container in `main`.
pub struct ApiState {
    pub config: ApiConfig,
    pub verifier: JwtVerifier,
    pub identity: Arc<dyn IdentityProvider>,
    pub impersonations: Arc<dyn ImpersonationStore>,
    pub exchanges: Arc<dyn ExchangeStore>,
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Keeps impersonated sessions' refresh tokens, sealed, so that a stop can revoke them.
    pub vault: Arc<dyn RefreshTokenVault>,
    pub audit: AuditTrail,
    /// Two-step token signing; `None` in functions that neither issue nor exchange tokens.
    pub exchange_tokens: Option<ExchangeTokens>,
    pub clock: Arc<dyn Clock>,
}

impl ApiState {
    fn exchange_tokens(&self) -> Result<&ExchangeTokens> {
        self.exchange_tokens
            .as_ref()
            .ok_or_else(|| ActasError::Internal("this function has no signing keys".into()))
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
    // An unexpired token of a user disabled since sign-in opens no route.
    if !user.enabled {
        return Err(Denial::ActorDisabled.into());
    }
    Ok(Caller { token, user })
}

/// The policy for a start, where a user of another tenant is "not found" like an unknown one:
/// nobody learns who exists outside their tenant (seed 003: "not found in this location").
fn check_may_start(actor: &policy::Principal, target: &UserRecord) -> Result<()> {
    match policy::check(actor, SessionKind::Own, &target.principal()) {
        Err(Denial::OutsideTenant) => Err(ActasError::NotFound("no such user".into())),
        other => other.map_err(ActasError::from),
    }
}

async fn find_target(state: &ApiState, target: &UserRef) -> Result<UserRecord> {
    state
        .identity
        .find_user(target)
        .await?
        .ok_or_else(|| ActasError::NotFound("no such user".into()))
}

/// Why an impersonation happens: a reason (required unless the deployment says otherwise) and
/// an optional ticket reference. Stored with the impersonation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Justification {
    pub reason: Option<String>,
    pub ticket: Option<String>,
}

pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_TICKET_CHARS: usize = 200;

impl Justification {
    /// Well-formed but missing or too long is a 422, as issue 4 asks.
    pub fn parse(
        reason: Option<String>,
        ticket: Option<String>,
        reason_required: bool,
    ) -> Result<Justification> {
        let clean = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (reason, ticket) = (clean(reason), clean(ticket));
        if reason_required && reason.is_none() {
            return Err(ActasError::Unprocessable(
                "a reason is required to impersonate".into(),
            ));
        }
        if reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
        {
            return Err(ActasError::Unprocessable(format!(
                "the reason is longer than {MAX_REASON_CHARS} characters"
            )));
        }
        if ticket
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_TICKET_CHARS)
        {
            return Err(ActasError::Unprocessable(format!(
                "the ticket is longer than {MAX_TICKET_CHARS} characters"
            )));
        }
        if [&reason, &ticket]
            .iter()
            .any(|v| v.as_ref().is_some_and(|v| v.chars().any(char::is_control)))
        {
            return Err(ActasError::Unprocessable(
                "reason and ticket must be plain text".into(),
            ));
        }
        Ok(Justification { reason, ticket })
    }
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
    pub justification: Justification,
    pub origin: RequestOrigin,
}

/// `POST /auth/impersonate`: operators, admins and super-admins.
pub async fn start_impersonation(
    state: &ApiState,
    caller: &Caller,
    request: StartRequest<'_>,
) -> Result<SessionPayload> {
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
        return Err(Denial::ChainedImpersonation.into());
    }
    policy::check_route_role(&actor, Role::Operator)?;
    let target = find_target(state, &request.target).await?;
    check_may_start(&actor, &target)?;
    mint_session_payload(
        state,
        &caller.user,
        &target,
        GrantKind::Impersonation,
        &request.justification,
        Some((AuditEvent::Started, &request.origin)),
    )
    .await
}

/// The two routes that issue a two-step token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRoute {
    /// Seed 002: `GET /api/public/coworkers/{coworkerId}/impersonate`, for team admins and up.
    Public,
    /// Seed 003: `GET /api/sys/users/impersonate?coworkerId=`, for operators and up.
    Sys,
}

impl TokenRoute {
    fn audience(self) -> &'static str {
        match self {
            TokenRoute::Public => AUDIENCE_PUBLIC,
            TokenRoute::Sys => AUDIENCE_SYS,
        }
    }

    fn minimum_role(self) -> Role {
        match self {
            TokenRoute::Public => Role::TeamAdmin,
            TokenRoute::Sys => Role::Operator,
        }
    }
}

/// Seeds 002/003: a short-lived token whose `jti` is a single-use grant bound to actor and target.
pub async fn issue_exchange_token(
    state: &ApiState,
    caller: &Caller,
    target: &UserRef,
    route: TokenRoute,
    justification: Justification,
    origin: &RequestOrigin,
) -> Result<TokenResponse> {
    let actor = caller.user.principal();
    if caller.session_kind(state) == SessionKind::Impersonated {
        return Err(Denial::ChainedImpersonation.into());
    }
    if policy::check_route_role(&actor, route.minimum_role()).is_err() {
        return Err(match route {
            // Seed 003: "Standard customer sessions will receive a 401 Unauthorized response."
            TokenRoute::Sys => {
                ActasError::Unauthorized("an operator or admin session is required".into())
            }
            TokenRoute::Public => Denial::RoleNotPermitted.into(),
        });
    }
    let target_user = find_target(state, target).await?;
    let target_principal = target_user.principal();
    check_may_start(&actor, &target_user)?;

    let now = state.clock.now_secs();
    let exp = now + state.config.exchange_token_secs;
    let grant = ExchangeGrant {
        id: uuid::Uuid::new_v4().to_string(),
        audience: route.audience().to_string(),
        actor_sub: caller.user.sub.clone(),
        actor_username: caller.user.username.clone(),
        target_sub: target_user.sub.clone(),
        target_username: target_user.username.clone(),
        reason: justification.reason,
        ticket: justification.ticket,
        token_expires_at: exp,
        expires_at: exp + 86_400,
    };
    state.exchanges.put_exchange(&grant).await?;
    // The token is not handed out unless its issue is on record.
    let mut record = AuditRecord::new(AuditEvent::TokenIssued, state.clock.now_millis(), origin);
    record.actor_sub = Some(grant.actor_sub.clone());
    record.actor_username = Some(grant.actor_username.clone());
    record.target_sub = Some(grant.target_sub.clone());
    record.target_username = Some(grant.target_username.clone());
    record.tenant = target_principal.tenant.clone();
    record.reason = grant.reason.clone();
    record.ticket = grant.ticket.clone();
    state.audit.record(&record).await?;
    let actor_claim = ActorClaim {
        sub: grant.actor_sub.clone(),
        username: Some(grant.actor_username.clone()),
    };
    let claims = ExchangeClaims::new(
        route.audience(),
        &grant.target_sub,
        actor_claim,
        &grant.id,
        now,
        exp,
    );
    let token = state.exchange_tokens()?.sign(&claims).await?;
    info!(grant = %grant.id, actor = %grant.actor_username, target = %grant.target_username, "exchange token issued");
    Ok(TokenResponse { token })
}

/// Seeds 002/003: exchanges a token for the session payload, once. The policy is checked again:
/// an actor disabled or demoted since the token was issued is refused.
pub async fn exchange_token(
    state: &ApiState,
    token: &str,
    route: TokenRoute,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let claims = state
        .exchange_tokens()?
        .verify(token, route.audience())
        .await?;
    let grant = state
        .exchanges
        .consume_exchange(&claims.jti, route.audience(), state.clock.now_secs())
        .await?
        .ok_or_else(|| ActasError::Unauthorized("invalid or expired impersonation token".into()))?;
    if grant.target_sub != claims.sub || grant.actor_sub != claims.act.sub {
        return Err(ActasError::Unauthorized(
            "invalid or expired impersonation token".into(),
        ));
    }
    let actor = state
        .identity
        .find_user(&UserRef::parse(&grant.actor_username)?)
        .await?
        .filter(|u| u.sub == grant.actor_sub)
        .ok_or_else(|| ActasError::Unauthorized("the impersonator no longer exists".into()))?;
    // Bound to the person, not the name: a target deleted and re-created under the same
    // username is someone else.
    let target = find_target(state, &UserRef::parse(&grant.target_username)?)
        .await
        .ok()
        .filter(|t| t.sub == grant.target_sub)
        .ok_or_else(|| ActasError::Unauthorized("the impersonated user no longer exists".into()))?;
    let actor_principal = actor.principal();
    if !actor_principal.enabled {
        return Err(Denial::ActorDisabled.into());
    }
    policy::check_route_role(&actor_principal, route.minimum_role())?;
    policy::check(&actor_principal, SessionKind::Own, &target.principal())?;
    let justification = Justification {
        reason: grant.reason,
        ticket: grant.ticket,
    };
    mint_session_payload(
        state,
        &actor,
        &target,
        GrantKind::Impersonation,
        &justification,
        Some((AuditEvent::Exchanged, origin)),
    )
    .await
}

/// Largest page of `GET /api/public/coworkers/profiles` (Cognito's `ListUsers` maximum).
pub const PROFILES_PAGE_SIZE: i32 = 60;

/// The caller (first page only) and every user of one page of the pool the policy lets them
/// act as. One `ListUsers` page per call bounds the work; a page may hold fewer profiles than
/// its size, and only a missing `NextToken` means the end.
pub async fn list_profiles(
    state: &ApiState,
    caller: &Caller,
    page_token: Option<String>,
) -> Result<ProfilesPage> {
    let actor = caller.user.principal();
    let session = caller.session_kind(state);
    let mut profiles = Vec::new();
    if page_token.is_none() {
        profiles.push(profile_of(&caller.user, true, false));
    }
    let may_impersonate = session == SessionKind::Own && actor.enabled && actor.role > Role::User;
    if !may_impersonate {
        return Ok(ProfilesPage {
            profiles,
            next_token: None,
            page_size: PROFILES_PAGE_SIZE,
        });
    }
    let cognito_token = match page_token {
        Some(token) => Some(decode_page_token(&token)?),
        None => None,
    };
    let page = state
        .identity
        .list_users(cognito_token, PROFILES_PAGE_SIZE)
        .await?;
    for user in &page.users {
        if user.sub != caller.user.sub && policy::check(&actor, session, &user.principal()).is_ok()
        {
            profiles.push(profile_of(user, false, true));
        }
    }
    Ok(ProfilesPage {
        profiles,
        next_token: page.next_token.map(|t| URL_SAFE_NO_PAD.encode(t)),
        page_size: PROFILES_PAGE_SIZE,
    })
}

fn decode_page_token(token: &str) -> Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|t| !t.is_empty() && t.len() <= 2048 && !t.chars().any(char::is_control))
        .ok_or_else(|| ActasError::BadRequest("nextToken is not valid".into()))
}

fn profile_of(user: &UserRecord, is_current: bool, can_impersonate: bool) -> Profile {
    let full_name = user
        .attribute("name")
        .map(str::to_string)
        .or_else(
            || match (user.attribute("given_name"), user.attribute("family_name")) {
                (Some(given), Some(family)) => Some(format!("{given} {family}")),
                _ => None,
            },
        )
        .unwrap_or_else(|| user.username.clone());
    let principal = user.principal();
    Profile {
        id: user.sub.clone(),
        username: user.username.clone(),
        full_name,
        email: user.attribute("email").map(str::to_string),
        team_id: principal.team,
        tenant_id: principal.tenant,
        role: principal.role.display_name().to_string(),
        is_current,
        can_impersonate,
    }
}

/// Seed 000: ends the impersonation named by its revert token (single use) and returns the
/// impersonator's own fresh session. The revert token alone is not enough: the request must
/// also carry the impersonated session itself (`Authorization`: its id or access token), whose
/// `impersonation_id` names the same live impersonation. A revert token that leaked without
/// its session mints nothing.
pub async fn revert(
    state: &ApiState,
    revert_token: &str,
    authorization: Option<&str>,
    origin: &RequestOrigin,
) -> Result<SessionPayload> {
    let refused = || ActasError::Unauthorized("invalid or used revert token".into());
    let (id, secret) = revert_token.trim().split_once('.').ok_or_else(refused)?;
    if id.is_empty() || secret.is_empty() || id.len() > 64 {
        return Err(refused());
    }
    let session = state
        .verifier
        .verify_header(authorization)
        .await
        .map_err(|_| {
            ActasError::Unauthorized(
                "a revert needs the impersonated session's token in Authorization".into(),
            )
        })?;
    if session.impersonation_id.as_deref() != Some(id) {
        return Err(ActasError::Unauthorized(
            "the session in Authorization is not the impersonation this token reverts".into(),
        ));
    }
    let imp = state.impersonations.get(id).await?.ok_or_else(refused)?;
    if imp.kind != GrantKind::Impersonation
        || imp.target_sub != session.sub
        || !secret_matches(secret, &imp.revert_secret_hash)
        || !imp.is_live(state.clock.now_secs())
    {
        return Err(refused());
    }
    if !state
        .impersonations
        .end(id, Some(&imp.revert_secret_hash), state.clock.now_secs())
        .await?
    {
        return Err(refused());
    }
    info!(impersonation_id = id, actor = %imp.actor_username, "impersonation reverted");
    let mut reverted =
        AuditRecord::new(AuditEvent::Reverted, state.clock.now_millis(), origin).about(&imp);
    reverted.cause = Some("reverted by the impersonator".into());
    let recorded = state.audit.record(&reverted).await;
    crate::lifecycle::revoke_session(state, &imp).await;
    recorded?;
    let actor = state
        .identity
        .find_user(&UserRef::parse(&imp.actor_username)?)
        .await?
        .filter(|u| u.sub == imp.actor_sub)
        .ok_or_else(|| ActasError::Unauthorized("the impersonator no longer exists".into()))?;
    if !actor.enabled {
        return Err(Denial::ActorDisabled.into());
    }
    mint_session_payload(
        state,
        &actor,
        &actor,
        GrantKind::OwnSession,
        &Justification::default(),
        None,
    )
    .await
}

/// Where a front end refreshes an impersonated session: actas's Cognito-protocol endpoint,
/// which knows which impersonation a refresh token belongs to.
pub const COGNITO_ENDPOINT_PATH: &str = "/auth/cognito";

fn refresh_endpoint(state: &ApiState, origin: Option<&RequestOrigin>) -> Result<String> {
    state
        .config
        .public_api_url
        .clone()
        .or_else(|| origin.and_then(|o| o.api_url.clone()))
        .map(|base| format!("{base}{COGNITO_ENDPOINT_PATH}"))
        .ok_or_else(|| ActasError::Internal("the API's public URL is unknown".into()))
}

/// Writes the grant, has Cognito redeem it, and builds the payload. The grant is written before
/// any token exists. The start's audit record (when `audit` is given) is written once the
/// session exists, with outcome `success`; if minting fails the grant is marked `failed` and the
/// record says `failed` with its cause: it never produced a session and holds nothing.
pub async fn mint_session_payload(
    state: &ApiState,
    actor: &UserRecord,
    target: &UserRecord,
    kind: GrantKind,
    justification: &Justification,
    audit: Option<(AuditEvent, &RequestOrigin)>,
) -> Result<SessionPayload> {
    let now_millis = state.clock.now_millis();
    let now_secs = now_millis.div_euclid(1000);
    let impersonated = kind == GrantKind::Impersonation;
    let endpoint_url = if impersonated {
        refresh_endpoint(state, audit.map(|(_, origin)| origin))?
    } else {
        state.config.cognito_public_endpoint.clone()
    };
    let mint_secret = new_secret()?;
    let revert_secret = new_secret()?;
    let ends_at = now_secs + state.config.impersonation_max_secs;
    let client_id = match kind {
        GrantKind::Impersonation => state.config.impersonation_client_id.clone(),
        GrantKind::OwnSession => state.config.revert_client_id.clone(),
    };
    let grant = Impersonation {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        actor_sub: actor.sub.clone(),
        actor_username: actor.username.clone(),
        target_sub: target.sub.clone(),
        target_username: target.username.clone(),
        tenant: target.principal().tenant,
        reason: justification.reason.clone(),
        ticket: justification.ticket.clone(),
        client_id: client_id.clone(),
        status: ImpersonationStatus::Pending,
        created_at_millis: now_millis,
        ends_at,
        mint_deadline: now_secs + state.config.mint_window_secs,
        mint_secret_hash: hash_secret(&mint_secret),
        revert_secret_hash: hash_secret(&revert_secret),
        // Kept a day past its end so the record can still be read after it ended.
        expires_at: ends_at + 86_400,
        refresh_token_sealed: None,
        ended_at: None,
        revoked_at: None,
    };
    state.impersonations.create(&grant).await?;

    let minted = state
        .identity
        .mint_session(MintRequest {
            client_id: &client_id,
            username: &target.username,
            impersonation_id: &grant.id,
            remint_id: None,
            secret: &mint_secret,
        })
        .await;
    let minted = match minted {
        Ok(tokens) if impersonated => keep_refresh_token(state, &grant, &tokens.refresh_token)
            .await
            .map(|()| tokens),
        other => other,
    };
    let tokens = match minted {
        Ok(tokens) => tokens,
        Err(err) => {
            fail_start(state, &grant, &err, audit).await;
            return Err(err);
        }
    };
    if let Some((event, origin)) = audit {
        let record = AuditRecord::new(event, state.clock.now_millis(), origin).about(&grant);
        // No session without its record: if the record cannot be written, the session ends.
        if let Err(err) = state.audit.record(&record).await {
            revoke_unrecorded(state, &grant, &tokens.refresh_token).await;
            fail_start(state, &grant, &err, None).await;
            return Err(err);
        }
    }
    info!(
        impersonation_id = %grant.id,
        kind = kind.as_str(),
        actor = %grant.actor_username,
        target = %grant.target_username,
        "session minted"
    );

    let token_expiry = now_millis + tokens.expires_in_secs * 1000;
    let expire_epoch = if impersonated {
        token_expiry.min(ends_at * 1000)
    } else {
        token_expiry
    };
    let created = rfc3339_millis(now_millis);
    Ok(SessionPayload {
        endpoint_url,
        client_id,
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
        impersonator_revert_token: impersonated.then(|| format!("{}.{}", grant.id, revert_secret)),
        created_at: created.clone(),
        updated_at: created,
        impersonation: impersonated.then(|| ImpersonationSummary {
            id: grant.id,
            actor: ActorSummary {
                sub: grant.actor_sub,
                username: grant.actor_username,
            },
            reason: grant.reason,
            ticket: grant.ticket,
            expires_at: rfc3339_millis(ends_at * 1000),
        }),
    })
}

/// A start that produced no usable session: the grant is `failed` (never live), and the
/// start's audit record says so, with the cause.
async fn fail_start(
    state: &ApiState,
    grant: &Impersonation,
    err: &ActasError,
    audit: Option<(AuditEvent, &RequestOrigin)>,
) {
    let now = state.clock.now_secs();
    if let Err(e) = state.impersonations.mark_failed(&grant.id, now).await {
        warn!(impersonation_id = %grant.id, error = %e, "could not mark a failed start");
    }
    if let Some((event, origin)) = audit {
        let mut record = AuditRecord::new(event, state.clock.now_millis(), origin).about(grant);
        record.outcome = crate::audit::OUTCOME_FAILED;
        record.cause = Some(format!(
            "the session could not be minted: {}",
            err.public_message()
        ));
        if let Err(e) = state.audit.record(&record).await {
            warn!(impersonation_id = %grant.id, error = %e, "could not audit a failed start");
        }
    }
}

/// Revokes a minted session that cannot be kept or recorded (fail closed).
async fn revoke_unrecorded(state: &ApiState, grant: &Impersonation, refresh_token: &str) {
    match state
        .identity
        .revoke_refresh_token(&grant.client_id, refresh_token)
        .await
    {
        Ok(()) => {
            let now = state.clock.now_secs();
            if let Err(e) = state.impersonations.mark_revoked(&grant.id, now).await {
                warn!(impersonation_id = %grant.id, error = %e, "could not record a revoke");
            }
        }
        Err(e) => {
            warn!(impersonation_id = %grant.id, error = %e, "could not revoke an unkept session")
        }
    }
}

/// Seals and stores the refresh token so that a stop can revoke it, with its hash as the key a
/// refresh through actas finds this impersonation by. If it cannot be kept, the session could
/// outlive a stop: it is revoked now (fail closed).
async fn keep_refresh_token(
    state: &ApiState,
    grant: &Impersonation,
    refresh_token: &str,
) -> Result<()> {
    let kept = match state.vault.seal(&grant.id, refresh_token).await {
        Ok(sealed) => {
            state
                .impersonations
                .keep_refresh_token(
                    &grant.id,
                    &sealed,
                    &hash_secret(refresh_token),
                    grant.expires_at,
                )
                .await
        }
        Err(err) => Err(err),
    };
    if kept.is_err() {
        revoke_unrecorded(state, grant, refresh_token).await;
    }
    kept
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
