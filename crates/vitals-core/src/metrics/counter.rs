use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};

use vitals_index::Shared;

use super::{sealed, slot_handle, Metric};
use crate::atomic::{unix_now, AtomicF64};
use crate::collect::{LabelText, MetricType, Number, SeriesValue, Visitor};
use crate::error::{Error, ErrorKind, Result};
use crate::exemplar::{Exemplar, LazySlot};
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
    inner: Shared<CounterCell, LazySlot>,
}

/// What a family keeps per series: the exemplar lives in the handle's side data, allocated
/// only for the series (or chunk of series) that record one.
#[doc(hidden)] // a `Metric::Stored`: nothing outside the crate has a use for it
#[allow(unreachable_pub)]
#[derive(Debug)]
pub struct CounterCell {
    value: AtomicU64,
    created: f64,
}

impl CounterCell {
    fn new() -> Self {
        Self {
            value: AtomicU64::new(0),
            created: unix_now(),
        }
    }
}

impl Counter {
    /// A counter at zero that belongs to no registry (a registry's builder makes registered
    /// ones).
    pub fn new() -> Self {
        Self {
            inner: Shared::new(CounterCell::new()),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.value.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `v`. The total wraps at `u64::MAX`, which takes centuries at any real rate.
    #[inline]
    pub fn inc_by(&self, v: u64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.value.fetch_add(v, Ordering::Relaxed);
    }

    /// Adds one and keeps `labels` as the series' [exemplar](crate::exemplar), with value 1.
    /// Invalid labels are dropped and counted (`reason="invalid_exemplar"`); the one is added
    /// regardless.
    ///
    /// ```
    /// use vitals_core::Counter;
    /// let requests = Counter::new();
    /// let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    /// requests.inc_with_exemplar(&[("trace_id", trace_id)]);
    /// requests.inc_with_exemplar(&[("trace id", trace_id)]); // invalid name: counted, not kept
    /// assert_eq!(requests.get(), 2);
    /// assert_eq!(requests.exemplar().unwrap().labels().next(), Some(("trace_id", trace_id)));
    /// ```
    pub fn inc_with_exemplar<V: Display>(&self, labels: &[(&str, V)]) {
        self.inc_by_with_exemplar(1, labels);
    }

    /// Adds `v` and keeps `labels` as the series' [exemplar](crate::exemplar), with value `v`.
    /// Invalid labels are dropped and counted (`reason="invalid_exemplar"`); `v` is added
    /// regardless.
    ///
    /// ```
    /// use vitals_core::Counter;
    /// let bytes = Counter::new();
    /// bytes.inc_by_with_exemplar(512, &[("trace_id", "abc")]);
    /// assert_eq!(bytes.exemplar().map(|e| e.value()), Some(512.0));
    /// ```
    pub fn inc_by_with_exemplar<V: Display>(&self, v: u64, labels: &[(&str, V)]) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inc_by(v);
        #[allow(clippy::cast_precision_loss)] // exemplar values are floats in OpenMetrics
        match Exemplar::build(labels, v as f64) {
            Ok(exemplar) => self.inner.side().store(&exemplar),
            Err(_) => record(DropReason::InvalidExemplar),
        }
    }

    /// Like [`inc_with_exemplar`](Self::inc_with_exemplar), but returns an error for invalid
    /// labels, and then adds nothing.
    ///
    /// ```
    /// use vitals_core::{Counter, ErrorKind};
    /// let requests = Counter::new();
    /// requests.try_inc_with_exemplar(&[("trace_id", "abc")])?;
    /// let err = requests.try_inc_with_exemplar(&[("__trace_id", "abc")]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidExemplar);
    /// assert_eq!(requests.get(), 1);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn try_inc_with_exemplar<V: Display>(&self, labels: &[(&str, V)]) -> Result<()> {
        self.try_inc_by_with_exemplar(1, labels)
    }

    /// Like [`inc_by_with_exemplar`](Self::inc_by_with_exemplar), but returns an error for
    /// invalid labels, and then adds nothing.
    ///
    /// ```
    /// use vitals_core::Counter;
    /// let bytes = Counter::new();
    /// let too_long = "x".repeat(200);
    /// assert!(bytes.try_inc_by_with_exemplar(512, &[("trace_id", &too_long)]).is_err());
    /// assert_eq!(bytes.get(), 0);
    /// ```
    pub fn try_inc_by_with_exemplar<V: Display>(&self, v: u64, labels: &[(&str, V)]) -> Result<()> {
        if !crate::switch::updates_enabled() {
            return Ok(());
        }
        #[allow(clippy::cast_precision_loss)] // exemplar values are floats in OpenMetrics
        let exemplar = Exemplar::new(labels, v as f64)?;
        self.inc_by(v);
        self.inner.side().store(&exemplar);
        Ok(())
    }

