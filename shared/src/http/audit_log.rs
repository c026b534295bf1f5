//! `GET /auth/audit?actor=&target=&event=&since=&until=&nextToken=`.

use crate::app::audit_log::{audit_log, AuditLog};
use crate::app::authenticate::authenticate;
use crate::app::state::Api;
use crate::domain::error::Result;
use crate::http::extract::header;
use crate::http::filters::audit_filters;
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /auth/audit`: the audit trail in the caller's scope, newest first.
#[instrument(name = "audit_log", skip_all)]
pub async fn handle(state: &Api, req: Request) -> Response<Body> {
    respond(audit_request(state, &req).await)
}

async fn audit_request(state: &Api, req: &Request) -> Result<AuditLog> {
    let caller = authenticate(state, header(req, "authorization")).await?;
    // An impersonated session is refused whatever it asks: before its filters are read.
    caller.require_own_session(state)?;
    audit_log(state, &caller, audit_filters(req)?).await
}
