use std::fmt::Display;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::{boxed_handle, sealed, Metric};
use crate::atomic::{unix_now, AtomicF64};
use crate::collect::{
    Counts, Exemplars, HistogramValue, LabelText, MetricType, SeriesValue, Visitor,
};
use crate::error::{Error, ErrorKind, Result};
use crate::exemplar::{Exemplar, LazySlots};
use crate::self_metrics::{record, DropReason};

/// Prometheus's default buckets, in seconds, as every official client defines them: from 5 ms
/// to 10 s, for request latencies.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// `count` buckets starting at `start`, each `width` wider than the one before.
///
/// ```
/// assert_eq!(vitals_core::linear_buckets(1.0, 0.5, 3).unwrap(), vec![1.0, 1.5, 2.0]);
/// assert!(vitals_core::linear_buckets(1.0, 0.0, 3).is_err());
/// ```
pub fn linear_buckets(start: f64, width: f64, count: usize) -> Result<Vec<f64>> {
    if count == 0 || !start.is_finite() || !width.is_finite() || width <= 0.0 {
        return Err(Error::new(
            ErrorKind::InvalidBuckets,
            format!(
                "linear_buckets({start}, {width}, {count}): need a finite start, a finite width \
                 above 0 and a count of at least 1"
            ),
        ));
    }
    #[allow(clippy::cast_precision_loss)] // bucket counts are small
    Ok((0..count).map(|i| start + width * i as f64).collect())
}

/// `count` buckets starting at `start`, each `factor` times the one before.
///
/// ```
/// assert_eq!(vitals_core::exponential_buckets(1.0, 2.0, 4).unwrap(), vec![1.0, 2.0, 4.0, 8.0]);
/// assert!(vitals_core::exponential_buckets(0.0, 2.0, 4).is_err());
/// ```
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Result<Vec<f64>> {
    if count == 0 || !start.is_finite() || !factor.is_finite() || start <= 0.0 || factor <= 1.0 {
        return Err(Error::new(
            ErrorKind::InvalidBuckets,
            format!(
                "exponential_buckets({start}, {factor}, {count}): need a finite start above 0, a \
                 finite factor above 1 and a count of at least 1"
            ),
        ));
    }
    let mut bucket = start;
    let mut buckets = Vec::with_capacity(count);
    for _ in 0..count {
        buckets.push(bucket);
        bucket *= factor;
    }
    if buckets.iter().any(|b| !b.is_finite()) {
        return Err(Error::new(
            ErrorKind::InvalidBuckets,
            format!("exponential_buckets({start}, {factor}, {count}) overflows to infinity; use fewer buckets"),
        ));
    }
    Ok(buckets)
}

/// The validated bucket bounds of a histogram family.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramOptions {
    bounds: Arc<[f64]>,
}

impl HistogramOptions {
    /// Validates upper bounds: finite and strictly increasing. A trailing `+Inf` is accepted and
    /// dropped, since the `+Inf` bucket is always there. An empty list leaves only `+Inf`.
    ///
    /// ```
    /// use vitals_core::{ErrorKind, HistogramOptions};
    /// assert!(HistogramOptions::new(&[0.1, 1.0, f64::INFINITY]).is_ok());
    /// let err = HistogramOptions::new(&[1.0, 1.0]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidBuckets);
    /// ```
    pub fn new(bounds: &[f64]) -> Result<Self> {
        let bounds = match bounds.split_last() {
            Some((last, rest)) if *last == f64::INFINITY => rest,
            _ => bounds,
        };
        for (i, bound) in bounds.iter().enumerate() {
            if !bound.is_finite() {
                return Err(Error::new(
                    ErrorKind::InvalidBuckets,
                    format!(
                        "bucket bound {bound} at position {i} is not finite; bounds must be \
                         finite numbers (the +Inf bucket is added for you)"
                    ),
                ));
            }
            if let Some(prev) = i.checked_sub(1).and_then(|p| bounds.get(p)) {
                if bound <= prev {
                    return Err(Error::new(
                        ErrorKind::InvalidBuckets,
                        format!(
                            "bucket bounds must be strictly increasing, but {bound} follows \
                             {prev} at position {i}; sort them and remove duplicates"
                        ),
                    ));
                }
            }
        }
        Ok(Self {
            bounds: bounds.into(),
        })
    }

    /// The finite upper bounds (the `+Inf` bucket is implicit).
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }
}

