//! [`ResponseBody`]: counts the bytes of each frame and records the request when it ends.

use std::fmt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::record::Tracker;

pin_project! {
    /// The response body of [`RequestMetrics`](super::RequestMetrics): the inner body, passed
    /// through frame by frame, unchanged.
    ///
    /// The request is recorded (counter, duration, sizes, in-flight down) when the body ends:
    /// its last frame is read (`poll_frame` returns `None`, or `is_end_stream` turns true after
    /// a frame), or it fails, or it is dropped before the end (the client went away). In the
    /// last two cases it is recorded with the response's status and the bytes sent so far.
    /// A body that is empty from the start is recorded as soon as the response is ready.
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        tracker: Option<Tracker>,
    }
}

impl<B> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("tracked", &self.tracker.is_some())
            .finish_non_exhaustive()
    }
}

impl<B: Body> ResponseBody<B> {
    pub(crate) fn new(inner: B, mut tracker: Option<Tracker>) -> Self {
        // A body that is over before it starts (a 204, an empty 404) may never be polled:
        // it has finished, so record it now rather than whenever it happens to be dropped.
        if inner.is_end_stream() {
            if let Some(t) = tracker.as_mut() {
                t.finish();
            }
        }
        Self { inner, tracker }
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        if let Some(tracker) = this.tracker.as_mut() {
            match &frame {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        tracker.add_response_bytes(data.remaining());
                    }
                }
                None | Some(Err(_)) => tracker.finish(),
            }
        }
        // hyper stops polling once `is_end_stream` is true, so the `None` above never comes
        // for bodies that know their end (full bodies): record at the last frame instead.
        if let (Some(Ok(_)), Some(tracker)) = (&frame, this.tracker.as_mut()) {
            if this.inner.is_end_stream() {
                tracker.finish();
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
