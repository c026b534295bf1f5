//! Who the caller may act as: profiles and `/auth/me`.

use super::*;

#[tokio::test]
async fn profiles_list_who_the_caller_may_act_as() {
    let f = fixture().await;
    let f = &f;
    let list = |caller: &'static str| {
        let mut ev = event("profiles.json");
        bearer(&mut ev, &f.world.id_token(caller));
        async move {
            let (status, body) = f.call_route(Route::Profiles, ev).await;
            assert_eq!(status, 200, "{body}");
            let mut names: Vec<String> = body["Profiles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["Username"].as_str().unwrap().to_string())
                .collect();
            let current: Vec<&Value> = body["Profiles"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["IsCurrent"] == true)
                .collect();
            assert_eq!(current.len(), 1);
            assert_eq!(current[0]["Username"], caller);
            assert_eq!(current[0]["CanImpersonate"], false);
            names.sort();
            names
        }
    };
    assert_eq!(list("acme-support-1").await, vec!["acme-support-1"]);
    assert_eq!(
        list("acme-team-admin").await,
        vec!["acme-support-1", "acme-support-2", "acme-team-admin"]
    );
    assert_eq!(
        list("acme-operator").await,
        vec![
            "acme-operator",
            "acme-sales-1",
            "acme-support-1",
            "acme-support-2",
            "acme-team-admin"
        ]
    );
    let admin_sees = list("acme-admin").await;
    assert!(
        admin_sees.contains(&"acme-operator".to_string())
            && !admin_sees.contains(&"globex-user".to_string())
    );
}

/// Issue 11: `GET /auth/me` tells a console what to show.
#[tokio::test]
async fn me_says_who_may_act_as_whom_and_in_which_modes() {
    let f = fixture().await;
    let me_as = |token: String| {
        let mut ev = event("me.json");
        bearer(&mut ev, &token);
        ev
    };
    // (caller, may act as, modes)
    let cases = [
        ("acme-admin", true, json!(["read_only", "full"])),
        ("acme-operator", true, json!(["read_only", "full"])),
        ("acme-team-admin", true, json!(["read_only"])),
        ("acme-support-1", false, json!([])),
    ];
    for (caller, may_act_as, modes) in cases {
        let (status, body) = f
            .call_route(Route::Me, me_as(f.world.id_token(caller)))
            .await;
        assert_eq!(status, 200, "{caller}: {body}");
        assert_eq!(body["username"], caller);
        assert_eq!(body["may_act_as"], may_act_as, "{caller}");
        assert_eq!(body["modes"], modes, "{caller}");
        assert_eq!(body["default_mode"], "read_only");
        assert_eq!(body["impersonated"], false);
    }
    let (_, session) = f
        .call(f.username_event("acme-admin", "acme-support-1"))
        .await;
    let (status, body) = f
        .call_route(Route::Me, me_as(f.impersonated_token(&session)))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["impersonated"], &body["may_act_as"], &body["modes"]),
        (&json!(true), &json!(false), &json!([])),
        "an impersonated session starts nothing"
    );
    let mut anonymous = event("me.json");
    set_header(&mut anonymous, "Authorization", None);
    assert_eq!(f.call_route(Route::Me, anonymous).await.0, 401);
}
