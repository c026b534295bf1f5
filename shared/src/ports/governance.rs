//! Where governance lives: tenant settings and access requests (grants table), and the notices
//! sent to people acted as (SES).

use crate::domain::error::Result;
use crate::domain::governance::{AccessRequest, Approval, ApprovedTerms, Consent, TenantSettings};
use async_trait::async_trait;

/// Whose requests a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestScope {
    /// Every tenant's (super-admins deciding).
    All,
    Tenant(Option<String>),
    Requester(String),
    Target(String),
}

#[async_trait]
pub trait GovernanceStore: Send + Sync {
    /// The tenant's settings as stored; `None` when it never set any.
    async fn settings(&self, tenant: &str) -> Result<Option<TenantSettings>>;
    async fn put_settings(&self, settings: &TenantSettings) -> Result<()>;
    async fn create_request(&self, request: &AccessRequest) -> Result<()>;
    async fn request(&self, id: &str) -> Result<Option<AccessRequest>>;
    /// Requests in a scope, newest first (the recent ones: requests live minutes).
    async fn requests(&self, scope: &RequestScope) -> Result<Vec<AccessRequest>>;
    /// Records a decision on a pending, unexpired approval; `None` if it was not pending (or
    /// expired) when the write happened — a conditional write, so two deciders cannot both win.
    /// An approval's terms (a narrower mode, a shorter duration) are written with it.
    async fn decide(
        &self,
        id: &str,
        decision: Approval,
        decided_by: &str,
        comment: Option<&str>,
        terms: ApprovedTerms,
        now_secs: i64,
    ) -> Result<Option<AccessRequest>>;
    /// Records the target's answer on a pending, unexpired consent; `None` otherwise.
    async fn answer_consent(
        &self,
        id: &str,
        answer: Consent,
        now_secs: i64,
    ) -> Result<Option<AccessRequest>>;
    /// Marks an approved, unexpired, unused request used; `false` if another start used it
    /// first (or it is no longer approved): single use by a conditional write.
    async fn redeem(&self, id: &str, now_secs: i64) -> Result<bool>;
    /// The rules changed since the request was made: it now also needs approval and/or
    /// consent. Each that was `not_required` becomes pending (conditional writes); the request
    /// as it is then.
    async fn require(
        &self,
        id: &str,
        approval: bool,
        consent: bool,
    ) -> Result<Option<AccessRequest>>;
}

/// An email to a person acted as. Never holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, notice: &Notice) -> Result<()>;
}
