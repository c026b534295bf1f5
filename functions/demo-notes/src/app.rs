//! The service: the routes behind `ActasLayer`, and the Shared Signals push endpoint beside it.

use crate::handler::{handle, path, Notes};
use crate::signals::{SignalsEndpoint, PATH as SIGNALS_PATH};
use actas_verify::env::Settings;
use actas_verify::{ActasLayer, Guard};
use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::tower::{service_fn, Layer, Service, ServiceExt};
use lambda_http::{Body, Request, Response};
use std::convert::Infallible;
use std::sync::Arc;

/// The routes, each request admitted by the layer first: verified (again, behind the gateway's
/// authorizer: defense in depth), refused if Shared Signals revoked its session, checked with
/// actas when configured, read-only writes refused. actas's URL, unless configured, is the same
/// API's, from the context API Gateway writes. `POST /demo/ssf/events` is actas's push of SETs:
/// not a user's request, so not behind the layer (the SET's signature is its credential).
pub fn service(
    notes: Notes,
    guard: Guard,
    settings: Settings,
    signals: Option<SignalsEndpoint>,
) -> impl Service<Request, Response = Response<Body>, Error = Infallible, Future: Send> + Clone {
    let notes = Arc::new(notes);
    let routes = service_fn(move |req: Request| {
        let notes = notes.clone();
        async move { Ok::<_, Infallible>(handle(&notes, req).await) }
    });
    let guarded = ActasLayer::new(guard)
        .api_url_from(move |parts| {
            #[allow(unreachable_patterns)] // only the REST variant with lambda_http's features
            match parts.extensions.get::<RequestContext>()? {
                RequestContext::ApiGatewayV1(context) => {
                    settings.actas_api_url_for(context.apiid.as_deref()?, context.stage.as_deref()?)
                }
                _ => None,
            }
        })
        .layer(routes);
    let signals = Arc::new(signals);
    service_fn(move |req: Request| {
        let guarded = guarded.clone();
        let signals = signals.clone();
        async move {
            if path(&req) == SIGNALS_PATH {
                return Ok(match (signals.as_ref(), req.method()) {
                    (Some(endpoint), &Method::POST) => endpoint.handle(&req).await,
                    _ => crate::handler::not_found(),
                });
            }
            guarded.oneshot(req).await
        }
    })
}
