use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{sealed, Metric};
use crate::atomic::{unix_now, AtomicF64};
use crate::collect::{MetricType, Number, SeriesValue, Visitor};
use crate::self_metrics::{record, DropReason};

/// A monotonic integer total, such as requests served. Exposed as `<name>_total`, with
/// `<name>_created` in OpenMetrics.
///
/// ```
/// use vitals_core::Registry;
/// let registry = Registry::new();
/// let requests = registry.counter("requests", "Requests served.").register().unwrap();
/// requests.inc();
/// requests.inc_by(2);
/// assert_eq!(requests.get(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Counter {
    inner: Arc<CounterCell>,
}

#[derive(Debug)]
struct CounterCell {
    value: AtomicU64,
    created: f64,
}

impl Counter {
    /// A counter at zero that belongs to no registry (a registry's builder makes registered
    /// ones).
    pub fn new() -> Self {
        Self {
            inner: Arc::new(CounterCell {
                value: AtomicU64::new(0),
                created: unix_now(),
            }),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inner.value.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `v`. The total wraps at `u64::MAX`, which takes centuries at any real rate.
    #[inline]
    pub fn inc_by(&self, v: u64) {
        self.inner.value.fetch_add(v, Ordering::Relaxed);
    }

    /// The current total.
    pub fn get(&self) -> u64 {
        self.inner.value.load(Ordering::Relaxed)
    }

    /// When this series was created, in seconds since the Unix epoch.
    pub fn created(&self) -> f64 {
        self.inner.created
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl sealed::Sealed for Counter {}

impl Metric for Counter {
    type Options = ();
    const TYPE: MetricType = MetricType::Counter;

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn visit(&self, labels: &str, visitor: &mut dyn Visitor) {
        visitor.series(
            labels,
            &SeriesValue::Counter {
                value: Number::U64(self.get()),
                created: Some(self.inner.created),
            },
        );
    }
}

/// A monotonic float total, such as seconds spent or money charged.
///
/// An increment that is negative, NaN or infinite is dropped and counted in
/// [`self_metrics`](crate::self_metrics) (`reason="invalid_increment"`): a counter only goes up.
///
/// ```
/// use vitals_core::FloatCounter;
/// let cost = FloatCounter::new();
/// cost.inc_by(0.25);
/// cost.inc_by(-1.0); // dropped and counted
/// assert_eq!(cost.get(), 0.25);
/// ```
#[derive(Debug, Clone)]
pub struct FloatCounter {
    inner: Arc<FloatCounterCell>,
}

#[derive(Debug)]
struct FloatCounterCell {
    value: AtomicF64,
    created: f64,
}

impl FloatCounter {
    /// A counter at zero that belongs to no registry.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(FloatCounterCell {
                value: AtomicF64::new(0.0),
                created: unix_now(),
            }),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inner.value.add(1.0);
    }

    /// Adds `v` if it is finite and not negative; otherwise drops and counts it.
    #[inline]
    pub fn inc_by(&self, v: f64) {
        if v >= 0.0 && v.is_finite() {
            self.inner.value.add(v);
        } else {
            record(DropReason::InvalidIncrement);
        }
    }

    /// The current total.
    pub fn get(&self) -> f64 {
        self.inner.value.get()
    }

    /// When this series was created, in seconds since the Unix epoch.
    pub fn created(&self) -> f64 {
        self.inner.created
    }
}

impl Default for FloatCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl sealed::Sealed for FloatCounter {}

impl Metric for FloatCounter {
    type Options = ();
    const TYPE: MetricType = MetricType::Counter;

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn visit(&self, labels: &str, visitor: &mut dyn Visitor) {
        visitor.series(
            labels,
            &SeriesValue::Counter {
                value: Number::F64(self.get()),
                created: Some(self.inner.created),
            },
        );
    }
}
