//! The two token routes' common request: a coworker, a reason, a ticket and a mode.

use crate::app::authenticate::caller_of;
use crate::app::governance::Started;
use crate::app::issue_token::IssueTokenState;
use crate::app::issue_token::{issue_exchange_token_by, TokenAsk, TokenRoute};
use crate::app::refusal::RefusedCaller;
use crate::domain::error::Result;
use crate::domain::justification::Justification;
use crate::domain::mode::Mode;
use crate::domain::payload::TokenResponse;
use crate::domain::token::VerifiedToken;
use crate::domain::user::UserRef;
use crate::http::extract::{path_param, query_param, required};
use crate::http::refusal::{respond_started, AuditedRequest};
use lambda_http::{Body, Request, Response};

pub(crate) async fn handle(
    state: &IssueTokenState,
    req: Request,
    route: TokenRoute,
) -> Response<Body> {
    // The routes read the query; a refusal records the body's fields too.
    let request = AuditedRequest::read(&req);
    let coworker = match route {
        TokenRoute::Public => path_param(&req, "coworkerId"),
        TokenRoute::Sys => query_param(&req, "coworkerId"),
    };
    let asked = |token| issue_token_request(state, token, &request, route, coworker.clone());
    let (result, caller) = request.as_verified_caller(&state.api, asked).await;
    let refusal = request.refusal(coworker, RefusedCaller::Verified(caller.as_ref()));
    respond_started(&state.api, refusal, result).await
}

async fn issue_token_request(
    state: &IssueTokenState,
    token: VerifiedToken,
    request: &AuditedRequest<'_>,
    route: TokenRoute,
    coworker: Option<String>,
) -> Result<Started<TokenResponse>> {
    let (req, origin) = (request.req, &request.origin);
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
