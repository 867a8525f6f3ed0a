use super::{boxed_handle, sealed, Metric};
use crate::collect::{LabelText, MetricType, SeriesValue, Visitor};

/// One series of an info metric: its labels are the information (a version, a commit), its
/// value is always 1. Exposed as `<name>_info`; a gauge in Prometheus text 0.0.4.
///
/// The handle carries no state; it exists so that an info family works like any other.
///
/// ```
/// use vitals_core::Registry;
/// let registry = Registry::new();
/// registry
///     .info("build", "Build information.")
///     .register_with(&[("version", "1.4.2"), ("commit", "9f3c2d1")])
///     .unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Info {
    _private: (),
}

impl sealed::Sealed for Info {}

impl Metric for Info {
    type Options = ();
    const TYPE: MetricType = MetricType::Info;

    boxed_handle!();

    fn from_options((): &()) -> Self {
        Self::default()
    }

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        visitor.series(labels, &SeriesValue::Info);
    }

    fn same_series(&self, other: &Self) -> bool {
        // An info series is its labels; its handle has no cell to compare. Saying "same" is
        // the safe answer: a dense slot is then re-checked against the map at its next lookup.
        let _ = other;
        true
    }

    fn heap_bytes(&self) -> usize {
        0
    }
}
