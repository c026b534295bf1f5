//! A tower layer for `http::Request` services (axum, hyper, `lambda_http`): a request is
//! admitted with its `Session` in its extensions, or answered with the refusal's JSON.

use crate::error::VerifyError;
use crate::guard::Guard;
use http::request::Parts;
use http::{header, HeaderValue, Request, Response, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

type ApiUrlFrom = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;

/// Wraps a service so that only admitted requests reach it (see `Guard::admit`).
#[derive(Clone)]
pub struct ActasLayer {
    guard: Guard,
    api_url_from: Option<ApiUrlFrom>,
}

impl ActasLayer {
    pub fn new(guard: Guard) -> ActasLayer {
        ActasLayer {
            guard,
            api_url_from: None,
        }
    }

    /// Where actas is for a request, when the revocation check has no fixed URL: read it from
    /// something the platform vouches for (e.g. API Gateway's request context), never from a
    /// header the caller controls such as `Host`.
    pub fn api_url_from<F>(mut self, resolve: F) -> ActasLayer
    where
        F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    {
        self.api_url_from = Some(Arc::new(resolve));
        self
    }
}

impl<S> Layer<S> for ActasLayer {
    type Service = ActasService<S>;

    fn layer(&self, inner: S) -> ActasService<S> {
        ActasService {
            inner,
            guard: self.guard.clone(),
            api_url_from: self.api_url_from.clone(),
        }
    }
}

/// The service `ActasLayer` makes.
#[derive(Clone)]
pub struct ActasService<S> {
    inner: S,
    guard: Guard,
    api_url_from: Option<ApiUrlFrom>,
}

/// A refusal as a response: the error's status, `{"status":"error","message":...}`.
pub fn refusal<B: From<String>>(error: &VerifyError) -> Response<B> {
    let mut response = Response::new(B::from(error.to_json()));
    *response.status_mut() =
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if error.status() == 401 {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ActasService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The clone that was not polled ready goes back; the ready one serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        let (mut parts, body) = request.into_parts();
        let api_url = match (&self.api_url_from, guard.needs_api_url()) {
            (Some(resolve), true) => resolve(&parts),
            _ => None,
        };
        Box::pin(async move {
            let authorization = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            let admitted = guard
                .admit(&parts.method, authorization, api_url.as_deref())
                .await;
            match admitted {
                Ok(session) => {
                    parts.extensions.insert(session);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(error) => {
                    if error.status() >= 500 {
                        tracing::error!(error = %error, "request refused: authorization failed");
                    } else {
                        tracing::info!(status = error.status(), reason = %error, "request refused");
                    }
                    Ok(refusal(&error))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests;
