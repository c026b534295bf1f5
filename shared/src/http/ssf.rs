//! The Shared Signals transmitter's routes:
//!
//! - `GET /.well-known/ssf-configuration` and `GET /ssf/jwks`: public;
//! - `POST|GET|PUT|PATCH|DELETE /ssf/streams`, `GET|POST /ssf/status`, `POST /ssf/verify`: for a
//!   registered receiver, `Authorization: Bearer ssf.<id>.<secret>`.

use crate::app::ssf::{self, SsfState};
use crate::domain::error::{ActasError, Result};
use crate::http::extract::{header, json_object_body, query_param};
use crate::http::origin::{api_url_of, is_url_safe};
use crate::http::respond::{error_response, json_response, respond};
use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value};
use tracing::instrument;

/// The routes' state: the transmitter, and how its issuer and URLs are named.
pub struct SsfRoutes {
    pub ssf: SsfState,
    /// `SSF_ISSUER` (the public API URL when one is configured): the `iss` of every SET.
    pub issuer: Option<String>,
    /// `PUBLIC_API_URL`: the base of the URLs in the metadata.
    pub public_api_url: Option<String>,
    pub region: String,
}

impl SsfRoutes {
    /// The issuer: the configured one, else the API's own URL on AWS
    /// (`https://{api id}.execute-api.{region}.amazonaws.com/{stage}`), as the delivery function
    /// is configured with it.
    fn issuer(&self, req: &Request) -> Result<String> {
        if let Some(issuer) = &self.issuer {
            return Ok(issuer.clone());
        }
        match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(context)) => {
                let api = context.apiid.as_deref().filter(|a| is_url_safe(a));
                let stage = context.stage.as_deref().filter(|s| is_url_safe(s));
                match (api, stage) {
                    (Some(api), Some(stage)) => Ok(default_issuer(api, &self.region, stage)),
                    _ => Err(ActasError::Internal(
                        "no API id in the request context".into(),
                    )),
                }
            }
            _ => Err(ActasError::Internal(
                "no API Gateway request context".into(),
            )),
        }
    }

    fn base_url(&self, req: &Request) -> Result<String> {
        if let Some(url) = &self.public_api_url {
            return Ok(url.trim_end_matches('/').to_string());
        }
        match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(context)) => api_url_of(req, &context)
                .ok_or_else(|| ActasError::Internal("the API URL is unknown".into())),
            _ => Err(ActasError::Internal(
                "no API Gateway request context".into(),
            )),
        }
    }
}

/// The issuer of a deployment without a public URL: its API's AWS URL.
pub fn default_issuer(api_id: &str, region: &str, stage: &str) -> String {
    format!("https://{api_id}.execute-api.{region}.amazonaws.com/{stage}")
}

fn required_body(req: &Request) -> Result<Map<String, Value>> {
    json_object_body(req)?.ok_or_else(|| ActasError::BadRequest("a JSON object is required".into()))
}

fn stream_id(req: &Request) -> Option<String> {
    query_param(req, "stream_id")
}

