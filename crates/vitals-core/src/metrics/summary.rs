use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sketches_ddsketch::{Config, DDSketch};

use super::{boxed_handle, sealed, Metric};
use crate::atomic::{unix_now, AtomicF64};
use crate::collect::{LabelText, MetricType, SeriesValue, SummaryValue, Visitor};
use crate::error::{Error, ErrorKind, Result};
use crate::self_metrics::{record, DropReason};

/// The quantiles and sliding window of a [`Summary`] family.
///
/// Defaults: quantiles 0.5, 0.9 and 0.99; a 10-minute window in 5 age buckets (client_golang's
/// window). Quantiles are estimated with a DDSketch (crate `sketches-ddsketch`, relative
/// accuracy 1%, 2048 bins per sign): a reported quantile is within ±1% of the true quantile of
/// the window's observations, provided the window's magnitudes span less than about 17 orders
/// of magnitude (the bins cover a ratio of 1.0202^2048 ≈ 6e17; beyond it the sketch merges its
/// lowest bins, and low quantiles lose their accuracy). Magnitudes below 1e-9 count as zero;
/// `+Inf` and `-Inf` observations are counted exactly and rank above and below every finite
/// value.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOptions {
    quantiles: Arc<[f64]>,
    max_age: Duration,
    age_buckets: u32,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        Self {
            quantiles: Arc::new([0.5, 0.9, 0.99]),
            max_age: Duration::from_secs(600),
            age_buckets: 5,
        }
    }
}

impl SummaryOptions {
    /// The defaults: quantiles 0.5, 0.9, 0.99 over 10 minutes in 5 age buckets.
    pub fn new() -> Self {
        Self::default()
    }

    /// The quantiles to report, each in `[0, 1]`, sorted on use. An empty list reports only
    /// `_sum` and `_count`. Default: 0.5, 0.9, 0.99.
    ///
    /// ```
    /// use vitals_core::{ErrorKind, SummaryOptions};
    /// assert!(SummaryOptions::new().with_quantiles(&[0.5, 0.999]).is_ok());
    /// let err = SummaryOptions::new().with_quantiles(&[1.5]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidQuantiles);
    /// ```
    pub fn with_quantiles(mut self, quantiles: &[f64]) -> Result<Self> {
        let mut sorted = quantiles.to_vec();
        for q in &sorted {
            if !(0.0..=1.0).contains(q) {
                return Err(Error::new(
                    ErrorKind::InvalidQuantiles,
                    format!("quantile {q} is outside [0, 1]; give quantiles such as 0.5 or 0.99"),
                ));
            }
        }
        sorted.sort_by(f64::total_cmp);
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::new(
                ErrorKind::InvalidQuantiles,
                format!(
                    "quantile {} is listed twice; list each quantile once",
                    pair[0]
                ),
            ));
        }
        self.quantiles = sorted.into();
        Ok(self)
    }

    /// The sliding window the quantiles cover, split into `age_buckets` buckets: every
    /// `max_age / age_buckets` the oldest bucket is discarded. Default: 10 minutes, 5 buckets.
    pub fn with_max_age(mut self, max_age: Duration, age_buckets: u32) -> Result<Self> {
        if max_age.is_zero() || age_buckets == 0 {
            return Err(Error::new(
                ErrorKind::InvalidQuantiles,
                "a summary window needs a max age above zero and at least one age bucket",
            ));
        }
        self.max_age = max_age;
        self.age_buckets = age_buckets;
        Ok(self)
    }

    /// The quantiles reported, sorted.
    pub fn quantiles(&self) -> &[f64] {
        &self.quantiles
    }
}

/// Quantiles over a sliding time window, with the all-time `_sum` and `_count`. Exposed as
/// `<name>{quantile="0.5"}`, `<name>_sum`, `<name>_count` (and `<name>_created` in OpenMetrics).
///
/// Prefer a [`Histogram`](crate::Histogram) when the values must be aggregated across
/// instances: quantiles cannot be averaged. An observation takes a short lock to feed the
/// sketch, as in every peer's summary.
///
/// ```
/// use vitals_core::{Summary, SummaryOptions};
/// let sizes = Summary::new(&SummaryOptions::new());
/// for v in 1..=100 {
///     sizes.observe(f64::from(v));
/// }
/// let median = sizes.quantile(0.5).unwrap();
/// assert!((median - 50.0).abs() <= 50.0 * 0.02, "{median}");
/// assert_eq!(sizes.count(), 100);
/// ```
#[derive(Debug, Clone)]
pub struct Summary {
    inner: Arc<SummaryCell>,
}

struct SummaryCell {
    quantiles: Arc<[f64]>,
    window: Mutex<Window>,
    sum: AtomicF64,
    count: AtomicU64,
    created: f64,
    /// Set by the first negative observation and never cleared: OpenMetrics cannot carry a
    /// negative `_sum`, so from then on that format leaves `_sum` out for good, rather than
    /// showing and hiding it as the sum changes sign.
    negative: AtomicBool,
}

