use std::sync::Arc;

use super::{sealed, Metric};
use crate::atomic::AtomicF64;
use crate::collect::{MetricType, Number, SeriesValue, Visitor};

/// A value of no declared type: OpenMetrics `unknown`, Prometheus text `untyped`. Use it for
/// values relayed from a system that does not say whether they are counters or gauges.
///
/// ```
/// use vitals_core::Unknown;
/// let relayed = Unknown::new();
/// relayed.set(42.0);
/// assert_eq!(relayed.get(), 42.0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Unknown {
    inner: Arc<AtomicF64>,
}

impl Unknown {
    /// A value of zero that belongs to no registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.set(v);
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        self.inner.get()
    }
}

impl sealed::Sealed for Unknown {}

impl Metric for Unknown {
    type Options = ();
    const TYPE: MetricType = MetricType::Unknown;

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn visit(&self, labels: &str, visitor: &mut dyn Visitor) {
        visitor.series(labels, &SeriesValue::Unknown(Number::F64(self.get())));
    }

    fn same_series(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        super::arc_bytes::<AtomicF64>()
    }
}
