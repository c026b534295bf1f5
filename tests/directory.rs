//! The directory profiles read (issue 9): a team admin's page lists their team, and the
//! directory follows Cognito's changes (create, attribute change, group change, disable,
//! delete) as CloudTrail reports them through EventBridge. The emulator sends no CloudTrail
//! events, so the test sends the event Cognito's call would produce to the deployed function.
//! A stale directory changes only what profiles show: a start still reads both users fresh.

use actas_integration_tests::{uuid_like, Harness};
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use serde_json::{json, Value};

async fn changed(h: &Harness, call: &str, username: &str) -> Value {
    h.announce(call, username).await
}

/// Usernames on every profiles page of the caller, the caller excepted.
async fn profiles(h: &Harness, token: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(t) => format!("/api/public/coworkers/profiles?nextToken={t}"),
            None => "/api/public/coworkers/profiles".to_string(),
        };
        let page = h.get(&path, Some(token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for profile in page.body["Profiles"].as_array().expect("profiles") {
            if profile["IsCurrent"] != true {
                names.push(profile["Username"].as_str().unwrap().to_string());
            }
        }
        match page.body["NextToken"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => return names,
        }
    }
}

async fn set_team(h: &Harness, username: &str, team: &str) {
    h.cognito
        .admin_update_user_attributes()
        .user_pool_id(&h.stack.user_pool_id)
        .username(username)
        .user_attributes(
            AttributeType::builder()
                .name("custom:team_id")
                .value(team)
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .expect("attributes updated");
}

#[tokio::test]
async fn a_team_admins_profiles_follow_the_pool_through_change_events() {
    let h = Harness::new().await;
    let tenant = format!("dir-{}", &uuid_like()[..8]);
    let team_admin = h
        .fresh_user_unannounced("team-admin", &tenant, Some("alpha"))
        .await;
    let member = h
        .fresh_user_unannounced("user", &tenant, Some("alpha"))
        .await;
    let elsewhere = h
        .fresh_user_unannounced("user", &tenant, Some("beta"))
        .await;
    // Signing in writes the team admin (pre-token trigger); the others are only in Cognito.
    let token = h.id_token_of(&team_admin).await;
    assert!(profiles(&h, &token).await.is_empty(), "nobody seen yet");

    // Created: the event makes the pool's user appear, in their team only.
    for user in [&member, &elsewhere] {
        let applied = changed(&h, "AdminCreateUser", &user.username).await;
        assert_eq!(applied["outcome"], "updated", "{applied}");
    }
    assert_eq!(
        profiles(&h, &token).await,
        std::slice::from_ref(&member.username)
    );

    // An attribute change moves the member to another team.
    set_team(&h, &member.username, "beta").await;
    changed(&h, "AdminUpdateUserAttributes", &member.username).await;
    assert!(profiles(&h, &token).await.is_empty());
    set_team(&h, &member.username, "alpha").await;
    changed(&h, "AdminUpdateUserAttributes", &member.username).await;
    assert_eq!(
        profiles(&h, &token).await,
        std::slice::from_ref(&member.username)
    );

    // A group change: an operator outranks a team admin, who may no longer act as them.
    h.cognito
        .admin_add_user_to_group()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&member.username)
        .group_name("operator")
        .send()
        .await
        .expect("added to a group");
    changed(&h, "AdminAddUserToGroup", &member.username).await;
    assert!(profiles(&h, &token).await.is_empty());
    h.cognito
        .admin_remove_user_from_group()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&member.username)
        .group_name("operator")
        .send()
        .await
        .expect("removed from a group");
    changed(&h, "AdminRemoveUserFromGroup", &member.username).await;
    assert_eq!(
        profiles(&h, &token).await,
        std::slice::from_ref(&member.username)
    );

    // Disabled, then enabled.
    h.cognito
        .admin_disable_user()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&member.username)
        .send()
        .await
        .expect("disabled");
    changed(&h, "AdminDisableUser", &member.username).await;
    assert!(profiles(&h, &token).await.is_empty());
    h.cognito
        .admin_enable_user()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&member.username)
        .send()
        .await
        .expect("enabled");
    changed(&h, "AdminEnableUser", &member.username).await;
    assert_eq!(
        profiles(&h, &token).await,
        std::slice::from_ref(&member.username)
    );

    // Stale: moved in Cognito, no event. Profiles still list them; a token for them is refused,
    // because the start reads both users fresh.
    set_team(&h, &member.username, "beta").await;
    assert_eq!(
        profiles(&h, &token).await,
        std::slice::from_ref(&member.username)
    );
    let issued = h
        .get(
            &format!(
                "/api/public/coworkers/{}/impersonate?reason=stale+directory",
                member.username
            ),
            Some(&token),
        )
        .await;
    assert_eq!(issued.status, 403, "{}", issued.body);

    // Deleted: removed.
    h.cognito
        .admin_delete_user()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&member.username)
        .send()
        .await
        .expect("deleted");
    let applied = changed(&h, "AdminDeleteUser", &member.username).await;
    assert_eq!(applied["outcome"], "removed", "{applied}");
    set_team(&h, &elsewhere.username, "alpha").await;
    changed(&h, "AdminUpdateUserAttributes", &elsewhere.username).await;
    assert_eq!(
        profiles(&h, &token).await,
        std::slice::from_ref(&elsewhere.username)
    );

    // Events of other calls, other pools or without a username change nothing.
    let mut other_pool = h.cloudtrail_event("AdminCreateUser", &elsewhere.username);
    other_pool["detail"]["requestParameters"]["userPoolId"] = json!("us-east-1_other");
    for event in [
        h.cloudtrail_event("ListUsers", &elsewhere.username),
        other_pool,
    ] {
        let applied = h.invoke("DirectoryEventsFunction", &event).await;
        assert_eq!(applied["outcome"], "ignored", "{applied}");
    }
}
