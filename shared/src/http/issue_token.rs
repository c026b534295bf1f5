//! The two token routes' common request: a coworker, a reason, a ticket and a mode.

use crate::app::authenticate::caller_of;
use crate::app::governance::Started;
use crate::app::issue_token::IssueTokenState;
use crate::app::issue_token::{issue_exchange_token_by, TokenAsk, TokenRoute};
use crate::domain::audit::RequestOrigin;
use crate::domain::error::Result;
use crate::domain::justification::Justification;
use crate::domain::mode::Mode;
use crate::domain::payload::TokenResponse;
use crate::domain::user::UserRef;
use crate::http::extract::{header, path_param, query_param, required};
use crate::http::origin::origin_of;
use crate::http::refusal::respond_started;
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
    let result = issue_token_request(state, &req, route, coworker.clone(), &origin).await;
    respond_started(&state.api, &req, &origin, coworker, result).await
}

pub(crate) async fn issue_token_request(
    state: &IssueTokenState,
    req: &Request,
    route: TokenRoute,
    coworker: Option<String>,
    origin: &RequestOrigin,
) -> Result<Started<TokenResponse>> {
    let token = state
        .api
        .verifier
        .verify_header(header(req, "authorization"))
        .await?;
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
