//! Every session is its own (issue 7): a refresh yields tokens only for the impersonation that
//! minted it, several actors impersonate one target at once, a refresh token alone at Cognito
//! yields nothing, and an impersonated session can never change the account.

use actas_integration_tests::{jwt_claims, sign_in, Harness, StackUser};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use serde_json::Value;

/// The `act` username and `impersonation_id` a token carries.
fn bound_to(token: &str) -> (String, String) {
    let claims = jwt_claims(token).expect("a JWT");
    (
        claims["act"]["username"].as_str().unwrap_or("").to_string(),
        claims["impersonation_id"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

fn own(payload: &Value) -> (String, String) {
    (
        payload["impersonation"]["actor"]["username"]
            .as_str()
            .unwrap()
            .to_string(),
        payload["impersonation"]["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn two_actors_on_one_target_each_refresh_as_themselves_and_stopping_one_leaves_the_other() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", Some("support")).await;
    let by_admin = h.impersonate_ok("acme-admin", &target.username).await;
    let by_operator = h.impersonate_ok("acme-operator", &target.username).await;
    assert_ne!(own(&by_admin).1, own(&by_operator).1);

    for payload in [&by_admin, &by_operator] {
        let (id_token, access_token) = h.refresh_session(payload).await.expect("InitiateAuth");
        assert_eq!(bound_to(&id_token), own(payload), "id token");
        assert_eq!(bound_to(&access_token), own(payload), "access token");
        let (id_token, access_token) = h
            .refresh_session_with_get_tokens(payload)
            .await
            .expect("GetTokensFromRefreshToken");
        assert_eq!(bound_to(&id_token), own(payload));
        assert_eq!(bound_to(&access_token), own(payload));
    }

    let admin = h.id_token("acme-admin").await;
    let stopped = h
        .delete(
            &format!("/auth/impersonations/{}", own(&by_admin).1),
            &admin,
        )
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    assert!(h.refresh_session(&by_admin).await.is_err(), "stopped");
    assert!(h.refresh_session_with_get_tokens(&by_admin).await.is_err());
    let (id_token, _) = h
        .refresh_session(&by_operator)
        .await
        .expect("the other goes on");
    assert_eq!(bound_to(&id_token), own(&by_operator));
}

#[tokio::test]
async fn an_ended_sessions_refresh_token_never_yields_tokens_even_after_another_actor_starts() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let first = h.impersonate_ok("acme-admin", &target.username).await;
    assert_eq!(h.revert(&first).await.status, 200);
    let second = h.impersonate_ok("acme-operator", &target.username).await;
    let third = h.impersonate_ok("acme-admin", &target.username).await;
    for attempt in [
        h.refresh_session(&first).await,
        h.refresh_session_with_get_tokens(&first).await,
    ] {
        assert!(
            attempt.is_err(),
            "the reverted session came back: {attempt:?}"
        );
    }
    let refresh = first["session"]["refreshToken"].as_str().unwrap();
    assert!(h
        .refresh_at_cognito(&h.stack.impersonation_client_id, refresh)
        .await
        .is_err());
    for live in [&second, &third] {
        let (id_token, _) = h
            .refresh_session(live)
            .await
            .expect("live sessions refresh");
        assert_eq!(bound_to(&id_token), own(live));
    }
}

#[tokio::test]
async fn a_refresh_token_alone_at_cognito_yields_nothing() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    let refresh = payload["session"]["refreshToken"].as_str().unwrap();
    let client = h.stack.impersonation_client_id.clone();
    let initiate = h.refresh_at_cognito(&client, refresh).await;
    assert!(initiate.is_err(), "InitiateAuth at Cognito: {initiate:?}");
    let get_tokens = h
        .cognito
        .get_tokens_from_refresh_token()
        .client_id(&client)
        .refresh_token(refresh)
        .send()
        .await;
    assert!(get_tokens.is_err(), "GetTokensFromRefreshToken at Cognito");
    assert!(
        h.refresh_session(&payload).await.is_ok(),
        "while through actas the same live session refreshes"
    );
}

/// The self-service calls that change an account, as its owner may make them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SelfService {
    UpdateUserAttributes,
    AssociateSoftwareToken,
    /// Turns off the TOTP MFA the account has.
    SetUserMfaPreference,
    ChangePassword,
    GlobalSignOut,
    DeleteUser,
}

const SELF_SERVICE: [SelfService; 6] = [
    SelfService::UpdateUserAttributes,
    SelfService::AssociateSoftwareToken,
    SelfService::SetUserMfaPreference,
    SelfService::ChangePassword,
    SelfService::GlobalSignOut,
    SelfService::DeleteUser,
];

const NEW_EMAIL_DOMAIN: &str = "changed.example";

const NEW_PASSWORD: &str = "Changed-Passw0rd-2027";

/// `call` on the account of `user` with `token` and inputs that are right for the account (its
/// real password): only the token decides the answer. The error's text when refused.
async fn self_service(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    call: SelfService,
    token: &str,
    user: &StackUser,
) -> Result<(), String> {
    use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata};
    use aws_sdk_cognitoidentityprovider::types::SoftwareTokenMfaSettingsType;
    fn text<E: ProvideErrorMetadata + std::error::Error>(e: E) -> String {
        match (e.code(), e.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            _ => DisplayErrorContext(e).to_string(),
        }
    }
    match call {
        SelfService::UpdateUserAttributes => {
            let email = AttributeType::builder()
                .name("email")
                .value(format!("{}@{NEW_EMAIL_DOMAIN}", user.username))
                .build()
                .expect("attribute");
            cognito
                .update_user_attributes()
                .access_token(token)
                .user_attributes(email)
                .send()
                .await
                .map(drop)
                .map_err(text)
        }
        SelfService::AssociateSoftwareToken => cognito
            .associate_software_token()
            .access_token(token)
            .send()
            .await
            .map(drop)
            .map_err(text),
        SelfService::SetUserMfaPreference => cognito
            .set_user_mfa_preference()
            .access_token(token)
            .software_token_mfa_settings(
                SoftwareTokenMfaSettingsType::builder()
                    .enabled(false)
                    .preferred_mfa(false)
                    .build(),
            )
            .send()
            .await
            .map(drop)
            .map_err(text),
        SelfService::ChangePassword => cognito
            .change_password()
            .access_token(token)
            .previous_password(&user.password)
            .proposed_password(NEW_PASSWORD)
            .send()
            .await
            .map(drop)
            .map_err(text),
        SelfService::GlobalSignOut => cognito
            .global_sign_out()
            .access_token(token)
            .send()
            .await
            .map(drop)
            .map_err(text),
        SelfService::DeleteUser => cognito
            .delete_user()
            .access_token(token)
            .send()
            .await
            .map(drop)
            .map_err(text),
    }
}

