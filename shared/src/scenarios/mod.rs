//! Every route's handler over the in-memory world (`testkit`), from a REST event of `events/` to
//! its answer: the flows a function runs, by flow, one file each. Tests only.

mod governance;
mod listing_and_audit;
mod people;
mod routing;
mod sessions;
mod starts;
mod two_step;

use crate::app::api_keys::issue_api_key;
use crate::domain::error::ActasError;
use crate::domain::grant::ImpersonationStatus;
use crate::http::{
    audit_log, cognito_endpoint, coworker_impersonate, impersonate, list_impersonations,
    login_exchange, me, profiles, protection, requests, revert, settings, stop, sys_exchange,
    sys_impersonate, token_check,
};
use crate::ports::clock::SystemClock;
use crate::ports::grants::ImpersonationStore;
pub(crate) use crate::testkit::events::{bearer, event, set_header, set_query};
use crate::testkit::{id_token_claims, TestWorld, IMPERSONATION_CLIENT};
use serde_json::{json, Value};

#[derive(Clone, Copy)]
enum Route {
    Impersonate,
    CoworkerImpersonate,
    SysImpersonate,
    LoginExchange,
    SysExchange,
    Profiles,
    Revert,
    TokenCheck,
    Stop,
    List,
    CognitoEndpoint,
    Me,
    Audit,
    Settings,
    Requests,
    Protection,
}

struct Fixture {
    world: TestWorld,
    acme_key: String,
    globex_key: String,
}

async fn fixture() -> Fixture {
    let world = TestWorld::new();
    let acme_key = issue_api_key(world.store.as_ref(), &SystemClock, "acme", "t")
        .await
        .unwrap()
        .1;
    let globex_key = issue_api_key(world.store.as_ref(), &SystemClock, "globex", "t")
        .await
        .unwrap()
        .1;
    Fixture {
        world,
        acme_key,
        globex_key,
    }
}

impl Fixture {
    /// `events/impersonate-username.json` as `caller`, with the acme key, for `target`.
    fn username_event(&self, caller: &str, target: &str) -> Value {
        let mut ev = event("impersonate-username.json");
        set_header(
            &mut ev,
            "Authorization",
            Some(&format!("Bearer {}", self.world.id_token(caller))),
        );
        set_header(&mut ev, "X-API-Key", Some(&self.acme_key));
        ev["body"] =
            json!(json!({"username": target, "reason": "checking a billing report"}).to_string());
        ev
    }

    async fn call(&self, ev: Value) -> (u16, Value) {
        self.call_route(Route::Impersonate, ev).await
    }

    async fn call_route(&self, route: Route, ev: Value) -> (u16, Value) {
        let request = lambda_http::request::from_str(&ev.to_string()).expect("a REST event");
        // Each route gets the state its function builds, over the same in-memory world.
        let w = &self.world;
        let response = match route {
            Route::Impersonate => impersonate::handle(&w.impersonate_state(), request).await,
            Route::CoworkerImpersonate => {
                coworker_impersonate::handle(&w.issue_token_state(), request).await
            }
            Route::SysImpersonate => sys_impersonate::handle(&w.issue_token_state(), request).await,
            Route::LoginExchange => login_exchange::handle(&w.exchange_state(), request).await,
            Route::SysExchange => sys_exchange::handle(&w.exchange_state(), request).await,
            Route::Profiles => profiles::handle(&w.profiles_state(), request).await,
            Route::Revert => revert::handle(&w.session_state(), request).await,
            Route::CognitoEndpoint => cognito_endpoint::handle(&w.session_state(), request).await,
            Route::TokenCheck => token_check::handle(&w.read_state(), request).await,
            Route::Stop => stop::handle(&w.session_state(), request).await,
            Route::List => list_impersonations::handle(&w.read_state(), request).await,
            Route::Me => me::handle(&w.api(), request).await,
            Route::Audit => audit_log::handle(&w.api(), request).await,
            Route::Settings => settings::handle(&w.governance_state(), request).await,
            Route::Requests => requests::handle(&w.governance_state(), request).await,
            Route::Protection => protection::handle(&w.api(), request).await,
        };
        let status = response.status().as_u16();
        let body = serde_json::from_slice(response.body().as_ref()).expect("a JSON body");
        (status, body)
    }
}

