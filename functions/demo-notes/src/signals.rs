//! `POST /demo/ssf/events`: the sample's Shared Signals push endpoint (RFC 8935). actas pushes a
//! CAEP `session-revoked` SET when an impersonation ends; the SET is verified against actas's
//! key set and its session kept as revoked in the notes table, so every instance of the service
//! refuses that session at its next request, without asking actas (`CHECK_REVOCATION=false`).
//!
//! The SET's signature is what is trusted (a replay of a revocation revokes nothing new), so the
//! endpoint needs no credential of its own.
//!
//! Configuration: `SSF_AUDIENCE` (the receiver's audience, as registered with
//! `actas ssf receiver add --audience`; unset: no endpoint), `SSF_ISSUER` and `SSF_JWKS_URL`
//! (default: derived from the API the request came through, like `ACTAS_API_URL`).

use actas_verify::env::Settings;
use actas_verify::{RevokedSessions, SetReceiver, SetVerifier, SetVerifierConfig};
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use std::sync::Arc;

pub const PATH: &str = "/demo/ssf/events";

pub struct SignalsEndpoint {
    pub audience: String,
    pub issuer: Option<String>,
    pub jwks_url: Option<String>,
    pub settings: Settings,
    pub revoked: Arc<dyn RevokedSessions>,
    receiver: tokio::sync::OnceCell<SetReceiver>,
}

impl SignalsEndpoint {
    pub fn new(
        audience: String,
        issuer: Option<String>,
        jwks_url: Option<String>,
        settings: Settings,
        revoked: Arc<dyn RevokedSessions>,
    ) -> SignalsEndpoint {
        SignalsEndpoint {
            audience,
            issuer,
            jwks_url,
            settings,
            revoked,
            receiver: tokio::sync::OnceCell::new(),
        }
    }

    /// The issuer and key set URL: configured, else the API's (the service and actas share it).
    fn transmitter(&self, req: &Request) -> Option<(String, String)> {
        #[allow(unreachable_patterns)]
        let (api, stage) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(context)) => {
                (context.apiid.clone(), context.stage.clone())
            }
            _ => (None, None),
        };
        let issuer = match &self.issuer {
            Some(issuer) => issuer.clone(),
            None => {
                let (api, stage) = (api.as_deref()?, stage.as_deref()?);
                let region = self.settings.aws_region.as_deref().unwrap_or("us-east-1");
                if !api.chars().all(|c| c.is_ascii_alphanumeric())
                    || !stage
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return None;
                }
                format!("https://{api}.execute-api.{region}.amazonaws.com/{stage}")
            }
        };
        let jwks_url = match &self.jwks_url {
            Some(url) => url.clone(),
            None => format!(
                "{}/ssf/jwks",
                self.settings
                    .actas_api_url_for(api.as_deref()?, stage.as_deref()?)?
            ),
        };
        Some((issuer, jwks_url))
    }

    pub async fn handle(&self, req: &Request) -> Response<Body> {
        let Some((issuer, jwks_url)) = self.transmitter(req) else {
            return answer(503, Some(unavailable()));
        };
        let receiver = self
            .receiver
            .get_or_try_init(|| async {
                let config = SetVerifierConfig::new(issuer, self.audience.clone(), jwks_url);
                SetVerifier::new(config).map(|v| SetReceiver::new(v, self.revoked.clone()))
            })
            .await;
        let receiver = match receiver {
            Ok(receiver) => receiver,
            Err(err) => {
                tracing::error!(error = %err, "the SET receiver could not be built");
                return answer(503, Some(unavailable()));
            }
        };
        let result = receiver.receive(req.body().as_ref()).await;
        if let Err(err) = &result {
            tracing::warn!(error = %err, "SET refused");
        }
        let (status, body) = SetReceiver::answer(&result);
        answer(status, body)
    }
}

fn unavailable() -> String {
    json!({"err": "temporarily_unavailable", "description": "try again"}).to_string()
}

fn answer(status: u16, body: Option<String>) -> Response<Body> {
    let mut response = Response::new(body.clone().map(Body::from).unwrap_or(Body::Empty));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    if body.is_some() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}
