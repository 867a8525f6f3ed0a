use std::time::Instant;

use super::{Histogram, Summary};

/// An instrument that takes observations: [`Histogram`] and [`Summary`].
pub trait Observe {
    /// Records one observation.
    fn observe(&self, value: f64);

    /// Starts a [`Timer`] that observes the elapsed seconds when dropped.
    ///
    /// ```
    /// use vitals_core::{Histogram, Observe, DEFAULT_BUCKETS};
    /// let latency = Histogram::with_buckets(DEFAULT_BUCKETS).unwrap();
    /// {
    ///     let _timer = latency.start_timer();
    ///     // ... the work being timed ...
    /// }
    /// assert_eq!(latency.count(), 1);
    /// ```
    fn start_timer(&self) -> Timer<'_, Self>
    where
        Self: Sized,
    {
        Timer {
            target: Some(self),
            start: Instant::now(),
        }
    }
}

impl Observe for Histogram {
    #[inline]
    fn observe(&self, value: f64) {
        Histogram::observe(self, value);
    }
}

impl Observe for Summary {
    #[inline]
    fn observe(&self, value: f64) {
        Summary::observe(self, value);
    }
}

/// Observes the seconds elapsed since it was started into a histogram or summary when it is
/// dropped, unless [`discard`](Self::discard)ed. Made by [`Observe::start_timer`].
#[must_use = "a timer observes when dropped; binding it to `_` drops it at once"]
#[derive(Debug)]
pub struct Timer<'a, O: Observe> {
    target: Option<&'a O>,
    start: Instant,
}

impl<O: Observe> Timer<'_, O> {
    /// Observes now and returns the elapsed seconds, instead of at drop.
    pub fn observe_duration(mut self) -> f64 {
        let elapsed = self.start.elapsed().as_secs_f64();
        if let Some(target) = self.target.take() {
            target.observe(elapsed);
        }
        elapsed
    }

    /// Drops the timer without observing, and returns the elapsed seconds.
    pub fn discard(mut self) -> f64 {
        self.target = None;
        self.start.elapsed().as_secs_f64()
    }
}

impl<O: Observe> Drop for Timer<'_, O> {
    fn drop(&mut self) {
        if let Some(target) = self.target.take() {
            target.observe(self.start.elapsed().as_secs_f64());
        }
    }
}
