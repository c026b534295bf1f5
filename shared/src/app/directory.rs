//! Keeping the directory in step with the pool. Every path reads the user fresh from the pool
//! and writes what it read; none trusts what an event says about the user.
//! - A sign-in (the pre-token trigger) and every start write the users they have just read.
//! - A change event (`DirectoryEventsFunction`): CloudTrail's record of a Cognito admin call
//!   (create, attribute change, group change, enable, disable, delete) reaches it through
//!   EventBridge; the user it names is read again and written, or removed if the pool no
//!   longer has them.
//! - `actas directory sync` builds or repairs it for a pool that existed before actas.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use crate::app::audit_trail::AuditTrail;
use crate::app::session_policy::{enforce, PolicyEnd};
use crate::domain::error::{ActasError, Result};
use crate::domain::user::{UserRecord, UserRef};
use crate::ports::clock::Clock;
use crate::ports::directory::{Directory, DirectoryScope};
use crate::ports::grants::{ImpersonationStore, ListQuery, ListScope};
use crate::ports::identity::IdentityProvider;

/// The Cognito calls whose CloudTrail records change what the directory holds of a user.
pub const USER_CHANGING_CALLS: [&str; 9] = [
    "AdminCreateUser",
    "AdminUpdateUserAttributes",
    "AdminDeleteUserAttributes",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminDeleteUser",
    "AdminConfirmSignUp",
];

/// Writes users actas has just read from the pool. Best effort: a directory that could not be
/// written is logged, never a reason to fail the request that read them.
pub async fn note_seen(directory: &dyn Directory, users: &[&UserRecord]) {
    let users: Vec<UserRecord> = users.iter().map(|u| (*u).clone()).collect();
    if let Err(err) = directory.put_users(&users).await {
        warn!(error = %err, "the directory was not updated");
    }
}