impl std::fmt::Debug for SummaryCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SummaryCell")
            .field("quantiles", &self.quantiles)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

/// One age step of the window: a sketch of the finite observations, and counts of the infinite
/// ones, which the sketch cannot hold (its index arithmetic overflows on them).
#[derive(Clone)]
struct AgeBucket {
    sketch: DDSketch,
    negative_infinities: u64,
    positive_infinities: u64,
}

impl AgeBucket {
    fn new() -> Self {
        Self {
            sketch: DDSketch::new(Config::defaults()),
            negative_infinities: 0,
            positive_infinities: 0,
        }
    }

    fn add(&mut self, v: f64) {
        if v == f64::INFINITY {
            self.positive_infinities += 1;
        } else if v == f64::NEG_INFINITY {
            self.negative_infinities += 1;
        } else {
            self.sketch.add(v);
        }
    }

    fn merge(&mut self, other: &AgeBucket) {
        // Every sketch shares one config, so a merge cannot fail.
        let _ = self.sketch.merge(&other.sketch);
        self.negative_infinities += other.negative_infinities;
        self.positive_infinities += other.positive_infinities;
    }

    /// The estimated `q` quantile: infinities take the lowest and highest ranks, the sketch
    /// the ranks between them (it ranks as `q * (n - 1)`). `None` when empty or `q` is not in
    /// `[0, 1]`.
    #[allow(clippy::cast_precision_loss)] // ranks are far below 2^53
    fn quantile(&self, q: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        let finite = self.sketch.count() as u64;
        let total = finite + self.negative_infinities + self.positive_infinities;
        if total == 0 {
            return None;
        }
        let rank = q * (total - 1) as f64;
        let below = self.negative_infinities as f64;
        if rank < below {
            return Some(f64::NEG_INFINITY);
        }
        if rank > below + finite.saturating_sub(1) as f64 || finite == 0 {
            return Some(f64::INFINITY);
        }
        let within = if finite > 1 {
            (rank - below) / (finite - 1) as f64
        } else {
            0.0
        };
        let v = self
            .sketch
            .quantile(within.clamp(0.0, 1.0))
            .ok()
            .flatten()?;
        // The sketch reports a bin's midpoint, which can lie just outside [min, max] (a single
        // observation of 10 would read 10.07); the true quantile never does.
        let (min, max) = (self.sketch.min()?, self.sketch.max()?);
        Some(v.clamp(min, max))
    }
}

/// A ring of age buckets, each covering one age step. An observation goes into the newest only;
/// a scrape merges them all.
struct Window {
    ring: Vec<AgeBucket>,
    head: usize,
    step: Duration,
    next_rotation: Instant,
}

impl Window {
    fn rotate(&mut self, now: Instant) {
        if now < self.next_rotation {
            return;
        }
        let behind =
            now.duration_since(self.next_rotation).as_nanos() / self.step.as_nanos().max(1);
        let steps = usize::try_from(behind.saturating_add(1)).unwrap_or(usize::MAX);
        for _ in 0..steps.min(self.ring.len()) {
            self.head = (self.head + 1) % self.ring.len();
            if let Some(bucket) = self.ring.get_mut(self.head) {
                *bucket = AgeBucket::new();
            }
        }
        let advanced = self
            .step
            .checked_mul(u32::try_from(steps).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX);
        self.next_rotation = self
            .next_rotation
            .checked_add(advanced)
            .unwrap_or(now + self.step);
    }
}

impl Summary {
    /// A summary with the given options, belonging to no registry.
    pub fn new(options: &SummaryOptions) -> Self {
        let step = options.max_age / options.age_buckets.max(1);
        let step = step.max(Duration::from_millis(1));
        Self {
            inner: Arc::new(SummaryCell {
                quantiles: Arc::clone(&options.quantiles),
                window: Mutex::new(Window {
                    ring: (0..options.age_buckets.max(1))
                        .map(|_| AgeBucket::new())
                        .collect(),
                    head: 0,
                    step,
                    next_rotation: Instant::now() + step,
                }),
                sum: AtomicF64::new(0.0),
                count: AtomicU64::new(0),
                negative: AtomicBool::new(false),
                created: unix_now(),
            }),
        }
    }

    /// Records one observation. A NaN is dropped and counted (`reason="nan_observation"`).
    pub fn observe(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if v.is_nan() {
            record(DropReason::NanObservation);
            return;
        }
        {
            // A poisoned lock only means another thread panicked mid-add; the sketch is still
            // usable, and the hot path must not panic in turn.
            let mut window = self
                .inner
                .window
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            window.rotate(Instant::now());
            let head = window.head;
            if let Some(bucket) = window.ring.get_mut(head) {
                bucket.add(v);
            }
        }
        if v < 0.0 {
            self.inner.negative.store(true, Ordering::Relaxed);
        }
        self.inner.sum.add(v);
        self.inner.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The number of observations since creation.
    pub fn count(&self) -> u64 {
        self.inner.count.load(Ordering::Relaxed)
    }

    /// The sum of observations since creation.
    pub fn sum(&self) -> f64 {
        self.inner.sum.get()
    }

    /// When this series was created, in seconds since the Unix epoch.
    pub fn created(&self) -> f64 {
        self.inner.created
    }

    /// The estimated `q` quantile of the window, or `None` when the window is empty or `q` is
    /// outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.merged().quantile(q)
    }

