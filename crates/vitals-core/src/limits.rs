//! Cardinality limits, idle expiry and registry statistics: what keeps a service's memory
//! bounded when label values come from traffic.
//!
//! **Limits.** Every family has a series limit, [`DEFAULT_MAX_SERIES_PER_FAMILY`] unless the
//! registry ([`RegistryBuilder::with_max_series_per_family`](crate::RegistryBuilder::with_max_series_per_family))
//! or the family ([`MetricBuilder::with_max_series`](crate::MetricBuilder::with_max_series))
//! says otherwise, and every registry a total limit, [`DEFAULT_MAX_SERIES`]. Past either, a
//! lookup of a new label set returns the family's one **overflow series**, whose every label
//! value is [`OVERFLOW_LABEL_VALUE`]; existing series keep working. Each redirected lookup is
//! counted in `vitals_series_overflow_total{family="..."}` (a self-metric, see
//! [`Registry::register_self_metrics`](crate::Registry::register_self_metrics)) and in
//! [`FamilyStats::overflowed`], and the first one per family logs one warning (the `log` crate)
//! naming the family, the limit, and the label with the most distinct values.
//!
//! **Idle expiry.** A family built with
//! [`with_idle_expiry`](crate::MetricBuilder::with_idle_expiry) drops series that were neither
//! looked up through the family nor changed in value for that long. It is checked at each scrape
//! (and by [`Registry::expire_idle`](crate::Registry::expire_idle) for programs that want a
//! timer), and counted in `vitals_series_expired_total{family="..."}`.
//!
//! ```
//! use vitals_core::{limits::OVERFLOW_LABEL_VALUE, Registry};
//!
//! let registry = Registry::new();
//! let logins = registry
//!     .counter("logins", "Logins by user.")
//!     .with_max_series(2)
//!     .register_family(&["user"])?;
//! for user in ["ann", "bob", "cy", "dee"] {
//!     logins.with_labels(&[user]).inc();
//! }
//! let stats = logins.stats();
//! assert_eq!((stats.series, stats.overflowed), (2, 2));
//! // cy and dee went to the overflow series; so does any new user now.
//! assert_eq!(logins.with_labels(&["eve"]).get(), 2);
//! # let _ = OVERFLOW_LABEL_VALUE;
//! # Ok::<(), vitals_core::Error>(())
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::collect::{LabelText, SeriesValue, Visitor};
use crate::metrics::Metric;

/// The value of every label of a family's overflow series.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// The default series limit of one family: 2,000, as in the OpenTelemetry SDKs. Seed 004's
/// guideline is under 1,000 per metric; a family that needs more says so.
pub const DEFAULT_MAX_SERIES_PER_FAMILY: usize = 2_000;

/// The default series limit of one registry, all families together: 100,000.
pub const DEFAULT_MAX_SERIES: usize = 100_000;

/// A registry's count of series against its limit, shared by its families.
#[derive(Debug)]
pub(crate) struct Budget {
    max: Option<usize>,
    used: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(max: Option<usize>) -> Self {
        Self {
            max,
            used: AtomicUsize::new(0),
        }
    }

    pub(crate) fn max(&self) -> Option<usize> {
        self.max
    }

    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Whether no series may be added. Checked under the family's lock before `take`;
    /// two families creating at once may overshoot by one each, which a limit of this kind
    /// tolerates (it bounds memory, it is not an exact quota).
    pub(crate) fn exhausted(&self) -> bool {
        self.max.is_some_and(|max| self.used() >= max)
    }

    pub(crate) fn take(&self) {
        self.used.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn give_back(&self, n: usize) {
        // Never below zero, even if a caller double-counts.
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }
}

/// One family's numbers, from [`Family::stats`](crate::Family::stats) or
/// [`Registry::stats`](crate::Registry::stats).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FamilyStats {
    /// The family name.
    pub name: String,
    /// Series in the family now (the overflow series not included).
    pub series: usize,
    /// The family's series limit, if it has one.
    pub max_series: Option<usize>,
    /// Lookups sent to the overflow series since the family was registered.
    pub overflowed: u64,
    /// Series removed by idle expiry since the family was registered.
    pub expired: u64,
    /// An estimate of the heap bytes the family's series use: their slots (the counters' and
    /// gauges' cells are in them), keys, interned label values, table, and the other
    /// instruments' cells. Allocator overhead not included.
    pub heap_bytes: usize,
}

/// A registry's numbers, from [`Registry::stats`](crate::Registry::stats).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryStats {
    /// Every registered family, in registration order (collectors' families not included).
    pub families: Vec<FamilyStats>,
    /// Series in all families.
    pub series: usize,
    /// The registry's series limit, if it has one.
    pub max_series: Option<usize>,
    /// The sum of the families' [`heap_bytes`](FamilyStats::heap_bytes).
    pub heap_bytes: usize,
}

/// A digest of a series' current value: when it differs between two expiry sweeps, the series
/// was updated in between. Read through the same [`Visitor`] the encoders use, so every
/// instrument is covered without an extra method on each.
pub(crate) fn fingerprint<M: Metric>(metric: &M) -> u64 {
    struct Digest(u64);

    impl Digest {
        fn mix(&mut self, bits: u64) {
            // FNV-style mixing: enough to tell "changed" from "unchanged".
            self.0 = (self.0 ^ bits).wrapping_mul(0x0100_0000_01b3);
        }
    }

    impl Visitor for Digest {
        fn family(&mut self, _: &crate::collect::Descriptor) {}

        fn series(&mut self, _: &LabelText<'_>, value: &SeriesValue<'_>) {
            match value {
                SeriesValue::Counter { value, .. }
                | SeriesValue::Gauge(value)
                | SeriesValue::Unknown(value) => self.mix(value.as_f64().to_bits()),
                SeriesValue::Histogram(h) => {
                    self.mix(h.sum.to_bits());
                    // The total count: the counts are per bucket, so the last one alone (`+Inf`)
                    // misses observations in the finite buckets, and the sum misses 0.0.
                    let count = (0..h.counts.len())
                        .fold(0u64, |total, i| total.wrapping_add(h.counts.get(i)));
                    self.mix(count);
                }
                SeriesValue::Summary(s) => {
                    self.mix(s.sum.to_bits());
                    self.mix(s.count);
                }
                SeriesValue::StateSet(s) => {
                    for i in 0..s.states.len() {
                        self.mix(u64::from(s.flags.get(i)));
                    }
                }
                _ => {}
            }
        }
    }

    let mut digest = Digest(0xcbf2_9ce4_8422_2325);
    metric.visit(&LabelText::default(), &mut digest);
    digest.0
}
