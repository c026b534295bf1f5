//! Minting a session for a grant: Cognito custom auth redeems the single-use grant, the refresh
//! token is sealed and pointed at its impersonation, and the payload is built.

use crate::app::state::{Api, Sessions};
use crate::domain::audit::{AuditEvent, AuditRecord, RequestOrigin};
use crate::domain::error::{ActasError, Result};
use crate::domain::grant::{GrantKind, Impersonation, ImpersonationStatus};
use crate::domain::mode::Terms;
use crate::domain::payload::{ActorSummary, ImpersonationSummary, SessionPayload, SessionTokens};
use crate::domain::secrets::{hash_secret, new_secret};
use crate::domain::user::UserRecord;
use crate::ports::clock::rfc3339_millis;
use crate::ports::grants::RefreshPointer;
use crate::ports::identity::MintRequest;
use tracing::{info, warn};

/// Where a front end refreshes an impersonated session: actas's Cognito-protocol endpoint,
/// which knows which impersonation a refresh token belongs to.
pub const COGNITO_ENDPOINT_PATH: &str = "/auth/cognito";

pub(crate) fn refresh_endpoint(state: &Api, origin: Option<&RequestOrigin>) -> Result<String> {
    state
        .public_api_url
        .clone()
        .or_else(|| origin.and_then(|o| o.api_url.clone()))
        .map(|base| format!("{base}{COGNITO_ENDPOINT_PATH}"))
        .ok_or_else(|| ActasError::Internal("the API's public URL is unknown".into()))
}

