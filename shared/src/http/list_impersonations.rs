//! `GET /auth/impersonations?active=&actor=&target=&since=&nextToken=`.

use crate::app::authenticate::authenticate;
use crate::app::list_impersonations::{list_impersonations, ImpersonationList};
use crate::app::state::ReadState;
use crate::domain::error::Result;
use crate::http::extract::header;
use crate::http::filters::list_filters;
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /auth/impersonations?active=&actor=&target=&since=&nextToken=`.
#[instrument(name = "list_impersonations", skip_all)]
pub async fn handle(state: &ReadState, req: Request) -> Response<Body> {
    respond(list_request(state, &req).await)
}

async fn list_request(state: &ReadState, req: &Request) -> Result<ImpersonationList> {
    let caller = authenticate(&state.api, header(req, "authorization")).await?;
    // An impersonated session is refused whatever it asks: before its filters are read.
    caller.require_own_session(&state.api)?;
    list_impersonations(state, &caller, list_filters(req)?).await
}
