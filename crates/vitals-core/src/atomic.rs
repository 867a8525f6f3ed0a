//! An `f64` in an `AtomicU64`, for float counters, float gauges and histogram sums.

use std::sync::atomic::{AtomicU64, Ordering};

/// Public (in this private module) only because it is a float gauge's
/// [`Metric::Stored`](crate::metrics::Metric::Stored).
#[allow(unreachable_pub)]
#[derive(Debug, Default)]
pub struct AtomicF64(AtomicU64);

impl AtomicF64 {
    pub(crate) fn new(v: f64) -> Self {
        Self(AtomicU64::new(v.to_bits()))
    }

    #[inline]
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }

    /// Adds with a compare-and-swap loop: there is no native atomic float add.
    #[inline]
    pub(crate) fn add(&self, v: f64) {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + v).to_bits();
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

impl AtomicF64 {
    /// Raises the value to `v` if `v` is larger (for mirroring a count kept elsewhere).
    pub(crate) fn raise_to(&self, v: f64) {
        let mut current = self.0.load(Ordering::Relaxed);
        while f64::from_bits(current) < v {
            match self.0.compare_exchange_weak(
                current,
                v.to_bits(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

/// Seconds since the Unix epoch, as the `_created` samples and `set_to_current_time` need.
pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