#[instrument(name = "ssf", skip_all)]
pub async fn handle(routes: &SsfRoutes, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let method = req.method().clone();
    if path.ends_with("/.well-known/ssf-configuration") {
        let metadata = match (routes.issuer(&req), routes.base_url(&req)) {
            (Ok(issuer), Ok(base)) => Ok(ssf::metadata(&issuer, &base)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        return respond(metadata);
    }
    if path.ends_with("/ssf/jwks") {
        return respond(ssf::jwks(&routes.ssf).await);
    }
    let receiver = match ssf::authenticate(&routes.ssf, header(&req, "authorization")).await {
        Ok(receiver) => receiver,
        Err(err) => {
            let mut response = error_response(&err);
            if err.status() == 401 {
                response.headers_mut().insert(
                    "www-authenticate",
                    lambda_http::http::HeaderValue::from_static("Bearer"),
                );
            }
            return response;
        }
    };
    let issuer = match routes.issuer(&req) {
        Ok(issuer) => issuer,
        Err(err) => return error_response(&err),
    };
    let state = &routes.ssf;
    if path.ends_with("/ssf/streams") {
        return match method {
            Method::GET => {
                respond(ssf::read_streams(&receiver, stream_id(&req).as_deref(), &issuer).await)
            }
            Method::POST => match required_body(&req) {
                Ok(body) => match ssf::create_stream(state, &receiver, &body, &issuer).await {
                    Ok(view) => json_response(201, &view),
                    Err(err) => error_response(&err),
                },
                Err(err) => error_response(&err),
            },
            Method::PATCH | Method::PUT => {
                let replace = method == Method::PUT;
                match required_body(&req) {
                    Ok(body) => {
                        respond(ssf::update_stream(state, &receiver, &body, replace, &issuer).await)
                    }
                    Err(err) => error_response(&err),
                }
            }
            Method::DELETE => {
                match ssf::delete_stream(state, &receiver, stream_id(&req).as_deref()).await {
                    Ok(()) => no_content(),
                    Err(err) => error_response(&err),
                }
            }
            _ => error_response(&ActasError::MethodNotAllowed("method not allowed".into())),
        };
    }
    if path.ends_with("/ssf/status") {
        return match method {
            Method::GET => respond(ssf::status(state, &receiver, stream_id(&req).as_deref()).await),
            Method::POST => match required_body(&req) {
                Ok(body) => respond(ssf::set_status(state, &receiver, &body).await),
                Err(err) => error_response(&err),
            },
            _ => error_response(&ActasError::MethodNotAllowed("method not allowed".into())),
        };
    }
    if path.ends_with("/ssf/verify") && method == Method::POST {
        return match required_body(&req) {
            Ok(body) => match ssf::verify(state, &receiver, &body, &issuer).await {
                Ok(()) => no_content(),
                Err(err) => error_response(&err),
            },
            Err(err) => error_response(&err),
        };
    }
    error_response(&ActasError::NotFound("no such route".into()))
}

fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = lambda_http::http::StatusCode::NO_CONTENT;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ssf::tests::world;
    use serde_json::json;

    fn event(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("JSON")
    }

    fn request(event: &Value) -> Request {
        crate::http::runtime::request_from_event(event.clone()).expect("a REST event")
    }

    fn with(
        event: &Value,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<&str>,
    ) -> Value {
        let mut event = event.clone();
        event["httpMethod"] = json!(method);
        event["requestContext"]["httpMethod"] = json!(method);
        event["path"] = json!(path);
        event["resource"] = json!(path);
        event["requestContext"]["resourcePath"] = json!(path);
        for map in ["headers", "multiValueHeaders"] {
            let headers = event[map].as_object_mut().unwrap();
            headers.remove("Authorization");
            if let Some(value) = authorization {
                let value = if map == "headers" {
                    json!(value)
                } else {
                    json!([value])
                };
                headers.insert("Authorization".into(), value);
            }
        }
        event["body"] = body.map_or(Value::Null, |b| json!(b));
        if let Some((path, query)) = path.split_once('?') {
            let (name, value) = query.split_once('=').unwrap();
            event["path"] = json!(path);
            event["queryStringParameters"] = json!({name: value});
            event["multiValueQueryStringParameters"] = json!({name: [value]});
        }
        event
    }

    async fn answer(routes: &SsfRoutes, event: &Value) -> (u16, Value) {
        let response = handle(routes, request(event)).await;
        let status = response.status().as_u16();
        let body = match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
            Body::Empty => Value::Null,
            _ => Value::Null,
        };
        (status, body)
    }

    #[tokio::test]
    async fn the_event_creates_a_stream_and_bad_input_gets_the_right_4xx() {
        let world = world();
        let (_, credential) = crate::app::ssf::add_receiver(
            world.store.as_ref(),
            world.clock.as_ref(),
            "billing",
            "billing-aud",
        )
        .await
        .unwrap();
        let routes = SsfRoutes {
            ssf: world.state,
            issuer: None,
            public_api_url: None,
            region: "us-east-1".into(),
        };
        let base = event("ssf-streams.json");
        let bearer = format!("Bearer {credential}");
        let mut post = base.clone();
        for map in ["headers", "multiValueHeaders"] {
            let value = if map == "headers" {
                json!(bearer)
            } else {
                json!([bearer])
            };
            post[map]["Authorization"] = value;
        }
        let (status, created) = answer(&routes, &post).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(
            created["iss"],
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1"
        );
        assert_eq!(created["aud"], "billing-aud");
        assert!(created["delivery"].get("authorization_header").is_none());
        let stream_id = created["stream_id"].as_str().unwrap().to_string();

        let (status, metadata) = answer(
            &routes,
            &with(&base, "GET", "/.well-known/ssf-configuration", None, None),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(metadata["issuer"], created["iss"]);
        assert_eq!(
            metadata["jwks_uri"],
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1/ssf/jwks"
        );

        let status_path = format!("/ssf/status?stream_id={stream_id}");
        let cases: Vec<(&str, String, Option<String>, Option<&str>, u16)> = vec![
            ("no credential", "/ssf/streams".into(), None, None, 401),
            (
                "an API key",
                "/ssf/streams".into(),
                Some("Bearer actas.x.y".into()),
                None,
                401,
            ),
            (
                "wrong secret",
                "/ssf/streams".into(),
                Some(format!("{bearer}x")),
                None,
                401,
            ),
            (
                "bad JSON",
                "/ssf/streams".into(),
                Some(bearer.clone()),
                Some("{nope"),
                400,
            ),
            (
                "not an object",
                "/ssf/streams".into(),
                Some(bearer.clone()),
                Some("[1]"),
                400,
            ),
            (
                "no body",
                "/ssf/streams".into(),
                Some(bearer.clone()),
                None,
                400,
            ),
            (
                "a second stream",
                "/ssf/streams".into(),
                Some(bearer.clone()),
                Some(r#"{"delivery":{"endpoint_url":"https://x.example/"}}"#),
                409,
            ),
        ];
        for (name, path, authorization, body, want) in cases {
            let (status, body) = answer(
                &routes,
                &with(&base, "POST", &path, authorization.as_deref(), body),
            )
            .await;
            assert_eq!(status, want, "{name}: {body}");
            assert_eq!(body["status"], "error", "{name}");
        }
        let (status, _) = answer(
            &routes,
            &with(
                &base,
                "GET",
                "/ssf/streams?stream_id=other",
                Some(&bearer),
                None,
            ),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = answer(
            &routes,
            &with(&base, "PATCH", "/ssf/streams", Some(&bearer), Some("{}")),
        )
        .await;
        assert_eq!(status, 400, "no stream id");
        let (status, shown) = answer(
            &routes,
            &with(&base, "GET", &status_path, Some(&bearer), None),
        )
        .await;
        assert_eq!((status, shown["status"].as_str()), (200, Some("enabled")));
        let (status, _) = answer(
            &routes,
            &with(
                &base,
                "DELETE",
                &format!("/ssf/streams?stream_id={stream_id}"),
                Some(&bearer),
                None,
            ),
        )
        .await;
        assert_eq!(status, 204);
        let (status, _) = answer(
            &routes,
            &with(&base, "GET", &status_path, Some(&bearer), None),
        )
        .await;
        assert_eq!(status, 404);
    }
}
