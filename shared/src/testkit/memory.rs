//! In-memory adapters of the ports, for unit tests and benchmarks (never deployed).
//!
//! The memory identity provider mints by running the same grant redemption the Cognito verify
//! trigger runs, so a unit test exercises single use and expiry as deployed code does.

use crate::domain::audit::AuditRecord;
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::{
    AccessRequest, Approval, ApprovedTerms, Consent, RequestStatus, TenantSettings,
};
use crate::domain::grant::{
    ApiKey, ApiKeyStatus, ExchangeGrant, GrantKind, Impersonation, ImpersonationStatus, Remint,
};
use crate::domain::user::{UserRecord, UserRef};
use crate::ports::audit::{AuditPage, AuditQuery, AuditScope, AuditStore};
use crate::ports::clock::Clock;
use crate::ports::directory::{Directory, DirectoryScope};
use crate::ports::governance::{GovernanceStore, RequestScope};
use crate::ports::grants::{
    ApiKeyStore, CleanupPage, CleanupStore, CleanupWork, ExchangeStore, ImpersonationPage,
    ImpersonationStore, ListQuery, ListScope, Redemption, RefreshPointer,
};
use crate::ports::identity::{CognitoTokens, IdentityProvider, MintRequest, UserPage};
use crate::triggers::grant::{redeem_grant, GrantAnswer};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct MemoryStore {
    impersonations: Mutex<HashMap<String, Impersonation>>,
    /// Refresh token hash → its pointer.
    refresh_tokens: Mutex<HashMap<String, RefreshPointer>>,
    /// (impersonation id, remint id) → remint.
    remints: Mutex<HashMap<(String, String), Remint>>,
    exchanges: Mutex<HashMap<String, (ExchangeGrant, bool)>>,
    api_keys: Mutex<HashMap<String, ApiKey>>,
    audit: Mutex<Vec<AuditRecord>>,
    /// Revokes the cleanup put back: impersonation id → when they are due again.
    deferred: Mutex<HashMap<String, i64>>,
    /// Requests counted per (API key, minute).
    request_counts: Mutex<HashMap<(String, i64), u32>>,
    /// The directory: username → user.
    directory: Mutex<std::collections::BTreeMap<String, UserRecord>>,
    settings: Mutex<HashMap<String, TenantSettings>>,
    requests: Mutex<HashMap<String, AccessRequest>>,
}

#[async_trait]
impl GovernanceStore for MemoryStore {
    async fn settings(&self, tenant: &str) -> Result<Option<TenantSettings>> {
        Ok(self
            .settings
            .lock()
            .map_err(|_| poisoned())?
            .get(tenant)
            .cloned())
    }

    async fn put_settings(&self, settings: &TenantSettings) -> Result<()> {
        self.settings
            .lock()
            .map_err(|_| poisoned())?
            .insert(settings.tenant.clone(), settings.clone());
        Ok(())
    }

    async fn create_request(&self, request: &AccessRequest) -> Result<()> {
        self.requests
            .lock()
            .map_err(|_| poisoned())?
            .insert(request.id.clone(), request.clone());
        Ok(())
    }

    async fn request(&self, id: &str) -> Result<Option<AccessRequest>> {
        Ok(self
            .requests
            .lock()
            .map_err(|_| poisoned())?
            .get(id)
            .cloned())
    }

