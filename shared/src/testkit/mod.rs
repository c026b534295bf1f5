//! Test support shared by this crate's tests and other crates' (feature `testing`): the kit's
//! RSA key generated on the spot with its JWKS (`actas_verify::testing`, the one test signer),
//! Cognito-shaped claims, and an in-memory world with the demo tenants, from which every route's
//! state is built.

pub mod clock;
pub mod events;
pub mod invoker;
pub mod memory;
pub mod pool;
pub mod stream;

use crate::app::audit_trail::AuditTrail;
use crate::app::exchange::ExchangeState;
use crate::app::exchange_tokens::ExchangeTokens;
use crate::app::impersonate::ImpersonateState;
use crate::app::issue_token::IssueTokenState;
use crate::app::profiles::ProfilesState;
use crate::app::state::{Api, ReadState, SessionState, Sessions};
use crate::app::token_verifier::JwtVerifier;
use crate::domain::exchange::{parse_key_set, rotate_key_set, SigningKey};
use crate::domain::grant::ApiKeyRequirement;
use crate::domain::settings::{Policy, UserPool};
use crate::domain::user::{UserRecord, ATTR_TEAM, ATTR_TEAM_ROLE, ATTR_TENANT};
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::signing_keys::SigningKeySource;
use crate::testkit::memory::MemoryVault;
use crate::testkit::memory::{MemoryIdentityProvider, MemoryStore};
use crate::Result;
pub use actas_verify::testing::{
    StaticKeys as StaticJwks, TestSigner, IMPERSONATION_CLIENT, ISSUER, SIGN_IN_CLIENT,
};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The public base URL of the API in unit tests.
pub const TEST_API_URL: &str = "https://api.test/v1";

pub const REVERT_CLIENT: &str = "revert-client";

pub fn now_secs() -> i64 {
    SystemClock.now_secs()
}

/// Claims of a Cognito id token of the sign-in client, valid for an hour.
pub fn id_token_claims(sub: &str, username: &str) -> Value {
    let now = now_secs();
    json!({
        "sub": sub, "iss": ISSUER, "aud": SIGN_IN_CLIENT, "token_use": "id",
        "cognito:username": username, "iat": now, "auth_time": now, "exp": now + 3600,
    })
}

/// Claims of a Cognito access token of the sign-in client, valid for an hour.
pub fn access_token_claims(sub: &str, username: &str) -> Value {
    let now = now_secs();
    json!({
        "sub": sub, "iss": ISSUER, "client_id": SIGN_IN_CLIENT, "token_use": "access",
        "username": username, "iat": now, "auth_time": now, "exp": now + 3600,
    })
}

