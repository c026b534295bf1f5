//! Customer API keys (seed 001's `X-API-Key`): `actas.<key id>.<secret>`. The id finds the
//! stored record; the secret is only stored hashed and compared in constant time.

use crate::domain::error::{ActasError, Result};
use crate::domain::grant::{ApiKey, ApiKeyStatus};
use crate::domain::secrets::{hash_secret, new_secret, secret_matches};
use crate::ports::clock::Clock;
use crate::ports::grants::ApiKeyStore;

const PREFIX: &str = "actas";

/// Creates a key for `tenant`; the plaintext is returned once and never stored.
pub async fn issue_api_key(
    store: &dyn ApiKeyStore,
    clock: &dyn Clock,
    tenant: &str,
    description: &str,
) -> Result<(ApiKey, String)> {
    if tenant.trim().is_empty() {
        return Err(ActasError::BadRequest("a tenant is required".into()));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let secret = new_secret()?;
    let api_key = ApiKey {
        id: id.clone(),
        tenant: tenant.to_string(),
        secret_hash: hash_secret(&secret),
        status: ApiKeyStatus::Active,
        description: description.to_string(),
        created_at_millis: clock.now_millis(),
        requests_per_minute: None,
    };
    store.put_api_key(&api_key).await?;
    Ok((api_key, format!("{PREFIX}.{id}.{secret}")))
}

/// How many requests a key may make per minute, and when it is now.
#[derive(Debug, Clone, Copy)]
pub struct UsagePlan {
    /// For keys without a plan of their own.
    pub default_requests_per_minute: u32,
    pub now_millis: i64,
}

/// Accepts a key only if it exists, is active, matches, and belongs to `tenant`. Every refusal
/// is a 403, as seed 001 has it; unknown, malformed and revoked keys read the same. A valid key
/// past its usage plan's requests this minute is throttled (429).
pub async fn check_api_key(
    store: &dyn ApiKeyStore,
    presented: Option<&str>,
    tenant: Option<&str>,
    plan: UsagePlan,
) -> Result<()> {
    let stored = find_api_key(store, presented).await?;
    count_api_key(store, &stored, tenant, plan).await
}

/// The presented key, if it exists, is active and matches (one read; every refusal a 403).
/// Apart from `count_api_key` so that a start reads the key while it reads its people.
pub async fn find_api_key(store: &dyn ApiKeyStore, presented: Option<&str>) -> Result<ApiKey> {
    let presented = presented
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ActasError::Forbidden("missing X-API-Key header".into()))?;
    let invalid = || ActasError::Forbidden("invalid API key".into());
    let mut parts = presented.splitn(3, '.');
    let (Some(PREFIX), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid());
    }
    let stored = store.get_api_key(id).await?.ok_or_else(invalid)?;
    if !secret_matches(secret, &stored.secret_hash) || stored.status != ApiKeyStatus::Active {
        return Err(invalid());
    }
    Ok(stored)
}

/// A key found by `find_api_key` is good for `tenant` only, and counts against its usage plan
/// (one conditional write: 429 past this minute's requests).
pub async fn count_api_key(
    store: &dyn ApiKeyStore,
    stored: &ApiKey,
    tenant: Option<&str>,
    plan: UsagePlan,
) -> Result<()> {
    if tenant != Some(stored.tenant.as_str()) {
        return Err(ActasError::Forbidden(
            "the API key belongs to another tenant".into(),
        ));
    }
    let limit = stored
        .requests_per_minute
        .unwrap_or(plan.default_requests_per_minute);
    let minute = plan.now_millis.div_euclid(60_000);
    if !store.count_request(&stored.id, minute, limit).await? {
        return Err(ActasError::Throttled);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::clock::ManualClock;
    use crate::testkit::memory::MemoryStore;

    const PLAN: UsagePlan = UsagePlan {
        default_requests_per_minute: 1_000,
        now_millis: 0,
    };

    #[tokio::test]
    async fn a_key_past_its_usage_plan_is_throttled_until_the_next_minute() {
        let store = MemoryStore::default();
        let clock = ManualClock::at_millis(0);
        let (key, plain) = issue_api_key(&store, &clock, "acme", "demo").await.unwrap();
        assert!(store.set_requests_per_minute(&key.id, 2).await.unwrap());
        let at = |now_millis| UsagePlan {
            default_requests_per_minute: 1_000,
            now_millis,
        };
        for _ in 0..2 {
            check_api_key(&store, Some(&plain), Some("acme"), at(1_000))
                .await
                .unwrap();
        }
        let third = check_api_key(&store, Some(&plain), Some("acme"), at(59_000)).await;
        assert!(matches!(third, Err(ActasError::Throttled)), "{third:?}");
        check_api_key(&store, Some(&plain), Some("acme"), at(60_000))
            .await
            .unwrap();
        // The deployment's default applies to keys without a plan of their own.
        let (_, other) = issue_api_key(&store, &clock, "acme", "demo").await.unwrap();
        let strict = UsagePlan {
            default_requests_per_minute: 1,
            now_millis: 0,
        };
        check_api_key(&store, Some(&other), Some("acme"), strict)
            .await
            .unwrap();
        let second = check_api_key(&store, Some(&other), Some("acme"), strict).await;
        assert!(matches!(second, Err(ActasError::Throttled)));
    }

    #[tokio::test]
    async fn a_key_works_for_its_own_tenant_until_revoked() {
        let store = MemoryStore::default();
        let clock = ManualClock::at_millis(0);
        let (acme, acme_plain) = issue_api_key(&store, &clock, "acme", "demo").await.unwrap();
        let (_, globex_plain) = issue_api_key(&store, &clock, "globex", "demo")
            .await
            .unwrap();
        assert!(!acme.secret_hash.is_empty() && !acme_plain.contains(&acme.secret_hash));

        assert!(check_api_key(&store, Some(&acme_plain), Some("acme"), PLAN)
            .await
            .is_ok());

        let refusals: [(Option<&str>, Option<&str>); 7] = [
            (None, Some("acme")),
            (Some(""), Some("acme")),
            (Some("garbage"), Some("acme")),
            (Some("actas.nope.nope"), Some("acme")),
            (Some(&globex_plain), Some("acme")),
            (Some(&acme_plain), None),
            (Some(&acme_plain[..acme_plain.len() - 1]), Some("acme")),
        ];
        for (presented, tenant) in refusals {
            let err = check_api_key(&store, presented, tenant, PLAN)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{presented:?} for {tenant:?}");
        }

        assert!(store.revoke_api_key(&acme.id).await.unwrap());
        let err = check_api_key(&store, Some(&acme_plain), Some("acme"), PLAN)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403);
        assert!(!store.revoke_api_key("no-such-key").await.unwrap());
    }
}
