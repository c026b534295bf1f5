//! `GET /api/public/coworkers/profiles` (seeds 002/003).

use crate::app::authenticate::authenticate;
use crate::app::profiles::list_profiles;
use crate::app::profiles::ProfilesState;
use crate::domain::error::Result;
use crate::domain::payload::ProfilesPage;
use crate::http::extract::{header, query_param};
use crate::http::respond::respond;
use lambda_http::{Body, Request, Response};
use tracing::instrument;

/// `GET /api/public/coworkers/profiles` (seeds 002/003).
#[instrument(name = "profiles", skip_all)]
pub async fn handle(state: &ProfilesState, req: Request) -> Response<Body> {
    respond(profiles_request(state, &req).await)
}

pub(crate) async fn profiles_request(state: &ProfilesState, req: &Request) -> Result<ProfilesPage> {
    let caller = authenticate(&state.api, header(req, "authorization")).await?;
    let next = query_param(req, "nextToken").filter(|t| !t.is_empty());
    list_profiles(state, &caller, next).await
}
