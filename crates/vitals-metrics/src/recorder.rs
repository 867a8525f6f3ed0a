//! [`VitalsRecorder`]: the `metrics::Recorder` that records into a vitals registry.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SetRecorderError, SharedString, Unit,
};
use vitals_core::dynamic::Declaration;
use vitals_core::{current_registry, Error, FloatCounter, FloatGauge, HistogramOptions, Registry};

use crate::builder::VitalsRecorderBuilder;
use crate::matcher::Matcher;
use crate::sanitize::{
    is_sanitized_label_key, sanitize_label_key, sanitize_metric_name, unit_fits, unit_name,
};

/// A [`metrics::Recorder`] that records `counter!`, `gauge!` and `histogram!` into a vitals
/// [`Registry`], through the registry's dynamic manager (families created on first use).
///
/// Cloning is cheap and shares the recorder's state. See the [crate docs](crate) for how
/// names, labels, units and refusals are handled.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_metrics::VitalsRecorder;
///
/// let registry = Registry::new();
/// let recorder = VitalsRecorder::new(registry.clone());
/// metrics::with_local_recorder(&recorder, || {
///     metrics::gauge!("queue.depth", "queue" => "mail").set(12.0);
/// });
/// assert_eq!(registry.dynamic_gauge("queue_depth", &[("queue", "mail")])?.get(), 12.0);
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Clone)]
pub struct VitalsRecorder {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    /// Matchers in the order given, each with its checked bounds.
    buckets: Vec<(Matcher, HistogramOptions)>,
    default_buckets: HistogramOptions,
    /// What this recorder has declared to the registry, by family key (see [`family_key`]).
    declared: RwLock<HashMap<String, Declared>>,
    /// Names whose refusal has been logged, so that each is logged once.
    warned: Mutex<HashSet<String>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Declared {
    /// A `describe_*` was declared; later ones are ignored (the first description wins, as in
    /// `metrics-exporter-prometheus`).
    described: bool,
    /// The histogram buckets were chosen and declared.
    buckets: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

impl std::fmt::Debug for VitalsRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VitalsRecorder")
            .field("registry", &self.inner.registry)
            .field("buckets", &self.inner.buckets)
            .field("default_buckets", &self.inner.default_buckets)
            .finish_non_exhaustive()
    }
}

impl Default for VitalsRecorder {
    /// A recorder into the [`current_registry`] *at the time of the call* (the process-wide
    /// default registry, unless this thread has entered another), with default buckets.
    ///
    /// ```
    /// let local = vitals_core::Registry::new();
    /// let _scope = local.enter();
    /// let recorder = vitals_metrics::VitalsRecorder::default(); // records into `local`
    /// metrics::with_local_recorder(&recorder, || metrics::counter!("jobs").increment(1));
    /// assert_eq!(local.family_names(), ["jobs"]);
    /// ```
    fn default() -> Self {
        Self::new(current_registry())
    }
}