impl Fixture {
    /// Seed 002: `caller` asks for a token to act as `target`.
    async fn public_token(&self, caller: &str, target: &str) -> (u16, Value) {
        let mut ev = event("coworker-impersonate.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["pathParameters"] = json!({"coworkerId": target});
        set_query(&mut ev, "reason", "helping with a report");
        self.call_route(Route::CoworkerImpersonate, ev).await
    }

    /// Seed 003: `caller` asks for a token to act as `target` (`None`: no coworkerId).
    async fn sys_token(&self, caller: &str, target: Option<&str>) -> (u16, Value) {
        let mut ev = event("sys-impersonate.json");
        bearer(&mut ev, &self.world.id_token(caller));
        match target {
            Some(t) => {
                set_query(&mut ev, "coworkerId", t);
                set_query(&mut ev, "reason", "helping with a report");
            }
            None => {
                ev["queryStringParameters"] = Value::Null;
                ev["multiValueQueryStringParameters"] = Value::Null;
            }
        }
        self.call_route(Route::SysImpersonate, ev).await
    }

    async fn login(&self, token: &str) -> (u16, Value) {
        let mut ev = event("login-exchange.json");
        ev["pathParameters"] = json!({"token": token});
        self.call_route(Route::LoginExchange, ev).await
    }

    async fn sys_exchange(&self, token: &str) -> (u16, Value) {
        let mut ev = event("sys-exchange.json");
        ev["body"] = json!(json!({"token": token}).to_string());
        self.call_route(Route::SysExchange, ev).await
    }
}

impl Fixture {
    /// What Cognito would issue for the impersonated session of `session` (a payload).
    fn impersonated_token(&self, session: &Value) -> String {
        let target = self.world.user(session["username"].as_str().unwrap());
        let mut claims = id_token_claims(&target.sub, &target.username);
        claims["aud"] = json!(IMPERSONATION_CLIENT);
        claims["act"] = json!(session["impersonation"]["actor"]);
        claims["impersonation_id"] = session["impersonation"]["id"].clone();
        self.world.signer.sign(&claims)
    }

    async fn check(&self, token: &str) -> (u16, Value) {
        let mut ev = event("token-check.json");
        bearer(&mut ev, token);
        self.call_route(Route::TokenCheck, ev).await
    }

    async fn stop_as(&self, caller: &str, id: &str) -> (u16, Value) {
        let mut ev = event("stop.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["pathParameters"] = json!({"id": id});
        self.call_route(Route::Stop, ev).await
    }
}

impl Fixture {
    /// `GET /auth/impersonations` as `caller` with query parameters; the listed ids.
    async fn list(&self, caller: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let mut ev = event("list-impersonations.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["queryStringParameters"] = Value::Null;
        ev["multiValueQueryStringParameters"] = Value::Null;
        for (name, value) in params {
            set_query(&mut ev, name, value);
        }
        self.call_route(Route::List, ev).await
    }

    async fn started(&self, actor: &str, target: &str) -> String {
        let mut ev = self.username_event(actor, target);
        if actor.starts_with("globex") {
            set_header(&mut ev, "X-API-Key", Some(&self.globex_key));
        }
        let (status, session) = self.call(ev).await;
        assert_eq!(status, 200, "{session}");
        session["impersonation"]["id"].as_str().unwrap().to_string()
    }
}

impl Fixture {
    async fn audit(&self, caller: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let mut ev = event("audit-log.json");
        bearer(&mut ev, &self.world.id_token(caller));
        ev["queryStringParameters"] = Value::Null;
        ev["multiValueQueryStringParameters"] = Value::Null;
        for (name, value) in params {
            set_query(&mut ev, name, value);
        }
        self.call_route(Route::Audit, ev).await
    }
}
