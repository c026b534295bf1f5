//! `GET /auth/audit?actor=&target=&event=&since=&until=&nextToken=`.

use crate::app::audit_log::{audit_log, AuditFilters, AuditLog};
use crate::app::authenticate::authenticate;
use crate::app::state::Api;
use crate::domain::error::Result;
use crate::http::extract::{header, query_param};
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
    let param = |name: &str| query_param(req, name).filter(|v| !v.trim().is_empty());
    let filters = AuditFilters {
        actor: param("actor"),
        target: param("target"),
        event: param("event"),
        since: param("since"),
        until: param("until"),
        next_token: param("nextToken"),
    };
    audit_log(state, &caller, filters).await
}
