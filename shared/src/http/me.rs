//! `GET /auth/me`.

use crate::app::authenticate::authenticate;
use crate::app::state::Api;
use crate::http::extract::header;
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /auth/me`: the caller, their role and what they may start.
#[instrument(name = "me", skip_all)]
pub async fn handle(state: &Api, req: Request) -> Response<Body> {
    let result = authenticate(state, header(&req, "authorization"))
        .await
        .map(|caller| crate::app::me::me(state, &caller));
    respond(result)
}