impl VitalsRecorder {
    /// A recorder into `registry` with the defaults: every histogram gets
    /// [`DEFAULT_BUCKETS`](vitals_core::DEFAULT_BUCKETS).
    ///
    /// ```
    /// let registry = vitals_core::Registry::new();
    /// let recorder = vitals_metrics::VitalsRecorder::new(registry.clone());
    /// metrics::with_local_recorder(&recorder, || metrics::counter!("jobs").increment(2));
    /// assert_eq!(registry.dynamic_counter("jobs", &[])?.get(), 2.0);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn new(registry: Registry) -> Self {
        Self::from_parts(registry, Vec::new(), HistogramOptions::default())
    }

    /// A [`VitalsRecorderBuilder`] to configure histogram buckets.
    ///
    /// ```
    /// use vitals_metrics::{Matcher, VitalsRecorder};
    ///
    /// let recorder = VitalsRecorder::builder(vitals_core::Registry::new())
    ///     .with_buckets(Matcher::Suffix("_seconds".into()), &[0.01, 0.1, 1.0])
    ///     .build()?;
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn builder(registry: Registry) -> VitalsRecorderBuilder {
        VitalsRecorderBuilder::new(registry)
    }

    pub(crate) fn from_parts(
        registry: Registry,
        buckets: Vec<(Matcher, HistogramOptions)>,
        default_buckets: HistogramOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                buckets,
                default_buckets,
                declared: RwLock::default(),
                warned: Mutex::default(),
            }),
        }
    }

    /// The registry this recorder records into.
    ///
    /// ```
    /// let registry = vitals_core::Registry::new();
    /// let recorder = vitals_metrics::VitalsRecorder::new(registry.clone());
    /// metrics::with_local_recorder(&recorder, || metrics::counter!("jobs").increment(1));
    /// assert_eq!(recorder.registry().family_names(), ["jobs"]);
    /// ```
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Installs this recorder as the process-wide `metrics` recorder
    /// ([`metrics::set_global_recorder`]). Fails, giving the recorder back in the error, if a
    /// recorder was installed already: `metrics` allows one per process.
    ///
    /// ```
    /// use vitals_metrics::VitalsRecorder;
    ///
    /// let registry = vitals_core::Registry::new();
    /// VitalsRecorder::new(registry.clone()).install().expect("the first recorder installs");
    /// metrics::counter!("jobs.started").increment(1);
    /// assert_eq!(registry.dynamic_counter("jobs_started", &[])?.get(), 1.0);
    ///
    /// let second = VitalsRecorder::new(vitals_core::Registry::new());
    /// assert!(second.install().is_err());
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn install(self) -> Result<(), SetRecorderError<Self>> {
        metrics::set_global_recorder(self)
    }

    /// The buckets of the histogram `name` (sanitized): the first matching matcher's, else
    /// the default ones.
    fn buckets_for(&self, name: &str) -> &HistogramOptions {
        self.inner
            .buckets
            .iter()
            .find(|(matcher, _)| matcher.matches(name))
            .map_or(&self.inner.default_buckets, |(_, options)| options)
    }

    fn describe(&self, kind: Kind, key: &KeyName, unit: Option<Unit>, help: &str) {
        let name = sanitize_metric_name(key.as_str());
        let unit = unit
            .and_then(unit_name)
            .filter(|unit| unit_fits(&name, unit, kind == Kind::Counter));
        let buckets = (kind == Kind::Histogram).then(|| self.buckets_for(&name));

        let mut declared = write(&self.inner.declared);
        let entry = declared.entry(family_key(&name).to_owned()).or_default();
        if entry.described {
            return;
        }
        entry.described = true;
        entry.buckets |= buckets.is_some();
        // Fails once the family exists, since its help is fixed by then. `metrics` lets a
        // program describe a metric at any time, so a late description is dropped, not an error.
        let _ = self
            .inner
            .registry
            .declare(&name, declaration(help, unit, buckets));
    }

    /// Declares the buckets of the histogram `name` the first time the recorder sees it, so
    /// that the matchers are tried once per name, not per registration.
    fn declare_buckets(&self, name: &str) {
        let key = family_key(name);
        if read(&self.inner.declared)
            .get(key)
            .is_some_and(|d| d.buckets)
        {
            return;
        }
        let mut declared = write(&self.inner.declared);
        let entry = declared.entry(key.to_owned()).or_default();
        if entry.buckets {
            return;
        }
        entry.buckets = true;
        // Fails if the family already exists (made through the registry's dynamic manager
        // directly); it keeps the buckets it was made with.
        let _ = self
            .inner
            .registry
            .declare(name, declaration("", None, Some(self.buckets_for(name))));
    }

    /// Logs a refused registration, once per name; the registry has counted it already.
    #[cold]
    fn refused(&self, kind: Kind, name: &str, error: &Error) {
        let first = self
            .inner
            .warned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned());
        if first {
            log::warn!(
                "vitals-metrics: {} {name:?} is not recorded: {error}. Its handles do \
                 nothing; each refused registration is counted in \
                 vitals_dropped_updates_total{{reason=\"dynamic_rejected\"}}, and this warning \
                 is logged once per metric name",
                kind.as_str()
            );
        }
    }
}

