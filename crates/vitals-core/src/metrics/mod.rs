//! The instruments. Each is a cheap-to-clone handle (an `Arc` to its cell); updates are a few
//! relaxed atomic operations with no lock, no allocation and no hashing (summaries excepted,
//! which take a short lock to feed their sketch, as every peer's summary does).

mod counter;
mod gauge;
mod histogram;
mod info;
mod sharded;
mod stateset;
mod summary;
mod timer;
mod unknown;

pub use counter::{Counter, FloatCounter};
pub use gauge::{FloatGauge, Gauge};
pub use histogram::{
    exponential_buckets, linear_buckets, Histogram, HistogramOptions, DEFAULT_BUCKETS,
};
pub use info::Info;
pub use sharded::ShardedCounter;
pub use stateset::{StateSet, StateSetOptions};
pub use summary::{Summary, SummaryOptions};
pub use timer::{Observe, Timer};
pub use unknown::Unknown;

use crate::collect::{MetricType, Visitor};

mod sealed {
    pub trait Sealed {}
}

/// An instrument that can live in a [`Family`](crate::Family): one value per series.
///
/// Implemented by this crate's instruments only (the trait is sealed); to expose values computed
/// elsewhere, write a [`Collector`](crate::Collector).
pub trait Metric: Clone + Send + Sync + 'static + sealed::Sealed {
    /// The validated per-family configuration every series is built from (bucket bounds,
    /// quantiles, states), or `()`.
    type Options: Clone + Send + Sync + std::fmt::Debug + PartialEq + 'static;

    /// The family type this instrument produces.
    const TYPE: MetricType;

    /// A new series with a zero value.
    fn from_options(options: &Self::Options) -> Self;

    /// Reports this series' current value to `visitor`.
    fn visit(&self, labels: &str, visitor: &mut dyn Visitor);

    /// Whether `other` is a handle to the same series (not merely an equal value).
    fn same_series(&self, other: &Self) -> bool;

    /// An estimate of the heap bytes behind this handle (its shared cell), for
    /// [`FamilyStats`](crate::limits::FamilyStats).
    fn heap_bytes(&self) -> usize;
}

/// The heap size of an `Arc<T>`'s allocation: two reference counts and the value.
pub(crate) const fn arc_bytes<T>() -> usize {
    2 * std::mem::size_of::<usize>() + std::mem::size_of::<T>()
}
