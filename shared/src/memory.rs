//! In-memory adapters of the ports, for unit tests and benchmarks (never deployed).
//!
//! The memory identity provider mints by running the same grant redemption the Cognito verify
//! trigger runs, so a unit test exercises single use and expiry as deployed code does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::clock::Clock;
use crate::error::{ActasError, Result};
use crate::identity::{CognitoTokens, IdentityProvider, MintRequest, UserRecord, UserRef};
use crate::store::{
    ApiKey, ApiKeyStatus, ApiKeyStore, Impersonation, ImpersonationStatus, ImpersonationStore,
    Redemption,
};
use crate::triggers::redeem_grant;

#[derive(Default)]
pub struct MemoryStore {
    impersonations: Mutex<HashMap<String, Impersonation>>,
    api_keys: Mutex<HashMap<String, ApiKey>>,
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
}

/// Users held in memory; minting redeems the grant in `store` like the Cognito triggers do.
pub struct MemoryIdentityProvider {
    users: Mutex<Vec<UserRecord>>,
    store: Arc<dyn ImpersonationStore>,
    clock: Arc<dyn Clock>,
    impersonation_client_id: String,
    token_validity_secs: i64,
}

impl MemoryIdentityProvider {
    pub fn new(
        users: Vec<UserRecord>,
        store: Arc<dyn ImpersonationStore>,
        clock: Arc<dyn Clock>,
        impersonation_client_id: impl Into<String>,
    ) -> Self {
        MemoryIdentityProvider {
            users: Mutex::new(users),
            store,
            clock,
            impersonation_client_id: impersonation_client_id.into(),
            token_validity_secs: 900,
        }
    }

    pub fn update_user(&self, username: &str, change: impl FnOnce(&mut UserRecord)) {
        if let Ok(mut users) = self.users.lock() {
            if let Some(user) = users.iter_mut().find(|u| u.username == username) {
                change(user);
            }
        }
    }
}

#[async_trait]
impl IdentityProvider for MemoryIdentityProvider {
    async fn find_user(&self, user: &UserRef) -> Result<Option<UserRecord>> {
        let users = self.users.lock().map_err(|_| poisoned())?;
        Ok(users
            .iter()
            .find(|u| u.username == user.as_str() || u.sub == user.as_str())
            .cloned())
    }

    async fn mint_session(&self, request: MintRequest<'_>) -> Result<CognitoTokens> {
        let redeemed = redeem_grant(
            self.store.as_ref(),
            self.clock.as_ref(),
            request.impersonation_id,
            request.username,
            &self.impersonation_client_id,
            request.secret,
        )
        .await?;
        if !redeemed {
            return Err(ActasError::Upstream("custom auth refused the grant".into()));
        }
        let tag = format!("{}:{}", request.username, request.impersonation_id);
        Ok(CognitoTokens {
            id_token: format!("memory-id-token:{tag}"),
            access_token: format!("memory-access-token:{tag}"),
            refresh_token: format!("memory-refresh-token:{tag}"),
            expires_in_secs: self.token_validity_secs,
        })
    }
}
