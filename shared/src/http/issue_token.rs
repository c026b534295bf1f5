//! The two token routes' common request: a coworker, a reason, a ticket and a mode.

use crate::app::authenticate::caller_of;
use crate::app::governance::Started;
use crate::app::issue_token::IssueTokenState;
use crate::app::issue_token::{issue_exchange_token_by, TokenAsk, TokenRoute};
use crate::app::refusal::RefusedCaller;
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::domain::justification::Justification;
use crate::domain::mode::Mode;
use crate::domain::payload::TokenResponse;
use crate::domain::token::VerifiedToken;
use crate::domain::user::UserRef;
use crate::http::extract::{header, path_param, query_param, required, JsonBody};
use crate::http::origin::origin_of;
use crate::http::refusal::{respond_started, Refusal};
use lambda_http::{Body, Request, Response};

pub(crate) async fn handle(
    state: &IssueTokenState,
    req: Request,
    route: TokenRoute,
) -> Response<Body> {
    let origin = origin_of(&req);
    let coworker = match route {
        TokenRoute::Public => path_param(&req, "coworkerId"),
        TokenRoute::Sys => query_param(&req, "coworkerId"),
    };
    // The caller's token is verified once: the token and, if it is refused, its audit record
    // use the same. The routes read the query; a refusal records the body's fields too.
    let body = JsonBody::read(&req);
    let (result, caller) = match state
        .api
        .verifier
        .verify_header(header(&req, "authorization"))
        .await
    {
        Ok(token) => {
            let asked = TokenRequest {
                req: &req,
                route,
                coworker: coworker.clone(),
                origin: &origin,
            };
            (
                issue_token_request(state, token.clone(), asked).await,
                Some(token),
            )
        }
        Err(err) => (Err(err), None),
    };
    let refusal = Refusal {
        req: &req,
        body: &body,
        origin: &origin,
        target: coworker,
        caller: RefusedCaller::Verified(caller.as_ref()),
    };
    respond_started(&state.api, refusal, result).await
}

/// What a token route was asked, as the request gave it.
struct TokenRequest<'r> {
    req: &'r Request,
    route: TokenRoute,
    coworker: Option<String>,
    origin: &'r RequestOrigin,
}

async fn issue_token_request(
    state: &IssueTokenState,
    token: VerifiedToken,
    asked: TokenRequest<'_>,
) -> Result<Started<TokenResponse>> {
    let TokenRequest {
        req,
        route,
        coworker,
        origin,
    } = asked;
    let asked = (|| -> Result<_> {
        let target = UserRef::parse(&required(coworker, "coworkerId")?)?;
        let justification = Justification::parse(
            query_param(req, "reason"),
            query_param(req, "ticket"),
            state.api.policy.reason_required,
        )?;
        let mode = Mode::requested(query_param(req, "mode").as_deref())?;
        Ok((target, justification, mode))
    })();
    match asked {
        // The caller is read with the target, at once.
        Ok((target, justification, requested_mode)) => {
            let ask = TokenAsk {
                target: &target,
                route,
                justification,
                requested_mode,
                origin,
            };
            issue_exchange_token_by(state, token, ask).await
        }
        // A bad request from someone no longer in the pool is still a 401 first.
        Err(err) => {
            caller_of(&state.api, token).await?;
            Err(err)
        }
    }
}
