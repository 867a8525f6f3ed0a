//! [`RequestMetrics`]: the service that starts tracking each request.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::Service;

use super::body::ResponseBody;
use super::future::ResponseFuture;
use super::record::{start, Shared};

/// A service that measures the requests through `S`; made by
/// [`RequestMetricsLayer`](super::RequestMetricsLayer).
///
/// The in-flight gauge goes up when [`call`](Service::call) is made; everything else is
/// recorded when the [`ResponseBody`] ends or is dropped.
#[derive(Clone)]
pub struct RequestMetrics<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: fmt::Debug> fmt::Debug for RequestMetrics<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMetrics")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> RequestMetrics<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestMetrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: http_body::Body,
    ResBody: http_body::Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let (req, tracker) = start(&self.shared, req);
        ResponseFuture::new(self.inner.call(req), tracker)
    }
}
