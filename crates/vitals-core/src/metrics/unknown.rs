use vitals_index::Shared;

use super::{sealed, slot_handle, Metric};
use crate::atomic::AtomicF64;
use crate::collect::{LabelText, MetricType, Number, SeriesValue, Visitor};

/// A value of no declared type: OpenMetrics `unknown`, Prometheus text `untyped`. Use it for
/// values relayed from a system that does not say whether they are counters or gauges.
///
/// ```
/// use vitals_core::Unknown;
/// let relayed = Unknown::new();
/// relayed.set(42.0);
/// assert_eq!(relayed.get(), 42.0);
/// ```
#[derive(Debug, Clone)]
pub struct Unknown {
    inner: Shared<AtomicF64>,
}

impl Unknown {
    /// A value of zero that belongs to no registry.
    pub fn new() -> Self {
        Self {
            inner: Shared::new(AtomicF64::new(0.0)),
        }
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

impl Default for Unknown {
    fn default() -> Self {
        Self::new()
    }
}

impl sealed::Sealed for Unknown {}

impl Metric for Unknown {
    type Options = ();
    const TYPE: MetricType = MetricType::Unknown;
    type Stored = AtomicF64;
    type Side = ();

    fn new_stored((): &()) -> AtomicF64 {
        AtomicF64::new(0.0)
    }

    slot_handle!();

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        visitor.series(labels, &SeriesValue::Unknown(Number::F64(self.get())));
    }

    fn same_series(&self, other: &Self) -> bool {
        Shared::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        0
    }
}
