//! `GET /auth/settings[?tenant=]` and `PUT /auth/settings[?tenant=]`: a tenant's governance.

use crate::app::authenticate::authenticate;
use crate::app::governance::{change_settings, read_settings, GovernanceState};
use crate::domain::error::{ActasError, Result};
use crate::domain::governance::TenantSettings;
use crate::http::extract::{header, json_object_body, query_param};
use crate::http::origin::origin_of;
use crate::http::respond::respond;
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

#[instrument(name = "settings", skip_all)]
pub async fn handle(state: &GovernanceState, req: Request) -> Response<Body> {
    respond(settings_request(state, &req).await)
}

async fn settings_request(state: &GovernanceState, req: &Request) -> Result<TenantSettings> {
    let caller = authenticate(&state.api, header(req, "authorization")).await?;
    let tenant = query_param(req, "tenant").filter(|t| !t.trim().is_empty());
    if let Some(tenant) = tenant.as_deref() {
        if !crate::domain::user::is_valid_tenant_id(tenant) {
            return Err(ActasError::BadRequest(
                "tenant must be 1 to 64 letters, digits, '.', '_' or '-'".into(),
            ));
        }
    }
    if req.method() == Method::GET {
        return read_settings(&state.api, &state.governance, &caller, tenant.as_deref()).await;
    }
    let changes = json_object_body(req)?
        .ok_or_else(|| ActasError::BadRequest("a JSON object of settings is required".into()))?;
    change_settings(
        &state.api,
        &state.governance,
        &caller,
        tenant.as_deref(),
        &changes,
        &origin_of(req),
    )
    .await
}