    fn merged(&self) -> AgeBucket {
        let mut window = self
            .inner
            .window
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        window.rotate(Instant::now());
        let mut merged = AgeBucket::new();
        for bucket in &window.ring {
            merged.merge(bucket);
        }
        merged
    }

    /// `(quantile, value)` for each configured quantile; NaN values when the window is empty.
    pub fn quantiles(&self) -> Vec<(f64, f64)> {
        let merged = self.merged();
        self.inner
            .quantiles
            .iter()
            .map(|&q| (q, merged.quantile(q).unwrap_or(f64::NAN)))
            .collect()
    }
}

impl sealed::Sealed for Summary {}

impl Metric for Summary {
    type Options = SummaryOptions;
    const TYPE: MetricType = MetricType::Summary;

    boxed_handle!();

    fn from_options(options: &SummaryOptions) -> Self {
        Self::new(options)
    }

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        // Read count before the quantiles: an observation racing the scrape then shows up in the
        // quantiles sooner rather than in a count the quantiles do not reflect.
        let count = self.count();
        let sum = self.sum();
        let quantiles = self.quantiles();
        visitor.series(
            labels,
            &SeriesValue::Summary(SummaryValue {
                quantiles: &quantiles,
                sum,
                count,
                created: Some(self.inner.created),
                negative_observed: self.inner.negative.load(Ordering::Relaxed),
            }),
        );
    }

    fn same_series(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        // The sketches grow with the spread of the values; count their ring, not their bins.
        let ring = self
            .inner
            .window
            .lock()
            .map_or(0, |window| window.ring.len());
        super::arc_bytes::<SummaryCell>() + ring * std::mem::size_of::<AgeBucket>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_expires_old_observations() {
        let options = SummaryOptions::new()
            .with_max_age(Duration::from_millis(40), 2)
            .unwrap();
        let s = Summary::new(&options);
        s.observe(10.0);
        assert!(s.quantile(0.5).is_some());
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(
            s.quantile(0.5),
            None,
            "window should be empty after max_age"
        );
        assert_eq!(s.count(), 1, "count is all-time");
        s.observe(3.0);
        let q = s.quantile(0.5).unwrap();
        assert!((q - 3.0).abs() <= 0.03 + 1e-9, "{q}");
    }

    #[test]
    fn quantile_error_bound() {
        let s = Summary::new(&SummaryOptions::new());
        for v in 1..=10_000 {
            s.observe(f64::from(v) / 1000.0);
        }
        for (q, v) in s.quantiles() {
            let truth = (q * 10_000.0).ceil() / 1000.0;
            assert!((v - truth).abs() <= truth * 0.011, "q{q}: {v} vs {truth}");
        }
        s.observe(f64::NAN);
        assert_eq!(s.count(), 10_000);
    }

    #[test]
    fn infinities_rank_at_the_ends_and_never_panic() {
        let s = Summary::new(&SummaryOptions::new());
        s.observe(1.0);
        s.observe(f64::INFINITY);
        s.observe(2.0);
        s.observe(f64::NEG_INFINITY);
        s.observe(3.0);
        assert_eq!(s.quantile(0.0), Some(f64::NEG_INFINITY));
        assert_eq!(s.quantile(1.0), Some(f64::INFINITY));
        let median = s.quantile(0.5).unwrap();
        assert!((median - 2.0).abs() <= 0.02, "{median}");
        assert_eq!(s.count(), 5);
        assert!(s.sum().is_nan(), "+Inf + -Inf");

        let only_inf = Summary::new(&SummaryOptions::new());
        only_inf.observe(f64::INFINITY);
        assert_eq!(only_inf.quantile(0.5), Some(f64::INFINITY));
    }

    proptest::proptest! {
        /// Any value at all, finite or not, is taken without a panic.
        #[test]
        fn any_observation_is_safe(bits in proptest::collection::vec(proptest::num::u64::ANY, 1..50)) {
            let s = Summary::new(&SummaryOptions::new());
            for b in &bits {
                s.observe(f64::from_bits(*b));
            }
            for (_, v) in s.quantiles() {
                proptest::prop_assert!(!v.is_nan() || s.count() == 0 || bits.iter().all(|b| f64::from_bits(*b).is_nan()));
            }
        }
    }

    #[test]
    fn invalid_options() {
        assert!(SummaryOptions::new().with_quantiles(&[0.5, 0.5]).is_err());
        assert!(SummaryOptions::new().with_quantiles(&[f64::NAN]).is_err());
        assert!(SummaryOptions::new()
            .with_max_age(Duration::ZERO, 1)
            .is_err());
        assert!(SummaryOptions::new()
            .with_max_age(Duration::from_secs(1), 0)
            .is_err());
    }
}
