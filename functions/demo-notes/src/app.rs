//! The service: the routes behind `ActasLayer`.

use crate::handler::{handle, Notes};
use actas_verify::env::Settings;
use actas_verify::{ActasLayer, Guard};
use lambda_http::request::RequestContext;
use lambda_http::tower::{service_fn, Layer, Service};
use lambda_http::{Body, Request, Response};
use std::convert::Infallible;
use std::sync::Arc;

/// The routes, each request admitted by the layer first: verified (again, behind the gateway's
/// authorizer: defense in depth), checked with actas when configured, read-only writes refused.
/// actas's URL, unless configured, is the same API's, from the context API Gateway writes.
pub fn service(
    notes: Notes,
    guard: Guard,
    settings: Settings,
) -> impl Service<Request, Response = Response<Body>, Error = Infallible, Future: Send> + Clone {
    let notes = Arc::new(notes);
    let routes = service_fn(move |req: Request| {
        let notes = notes.clone();
        async move { Ok::<_, Infallible>(handle(&notes, req).await) }
    });
    ActasLayer::new(guard)
        .api_url_from(move |parts| {
            #[allow(unreachable_patterns)] // only the REST variant with lambda_http's features
            match parts.extensions.get::<RequestContext>()? {
                RequestContext::ApiGatewayV1(context) => {
                    settings.actas_api_url_for(context.apiid.as_deref()?, context.stage.as_deref()?)
                }
                _ => None,
            }
        })
        .layer(routes)
}
