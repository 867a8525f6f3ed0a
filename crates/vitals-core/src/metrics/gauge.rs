use std::sync::atomic::{AtomicI64, Ordering};

use vitals_index::Shared;

use super::{sealed, slot_handle, Metric};
use crate::atomic::{unix_now, AtomicF64};
use crate::collect::{LabelText, MetricType, Number, SeriesValue, Visitor};

/// An integer value that goes up and down, such as requests in flight.
///
/// ```
/// use vitals_core::Registry;
/// let registry = Registry::new();
/// let in_flight = registry.gauge("in_flight", "Requests in flight.").register().unwrap();
/// in_flight.inc();
/// in_flight.add(5);
/// in_flight.dec();
/// in_flight.sub(2);
/// assert_eq!(in_flight.get(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Gauge {
    inner: Shared<AtomicI64>,
}

impl Gauge {
    /// A gauge at zero that belongs to no registry.
    pub fn new() -> Self {
        Self {
            inner: Shared::new(AtomicI64::new(0)),
        }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: i64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.store(v, Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }

    /// Subtracts one whatever the [switch](crate::switch) says: the second half of an
    /// [`inc_after_check`](Self::inc_after_check) made while metrics were on, so that a gauge of work in progress
    /// returns to its value even if metrics are switched off in between. For guards, which
    /// remember whether their `inc` was applied (`switch::enabled()` when they made it).
    ///
    /// ```
    /// let in_flight = vitals_core::Gauge::new();
    /// let counted = vitals_core::switch::enabled();
    /// if counted {
    ///     in_flight.inc_after_check();
    /// }
    /// vitals_core::switch::set_enabled(false);
    /// if counted {
    ///     in_flight.dec_after_inc();
    /// }
    /// vitals_core::switch::set_enabled(true);
    /// assert_eq!(in_flight.get(), 0);
    /// ```
    #[inline]
    pub fn dec_after_inc(&self) {
        self.inner.fetch_sub(1, Ordering::Relaxed);
    }

    /// Adds one without consulting the [switch](crate::switch): for a guard that has just read
    /// `switch::enabled()` itself and will make the matching [`dec_after_inc`](Self::dec_after_inc)
    /// exactly when it did this. (Checking once, and acting on that one answer, is what keeps
    /// the pair balanced when the switch flips between them.)
    #[inline]
    pub fn inc_after_check(&self) {
        self.inner.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `v` (wrapping at the `i64` range).
    #[inline]
    pub fn add(&self, v: i64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.fetch_add(v, Ordering::Relaxed);
    }

    /// Subtracts `v` (wrapping at the `i64` range).
    #[inline]
    pub fn sub(&self, v: i64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.fetch_sub(v, Ordering::Relaxed);
    }

    /// Sets the value to the current Unix time in whole seconds.
    pub fn set_to_current_time(&self) {
        if !crate::switch::updates_enabled() {
            return;
        }
        #[allow(clippy::cast_possible_truncation)] // whole seconds are what this gauge holds
        self.set(unix_now() as i64);
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.inner.load(Ordering::Relaxed)
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::new()
    }
}

impl sealed::Sealed for Gauge {}

impl Metric for Gauge {
    type Options = ();
    const TYPE: MetricType = MetricType::Gauge;
    type Stored = AtomicI64;
    type Side = ();

    fn new_stored((): &()) -> AtomicI64 {
        AtomicI64::new(0)
    }

    slot_handle!();

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        visitor.series(labels, &SeriesValue::Gauge(Number::I64(self.get())));
    }

    fn same_series(&self, other: &Self) -> bool {
        Shared::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        0
    }
}

/// A float value that goes up and down, such as a temperature or a ratio.
///
/// ```
/// use vitals_core::FloatGauge;
/// let ratio = FloatGauge::new();
/// ratio.set(0.5);
/// ratio.add(0.25);
/// ratio.sub(1.0);
/// assert_eq!(ratio.get(), -0.25);
/// ```
#[derive(Debug, Clone)]
pub struct FloatGauge {
    inner: Shared<AtomicF64>,
}

impl FloatGauge {
    /// A gauge at zero that belongs to no registry.
    pub fn new() -> Self {
        Self {
            inner: Shared::new(AtomicF64::new(0.0)),
        }
    }

    /// Sets the value (NaN and infinities included: a gauge may report them).
    #[inline]
    pub fn set(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.set(v);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// Subtracts one whatever the [switch](crate::switch) says: the second half of an
    /// [`inc`](Self::inc) made while metrics were on (see [`Gauge::dec_after_inc`]).
    #[inline]
    pub fn dec_after_inc(&self) {
        self.inner.add(-1.0);
    }

    /// Adds one without consulting the switch (see [`Gauge::inc_after_check`]).
    #[inline]
    pub fn inc_after_check(&self) {
        self.inner.add(1.0);
    }

    /// Adds `v`.
    #[inline]
    pub fn add(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.add(v);
    }

    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: f64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.inner.add(-v);
    }

    /// Sets the value to the current Unix time in seconds, with sub-second precision.
    pub fn set_to_current_time(&self) {
        if !crate::switch::updates_enabled() {
            return;
        }
        self.set(unix_now());
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        self.inner.get()
    }
}

impl Default for FloatGauge {
    fn default() -> Self {
        Self::new()
    }
}

impl sealed::Sealed for FloatGauge {}

impl Metric for FloatGauge {
    type Options = ();
    const TYPE: MetricType = MetricType::Gauge;
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
        visitor.series(labels, &SeriesValue::Gauge(Number::F64(self.get())));
    }

    fn same_series(&self, other: &Self) -> bool {
        Shared::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        0
    }
}
