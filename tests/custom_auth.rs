//! Custom auth straight against Cognito, bypassing actas: without a live grant and its secret,
//! neither client hands out tokens. A positive control shows the same calls do succeed with one.

use actas_integration_tests::Harness;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};

/// Public InitiateAuth + RespondToAuthChallenge, as anyone on the internet could call them.
/// Returns whether tokens came back.
async fn custom_auth(
    h: &Harness,
    client_id: &str,
    username: &str,
    grant_id: &str,
    answer: &str,
) -> bool {
    match challenge(h, client_id, username).await {
        Challenge::Tokens => true,
        Challenge::Refused => false,
        Challenge::Session(session) => {
            respond(h, client_id, username, &session, grant_id, answer).await
        }
    }
}

enum Challenge {
    /// Cognito handed out tokens without asking (it never should).
    Tokens,
    Refused,
    /// The custom challenge's session, to answer.
    Session(String),
}

/// The public InitiateAuth of custom auth.
async fn challenge(h: &Harness, client_id: &str, username: &str) -> Challenge {
    let started = h
        .cognito
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::CustomAuth)
        .auth_parameters("USERNAME", username)
        .send()
        .await;
    let Ok(started) = started else {
        return Challenge::Refused;
    };
    if started
        .authentication_result()
        .is_some_and(|r| r.id_token().is_some())
    {
        return Challenge::Tokens;
    }
    started
        .session()
        .map_or(Challenge::Refused, |s| Challenge::Session(s.to_string()))
}

/// Answers a custom challenge; whether tokens came back.
async fn respond(
    h: &Harness,
    client_id: &str,
    username: &str,
    session: &str,
    grant_id: &str,
    answer: &str,
) -> bool {
    let answered = h
        .cognito
        .respond_to_auth_challenge()
        .client_id(client_id)
        .challenge_name(ChallengeNameType::CustomChallenge)
        .session(session)
        .challenge_responses("USERNAME", username)
        .challenge_responses("ANSWER", answer)
        .client_metadata("impersonation_id", grant_id)
        .send()
        .await;
    answered
        .ok()
        .and_then(|a| {
            a.authentication_result()
                .and_then(|r| r.id_token().map(str::to_string))
        })
        .is_some()
}

#[tokio::test]
async fn no_tokens_without_a_live_grant_or_with_a_wrong_answer() {
    let h = Harness::new().await;
    let imp = h.stack.impersonation_client_id.clone();
    let sign_in = h.stack.sign_in_client_id.clone();
    let revert = h.stack.revert_client_id.clone();
    let target = h.fresh_user("user", "acme", Some("support")).await;
    let other = h.fresh_user("user", "acme", Some("support")).await;
    let (t, o) = (target.username.as_str(), other.username.as_str());

    assert!(
        !custom_auth(&h, &imp, t, "no-such-grant", "guess").await,
        "no grant"
    );
    assert!(
        !custom_auth(&h, &sign_in, t, "no-such-grant", "guess").await,
        "sign-in client"
    );
    assert!(
        !custom_auth(&h, &revert, t, "no-such-grant", "guess").await,
        "revert client"
    );

    let (grant, secret) = h.pending_grant(&target).await;
    assert!(
        !custom_auth(&h, &imp, t, &grant, "wrong-answer").await,
        "wrong answer"
    );
    assert!(
        !custom_auth(&h, &sign_in, t, &grant, &secret).await,
        "right answer, sign-in client"
    );
    assert!(
        !custom_auth(&h, &revert, t, &grant, &secret).await,
        "right answer, revert client"
    );
    assert!(
        !custom_auth(&h, &imp, o, &grant, &secret).await,
        "right answer, another user"
    );

    // Control: the grant is still live after the refused attempts, and redeems exactly once.
    assert!(
        custom_auth(&h, &imp, t, &grant, &secret).await,
        "the live grant redeems"
    );
    assert!(
        !custom_auth(&h, &imp, t, &grant, &secret).await,
        "but only once"
    );
}

#[tokio::test]
async fn a_redeemed_grant_cannot_be_replayed_with_its_right_secret() {
    let h = Harness::new().await;
    let imp = h.stack.impersonation_client_id.clone();
    let target = h.fresh_user("user", "acme", None).await;
    let t = target.username.as_str();
    let (grant, secret) = h.pending_grant(&target).await;
    let Challenge::Session(session) = challenge(&h, &imp, t).await else {
        panic!("custom auth asks its challenge");
    };
    assert!(
        respond(&h, &imp, t, &session, &grant, &secret).await,
        "the right answer redeems the live grant once"
    );

    // The very same answer again: on the challenge it already answered, and on a new one.
    assert!(
        !respond(&h, &imp, t, &session, &grant, &secret).await,
        "replayed on the answered challenge"
    );
    assert!(
        !custom_auth(&h, &imp, t, &grant, &secret).await,
        "replayed on a new challenge"
    );
}
