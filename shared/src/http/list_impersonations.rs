//! `GET /auth/impersonations?active=&actor=&target=&since=&nextToken=`.

use crate::app::authenticate::authenticate;
use crate::app::state::ReadState;
use crate::domain::error::Result;
use crate::http::extract::{header, query_param};
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /auth/impersonations?active=&actor=&target=&since=&nextToken=`.
#[instrument(name = "list_impersonations", skip_all)]
pub async fn handle(state: &ReadState, req: Request) -> Response<Body> {
    respond(list_request(state, &req).await)
}

pub(crate) async fn list_request(
    state: &ReadState,
    req: &Request,
) -> Result<crate::app::list_impersonations::ImpersonationList> {
    let caller = authenticate(&state.api, header(req, "authorization")).await?;
    let param = |name: &str| query_param(req, name).filter(|v| !v.trim().is_empty());
    let filters = crate::app::list_impersonations::ListFilters {
        active: param("active"),
        actor: param("actor"),
        target: param("target"),
        since: param("since"),
        next_token: param("nextToken"),
    };
    crate::app::list_impersonations::list_impersonations(state, &caller, filters).await
}