impl Default for HistogramOptions {
    /// [`DEFAULT_BUCKETS`].
    fn default() -> Self {
        Self {
            bounds: DEFAULT_BUCKETS.into(),
        }
    }
}

/// Observations counted in cumulative buckets, with their sum and count: latencies, sizes.
/// Exposed as `<name>_bucket{le="..."}`, `<name>_sum` and `<name>_count` (and `<name>_created`
/// in OpenMetrics). The `+Inf` bucket always equals `_count`.
///
/// ```
/// use vitals_core::Registry;
/// let registry = Registry::new();
/// let latency = registry
///     .histogram("latency_seconds", "Request latency.")
///     .with_buckets(&[0.1, 0.5, 1.0])
///     .register()
///     .unwrap();
/// latency.observe(0.3);
/// latency.observe(2.0);
/// assert_eq!(latency.count(), 2);
/// assert_eq!(latency.sum(), 2.3);
/// ```
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: Arc<HistogramCell>,
}

#[derive(Debug)]
struct HistogramCell {
    bounds: Arc<[f64]>,
    /// One per bound plus `+Inf`, not cumulative: an observation touches one bucket only. The
    /// count is derived from these at scrape time, so `+Inf` and `_count` always agree.
    buckets: Box<[AtomicU64]>,
    sum: AtomicF64,
    created: f64,
    /// Set by the first negative observation, never cleared (see `HistogramValue`).
    negative: AtomicBool,
    /// One slot per bucket, allocated by the first exemplar: `observe` never touches it.
    exemplars: LazySlots,
}

/// Below this many bounds a linear scan beats binary search (fewer, predictable branches).
const LINEAR_SCAN_MAX: usize = 16;

impl Histogram {
    /// A histogram with the given bounds, belonging to no registry.
    pub fn with_buckets(bounds: &[f64]) -> Result<Self> {
        Ok(Self::new(&HistogramOptions::new(bounds)?))
    }

    /// A histogram with validated options, belonging to no registry.
    pub fn new(options: &HistogramOptions) -> Self {
        Self {
            inner: Arc::new(HistogramCell {
                bounds: Arc::clone(&options.bounds),
                buckets: (0..=options.bounds.len())
                    .map(|_| AtomicU64::new(0))
                    .collect(),
                sum: AtomicF64::new(0.0),
                created: unix_now(),
                negative: AtomicBool::new(false),
                exemplars: LazySlots::default(),
            }),
        }
    }

    /// Records one observation. A NaN is dropped and counted (`reason="nan_observation"`): it
    /// would make `_sum` NaN forever.
    #[inline]
    pub fn observe(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if v.is_nan() {
            record(DropReason::NanObservation);
            return;
        }
        self.count_observation(v);
    }

