//! The instruments. Each is a cheap-to-clone handle to its cell; updates are a few
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

use vitals_index::{Entry, Shared};

use crate::collect::{LabelText, MetricType, Visitor};

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

    /// What a family keeps in each series' slot: the cell itself for the instruments whose
    /// handle is a [`Shared`] (counters, gauges, unknown), so a series costs its value and no
    /// allocation; the handle for the others, whose cells hold allocations of their own anyway.
    #[doc(hidden)]
    type Stored: Send + Sync + 'static;

    /// A series' side data (see [`Shared::side`]): where a counter's exemplar lives.
    #[doc(hidden)]
    type Side: Default + Send + Sync + 'static;

    /// A new series with a zero value.
    fn from_options(options: &Self::Options) -> Self;

    /// What a family keeps for a new series.
    #[doc(hidden)]
    fn new_stored(options: &Self::Options) -> Self::Stored;

    /// A handle to the series in `entry`.
    #[doc(hidden)]
    fn share<E>(entry: &Entry<'_, Self::Stored, Self::Side, E>) -> Self;

    /// Calls `f` with a handle to the series in `entry`, without counting a reference.
    #[doc(hidden)]
    fn lend<E, R>(entry: &Entry<'_, Self::Stored, Self::Side, E>, f: impl FnOnce(&Self) -> R) -> R;

    /// The handle's slot, for a family that puts a removed series back with its value.
    #[doc(hidden)]
    fn shared(&self) -> Option<&Shared<Self::Stored, Self::Side>>;

    /// What a family keeps to put this handle's series back, for the instruments kept whole.
    #[doc(hidden)]
    fn as_stored(&self) -> Option<Self::Stored>;

    /// Reports this series' current value to `visitor`, under label text `labels` (for a
    /// handle of its own, `&LabelText::default()`: no labels).
    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor);

    /// Whether `other` is a handle to the same series (not merely an equal value).
    fn same_series(&self, other: &Self) -> bool;

    /// An estimate of the heap bytes a family's series holds beyond its slot (0 for the
    /// instruments kept in the slot), for [`FamilyStats`](crate::limits::FamilyStats).
    fn heap_bytes(&self) -> usize;
}

/// The [`Metric`] items of an instrument whose handle is one [`Shared`] in a field `inner`,
/// with `Stored` and `Side` its cell and side data.
macro_rules! slot_handle {
    () => {
        fn share<E>(entry: &vitals_index::Entry<'_, Self::Stored, Self::Side, E>) -> Self {
            Self {
                inner: entry.shared(),
            }
        }

        #[inline]
        #[allow(unsafe_code)]
        fn lend<E, R>(
            entry: &vitals_index::Entry<'_, Self::Stored, Self::Side, E>,
            f: impl FnOnce(&Self) -> R,
        ) -> R {
            // SAFETY: `|inner| Self { inner }` moves the handle into the instrument's one
            // field and does nothing else with it, and the instrument gives no way to move it
            // out through `&Self`.
            unsafe { super::lend(entry, |inner| Self { inner }, f) }
        }

        fn shared(&self) -> Option<&vitals_index::Shared<Self::Stored, Self::Side>> {
            Some(&self.inner)
        }

        fn as_stored(&self) -> Option<Self::Stored> {
            None
        }
    };
}
pub(crate) use slot_handle;

/// The [`Metric`] items of an instrument a family keeps whole in its slots.
macro_rules! boxed_handle {
    () => {
        type Stored = Self;
        type Side = ();

        fn new_stored(options: &Self::Options) -> Self {
            <Self as Metric>::from_options(options)
        }

        fn share<E>(entry: &vitals_index::Entry<'_, Self, (), E>) -> Self {
            entry.stored().clone()
        }

        fn lend<E, R>(
            entry: &vitals_index::Entry<'_, Self, (), E>,
            f: impl FnOnce(&Self) -> R,
        ) -> R {
            f(entry.stored())
        }

        fn shared(&self) -> Option<&vitals_index::Shared<Self, ()>> {
            None
        }

        fn as_stored(&self) -> Option<Self> {
            Some(self.clone())
        }
    };
}
pub(crate) use boxed_handle;

/// Calls `f` with the handle `wrap` makes of `entry`'s slot, lent without counting a
/// reference: a lookup through [`Family::with_series`](crate::Family::with_series) then costs
/// no atomic write beyond the update itself.
///
/// The one `unsafe` outside `vitals-index` (called from `slot_handle!` only): only a call can
/// promise what `wrap` does with the uncounted handle.
///
/// # Safety
/// As [`Entry::lend`]'s: `wrap` only moves the `Shared` into the `M` it returns, and `M` gives
/// no way to move it out through `&M`.
#[allow(unsafe_code)]
#[inline]
unsafe fn lend<S, X, E, M, R>(
    entry: &Entry<'_, S, X, E>,
    wrap: fn(Shared<S, X>) -> M,
    f: impl FnOnce(&M) -> R,
) -> R {
    // SAFETY: by the caller's promise.
    let lent = unsafe { entry.lend(wrap) };
    f(&lent)
}

/// The heap size of an `Arc<T>`'s allocation: two reference counts and the value.
pub(crate) const fn arc_bytes<T>() -> usize {
    2 * std::mem::size_of::<usize>() + std::mem::size_of::<T>()
}

#[cfg(test)]
mod tests {
    use std::panic::{RefUnwindSafe, UnwindSafe};

    use super::*;

    fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

    #[test]
    fn handles_stay_unwind_safe_as_they_were_over_an_arc() {
        // Compiles only if they are: `catch_unwind(move || counter.inc())` must keep working.
        unwind_safe::<Counter>();
        unwind_safe::<FloatCounter>();
        unwind_safe::<Gauge>();
        unwind_safe::<FloatGauge>();
        unwind_safe::<Unknown>();
        unwind_safe::<Histogram>();
        let counter = Counter::new();
        let result = std::panic::catch_unwind(move || {
            counter.inc();
            counter.get()
        });
        assert_eq!(result.ok(), Some(1));
    }
}