/// The account as the pool holds it: (email, MFA methods on), or `None` once deleted.
async fn account(h: &Harness, user: &StackUser) -> Option<(String, Vec<String>)> {
    let got = h
        .cognito
        .admin_get_user()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&user.username)
        .send()
        .await
        .ok()?;
    let email = got
        .user_attributes()
        .iter()
        .find(|a| a.name() == "email")
        .and_then(|a| a.value())
        .unwrap_or_default()
        .to_string();
    Some((email, got.user_mfa_setting_list().to_vec()))
}

/// Whether `token` still opens the account (it was not signed out).
async fn signed_in(h: &Harness, token: &str) -> bool {
    h.cognito
        .get_user()
        .access_token(token)
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn an_impersonated_session_cannot_change_the_account() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    // The target's own session: the control makes the same calls with the same inputs.
    let own = sign_in(&h.cognito, &h.stack, &target.username, &target.password)
        .await
        .expect("the target signs in")
        .access_token;
    // TOTP MFA is on for the target, so turning it off is a change an attacker would want.
    h.cognito
        .admin_set_user_mfa_preference()
        .user_pool_id(&h.stack.user_pool_id)
        .username(&target.username)
        .software_token_mfa_settings(
            aws_sdk_cognitoidentityprovider::types::SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .build(),
        )
        .send()
        .await
        .expect("TOTP on");
    let before = account(&h, &target).await.expect("the account");
    assert!(
        before.1.iter().any(|m| m == "SOFTWARE_TOKEN_MFA"),
        "{before:?}"
    );

    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    let first = payload["session"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, refreshed) = h.refresh_session(&payload).await.expect("refresh");
    let claims = jwt_claims(&first).unwrap();
    assert!(
        !claims["scope"]
            .as_str()
            .unwrap_or("")
            .contains("aws.cognito.signin.user.admin"),
        "{claims}"
    );
    let at_actas = h.session_cognito(&payload);
    for (which, token) in [("first", &first), ("refreshed", &refreshed)] {
        for call in SELF_SERVICE {
            let at_cognito = self_service(&h.cognito, call, token, &target).await;
            // Refused for the scope the session lacks, not for anything the inputs got wrong.
            assert!(
                at_cognito
                    .as_ref()
                    .is_err_and(|e| e.contains("does not have required scopes")),
                "{call:?} with the {which} access token at Cognito: {at_cognito:?}"
            );
            let at_endpoint = self_service(&at_actas, call, token, &target).await;
            assert!(
                at_endpoint.is_err(),
                "{call:?} with the {which} access token at the session's endpoint"
            );
        }
    }
    // Nothing changed: same email, MFA still on, the owner and the session still signed in.
    assert_eq!(account(&h, &target).await, Some(before.clone()));
    assert!(signed_in(&h, &own).await, "the owner was signed out");
    assert!(
        h.refresh_session(&payload).await.is_ok(),
        "not signed out everywhere"
    );

    // Control: the owner's own session makes each call, and each takes effect.
    let control = |call| self_service(&h.cognito, call, &own, &target);
    control(SelfService::UpdateUserAttributes)
        .await
        .expect("UpdateUserAttributes");
    let (email, _) = account(&h, &target).await.expect("the account");
    assert_eq!(email, format!("{}@{NEW_EMAIL_DOMAIN}", target.username));
    control(SelfService::AssociateSoftwareToken)
        .await
        .expect("AssociateSoftwareToken");
    control(SelfService::SetUserMfaPreference)
        .await
        .expect("SetUserMFAPreference");
    let (_, mfa) = account(&h, &target).await.expect("the account");
    assert!(!mfa.iter().any(|m| m == "SOFTWARE_TOKEN_MFA"), "{mfa:?}");
    // Accepted with the old password as the previous one: the refused calls left it as it was.
    control(SelfService::ChangePassword)
        .await
        .expect("ChangePassword");
    assert!(
        sign_in(&h.cognito, &h.stack, &target.username, &target.password)
            .await
            .is_err(),
        "the old password still works"
    );
    let again = sign_in(&h.cognito, &h.stack, &target.username, NEW_PASSWORD)
        .await
        .expect("the new password works")
        .access_token;
    control(SelfService::GlobalSignOut)
        .await
        .expect("GlobalSignOut");
    assert!(!signed_in(&h, &own).await, "signed out everywhere");
    self_service(&h.cognito, SelfService::DeleteUser, &again, &target)
        .await
        .expect_err("signed out everywhere: the later sign-in too");
    let last = sign_in(&h.cognito, &h.stack, &target.username, NEW_PASSWORD)
        .await
        .expect("signs in again")
        .access_token;
    self_service(&h.cognito, SelfService::DeleteUser, &last, &target)
        .await
        .expect("DeleteUser");
    assert_eq!(account(&h, &target).await, None, "deleted");
}