    /// Counts a non-NaN observation and returns the index of its bucket.
    #[inline]
    fn count_observation(&self, v: f64) -> usize {
        let bounds = &*self.inner.bounds;
        let index = if bounds.len() <= LINEAR_SCAN_MAX {
            bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len())
        } else {
            bounds.partition_point(|b| *b < v)
        };
        if let Some(bucket) = self.inner.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        if v < 0.0 {
            // Rare, and a plain store once set: no cost to the common non-negative path.
            self.inner.negative.store(true, Ordering::Relaxed);
        }
        self.inner.sum.add(v);
        index
    }

    /// Records one observation and keeps `labels` as the [exemplar](crate::exemplar) of the
    /// bucket it falls in, with the observation as its value. A NaN is dropped with its
    /// exemplar and counted (`reason="nan_observation"`); invalid labels are dropped and counted
    /// (`reason="invalid_exemplar"`) and the observation is recorded regardless.
    ///
    /// ```
    /// use vitals_core::Histogram;
    /// let latency = Histogram::with_buckets(&[0.1, 0.5, 1.0])?;
    /// latency.observe_with_exemplar(0.3, &[("trace_id", "slow")]);
    /// latency.observe_with_exemplar(0.05, &[("trace_id", "fast")]);
    /// latency.observe_with_exemplar(0.07, &[("trace id", "bad")]); // observed, exemplar dropped
    /// assert_eq!(latency.count(), 3);
    /// assert_eq!(latency.exemplar(0).unwrap().labels().next(), Some(("trace_id", "fast")));
    /// assert_eq!(latency.exemplar(1).unwrap().value(), 0.3); // le="0.5"
    /// assert!(latency.exemplar(2).is_none());
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn observe_with_exemplar<V: Display>(&self, v: f64, labels: &[(&str, V)]) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if v.is_nan() {
            record(DropReason::NanObservation);
            return;
        }
        let index = self.count_observation(v);
        match Exemplar::build(labels, v) {
            Ok(exemplar) => self.store_exemplar(index, &exemplar),
            Err(_) => record(DropReason::InvalidExemplar),
        }
    }

    /// Like [`observe_with_exemplar`](Self::observe_with_exemplar), but returns an error, and
    /// records nothing, for a NaN ([`ErrorKind::InvalidValue`]) or for invalid labels
    /// ([`ErrorKind::InvalidExemplar`]).
    ///
    /// ```
    /// use vitals_core::{ErrorKind, Histogram};
    /// let latency = Histogram::with_buckets(&[0.1, 0.5, 1.0])?;
    /// latency.try_observe_with_exemplar(0.3, &[("trace_id", "abc")])?;
    /// let err = latency.try_observe_with_exemplar(0.3, &[("", "abc")]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidExemplar);
    /// assert_eq!(latency.count(), 1);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn try_observe_with_exemplar<V: Display>(
        &self,
        v: f64,
        labels: &[(&str, V)],
    ) -> Result<()> {
        if !crate::switch::updates_enabled() {
            return Ok(());
        }
        if v.is_nan() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "a NaN observation would make the histogram's sum NaN for good; observe numbers",
            ));
        }
        let exemplar = Exemplar::new(labels, v)?;
        let index = self.count_observation(v);
        self.store_exemplar(index, &exemplar);
        Ok(())
    }

    fn store_exemplar(&self, index: usize, exemplar: &Exemplar) {
        self.inner
            .exemplars
            .store(index, self.inner.buckets.len(), exemplar);
    }

    /// A copy of the latest exemplar of bucket `i`, if it has one. Buckets are numbered like
    /// [`bounds`](Self::bounds), with `+Inf` last; each keeps the exemplar of the latest
    /// observation that fell in it (above the previous bound, up to and including its own).
    ///
    /// ```
    /// use vitals_core::Histogram;
    /// let sizes = Histogram::with_buckets(&[100.0, 1000.0])?;
    /// sizes.observe_with_exemplar(1e6, &[("trace_id", "huge")]);
    /// assert_eq!(sizes.exemplar(2).unwrap().value(), 1e6); // +Inf
    /// assert!(sizes.exemplar(3).is_none()); // no such bucket
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn exemplar(&self, i: usize) -> Option<Exemplar> {
        self.inner.exemplars.get()?.get(i)?.load()
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.inner
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        self.inner.sum.get()
    }

    /// When this series was created, in seconds since the Unix epoch.
    pub fn created(&self) -> f64 {
        self.inner.created
    }

    /// The finite upper bounds.
    pub fn bounds(&self) -> &[f64] {
        &self.inner.bounds
    }

    /// Cumulative counts, one per bound and a last one for `+Inf`.
    pub fn cumulative_counts(&self) -> Vec<u64> {
        let mut total = 0u64;
        self.inner
            .buckets
            .iter()
            .map(|b| {
                total = total.wrapping_add(b.load(Ordering::Relaxed));
                total
            })
            .collect()
    }
}

impl sealed::Sealed for Histogram {}

impl Metric for Histogram {
    type Options = HistogramOptions;
    const TYPE: MetricType = MetricType::Histogram;

    boxed_handle!();