    async fn requests(&self, scope: &RequestScope) -> Result<Vec<AccessRequest>> {
        let requests = self.requests.lock().map_err(|_| poisoned())?;
        let mut found: Vec<AccessRequest> = requests
            .values()
            .filter(|r| match scope {
                RequestScope::All => true,
                RequestScope::Tenant(tenant) => &r.tenant == tenant,
                RequestScope::Requester(sub) => &r.requester_sub == sub,
                RequestScope::Target(sub) => &r.target_sub == sub,
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| (b.created_at_millis, &b.id).cmp(&(a.created_at_millis, &a.id)));
        Ok(found)
    }

    async fn decide(
        &self,
        id: &str,
        decision: Approval,
        decided_by: &str,
        comment: Option<&str>,
        terms: ApprovedTerms,
        now_secs: i64,
    ) -> Result<Option<AccessRequest>> {
        let mut requests = self.requests.lock().map_err(|_| poisoned())?;
        Ok(requests
            .get_mut(id)
            .filter(|r| r.approval == Approval::Pending && r.expires_at > now_secs)
            .map(|r| {
                r.approval = decision;
                r.decided_by = Some(decided_by.to_string());
                r.comment = comment.map(str::to_string);
                r.approved_mode = terms.mode;
                r.approved_duration_seconds = terms.duration_seconds;
                r.clone()
            }))
    }

    async fn answer_consent(
        &self,
        id: &str,
        answer: Consent,
        now_secs: i64,
    ) -> Result<Option<AccessRequest>> {
        let mut requests = self.requests.lock().map_err(|_| poisoned())?;
        Ok(requests
            .get_mut(id)
            .filter(|r| r.consent == Consent::Pending && r.expires_at > now_secs)
            .map(|r| {
                r.consent = answer;
                r.clone()
            }))
    }

    async fn require(
        &self,
        id: &str,
        approval: bool,
        consent: bool,
    ) -> Result<Option<AccessRequest>> {
        let mut requests = self.requests.lock().map_err(|_| poisoned())?;
        Ok(requests.get_mut(id).map(|r| {
            if approval && r.approval == Approval::NotRequired {
                r.approval = Approval::Pending;
            }
            if consent && r.consent == Consent::NotRequired {
                r.consent = Consent::Pending;
            }
            r.clone()
        }))
    }

    async fn redeem(&self, id: &str, now_secs: i64) -> Result<bool> {
        let mut requests = self.requests.lock().map_err(|_| poisoned())?;
        match requests.get_mut(id) {
            Some(r) if r.status(now_secs) == RequestStatus::Approved => {
                r.used = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn put_audit(&self, record: &AuditRecord) -> Result<()> {
        self.audit
            .lock()
            .map_err(|_| poisoned())?
            .push(record.clone());
        Ok(())
    }

    async fn put_audit_counted(&self, record: &AuditRecord) -> Result<bool> {
        let mut records = self.audit.lock().map_err(|_| poisoned())?;
        if let Some(existing) = records.iter_mut().find(|r| r.id == record.id) {
            existing.count += 1;
            return Ok(false);
        }
        records.push(record.clone());
        Ok(true)
    }

    async fn audit_for_tenant(
        &self,
        tenant: Option<&str>,
        since_millis: i64,
    ) -> Result<Vec<AuditRecord>> {
        let records = self.audit.lock().map_err(|_| poisoned())?;
        Ok(records
            .iter()
            .filter(|r| r.tenant.as_deref() == tenant && r.at_millis >= since_millis)
            .cloned()
            .collect())
    }

    /// Everything that matches in one page (memory holds little), newest first.
    async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage> {
        let records = self.audit.lock().map_err(|_| poisoned())?;
        let mut matching: Vec<AuditRecord> = records
            .iter()
            .filter(|r| match &q.scope {
                AuditScope::All => true,
                AuditScope::Tenant(tenant) => &r.tenant == tenant,
            })
            .filter(|r| q.actor_sub.is_none() || r.actor_sub == q.actor_sub)
            .filter(|r| q.target_sub.is_none() || r.target_sub == q.target_sub)
            .filter(|r| q.events.is_empty() || q.events.contains(&r.event))
            .filter(|r| q.since_millis.is_none_or(|t| r.at_millis >= t))
            .filter(|r| q.until_millis.is_none_or(|t| r.at_millis < t))
            .cloned()
            .collect();
        matching.sort_by(|a, b| (b.at_millis, &b.id).cmp(&(a.at_millis, &a.id)));
        Ok(AuditPage {
            records: matching,
            next_token: None,
        })
    }
}

#[async_trait]
impl CleanupStore for MemoryStore {
    /// Everything due in one page (memory holds little), oldest first; deferred revokes wait.
    async fn cleanup_page(
        &self,
        _page_token: Option<String>,
        now_secs: i64,
    ) -> Result<CleanupPage> {
        let map = self.impersonations.lock().map_err(|_| poisoned())?;
        let deferred = self.deferred.lock().map_err(|_| poisoned())?;
        let mut due: Vec<(i64, CleanupWork)> = Vec::new();
        for imp in map.values().filter(|i| i.kind == GrantKind::Impersonation) {
            let live = matches!(
                imp.status,
                ImpersonationStatus::Active | ImpersonationStatus::Pending
            );
            if live && imp.ends_at <= now_secs {
                due.push((imp.ends_at, CleanupWork::End(imp.clone())));
            } else if !live && imp.refresh_token_sealed.is_some() && imp.revoked_at.is_none() {
                let at = deferred
                    .get(&imp.id)
                    .copied()
                    .unwrap_or(imp.ended_at.unwrap_or(imp.ends_at));
                if at <= now_secs {
                    due.push((at, CleanupWork::Revoke(imp.clone())));
                }
            }
        }
        due.sort_by_key(|(at, _)| *at);
        Ok(CleanupPage {
            work: due.into_iter().map(|(_, work)| work).collect(),
            next_token: None,
        })
    }

    async fn settle(&self, _id: &str) -> Result<()> {
        Ok(())
    }

    async fn defer(&self, id: &str, until_secs: i64) -> Result<()> {
        self.deferred
            .lock()
            .map_err(|_| poisoned())?
            .insert(id.to_string(), until_secs);
        Ok(())
    }
}

/// Publishes into a list, for tests.
#[derive(Default)]
pub struct MemoryPublisher {
    pub published: Mutex<Vec<AuditRecord>>,
}

#[async_trait]
impl crate::ports::audit::EventPublisher for MemoryPublisher {
    async fn publish(&self, record: &AuditRecord) -> Result<()> {
        self.published
            .lock()
            .map_err(|_| poisoned())?
            .push(record.clone());
        Ok(())
    }
}

fn poisoned() -> ActasError {
    ActasError::Internal("memory store lock poisoned".into())
}

#[async_trait]
impl ImpersonationStore for MemoryStore {
    async fn create(&self, imp: &Impersonation) -> Result<()> {
        let mut map = self.impersonations.lock().map_err(|_| poisoned())?;
        if map.contains_key(&imp.id) {
            return Err(ActasError::Conflict("impersonation exists".into()));
        }
        map.insert(imp.id.clone(), imp.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Impersonation>> {
        Ok(self
            .impersonations
            .lock()
            .map_err(|_| poisoned())?
            .get(id)
            .cloned())
    }

    async fn activate(&self, r: &Redemption<'_>) -> Result<bool> {
        let mut map = self.impersonations.lock().map_err(|_| poisoned())?;
        match map.get_mut(r.id) {
            Some(imp)
                if imp.status == ImpersonationStatus::Pending
                    && imp.mint_deadline > r.now_secs
                    && imp.target_username == r.target_username
                    && imp.client_id == r.client_id
                    && imp.mint_secret_hash == r.mint_secret_hash =>
            {
                imp.status = ImpersonationStatus::Active;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list(&self, q: &ListQuery) -> Result<ImpersonationPage> {
        let map = self.impersonations.lock().map_err(|_| poisoned())?;
        let mut items: Vec<&Impersonation> = map
            .values()
            .filter(|i| i.kind == GrantKind::Impersonation)
            .filter(|i| match &q.scope {
                ListScope::All => true,
                ListScope::Tenant(t) => &i.tenant == t,
                ListScope::Target(sub) => &i.target_sub == sub,
            })
            .filter(|i| q.actor_sub.as_ref().is_none_or(|a| &i.actor_sub == a))
            .filter(|i| q.target_sub.as_ref().is_none_or(|t| &i.target_sub == t))
            .filter(|i| {
                q.active_only
                    .is_none_or(|active| i.is_live(q.now_secs) == active)
            })
            .filter(|i| i.created_at_millis >= q.since_millis.unwrap_or(0))
            .collect();
        items.sort_by(|a, b| {
            b.created_at_millis
                .cmp(&a.created_at_millis)
                .then(b.id.cmp(&a.id))
        });
        let start: usize = match &q.page_token {
            Some(t) => t
                .parse()
                .map_err(|_| ActasError::BadRequest("nextToken is not valid".into()))?,
            None => 0,
        };
        let end = (start + q.limit.max(1) as usize).min(items.len());
        Ok(ImpersonationPage {
            items: items
                .get(start..end)
                .unwrap_or_default()
                .iter()
                .map(|i| (*i).clone())
                .collect(),
            next_token: (end < items.len()).then(|| end.to_string()),
            read: end.saturating_sub(start),
        })
    }

    async fn keep_refresh_token(
        &self,
        pointer: &RefreshPointer,
        sealed: &str,
        token_hash: &str,
        _expires_at: i64,
    ) -> Result<()> {
        let mut map = self.impersonations.lock().map_err(|_| poisoned())?;
        let imp = map
            .get_mut(&pointer.impersonation_id)
            .ok_or_else(|| ActasError::Internal("no such impersonation".into()))?;
        imp.refresh_token_sealed = Some(sealed.to_string());
        self.refresh_tokens
            .lock()
            .map_err(|_| poisoned())?
            .insert(token_hash.to_string(), pointer.clone());
        Ok(())
    }

    async fn find_by_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshPointer>> {
        Ok(self
            .refresh_tokens
            .lock()
            .map_err(|_| poisoned())?
            .get(token_hash)
            .cloned())
    }

    async fn put_remint(&self, remint: &Remint) -> Result<()> {
        self.remints.lock().map_err(|_| poisoned())?.insert(
            (remint.impersonation_id.clone(), remint.remint_id.clone()),
            remint.clone(),
        );
        Ok(())
    }

    async fn redeem_remint(
        &self,
        impersonation_id: &str,
        remint_id: &str,
        secret_hash: &str,
        now_secs: i64,
    ) -> Result<bool> {
        let mut remints = self.remints.lock().map_err(|_| poisoned())?;
        let key = (impersonation_id.to_string(), remint_id.to_string());
        let redeemable = remints
            .get(&key)
            .is_some_and(|r| r.secret_hash == secret_hash && r.deadline > now_secs);
        Ok(redeemable && remints.remove(&key).is_some())
    }

    async fn mark_revoked(&self, id: &str, now_secs: i64) -> Result<()> {
        if let Some(imp) = self
            .impersonations
            .lock()
            .map_err(|_| poisoned())?
            .get_mut(id)
        {
            imp.revoked_at = Some(now_secs);
        }
        Ok(())
    }

    async fn mark_failed(&self, id: &str, now_secs: i64) -> Result<bool> {
        let mut map = self.impersonations.lock().map_err(|_| poisoned())?;
        match map.get_mut(id) {
            Some(imp)
                if matches!(
                    imp.status,
                    ImpersonationStatus::Pending | ImpersonationStatus::Active
                ) =>
            {
                imp.status = ImpersonationStatus::Failed;
                imp.ended_at = Some(now_secs);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn touch(&self, id: &str, idle_secs: i64, now_secs: i64) -> Result<bool> {
        let mut map = self.impersonations.lock().map_err(|_| poisoned())?;
        match map.get_mut(id) {
            Some(imp)
                if imp.is_live(now_secs)
                    && (idle_secs <= 0 || imp.last_active_at > now_secs - idle_secs) =>
            {
                imp.last_active_at = now_secs;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn end(&self, id: &str, revert_secret_hash: Option<&str>, now_secs: i64) -> Result<bool> {
        let mut map = self.impersonations.lock().map_err(|_| poisoned())?;
        let Some(imp) = map.get_mut(id) else {
            return Ok(false);
        };
        let endable = matches!(
            imp.status,
            ImpersonationStatus::Active | ImpersonationStatus::Pending
        ) && revert_secret_hash.is_none_or(|h| h == imp.revert_secret_hash);
        if !endable {
            return Ok(false);
        }
        imp.status = ImpersonationStatus::Ended;
        imp.ended_at = Some(now_secs);
        Ok(true)
    }
}

#[async_trait]
impl ExchangeStore for MemoryStore {
    async fn put_exchange(&self, grant: &ExchangeGrant) -> Result<()> {
        self.exchanges
            .lock()
            .map_err(|_| poisoned())?
            .insert(grant.id.clone(), (grant.clone(), false));
        Ok(())
    }

    async fn consume_exchange(
        &self,
        id: &str,
        audience: &str,
        now_secs: i64,
    ) -> Result<Option<ExchangeGrant>> {
        let mut map = self.exchanges.lock().map_err(|_| poisoned())?;
        match map.get_mut(id) {
            Some((grant, used))
                if !*used && grant.token_expires_at > now_secs && grant.audience == audience =>
            {
                *used = true;
                Ok(Some(grant.clone()))
            }
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn put_api_key(&self, api_key: &ApiKey) -> Result<()> {
        self.api_keys
            .lock()
            .map_err(|_| poisoned())?
            .insert(api_key.id.clone(), api_key.clone());
        Ok(())
    }

    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        Ok(self
            .api_keys
            .lock()
            .map_err(|_| poisoned())?
            .get(id)
            .cloned())
    }

    async fn revoke_api_key(&self, id: &str) -> Result<bool> {
        let mut map = self.api_keys.lock().map_err(|_| poisoned())?;
        match map.get_mut(id) {
            Some(api_key) => {
                api_key.status = ApiKeyStatus::Revoked;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn list_api_keys(&self, tenant: &str) -> Result<Vec<ApiKey>> {
        let map = self.api_keys.lock().map_err(|_| poisoned())?;
        Ok(map
            .values()
            .filter(|k| k.tenant == tenant)
            .cloned()
            .collect())
    }

    async fn set_requests_per_minute(&self, id: &str, limit: u32) -> Result<bool> {
        let mut keys = self.api_keys.lock().map_err(|_| poisoned())?;
        Ok(keys
            .get_mut(id)
            .map(|key| key.requests_per_minute = Some(limit))
            .is_some())
    }

    async fn count_request(&self, id: &str, minute: i64, limit: u32) -> Result<bool> {
        let mut counts = self.request_counts.lock().map_err(|_| poisoned())?;
        let count = counts.entry((id.to_string(), minute)).or_insert(0);
        if *count >= limit {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }
}

/// Seals by tagging: enough for tests to see that the token is kept and opened per impersonation.
#[derive(Default)]
pub struct MemoryVault;

#[async_trait]
impl crate::ports::vault::RefreshTokenVault for MemoryVault {
    async fn seal(&self, impersonation_id: &str, refresh_token: &str) -> Result<String> {
        Ok(format!("sealed:{impersonation_id}:{refresh_token}"))
    }

    async fn open(&self, impersonation_id: &str, sealed: &str) -> Result<String> {
        sealed
            .strip_prefix(&format!("sealed:{impersonation_id}:"))
            .map(str::to_string)
            .ok_or_else(|| ActasError::Internal("sealed for another impersonation".into()))
    }
}

/// Users held in memory; minting redeems the grant in `store` like the Cognito triggers do.
pub struct MemoryIdentityProvider {
    /// Refresh tokens revoked through this provider.
    pub revoked: Mutex<Vec<String>>,
    users: Mutex<Vec<UserRecord>>,
    store: Arc<dyn ImpersonationStore>,
    clock: Arc<dyn Clock>,
    token_validity_secs: i64,
}

impl MemoryIdentityProvider {
    pub fn new(
        users: Vec<UserRecord>,
        store: Arc<dyn ImpersonationStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        MemoryIdentityProvider {
            revoked: Mutex::new(Vec::new()),
            users: Mutex::new(users),
            store,
            clock,
            token_validity_secs: 900,
        }
    }

    /// The pool deletes a user.
    pub fn remove_user(&self, username: &str) {
        if let Ok(mut users) = self.users.lock() {
            users.retain(|u| u.username != username);
        }
    }

    /// The pool creates a user.
    pub fn add_user(&self, user: UserRecord) {
        if let Ok(mut users) = self.users.lock() {
            users.push(user);
        }
    }

    pub fn update_user(&self, username: &str, change: impl FnOnce(&mut UserRecord)) {
        if let Ok(mut users) = self.users.lock() {
            if let Some(user) = users.iter_mut().find(|u| u.username == username) {
                change(user);
                // The pool changed: read the identity again, as the Cognito adapter would.
                user.identity = crate::domain::identity_mapping::IdentityMapping::default()
                    .identity_of(&user.groups, &user.attributes);
            }
        }
    }
}

#[async_trait]
impl IdentityProvider for MemoryIdentityProvider {
    async fn list_users(&self, page_token: Option<String>, limit: i32) -> Result<UserPage> {
        let users = self.users.lock().map_err(|_| poisoned())?;
        let start: usize = page_token
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let end = (start + limit.max(1) as usize).min(users.len());
        Ok(UserPage {
            users: users.get(start..end).unwrap_or_default().to_vec(),
            next_token: (end < users.len()).then(|| end.to_string()),
        })
    }

    async fn find_user(&self, user: &UserRef) -> Result<Option<UserRecord>> {
        let users = self.users.lock().map_err(|_| poisoned())?;
        Ok(users
            .iter()
            .find(|u| u.username == user.as_str() || u.sub == user.as_str())
            .cloned())
    }

    async fn revoke_refresh_token(&self, _client_id: &str, refresh_token: &str) -> Result<()> {
        self.revoked
            .lock()
            .map_err(|_| poisoned())?
            .push(refresh_token.to_string());
        Ok(())
    }

    async fn set_protected(&self, username: &str, protected: bool) -> Result<()> {
        let mut users = self.users.lock().map_err(|_| poisoned())?;
        let user = users
            .iter_mut()
            .find(|u| u.username == username)
            .ok_or_else(|| crate::domain::error::ActasError::NotFound("no such user".into()))?;
        user.attributes.insert(
            crate::domain::user::ATTR_PROTECTED.to_string(),
            protected.to_string(),
        );
        user.identity.protected = protected;
        Ok(())
    }

    async fn mint_session(&self, request: MintRequest<'_>) -> Result<CognitoTokens> {
        let redeemed = redeem_grant(
            self.store.as_ref(),
            self.clock.as_ref(),
            &GrantAnswer {
                impersonation_id: request.impersonation_id,
                remint_id: request.remint_id,
                username: request.username,
                client_id: request.client_id,
                answer: request.secret,
            },
        )
        .await?;
        if !redeemed {
            return Err(ActasError::Upstream("custom auth refused the grant".into()));
        }
        let tag = match request.remint_id {
            Some(remint) => format!("{}:{}:{remint}", request.username, request.impersonation_id),
            None => format!("{}:{}", request.username, request.impersonation_id),
        };
        Ok(CognitoTokens {
            id_token: format!("memory-id-token:{tag}"),
            access_token: format!("memory-access-token:{tag}"),
            refresh_token: format!("memory-refresh-token:{tag}"),
            expires_in_secs: self.token_validity_secs,
        })
    }
}

impl MemoryStore {
    /// How many remints of `impersonation_id` are written and not redeemed.
    pub fn remints_of(&self, impersonation_id: &str) -> usize {
        self.remints
            .lock()
            .map(|r| r.keys().filter(|(id, _)| id == impersonation_id).count())
            .unwrap_or_default()
    }

    /// Every audit record written, in order.
    pub fn audit_records(&self) -> Vec<AuditRecord> {
        self.audit.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Puts users in the directory at once (a test world's set-up).
    pub fn fill_directory(&self, users: &[UserRecord]) {
        if let Ok(mut directory) = self.directory.lock() {
            for user in users {
                directory.insert(user.username.clone(), user.clone());
            }
        }
    }
}

#[async_trait]
impl Directory for MemoryStore {
    async fn put_users(&self, users: &[UserRecord]) -> Result<()> {
        let mut directory = self.directory.lock().map_err(|_| poisoned())?;
        for user in users {
            directory.insert(user.username.clone(), user.clone());
        }
        Ok(())
    }

    async fn remove_user(&self, username: &str) -> Result<()> {
        self.directory
            .lock()
            .map_err(|_| poisoned())?
            .remove(username);
        Ok(())
    }

    /// In username order; the token is the last username of the page before.
    async fn page(
        &self,
        scope: &DirectoryScope,
        page_token: Option<String>,
        limit: i32,
    ) -> Result<UserPage> {
        let directory = self.directory.lock().map_err(|_| poisoned())?;
        let in_scope = |user: &UserRecord| {
            let principal = user.principal();
            match scope {
                DirectoryScope::All => true,
                DirectoryScope::Tenant(tenant) => &principal.tenant == tenant,
                DirectoryScope::Team { tenant, team } => {
                    principal.tenant.as_ref() == Some(tenant)
                        && principal.team.as_ref() == Some(team)
                }
            }
        };
        let mut users: Vec<UserRecord> = directory
            .values()
            .filter(|u| page_token.as_ref().is_none_or(|after| &u.username > after))
            .filter(|u| in_scope(u))
            .take(limit.max(1) as usize + 1)
            .cloned()
            .collect();
        let more = users.len() > limit.max(1) as usize;
        users.truncate(limit.max(1) as usize);
        Ok(UserPage {
            next_token: more
                .then(|| users.last().map(|u| u.username.clone()))
                .flatten(),
            users,
        })
    }
}