#[tokio::test]
async fn the_session_endpoint_reads_the_user_and_signs_the_session_out() {
    let h = Harness::new().await;
    let target = h.fresh_user("user", "acme", None).await;
    let payload = h.impersonate_ok("acme-admin", &target.username).await;
    let cognito = h.session_cognito(&payload);
    let access = payload["session"]["accessToken"].as_str().unwrap();
    let user = cognito
        .get_user()
        .access_token(access)
        .send()
        .await
        .expect("GetUser through actas");
    assert_eq!(user.username(), target.username);

    // A password sign-in is not a refresh: refused at actas.
    let password = cognito
        .initiate_auth()
        .client_id(payload["clientId"].as_str().unwrap())
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &target.username)
        .auth_parameters("PASSWORD", "Whatever-123456")
        .send()
        .await;
    assert!(password.is_err());

    cognito
        .revoke_token()
        .client_id(payload["clientId"].as_str().unwrap())
        .token(payload["session"]["refreshToken"].as_str().unwrap())
        .send()
        .await
        .expect("RevokeToken through actas");
    assert!(h.refresh_session(&payload).await.is_err(), "signed out");
    assert!(cognito
        .get_user()
        .access_token(access)
        .send()
        .await
        .is_err());
    let admin = h.id_token("acme-admin").await;
    let listed = h
        .get(
            &format!("/auth/impersonations?target={}", target.sub),
            Some(&admin),
        )
        .await;
    assert_eq!(
        listed.body["impersonations"][0]["status"], "ended",
        "{}",
        listed.body
    );
}