    fn from_options(options: &HistogramOptions) -> Self {
        Self::new(options)
    }

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        visitor.series(
            labels,
            &SeriesValue::Histogram(HistogramValue {
                bounds: &self.inner.bounds,
                counts: Counts::atomic(&self.inner.buckets),
                sum: self.inner.sum.get(),
                created: Some(self.inner.created),
                negative_observed: self.inner.negative.load(Ordering::Relaxed),
                exemplars: Exemplars::live(self.inner.exemplars.get()),
            }),
        );
    }

    fn same_series(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        super::arc_bytes::<HistogramCell>()
            + self.inner.buckets.len() * std::mem::size_of::<AtomicU64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges_are_inclusive() {
        for bounds in [
            vec![1.0, 2.0, 3.0],
            linear_buckets(1.0, 1.0, 40).unwrap(), // binary search path
        ] {
            let h = Histogram::with_buckets(&bounds).unwrap();
            h.observe(1.0); // le="1"
            h.observe(1.5); // le="2"
            h.observe(-7.0); // first bucket
            h.observe(1e9); // +Inf
            h.observe(f64::INFINITY); // +Inf
            let c = h.cumulative_counts();
            assert_eq!(c[0], 2, "{bounds:?}");
            assert_eq!(c[1], 3);
            assert_eq!(*c.last().unwrap(), 5);
            assert_eq!(c[c.len() - 2], 3);
        }
    }

    #[test]
    fn exemplar_lands_in_the_bucket_of_its_observation() {
        use crate::self_metrics::dropped;
        for bounds in [
            vec![1.0, 2.0, 3.0],
            linear_buckets(1.0, 1.0, 40).unwrap(), // binary search path
        ] {
            let h = Histogram::with_buckets(&bounds).unwrap();
            let inf = bounds.len();
            for (v, bucket) in [(1.0, 0), (-7.0, 0), (1.5, 1), (2.0, 1), (1e9, inf)] {
                h.observe_with_exemplar(v, &[("trace_id", v)]);
                let e = h.exemplar(bucket).unwrap();
                assert_eq!(e.value(), v, "{v} in {bounds:?}");
                assert_eq!(e.labels().next().unwrap().1, v.to_string());
            }
            // Latest wins within a bucket: 2.0 replaced 1.5.
            assert_eq!(h.exemplar(1).unwrap().value(), 2.0);
            assert!(h.exemplar(2).is_none());
            assert!(h.exemplar(inf + 1).is_none());
            assert_eq!(h.count(), 5);

            let before = dropped(DropReason::NanObservation);
            h.observe_with_exemplar(f64::NAN, &[("trace_id", "nan")]);
            assert!(dropped(DropReason::NanObservation) > before);
            assert_eq!(h.count(), 5);
            assert_eq!(
                h.try_observe_with_exemplar(f64::NAN, &[("trace_id", "nan")])
                    .unwrap_err()
                    .kind(),
                ErrorKind::InvalidValue
            );

            // An invalid exemplar is dropped and counted; the observation still counts.
            let before = dropped(DropReason::InvalidExemplar);
            h.observe_with_exemplar(2.5, &[("trace-id", "x")]);
            assert!(dropped(DropReason::InvalidExemplar) > before);
            assert_eq!(h.count(), 6);
            assert!(h.exemplar(2).is_none());
            // The fallible variant records neither.
            let err = h
                .try_observe_with_exemplar(2.5, &[("trace_id", "x".repeat(200))])
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidExemplar);
            assert_eq!(h.count(), 6);
            h.try_observe_with_exemplar(2.5, &[("trace_id", "ok")])
                .unwrap();
            assert_eq!(h.count(), 7);
            assert_eq!(h.exemplar(2).unwrap().value(), 2.5);
        }
    }

    #[test]
    fn plain_observations_leave_exemplars_unallocated() {
        let h = Histogram::with_buckets(&[1.0]).unwrap();
        h.observe(0.5);
        assert!(h.inner.exemplars.get().is_none());
        h.observe_with_exemplar(0.5, &[("trace_id", "a")]);
        assert_eq!(h.inner.exemplars.get().map(<[_]>::len), Some(2));
        h.observe(0.7); // does not touch the exemplar
        assert_eq!(h.exemplar(0).unwrap().value(), 0.5);
    }

    #[test]
    fn nan_is_dropped() {
        let h = Histogram::with_buckets(&[1.0]).unwrap();
        h.observe(f64::NAN);
        assert_eq!(h.count(), 0);
        assert_eq!(h.sum(), 0.0);
    }

    #[test]
    fn option_errors() {
        for bad in [
            vec![2.0, 1.0],
            vec![f64::NAN],
            vec![1.0, f64::NEG_INFINITY],
            vec![f64::INFINITY, 1.0],
        ] {
            assert_eq!(
                HistogramOptions::new(&bad).unwrap_err().kind(),
                ErrorKind::InvalidBuckets,
                "{bad:?}"
            );
        }
        assert!(HistogramOptions::new(&[]).unwrap().bounds().is_empty());
        assert!(exponential_buckets(1.0, 1.0, 3).is_err());
        assert!(exponential_buckets(1.0, 1e300, 3).is_err());
        assert!(linear_buckets(0.0, 1.0, 0).is_err());
    }
}