    /// The current total.
    pub fn get(&self) -> u64 {
        self.inner.value.load(Ordering::Relaxed)
    }

    /// When this series was created, in seconds since the Unix epoch.
    pub fn created(&self) -> f64 {
        self.inner.created
    }

    /// A copy of the latest exemplar, if one was recorded.
    ///
    /// ```
    /// use vitals_core::Counter;
    /// let requests = Counter::new();
    /// assert!(requests.exemplar().is_none());
    /// requests.inc_with_exemplar(&[("trace_id", "a")]);
    /// requests.inc_with_exemplar(&[("trace_id", "b")]);
    /// assert_eq!(requests.exemplar().unwrap().labels().next(), Some(("trace_id", "b")));
    /// ```
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.inner.side_if_any().and_then(LazySlot::load)
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

/// Reports a counter series that has an exemplar: in a function of its own, because an
/// `Option<Exemplar>` is a few hundred bytes, and building one in the common case (no exemplar
/// anywhere in the family's chunk of series) measured 2 ns of a 38 ns encode.
#[inline(never)]
fn visit_with_exemplar(
    labels: &LabelText<'_>,
    visitor: &mut dyn Visitor,
    value: Number,
    created: f64,
    side: &LazySlot,
) {
    let exemplar = side.load();
    visitor.series(
        labels,
        &SeriesValue::Counter {
            value,
            created: Some(created),
            exemplar: exemplar.as_ref(),
        },
    );
}

impl sealed::Sealed for Counter {}

impl Metric for Counter {
    type Options = ();
    const TYPE: MetricType = MetricType::Counter;
    type Stored = CounterCell;
    type Side = LazySlot;

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn new_stored((): &()) -> CounterCell {
        CounterCell::new()
    }

    slot_handle!();

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        if let Some(side) = self.inner.side_if_any() {
            let value = Number::U64(self.get());
            return visit_with_exemplar(labels, visitor, value, self.inner.created, side);
        }
        // The value read straight into the series value: read into a `Number` first, it was
        // stored as two words and read back as one, a stalled load (5 ns a series, measured).
        visitor.series(
            labels,
            &SeriesValue::Counter {
                value: Number::U64(self.get()),
                created: Some(self.inner.created),
                exemplar: None,
            },
        );
    }

    fn same_series(&self, other: &Self) -> bool {
        Shared::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        0
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
    inner: Shared<FloatCounterCell, LazySlot>,
}

/// What a family keeps per float counter series (see [`CounterCell`]).
#[doc(hidden)]
#[allow(unreachable_pub)]
#[derive(Debug)]
pub struct FloatCounterCell {
    value: AtomicF64,
    created: f64,
}

impl FloatCounterCell {
    fn new() -> Self {
        Self {
            value: AtomicF64::new(0.0),
            created: unix_now(),
        }
    }
}

impl FloatCounter {
    /// A counter at zero that belongs to no registry.
    pub fn new() -> Self {
        Self {
            inner: Shared::new(FloatCounterCell::new()),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.value.add(1.0);
    }

    /// Adds `v` if it is finite and not negative; otherwise drops and counts it.
    #[inline]
    pub fn inc_by(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if v >= 0.0 && v.is_finite() {
            self.inner.value.add(v);
        } else {
            record(DropReason::InvalidIncrement);
        }
    }

    /// Raises the total to `v` if `v` is larger, for a counter that mirrors a total kept
    /// elsewhere (the `metrics` facade's `absolute`). A smaller `v` is ignored, so the counter
    /// never goes down; a NaN or infinite `v` is dropped and counted.
    ///
    /// ```
    /// use vitals_core::FloatCounter;
    /// let mirrored = FloatCounter::new();
    /// mirrored.raise_to(10.0);
    /// mirrored.raise_to(4.0);
    /// assert_eq!(mirrored.get(), 10.0);
    /// ```
    pub fn raise_to(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if v.is_finite() {
            self.inner.value.raise_to(v);
        } else {
            record(DropReason::InvalidIncrement);
        }
    }

    /// Adds one and keeps `labels` as the series' [exemplar](crate::exemplar), with value 1.
    /// Invalid labels are dropped and counted (`reason="invalid_exemplar"`); the one is added
    /// regardless.
    ///
    /// ```
    /// use vitals_core::FloatCounter;
    /// let retries = FloatCounter::new();
    /// retries.inc_with_exemplar(&[("trace_id", "abc")]);
    /// assert_eq!(retries.get(), 1.0);
    /// assert_eq!(retries.exemplar().map(|e| e.value()), Some(1.0));
    /// ```
    pub fn inc_with_exemplar<V: Display>(&self, labels: &[(&str, V)]) {
        self.inc_by_with_exemplar(1.0, labels);
    }

    /// Adds `v` and keeps `labels` as the series' [exemplar](crate::exemplar), with value `v`.
    /// An increment that is negative, NaN or infinite is dropped with its exemplar and counted
    /// (`reason="invalid_increment"`); invalid labels are dropped and counted
    /// (`reason="invalid_exemplar"`) and `v` is added regardless.
    ///
    /// ```
    /// use vitals_core::FloatCounter;
    /// let cost = FloatCounter::new();
    /// cost.inc_by_with_exemplar(0.25, &[("trace_id", "abc")]);
    /// cost.inc_by_with_exemplar(-1.0, &[("trace_id", "def")]); // dropped, with its exemplar
    /// assert_eq!(cost.get(), 0.25);
    /// assert_eq!(cost.exemplar().unwrap().labels().next(), Some(("trace_id", "abc")));
    /// ```
    pub fn inc_by_with_exemplar<V: Display>(&self, v: f64, labels: &[(&str, V)]) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if !(v >= 0.0 && v.is_finite()) {
            record(DropReason::InvalidIncrement);
            return;
        }
        self.inner.value.add(v);
        match Exemplar::build(labels, v) {
            Ok(exemplar) => self.inner.side().store(&exemplar),
            Err(_) => record(DropReason::InvalidExemplar),
        }
    }