/// Writes the grant, has Cognito redeem it, and builds the payload. The grant is written before
/// any token exists. The start's audit record (when `audit` is given) is written once the
/// session exists, with outcome `success`, at the same time as its refresh token is kept; if
/// minting or keeping fails the grant is marked `failed` and a record says `failed` with its
/// cause: it holds nothing (a session minted but not kept or not recorded is revoked).
pub async fn mint_session_payload(
    state: &Api,
    sessions: &Sessions,
    actor: &UserRecord,
    target: &UserRecord,
    kind: GrantKind,
    terms: &Terms,
    audit: Option<(AuditEvent, &RequestOrigin)>,
) -> Result<SessionPayload> {
    let now_millis = state.clock.now_millis();
    let now_secs = now_millis.div_euclid(1000);
    let impersonated = kind == GrantKind::Impersonation;
    let endpoint_url = if impersonated {
        refresh_endpoint(state, audit.map(|(_, origin)| origin))?
    } else {
        state.pool.cognito_public_endpoint.clone()
    };
    let mint_secret = new_secret()?;
    let revert_secret = new_secret()?;
    let max_secs = terms
        .max_duration_secs
        .map_or(state.policy.impersonation_max_secs, |tenant| {
            tenant.min(state.policy.impersonation_max_secs)
        });
    // No token may outlive its impersonation: a hard end sooner than the last first token's
    // expiry (a tenant setting from before the tokens' validity was raised) is refused.
    if impersonated && max_secs < state.policy.token_horizon_secs() {
        return Err(ActasError::Unprocessable(format!(
            "the tenant's maximum duration ({max_secs} s) is shorter than the impersonated tokens' lifetime ({} s: mint window and token validity); raise max_duration_seconds",
            state.policy.token_horizon_secs()
        )));
    }
    let ends_at = now_secs + max_secs;
    // The idle timeout, fixed now: the tenant's when shorter than the deployment's. An own
    // session (a revert's) is the actor's and has none.
    let idle_secs = if impersonated {
        terms
            .idle_secs
            .map_or(state.policy.impersonation_idle_secs, |tenant| {
                tenant.min(state.policy.impersonation_idle_secs)
            })
            .max(0)
    } else {
        0
    };
    let client_id = match kind {
        GrantKind::Impersonation => state.pool.impersonation_client_id.clone(),
        GrantKind::OwnSession => state.pool.revert_client_id.clone(),
    };
    let grant = Impersonation {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        actor_sub: actor.sub.clone(),
        actor_username: actor.username.clone(),
        target_sub: target.sub.clone(),
        target_username: target.username.clone(),
        tenant: target.principal().tenant,
        reason: terms.justification.reason.clone(),
        ticket: terms.justification.ticket.clone(),
        mode: terms.mode,
        break_glass: terms.break_glass,
        client_id: client_id.clone(),
        status: ImpersonationStatus::Pending,
        created_at_millis: now_millis,
        ends_at,
        mint_deadline: now_secs + state.policy.mint_window_secs,
        mint_secret_hash: hash_secret(&mint_secret),
        revert_secret_hash: hash_secret(&revert_secret),
        // Kept a day past its end so the record can still be read after it ended.
        expires_at: ends_at + 86_400,
        refresh_token_sealed: None,
        ended_at: None,
        revoked_at: None,
        last_active_at: now_secs,
        idle_secs,
    };
    sessions.impersonations.create(&grant).await?;

    let minted = state
        .identity
        .mint_session(MintRequest {
            client_id: &client_id,
            username: &target.username,
            impersonation_id: &grant.id,
            remint_id: None,
            is_revert: !impersonated,
            secret: &mint_secret,
        })
        .await;
    let tokens = match minted {
        Ok(tokens) => tokens,
        Err(err) => {
            fail_start(state, sessions, &grant, &err, audit).await;
            return Err(err);
        }
    };
    // The refresh token is kept (sealed, with its hash pointer) while the start is recorded: the
    // two wait for the mint, not for each other. No session without both: if either fails, the
    // session is revoked and the grant is `failed`.
    let keep = async {
        if impersonated {
            keep_refresh_token(state, sessions, &grant, &tokens.refresh_token).await
        } else {
            Ok(())
        }
    };
    let record = audit.map(|(event, origin)| {
        AuditRecord::new(event, state.clock.now_millis(), origin)
            .about(&grant)
            .approved(terms.approved.as_ref())
    });
    let recording = async {
        match &record {
            Some(record) => state.audit.record(record).await,
            None => Ok(()),
        }
    };
    let (kept, recorded) = tokio::join!(keep, recording);
    match (kept, recorded) {
        (Ok(()), Ok(())) => {}
        // Not kept: `keep_refresh_token` revoked the session. The start is on record as failed
        // (after its record of success, when that one was written).
        (Err(err), _) => {
            fail_start(state, sessions, &grant, &err, audit).await;
            return Err(err);
        }
        // No session without its record: if the record cannot be written, the session ends.
        (Ok(()), Err(err)) => {
            revoke_unrecorded(state, sessions, &grant, &tokens.refresh_token).await;
            fail_start(state, sessions, &grant, &err, None).await;
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
    let idle_ends_at =
        (grant.idle_secs > 0).then(|| rfc3339_millis(grant.idle_ends_at().saturating_mul(1000)));
    Ok(SessionPayload {
        endpoint_url,
        client_id,
        user_pool_id: state.pool.user_pool_id.clone(),
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
            mode: grant.mode.as_str(),
            expires_at: rfc3339_millis(ends_at * 1000),
            idle_seconds: grant.idle_secs,
            idle_ends_at,
        }),
    })
}

