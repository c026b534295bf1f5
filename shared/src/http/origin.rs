//! Where a request came from (source IP, user agent) and the API's public URL as it was reached.

use crate::domain::audit::RequestOrigin;
use crate::http::extract::header;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

pub(crate) fn origin_of(req: &Request) -> RequestOrigin {
    let (source_ip, context_agent, api_url) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => (
            context.identity.source_ip.clone(),
            context.identity.user_agent.clone(),
            api_url_of(req, context),
        ),
        _ => (None, None, None),
    };
    let user_agent = header(req, "user-agent")
        .map(str::to_string)
        .or(context_agent);
    RequestOrigin {
        source_ip,
        user_agent,
        api_url,
    }
}

/// The API's public base URL as this request reached it. On AWS the context names the domain
/// and the stage; the local emulator serves the API under `/_aws/execute-api/{api}/{stage}` of
/// the host it was called on, and sends no domain. (`PUBLIC_API_URL` overrides both.)
pub(crate) fn api_url_of(
    req: &Request,
    context: &lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext,
) -> Option<String> {
    let stage = context.stage.as_deref().filter(|s| is_url_safe(s))?;
    if let Some(domain) = context.domain_name.as_deref().filter(|d| is_url_safe(d)) {
        return Some(format!("https://{domain}/{stage}"));
    }
    let host = header(req, "host").filter(|h| is_url_safe(h))?;
    let api = context.apiid.as_deref().filter(|a| is_url_safe(a))?;
    let scheme = match header(req, "x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}/_aws/execute-api/{api}/{stage}"))
}

pub(crate) fn is_url_safe(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 255
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
}
