//! [`ResponseFuture`]: waits for the inner service and hands the tracker to the body.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use super::body::ResponseBody;
use super::record::Tracker;

pin_project! {
    /// The future of [`RequestMetrics`](super::RequestMetrics).
    ///
    /// Dropped before the inner service answers (the client went away, an outer timeout
    /// fired), it takes the request out of the in-flight gauge and counts it only if
    /// [`with_cancelled_status`](super::RequestMetricsConfig::with_cancelled_status) is set.
    /// An error from the inner service is counted with status 500 (`5xx`), as hyper turns it
    /// into a failed response too.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        tracker: Option<Tracker>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("tracked", &self.tracker.is_some())
            .finish_non_exhaustive()
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, tracker: Option<Tracker>) -> Self {
        Self { inner, tracker }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let mut tracker = this.tracker.take();
        match result {
            Ok(response) => {
                if let Some(t) = tracker.as_mut() {
                    t.set_status(response.status());
                }
                Poll::Ready(Ok(response.map(|body| ResponseBody::new(body, tracker))))
            }
            Err(err) => {
                if let Some(mut t) = tracker {
                    t.set_status(StatusCode::INTERNAL_SERVER_ERROR);
                    t.finish();
                }
                Poll::Ready(Err(err))
            }
        }
    }
}