    /// Like [`inc_with_exemplar`](Self::inc_with_exemplar), but returns an error for invalid
    /// labels, and then adds nothing.
    ///
    /// ```
    /// use vitals_core::FloatCounter;
    /// let retries = FloatCounter::new();
    /// assert!(retries.try_inc_with_exemplar(&[("trace_id", "abc")]).is_ok());
    /// assert!(retries.try_inc_with_exemplar(&[("trace_id", "a"), ("trace_id", "b")]).is_err());
    /// assert_eq!(retries.get(), 1.0);
    /// ```
    pub fn try_inc_with_exemplar<V: Display>(&self, labels: &[(&str, V)]) -> Result<()> {
        self.try_inc_by_with_exemplar(1.0, labels)
    }

    /// Like [`inc_by_with_exemplar`](Self::inc_by_with_exemplar), but returns an error, and
    /// adds nothing, for an increment that is negative, NaN or infinite
    /// ([`ErrorKind::InvalidValue`]) or for invalid labels ([`ErrorKind::InvalidExemplar`]).
    ///
    /// ```
    /// use vitals_core::{ErrorKind, FloatCounter};
    /// let cost = FloatCounter::new();
    /// let err = cost.try_inc_by_with_exemplar(f64::NAN, &[("trace_id", "abc")]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidValue);
    /// cost.try_inc_by_with_exemplar(0.5, &[("trace_id", "abc")])?;
    /// assert_eq!(cost.get(), 0.5);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn try_inc_by_with_exemplar<V: Display>(&self, v: f64, labels: &[(&str, V)]) -> Result<()> {
        if !crate::switch::updates_enabled() {
            return Ok(());
        }
        if !(v >= 0.0 && v.is_finite()) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("counter increment {v} must be finite and >= 0: a counter only goes up"),
            ));
        }
        let exemplar = Exemplar::new(labels, v)?;
        self.inner.value.add(v);
        self.inner.side().store(&exemplar);
        Ok(())
    }

    /// The current total.
    pub fn get(&self) -> f64 {
        self.inner.value.get()
    }

    /// When this series was created, in seconds since the Unix epoch.
    pub fn created(&self) -> f64 {
        self.inner.created
    }

    /// A copy of the latest exemplar, if one was recorded.
    ///
    /// ```
    /// use vitals_core::FloatCounter;
    /// let cost = FloatCounter::new();
    /// assert!(cost.exemplar().is_none());
    /// cost.inc_by_with_exemplar(0.1, &[("trace_id", "abc")]);
    /// assert_eq!(cost.exemplar().map(|e| e.value()), Some(0.1));
    /// ```
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.inner.side_if_any().and_then(LazySlot::load)
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
    type Stored = FloatCounterCell;
    type Side = LazySlot;

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn new_stored((): &()) -> FloatCounterCell {
        FloatCounterCell::new()
    }

    slot_handle!();

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        if let Some(side) = self.inner.side_if_any() {
            let value = Number::F64(self.get());
            return visit_with_exemplar(labels, visitor, value, self.inner.created, side);
        }
        // The value read straight into the series value: read into a `Number` first, it was
        // stored as two words and read back as one, a stalled load (5 ns a series, measured).
        visitor.series(
            labels,
            &SeriesValue::Counter {
                value: Number::F64(self.get()),
                created: Some(self.inner.created),
                exemplar: None,
            },
        );
    }

    fn same_series(&self, other: &Self) -> bool {
        Shared::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::self_metrics::dropped;

    #[test]
    fn latest_exemplar_wins() {
        let c = Counter::new();
        assert!(c.exemplar().is_none());
        c.inc_with_exemplar(&[("trace_id", "first"), ("span_id", "1")]);
        c.inc_by_with_exemplar(5, &[("trace_id", "second")]);
        let e = c.exemplar().unwrap();
        assert_eq!(e.labels().collect::<Vec<_>>(), [("trace_id", "second")]);
        assert_eq!(e.value(), 5.0);
        assert!(e.timestamp() >= c.created());
        c.inc(); // a plain increment leaves the exemplar alone
        assert_eq!(c.exemplar(), Some(e));
        assert_eq!(c.get(), 7);
    }

    #[test]
    fn invalid_exemplar_is_counted_but_the_increment_applies() {
        let c = Counter::new();
        c.inc_with_exemplar(&[("trace_id", "kept")]);
        let before = dropped(DropReason::InvalidExemplar);
        c.inc_by_with_exemplar(3, &[("trace_id", "x".repeat(121))]); // 8 + 121 > 128
        assert!(dropped(DropReason::InvalidExemplar) > before);
        assert_eq!(c.get(), 4);
        assert_eq!(
            c.exemplar().unwrap().labels().next(),
            Some(("trace_id", "kept"))
        );

        // The fallible variant applies nothing.
        let err = c
            .try_inc_by_with_exemplar(3, &[("trace_id", "x".repeat(121))])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidExemplar);
        assert!(err.message().contains("129 characters"), "{err}");
        assert_eq!(c.get(), 4);
        c.try_inc_by_with_exemplar(3, &[("trace_id", "x".repeat(120))])
            .unwrap();
        assert_eq!(c.get(), 7);
    }

    #[test]
    fn float_counter_exemplars() {
        let c = FloatCounter::new();
        c.inc_by_with_exemplar(0.5, &[("trace_id", "a")]);
        let before = dropped(DropReason::InvalidIncrement);
        c.inc_by_with_exemplar(f64::INFINITY, &[("trace_id", "b")]);
        assert!(dropped(DropReason::InvalidIncrement) > before);
        assert_eq!(c.get(), 0.5);
        assert_eq!(
            c.exemplar().unwrap().labels().next(),
            Some(("trace_id", "a"))
        );
        let before = dropped(DropReason::InvalidExemplar);
        c.inc_by_with_exemplar(0.25, &[("__reserved", "c")]);
        assert!(dropped(DropReason::InvalidExemplar) > before);
        assert_eq!(c.get(), 0.75);
        assert_eq!(
            c.try_inc_by_with_exemplar(-1.0, &[("trace_id", "d")])
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidValue
        );
        c.try_inc_with_exemplar(&[("trace_id", "e")]).unwrap();
        assert_eq!(c.get(), 1.75);
        assert_eq!(c.exemplar().unwrap().value(), 1.0);
    }

    #[test]
    fn concurrent_exemplars_are_never_torn() {
        let c = Counter::new();
        std::thread::scope(|s| {
            for t in 0..4 {
                let c = &c;
                s.spawn(move || {
                    let value = format!("{t}").repeat(20 + t * 20);
                    for _ in 0..2000 {
                        c.inc_with_exemplar(&[("trace_id", &value)]);
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..2000 {
                    if let Some(e) = c.exemplar() {
                        let (_, v) = e.labels().next().unwrap();
                        let first = v.chars().next().unwrap();
                        let t = first.to_digit(10).unwrap() as usize;
                        assert_eq!(v.len(), 20 + t * 20, "{v}");
                        assert!(v.chars().all(|ch| ch == first), "{v}");
                    }
                }
            });
        });
        assert_eq!(c.get(), 8000);
    }
}