/// What the directory events function builds.
pub struct DirectoryState {
    pub identity: Arc<dyn IdentityProvider>,
    pub directory: Arc<dyn Directory>,
    pub user_pool_id: String,
    /// Live impersonations a change to one of their people no longer allows are ended.
    pub impersonations: Arc<dyn ImpersonationStore>,
    pub audit: AuditTrail,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ChangeApplied {
    /// `updated`, `removed` or `ignored`.
    pub outcome: &'static str,
    pub username: Option<String>,
    pub reason: Option<String>,
    /// Live impersonations of the user (as actor or target) the change ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ended: Vec<String>,
}

fn ignored(reason: &str) -> ChangeApplied {
    ChangeApplied {
        outcome: "ignored",
        username: None,
        reason: Some(reason.into()),
        ended: Vec::new(),
    }
}

/// Ends every live impersonation `username` is the actor or the target of that the policy no
/// longer allows, both people read fresh. Live impersonations are few (a sparse index).
async fn end_what_the_change_disallows(
    state: &DirectoryState,
    username: &str,
) -> Result<Vec<String>> {
    let ending = PolicyEnd {
        impersonations: state.impersonations.as_ref(),
        audit: &state.audit,
        clock: state.clock.as_ref(),
    };
    let mut ended = Vec::new();
    let mut page_token = None;
    loop {
        let page = state
            .impersonations
            .list(&ListQuery {
                scope: ListScope::All,
                actor_sub: None,
                target_sub: None,
                active_only: Some(true),
                since_millis: None,
                page_token,
                limit: 50,
                now_secs: state.clock.now_secs(),
            })
            .await?;
        for imp in page
            .items
            .iter()
            .filter(|i| i.actor_username == username || i.target_username == username)
        {
            if enforce(state.identity.as_ref(), &ending, imp)
                .await?
                .is_some()
            {
                ended.push(imp.id.clone());
            }
        }
        match page.next_token {
            Some(next) => page_token = Some(next),
            None => return Ok(ended),
        }
    }
}

/// What the directory events function does with one event: the scheduled sync rebuilds the
/// whole directory (profiles heal without a CloudTrail trail); anything else is a change event.
pub async fn handle_event(state: &DirectoryState, event: &Value) -> Result<Value> {
    if event["actas"] == "directory-sync" {
        let report = sync_all(state.identity.as_ref(), state.directory.as_ref()).await?;
        info!(
            written = report.written,
            removed = report.removed,
            "scheduled directory sync"
        );
        return serde_json::to_value(report).map_err(|e| ActasError::Internal(e.to_string()));
    }
    let applied = apply_change_event(state, event).await?;
    serde_json::to_value(applied).map_err(|e| ActasError::Internal(e.to_string()))
}

/// Applies one EventBridge event carrying a CloudTrail record of a Cognito call.
pub async fn apply_change_event(state: &DirectoryState, event: &Value) -> Result<ChangeApplied> {
    let detail = &event["detail"];
    let call = detail["eventName"].as_str().unwrap_or_default();
    if detail["eventSource"] != "cognito-idp.amazonaws.com" || !USER_CHANGING_CALLS.contains(&call)
    {
        return Ok(ignored("not a Cognito call that changes a user"));
    }
    if detail["errorCode"].is_string() {
        return Ok(ignored("the call failed"));
    }
    let parameters = &detail["requestParameters"];
    if parameters["userPoolId"].as_str() != Some(state.user_pool_id.as_str()) {
        return Ok(ignored("another user pool"));
    }
    let Some(username) = parameters["username"]
        .as_str()
        .filter(|u| !u.is_empty() && *u != "HIDDEN_DUE_TO_SECURITY_REASONS")
    else {
        // CloudTrail may withhold the name; `actas directory sync` repairs what this misses.
        warn!(
            call,
            "a change event without a username: run `actas directory sync`"
        );
        return Ok(ignored("the event does not name the user"));
    };
    let reference = UserRef::parse(username)
        .map_err(|_| ActasError::BadRequest("the event's username is not one".into()))?;
    let outcome = match state.identity.find_user(&reference).await? {
        Some(user) => {
            state.directory.put_users(&[user]).await?;
            info!(call, username, "directory entry updated");
            "updated"
        }
        None => {
            state.directory.remove_user(username).await?;
            info!(call, username, "directory entry removed");
            "removed"
        }
    };
    Ok(ChangeApplied {
        outcome,
        username: Some(username.into()),
        reason: None,
        ended: end_what_the_change_disallows(state, username).await?,
    })
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct SyncReport {
    pub written: usize,
    pub removed: usize,
}

/// Writes every user of the pool, then removes what the directory holds of users the pool no
/// longer has.
pub async fn sync_all(
    identity: &dyn IdentityProvider,
    directory: &dyn Directory,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let mut in_pool = HashSet::new();
    let mut token = None;
    loop {
        let page = identity.list_users(token, 60).await?;
        directory.put_users(&page.users).await?;
        report.written += page.users.len();
        in_pool.extend(page.users.into_iter().map(|u| u.username));
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let mut token = None;
    loop {
        let page = directory.page(&DirectoryScope::All, token, 100).await?;
        for user in page.users.iter().filter(|u| !in_pool.contains(&u.username)) {
            directory.remove_user(&user.username).await?;
            report.removed += 1;
        }
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::ATTR_TEAM;
    use crate::ports::clock::SystemClock;
    use crate::testkit::memory::{MemoryIdentityProvider, MemoryStore};
    use crate::testkit::{demo_users, user};
    use serde_json::json;

    const POOL: &str = "us-east-1_test";

    fn cloudtrail(call: &str, username: &str) -> Value {
        json!({
            "source": "aws.cognito-idp",
            "detail-type": "AWS API Call via CloudTrail",
            "detail": {
                "eventSource": "cognito-idp.amazonaws.com",
                "eventName": call,
                "requestParameters": {"userPoolId": POOL, "username": username},
            }
        })
    }

    fn world() -> (
        DirectoryState,
        Arc<MemoryIdentityProvider>,
        Arc<MemoryStore>,
    ) {
        let store = Arc::new(MemoryStore::default());
        let identity = Arc::new(MemoryIdentityProvider::new(
            demo_users(),
            store.clone(),
            Arc::new(SystemClock),
        ));
        let state = DirectoryState {
            identity: identity.clone(),
            directory: store.clone(),
            user_pool_id: POOL.into(),
            impersonations: store.clone(),
            audit: AuditTrail {
                store: store.clone(),
            },
            clock: Arc::new(SystemClock),
        };
        (state, identity, store)
    }

    async fn team_of(store: &MemoryStore, tenant: &str, team: &str) -> Vec<String> {
        let scope = DirectoryScope::Team {
            tenant: tenant.into(),
            team: team.into(),
        };
        let page = store.page(&scope, None, 60).await.unwrap();
        page.users.into_iter().map(|u| u.username).collect()
    }

    #[tokio::test]
    async fn change_events_keep_the_directory_in_step_with_the_pool() {
        let (state, identity, store) = world();
        // Created: read from the pool and written.
        let created = user("acme-new-1", &[], Some("acme"), Some("support"), false);
        identity.add_user(created.clone());
        let applied = apply_change_event(&state, &cloudtrail("AdminCreateUser", "acme-new-1"))
            .await
            .unwrap();
        assert_eq!(applied.outcome, "updated");
        assert_eq!(team_of(&store, "acme", "support").await, ["acme-new-1"]);

        // An attribute change moves them to another team.
        identity.update_user("acme-new-1", |u| {
            u.attributes.insert(ATTR_TEAM.into(), "sales".into());
        });
        apply_change_event(
            &state,
            &cloudtrail("AdminUpdateUserAttributes", "acme-new-1"),
        )
        .await
        .unwrap();
        assert!(team_of(&store, "acme", "support").await.is_empty());
        assert_eq!(team_of(&store, "acme", "sales").await, ["acme-new-1"]);

        // A group change and a disable are read fresh too.
        identity.update_user("acme-new-1", |u| {
            u.groups = vec!["operator".into()];
            u.enabled = false;
        });
        apply_change_event(&state, &cloudtrail("AdminDisableUser", "acme-new-1"))
            .await
            .unwrap();
        let page = store
            .page(&DirectoryScope::Tenant(Some("acme".into())), None, 60)
            .await
            .unwrap();
        let stored = page
            .users
            .iter()
            .find(|u| u.username == "acme-new-1")
            .unwrap();
        assert_eq!(stored.groups, ["operator"]);
        assert!(!stored.enabled);

        // Deleted from the pool: removed.
        identity.remove_user("acme-new-1");
        let applied = apply_change_event(&state, &cloudtrail("AdminDeleteUser", "acme-new-1"))
            .await
            .unwrap();
        assert_eq!(applied.outcome, "removed");
        assert!(team_of(&store, "acme", "sales").await.is_empty());
    }

    #[tokio::test]
    async fn other_events_change_nothing() {
        let (state, _, store) = world();
        let mut other_pool = cloudtrail("AdminCreateUser", "acme-admin");
        other_pool["detail"]["requestParameters"]["userPoolId"] = json!("us-east-1_other");
        let mut failed = cloudtrail("AdminCreateUser", "acme-admin");
        failed["detail"]["errorCode"] = json!("UsernameExistsException");
        for event in [
            cloudtrail("ListUsers", "acme-admin"),
            other_pool,
            failed,
            cloudtrail("AdminCreateUser", "HIDDEN_DUE_TO_SECURITY_REASONS"),
            json!({"detail": {}}),
        ] {
            let applied = apply_change_event(&state, &event).await.unwrap();
            assert_eq!(applied.outcome, "ignored", "{event}");
        }
        let page = store.page(&DirectoryScope::All, None, 60).await.unwrap();
        assert!(page.users.is_empty());
    }

    #[tokio::test]
    async fn a_sync_writes_the_pool_and_removes_who_left_it() {
        let (state, identity, store) = world();
        store.fill_directory(&[user("gone-user", &[], Some("acme"), None, false)]);
        let report = sync_all(identity.as_ref(), state.directory.as_ref())
            .await
            .unwrap();
        assert_eq!(report.written, demo_users().len());
        assert_eq!(report.removed, 1);
        let page = store.page(&DirectoryScope::All, None, 100).await.unwrap();
        let mut names: Vec<String> = page.users.into_iter().map(|u| u.username).collect();
        let mut want: Vec<String> = demo_users().into_iter().map(|u| u.username).collect();
        names.sort();
        want.sort();
        assert_eq!(names, want);
    }
}