/// A start that produced no usable session: the grant is `failed` (never live), and the
/// start's audit record says so, with the cause.
pub(crate) async fn fail_start(
    state: &Api,
    sessions: &Sessions,
    grant: &Impersonation,
    err: &ActasError,
    audit: Option<(AuditEvent, &RequestOrigin)>,
) {
    let now = state.clock.now_secs();
    if let Err(e) = sessions.impersonations.mark_failed(&grant.id, now).await {
        warn!(impersonation_id = %grant.id, error = %e, "could not mark a failed start");
    }
    if let Some((event, origin)) = audit {
        let mut record = AuditRecord::new(event, state.clock.now_millis(), origin).about(grant);
        record.outcome = crate::domain::audit::OUTCOME_FAILED;
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
pub(crate) async fn revoke_unrecorded(
    state: &Api,
    sessions: &Sessions,
    grant: &Impersonation,
    refresh_token: &str,
) {
    match state
        .identity
        .revoke_refresh_token(&grant.client_id, refresh_token)
        .await
    {
        Ok(()) => {
            let now = state.clock.now_secs();
            if let Err(e) = sessions.impersonations.mark_revoked(&grant.id, now).await {
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
pub(crate) async fn keep_refresh_token(
    state: &Api,
    sessions: &Sessions,
    grant: &Impersonation,
    refresh_token: &str,
) -> Result<()> {
    let kept = match sessions.vault.seal(&grant.id, refresh_token).await {
        Ok(sealed) => {
            sessions
                .impersonations
                .keep_refresh_token(
                    &RefreshPointer {
                        impersonation_id: grant.id.clone(),
                        actor_username: Some(grant.actor_username.clone()),
                        target_username: Some(grant.target_username.clone()),
                    },
                    &sealed,
                    &hash_secret(refresh_token),
                    grant.expires_at,
                )
                .await
        }
        Err(err) => Err(err),
    };
    if kept.is_err() {
        revoke_unrecorded(state, sessions, grant, refresh_token).await;
    }
    kept
}

/// Seed 000's `provider`: how the target signs in — `email` for the pool's own users, the
/// identity provider's name for federated ones.
pub(crate) fn provider_of(user: &UserRecord) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::audit_trail::AuditTrail;
    use crate::app::cognito_endpoint::refresh_session;
    use crate::domain::justification::Justification;
    use crate::domain::mode::Mode;
    use crate::ports::audit::{AuditPage, AuditQuery, AuditStore};
    use crate::ports::grants::{ImpersonationStore, ListQuery, ListScope};
    use crate::ports::vault::RefreshTokenVault;
    use crate::testkit::{TestWorld, IMPERSONATION_CLIENT};
    use async_trait::async_trait;
    use std::sync::Arc;

    /// An audit table that refuses every write (as a `PutItem` denied to the function would).
    struct UnwritableAudit;

    #[async_trait]
    impl AuditStore for UnwritableAudit {
        async fn put_audit(&self, _record: &AuditRecord) -> Result<()> {
            Err(ActasError::Upstream("PutItem: access denied".into()))
        }

        async fn put_audit_counted(&self, _record: &AuditRecord) -> Result<bool> {
            Err(ActasError::Upstream("PutItem: access denied".into()))
        }

        async fn audit_for_tenant(&self, _: Option<&str>, _: i64) -> Result<Vec<AuditRecord>> {
            Ok(Vec::new())
        }

        async fn audit_page(&self, _query: &AuditQuery) -> Result<AuditPage> {
            Ok(AuditPage::default())
        }
    }

    /// A vault whose key refuses to seal (as a KMS `Encrypt` denied to the function would).
    struct UnsealableVault;

    #[async_trait]
    impl RefreshTokenVault for UnsealableVault {
        async fn seal(&self, _id: &str, _refresh_token: &str) -> Result<String> {
            Err(ActasError::Upstream("Encrypt: access denied".into()))
        }

        async fn open(&self, _id: &str, _sealed: &str) -> Result<String> {
            Err(ActasError::Upstream("Decrypt: access denied".into()))
        }
    }

    const ACTOR: &str = "acme-admin";
    const TARGET: &str = "acme-support-1";

    /// `ACTOR` starts an impersonation of `TARGET` over `api` (whose audit trail a test chooses).
    async fn start(world: &TestWorld, api: &Api) -> Result<SessionPayload> {
        start_keeping(world, api, &world.sessions()).await
    }

    /// `start`, keeping the refresh token in `sessions` (whose vault a test chooses).
    async fn start_keeping(
        world: &TestWorld,
        api: &Api,
        sessions: &Sessions,
    ) -> Result<SessionPayload> {
        let terms = Terms::new(
            Justification {
                reason: Some("support".into()),
                ticket: None,
            },
            Mode::Full,
        );
        mint_session_payload(
            api,
            sessions,
            &world.user(ACTOR),
            &world.user(TARGET),
            GrantKind::Impersonation,
            &terms,
            Some((AuditEvent::Started, &RequestOrigin::default())),
        )
        .await
    }

    /// Every impersonation of `TARGET` in the world's store.
    async fn grants_of_target(world: &TestWorld) -> Vec<Impersonation> {
        let query = ListQuery {
            scope: ListScope::Target(world.user(TARGET).sub),
            actor_sub: None,
            target_sub: None,
            active_only: None,
            since_millis: None,
            page_token: None,
            limit: 100,
            now_secs: world.clock.now_secs(),
        };
        world.store.list(&query).await.expect("listed").items
    }

    /// The one grant a failed start wrote: recorded failed, and not live.
    async fn the_failed_grant(world: &TestWorld) -> Impersonation {
        let grants = grants_of_target(world).await;
        assert_eq!(grants.len(), 1, "one grant was written: {grants:?}");
        let grant = grants.into_iter().next().expect("one grant");
        assert_eq!(grant.status, ImpersonationStatus::Failed);
        assert!(!grant.is_live(world.clock.now_secs()));
        grant
    }

    #[tokio::test]
    async fn a_session_exists_only_with_its_starts_audit_record() {
        // Control: with an audit trail that writes, the same start gives a live session and its
        // record, so what follows fails for the audit write alone.
        let world = TestWorld::new();
        let payload = start(&world, &world.api()).await.expect("started");
        let id = payload
            .impersonation
            .as_ref()
            .expect("an impersonation")
            .id
            .clone();
        let grant = world.store.get(&id).await.unwrap().expect("the grant");
        assert!(grant.is_live(world.clock.now_secs()));
        assert!(world
            .store
            .audit_records()
            .iter()
            .any(|r| r.event == AuditEvent::Started && r.impersonation_id.as_deref() == Some(&id)));
        assert!(refresh_session(
            &world.session_state(),
            IMPERSONATION_CLIENT,
            &payload.session.refresh_token
        )
        .await
        .is_ok());

        // The start's record cannot be written: the start fails, after a session was minted.
        let world = TestWorld::new();
        let mut api = world.api();
        api.audit = AuditTrail {
            store: Arc::new(UnwritableAudit),
        };
        let refused = start(&world, &api).await;
        assert!(
            matches!(refused, Err(ActasError::Upstream(_))),
            "the start fails with the audit write: {refused:?}"
        );

        let grant = &the_failed_grant(&world).await;
        assert!(grant.ended_at.is_some());

        // Cognito did mint a session (its refresh token was kept, sealed): it is revoked.
        let sealed = grant
            .refresh_token_sealed
            .as_deref()
            .expect("the minted session's refresh token was kept");
        let refresh_token = world
            .sessions()
            .vault
            .open(&grant.id, sealed)
            .await
            .expect("opened");
        let revoked = world.identity.revoked.lock().unwrap().clone();
        assert_eq!(revoked, vec![refresh_token.clone()], "revoked in Cognito");
        assert!(grant.revoked_at.is_some(), "and the revoke is on record");

        // Nothing usable remains: the session's refresh token yields no tokens.
        let refreshed =
            refresh_session(&world.session_state(), IMPERSONATION_CLIENT, &refresh_token).await;
        assert!(
            matches!(refreshed, Err(ActasError::Unauthorized(_))),
            "{refreshed:?}"
        );
    }

    #[tokio::test]
    async fn a_session_whose_refresh_token_cannot_be_kept_is_revoked_and_its_start_recorded_failed()
    {
        // The start is recorded while its refresh token is kept; here the keeping fails.
        let world = TestWorld::new();
        let mut sessions = world.sessions();
        sessions.vault = Arc::new(UnsealableVault);
        let refused = start_keeping(&world, &world.api(), &sessions).await;
        assert!(
            matches!(refused, Err(ActasError::Upstream(_))),
            "the start fails with the keeping: {refused:?}"
        );

        let grant = &the_failed_grant(&world).await;
        assert!(grant.refresh_token_sealed.is_none(), "nothing was kept");
        let revoked = world.identity.revoked.lock().unwrap().clone();
        assert_eq!(revoked.len(), 1, "the minted session is revoked in Cognito");
        assert!(grant.revoked_at.is_some(), "and the revoke is on record");

        // On record: the start's success, written beside the keeping, then its failure with
        // the cause, last.
        let records: Vec<AuditRecord> = world
            .store
            .audit_records()
            .into_iter()
            .filter(|r| r.impersonation_id.as_deref() == Some(grant.id.as_str()))
            .collect();
        let last = records.last().expect("records");
        assert_eq!(last.event, AuditEvent::Started);
        assert_eq!(last.outcome, crate::domain::audit::OUTCOME_FAILED);
        assert!(
            last.cause
                .as_deref()
                .is_some_and(|c| c.starts_with("the session could not be minted")),
            "{last:?}"
        );
        assert!(records.len() <= 2, "{records:?}");
    }
}