impl Recorder for VitalsRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(Kind::Counter, &key, unit, &description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(Kind::Gauge, &key, unit, &description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(Kind::Histogram, &key, unit, &description);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> Counter {
        let name = sanitize_metric_name(key.name());
        let registry = &self.inner.registry;
        match with_label_pairs(key, |labels| registry.dynamic_counter(&name, labels)) {
            Ok(counter) => Counter::from_arc(Arc::new(CounterHandle(counter))),
            Err(error) => {
                self.refused(Kind::Counter, &name, &error);
                Counter::noop()
            }
        }
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> Gauge {
        let name = sanitize_metric_name(key.name());
        let registry = &self.inner.registry;
        match with_label_pairs(key, |labels| registry.dynamic_gauge(&name, labels)) {
            Ok(gauge) => Gauge::from_arc(Arc::new(GaugeHandle(gauge))),
            Err(error) => {
                self.refused(Kind::Gauge, &name, &error);
                Gauge::noop()
            }
        }
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        let name = sanitize_metric_name(key.name());
        self.declare_buckets(&name);
        let registry = &self.inner.registry;
        match with_label_pairs(key, |labels| registry.dynamic_histogram(&name, labels)) {
            Ok(histogram) => Histogram::from_arc(Arc::new(HistogramHandle(histogram))),
            Err(error) => {
                self.refused(Kind::Histogram, &name, &error);
                Histogram::noop()
            }
        }
    }
}

/// The registry's key for a dynamic family: a counter may be named with or without `_total`.
fn family_key(name: &str) -> &str {
    name.strip_suffix("_total").unwrap_or(name)
}

fn declaration(help: &str, unit: Option<&str>, buckets: Option<&HistogramOptions>) -> Declaration {
    let mut declaration = Declaration::new(help);
    if let Some(unit) = unit {
        declaration = declaration.with_unit(unit);
    }
    if let Some(buckets) = buckets {
        // The bounds were checked by `build`, so this succeeds; were it to fail, the
        // histogram would get the registry's default buckets rather than no declaration.
        declaration = match declaration.clone().with_buckets(buckets.bounds()) {
            Ok(with_buckets) => with_buckets,
            Err(_) => declaration,
        };
    }
    declaration
}

/// Label pairs inline, on the stack, for the usual handful of labels.
const INLINE_LABELS: usize = 8;

/// Calls `f` with the key's labels as `(name, value)` pairs, names sanitized. Valid names
/// (the usual case) are passed without copying or allocating.
fn with_label_pairs<R>(key: &Key, f: impl FnOnce(&[(&str, &str)]) -> R) -> R {
    let count = key.labels().len();
    if count <= INLINE_LABELS
        && key
            .labels()
            .all(|label| is_sanitized_label_key(label.key()))
    {
        let mut pairs = [("", ""); INLINE_LABELS];
        for (slot, label) in pairs.iter_mut().zip(key.labels()) {
            *slot = (label.key(), label.value());
        }
        return f(pairs.get(..count).unwrap_or_default());
    }
    let names: Vec<Cow<'_, str>> = key
        .labels()
        .map(|label| sanitize_label_key(label.key()))
        .collect();
    let pairs: Vec<(&str, &str)> = names
        .iter()
        .zip(key.labels())
        .map(|(name, label)| (&**name, label.value()))
        .collect();
    f(&pairs)
}

// The maps only gain entries, in single steps, so a poisoned lock still guards consistent data.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// `counter!`'s handle: a vitals float counter series.
struct CounterHandle(FloatCounter);

impl CounterFn for CounterHandle {
    fn increment(&self, value: u64) {
        // Exact up to 2^53, far more than a counter gains between two restarts.
        self.0.inc_by(value as f64);
    }

    fn absolute(&self, value: u64) {
        self.0.raise_to(value as f64);
    }
}

/// `gauge!`'s handle: a vitals float gauge series.
struct GaugeHandle(FloatGauge);

impl GaugeFn for GaugeHandle {
    fn increment(&self, value: f64) {
        self.0.add(value);
    }

    fn decrement(&self, value: f64) {
        self.0.sub(value);
    }

    fn set(&self, value: f64) {
        self.0.set(value);
    }
}

/// `histogram!`'s handle: a vitals histogram series.
struct HistogramHandle(vitals_core::Histogram);

impl HistogramFn for HistogramHandle {
    fn record(&self, value: f64) {
        self.0.observe(value);
    }

    fn record_many(&self, value: f64, count: usize) {
        // vitals' histogram has no bulk observation; each of these is a bucket search and two
        // relaxed atomic adds, with no lookup, lock or allocation (a NaN is counted as `count`
        // drops, one per observation, as `record` would).
        for _ in 0..count {
            self.0.observe(value);
        }
    }
}