pub fn user(
    username: &str,
    groups: &[&str],
    tenant: Option<&str>,
    team: Option<&str>,
    team_admin: bool,
) -> UserRecord {
    let mut attributes = HashMap::from([("email".to_string(), format!("{username}@example.com"))]);
    if let Some(tenant) = tenant {
        attributes.insert(ATTR_TENANT.to_string(), tenant.to_string());
    }
    if let Some(team) = team {
        attributes.insert(ATTR_TEAM.to_string(), team.to_string());
    }
    if team_admin {
        attributes.insert(ATTR_TEAM_ROLE.to_string(), "admin".to_string());
    }
    // A stable, UUID-shaped sub per username, like Cognito's.
    let digest = <sha2::Sha256 as sha2::Digest>::digest(username.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let sub = uuid::Uuid::from_bytes(bytes).to_string();
    attributes.insert("sub".to_string(), sub.clone());
    UserRecord::read(
        &crate::domain::identity_mapping::IdentityMapping::default(),
        crate::domain::user::PoolUser {
            username: username.to_string(),
            sub,
            enabled: true,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            attributes,
            created_at_millis: Some(1_700_000_000_000),
            updated_at_millis: Some(1_700_000_000_000),
        },
    )
}

/// The demo tenants of the local stack, in memory.
pub fn demo_users() -> Vec<UserRecord> {
    let mut disabled = user("acme-disabled", &[], Some("acme"), Some("support"), false);
    disabled.enabled = false;
    vec![
        user("acme-super", &["super-admin"], Some("acme"), None, false),
        user("acme-admin", &["admin"], Some("acme"), None, false),
        user("acme-operator", &["operator"], Some("acme"), None, false),
        user("acme-team-admin", &[], Some("acme"), Some("support"), true),
        user("acme-support-1", &[], Some("acme"), Some("support"), false),
        user("acme-support-2", &[], Some("acme"), Some("support"), false),
        user("acme-sales-1", &[], Some("acme"), Some("sales"), false),
        disabled,
        user("globex-admin", &["admin"], Some("globex"), None, false),
        user("globex-user", &[], Some("globex"), None, false),
    ]
}

/// A signing-key source with a fixed key set.
pub struct FixedSigningKeys(pub String);

#[async_trait]
impl SigningKeySource for FixedSigningKeys {
    async fn load(&self) -> Result<Vec<SigningKey>> {
        parse_key_set(&self.0)
    }
}

/// An in-memory world: the demo users, the grants and audit in one `MemoryStore`, a fresh
/// signing key, and the policy, pool and public URL every route's state is built from (a test
/// may change them).
pub struct TestWorld {
    pub signer: TestSigner,
    pub store: Arc<MemoryStore>,
    pub identity: Arc<MemoryIdentityProvider>,
    pub policy: Policy,
    pub pool: UserPool,
    pub public_api_url: Option<String>,
    pub clock: Arc<dyn Clock>,
    /// The two-step tokens' key set (the secret's JSON).
    pub signing_keys: String,
}

impl TestWorld {
    pub fn new() -> TestWorld {
        let signer = TestSigner::generate("test-key");
        let store = Arc::new(MemoryStore::default());
        store.fill_directory(&demo_users());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let identity = Arc::new(MemoryIdentityProvider::new(
            demo_users(),
            store.clone(),
            clock.clone(),
        ));
        let policy = Policy {
            identity_mapping: Default::default(),
            mode_rules: crate::domain::mode::ModeRules::default(),
            request_window_secs: 900,
            step_up_max_age_secs: 0,
            exchange_token_secs: 120,
            reason_required: true,
            token_validity_secs: 900,
            api_key_requests_per_minute: 600,
            mint_window_secs: 60,
            impersonation_max_secs: 3600,
            impersonation_idle_secs: 1800,
            api_key_requirement: ApiKeyRequirement::UsernameDialect,
        };
        let pool = UserPool {
            region: "us-east-1".into(),
            user_pool_id: "us-east-1_test".into(),
            sign_in_client_id: SIGN_IN_CLIENT.into(),
            impersonation_client_id: IMPERSONATION_CLIENT.into(),
            revert_client_id: REVERT_CLIENT.into(),
            cognito_public_endpoint: "https://cognito-idp.us-east-1.amazonaws.com/".into(),
        };
        TestWorld {
            signer,
            store,
            identity,
            policy,
            pool,
            public_api_url: Some(TEST_API_URL.into()),
            clock,
            signing_keys: rotate_key_set(None, 0).expect("a key set"),
        }
    }

    /// What every route uses, over this world.
    pub fn api(&self) -> Api {
        let verifier = JwtVerifier::new(
            Arc::new(StaticJwks::new(self.signer.jwks())),
            ISSUER,
            vec![
                SIGN_IN_CLIENT.to_string(),
                REVERT_CLIENT.to_string(),
                IMPERSONATION_CLIENT.to_string(),
            ],
        )
        .expect("a verifier");
        Api {
            policy: self.policy.clone(),
            pool: self.pool.clone(),
            public_api_url: self.public_api_url.clone(),
            clock: self.clock.clone(),
            verifier,
            identity: self.identity.clone(),
            audit: AuditTrail {
                store: self.store.clone(),
            },
        }
    }

    pub fn sessions(&self) -> Sessions {
        Sessions {
            impersonations: self.store.clone(),
            vault: Arc::new(MemoryVault),
        }
    }

    pub fn exchange_tokens(&self) -> ExchangeTokens {
        ExchangeTokens::new(Arc::new(FixedSigningKeys(self.signing_keys.clone())))
    }

    pub fn impersonate_state(&self) -> ImpersonateState {
        ImpersonateState {
            api: self.api(),
            sessions: self.sessions(),
            api_keys: self.store.clone(),
            directory: self.store.clone(),
            governance: self.governance(),
        }
    }

    pub fn governance(&self) -> crate::app::governance::Governance {
        crate::app::governance::Governance::new(self.store.clone(), &self.policy)
    }

    pub fn governance_state(&self) -> crate::app::governance::GovernanceState {
        crate::app::governance::GovernanceState {
            api: self.api(),
            governance: self.governance(),
        }
    }

    pub fn issue_token_state(&self) -> IssueTokenState {
        IssueTokenState {
            api: self.api(),
            exchanges: self.store.clone(),
            tokens: self.exchange_tokens(),
            governance: self.governance(),
        }
    }

    pub fn exchange_state(&self) -> ExchangeState {
        ExchangeState {
            api: self.api(),
            sessions: self.sessions(),
            exchanges: self.store.clone(),
            tokens: self.exchange_tokens(),
            directory: self.store.clone(),
            governance: self.governance(),
        }
    }

    /// Profiles, over a directory the demo users are in.
    pub fn profiles_state(&self) -> ProfilesState {
        ProfilesState {
            api: self.api(),
            directory: self.store.clone(),
        }
    }

    /// Revert, stop and the session endpoint.
    pub fn session_state(&self) -> SessionState {
        SessionState {
            api: self.api(),
            sessions: self.sessions(),
        }
    }

    /// The token check and the listing.
    pub fn read_state(&self) -> ReadState {
        ReadState {
            api: self.api(),
            impersonations: self.store.clone(),
        }
    }

    /// `actor` acting as `target` in `mode` (reason "support"), minted and recorded as a start:
    /// the session's payload.
    pub async fn start_session(
        &self,
        actor: &str,
        target: &str,
        mode: crate::domain::mode::Mode,
    ) -> crate::domain::payload::SessionPayload {
        let terms = crate::domain::mode::Terms::new(
            crate::domain::justification::Justification {
                reason: Some("support".into()),
                ticket: None,
            },
            mode,
        );
        crate::app::mint::mint_session_payload(
            &self.api(),
            &self.sessions(),
            &self.user(actor),
            &self.user(target),
            crate::domain::grant::GrantKind::Impersonation,
            &terms,
            Some((
                crate::domain::audit::AuditEvent::Started,
                &crate::domain::audit::RequestOrigin::default(),
            )),
        )
        .await
        .expect("started")
    }

    pub fn user(&self, username: &str) -> UserRecord {
        demo_users()
            .into_iter()
            .find(|u| u.username == username)
            .expect("a demo user")
    }

    /// A valid id token of the sign-in client for a demo user.
    pub fn id_token(&self, username: &str) -> String {
        let user = self.user(username);
        let mut claims = id_token_claims(&user.sub, &user.username);
        // Cognito id tokens carry the user's attributes, custom ones included.
        for (name, value) in &user.attributes {
            claims[name.as_str()] = Value::String(value.clone());
        }
        self.signer.sign(&claims)
    }

    /// A valid access token of the impersonation client, as Cognito mints it for an
    /// impersonation of `target` by `actor` (what a session's `Authorization` holds).
    pub fn impersonated_access_token(
        &self,
        target: &str,
        actor: &str,
        impersonation_id: &str,
    ) -> String {
        let (target, actor) = (self.user(target), self.user(actor));
        let mut claims = access_token_claims(&target.sub, &target.username);
        claims["client_id"] = Value::String(IMPERSONATION_CLIENT.into());
        claims["act"] = json!({"sub": actor.sub, "username": actor.username});
        claims["impersonation_id"] = Value::String(impersonation_id.into());
        self.signer.sign(&claims)
    }
}

impl Default for TestWorld {
    fn default() -> Self {
        Self::new()
    }
}
