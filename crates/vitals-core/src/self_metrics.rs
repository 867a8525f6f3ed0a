//! vitals' own accounting of updates it could not honour.
//!
//! The hot path never panics and never returns an error. An update it cannot apply (a NaN or
//! negative counter increment, a NaN observation, a lookup with the wrong number of label
//! values, an unknown state, an invalid collected family, an invalid exemplar) is dropped and
//! counted here, per reason, so that nothing is lost silently. The counts are exposed as
//! `vitals_dropped_updates_total{reason="..."}` by [`collector`], which the
//! [default registry](crate::default_registry) registers.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::collect::Collector;
use crate::family_owned::MetricFamily;

/// Why an update was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// A counter increment that was negative, NaN or infinite.
    InvalidIncrement,
    /// A NaN observation into a histogram or summary, or a NaN counter value.
    NanObservation,
    /// A family lookup with a number of label values different from the family's label names;
    /// the update went to a detached handle that no registry exposes.
    LabelCountMismatch,
    /// A state name that the state set does not have.
    UnknownState,
    /// A collected family whose name clashed with another family.
    CollectorClash,
    /// A collected family with a label named like one of the registry's constant labels (or a
    /// state set named like one), which would write one label twice.
    CollectorLabelClash,
    /// An exemplar whose labels break the OpenMetrics rules (see
    /// [`Exemplar`](crate::Exemplar)). Only the exemplar is dropped: the increment or
    /// observation it came with is applied.
    InvalidExemplar,
    /// A call of the dynamic manager ([`Registry::inc_counter`](crate::Registry::inc_counter)
    /// and its siblings) that named an existing metric with other label names or another type,
    /// or a new one with an invalid name; the caller got the error.
    DynamicRejected,
    /// A call of an instrumented function (`#[instrument]`) whose metrics could not be
    /// registered (a name or label clash with another family); the call ran unrecorded and a
    /// warning naming the function was logged once.
    InstrumentRejected,
}

impl DropReason {
    /// Every reason, in the order of [`DropReason::label`].
    pub const ALL: [DropReason; 9] = [
        Self::InvalidIncrement,
        Self::NanObservation,
        Self::LabelCountMismatch,
        Self::UnknownState,
        Self::CollectorClash,
        Self::CollectorLabelClash,
        Self::InvalidExemplar,
        Self::DynamicRejected,
        Self::InstrumentRejected,
    ];

    /// The value of the `reason` label.
    pub fn label(self) -> &'static str {
        match self {
            Self::InvalidIncrement => "invalid_increment",
            Self::NanObservation => "nan_observation",
            Self::LabelCountMismatch => "label_count_mismatch",
            Self::UnknownState => "unknown_state",
            Self::CollectorClash => "collector_clash",
            Self::CollectorLabelClash => "collector_label_clash",
            Self::InvalidExemplar => "invalid_exemplar",
            Self::DynamicRejected => "dynamic_rejected",
            Self::InstrumentRejected => "instrument_rejected",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

static DROPPED: [AtomicU64; DropReason::ALL.len()] =
    [const { AtomicU64::new(0) }; DropReason::ALL.len()];

/// Counts one update that could not be applied, for code outside this crate that drops
/// updates on vitals' behalf (such as `#[instrument]`'s runtime).
#[cold]
pub fn record_drop(reason: DropReason) {
    record(reason);
}

#[cold]
pub(crate) fn record(reason: DropReason) {
    if let Some(counter) = DROPPED.get(reason.index()) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// How many updates were dropped for `reason` since the process started.
///
/// ```
/// use vitals_core::{self_metrics::{dropped, DropReason}, FloatCounter};
/// let before = dropped(DropReason::InvalidIncrement);
/// FloatCounter::new().inc_by(-1.0);
/// assert!(dropped(DropReason::InvalidIncrement) > before);
/// ```
pub fn dropped(reason: DropReason) -> u64 {
    DROPPED
        .get(reason.index())
        .map_or(0, |c| c.load(Ordering::Relaxed))
}

/// The name of the self-metric family.
pub const DROPPED_FAMILY: &str = "vitals_dropped_updates";

/// A collector exposing `vitals_dropped_updates_total{reason}`.
pub fn collector() -> impl Collector {
    |out: &mut Vec<MetricFamily>| {
        let Ok(mut family) = MetricFamily::counter(
            DROPPED_FAMILY,
            "Metric updates vitals could not apply and dropped, by reason.",
        ) else {
            return;
        };
        for reason in DropReason::ALL {
            #[allow(clippy::cast_precision_loss)] // counts stay far below 2^53
            let value = dropped(reason) as f64;
            let _ = family.add_counter(&[("reason", reason.label())], value);
        }
        out.push(family);
    }
}
