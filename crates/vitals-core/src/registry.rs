//! The [`Registry`]: where families are registered, checked against each other, and walked at
//! scrape time.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::collect::{Collector, Descriptor, LabelText, MetricType, Visitor};
use crate::dynamic::Dynamic;
use crate::error::{Error, ErrorKind, Result};
use crate::family::{Collect, DynamicLabels, Family, FamilyCore, FamilySettings, MAX_DENSE_SERIES};
use crate::family_owned::{check_state_set_name, check_unit, strip_type_suffix, MetricFamily};
use crate::labels::{push_label, LabelSet};
use crate::limits::{Budget, RegistryStats, DEFAULT_MAX_SERIES, DEFAULT_MAX_SERIES_PER_FAMILY};
use crate::metrics::{
    Counter, FloatCounter, FloatGauge, Gauge, Histogram, HistogramOptions, Info, Metric,
    ShardedCounter, StateSet, StateSetOptions, Summary, SummaryOptions, Unknown,
};
use crate::name::{validate_label_names, validate_metric_name};
use crate::self_metrics::{self, record, DropReason};

/// A set of metric families that are exposed together.
///
/// Cloning a registry is cheap and shares its content. Registration checks every rule a scraper
/// would enforce later, and returns a typed [`Error`] instead of producing output that a
/// scraper would reject.
///
/// ```
/// use vitals_core::Registry;
///
/// let registry = Registry::builder()
///     .with_namespace("shop")
///     .with_const_label("region", "eu-west")
///     .build()
///     .unwrap();
/// let orders = registry.counter("orders", "Orders placed.").register().unwrap();
/// orders.inc();
/// assert_eq!(registry.family_names(), vec!["shop_orders".to_string()]);
/// ```
#[derive(Clone)]
pub struct Registry {
    inner: Arc<RegistryInner>,
}

struct RegistryInner {
    namespace: Option<String>,
    const_label_names: Vec<String>,
    /// The constant labels, rendered once: the prefix of every series' label text.
    const_text: String,
    state: RwLock<State>,
    /// Families created by name on first use (see [`crate::dynamic`]).
    dynamic: Dynamic,
    /// The limit of each family unless it says otherwise.
    max_series_per_family: Option<usize>,
    /// The registry's total limit, and its count of series.
    budget: Arc<Budget>,
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    /// Every sample name a registered family produces (its name and its suffixed names),
    /// mapped to the family that produces it.
    claimed: HashMap<String, String>,
    /// Families registered with [`MetricBuilder::register_shared`], by name: the family
    /// (an `Arc<FamilyCore<M>>`) and what a second registration must match.
    shared: HashMap<String, SharedFamily>,
}

/// A family that several call sites register under one name (see
/// [`MetricBuilder::register_shared`]).
struct SharedFamily {
    core: Arc<dyn std::any::Any + Send + Sync>,
    label_names: Vec<String>,
    help: String,
    unit: Option<String>,
    /// The family's options, compared by [`Metric::Options`]'s `PartialEq`.
    options: Box<dyn std::any::Any + Send + Sync>,
}

enum Entry {
    Family(Arc<dyn Collect>),
    /// A collector, and the family names reserved for it at registration (whose claims it may
    /// use, and nobody else may).
    Collector(Box<dyn Collector>, Vec<String>),
    /// vitals' own families about this registry's families (see
    /// [`Registry::register_self_metrics`]).
    Internal(Internal),
}

#[derive(Clone, Copy)]
enum Internal {
    /// `vitals_series_overflow_total` and `vitals_series_expired_total`.
    LimitCounters,
    /// `vitals_registry_series` and `vitals_registry_heap_bytes`.
    Stats,
}

/// Self-metric family names (each reserved when registered).
const OVERFLOW_FAMILY: &str = "vitals_series_overflow";
const EXPIRED_FAMILY: &str = "vitals_series_expired";
const SERIES_FAMILY: &str = "vitals_registry_series";
const HEAP_FAMILY: &str = "vitals_registry_heap_bytes";

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("namespace", &self.inner.namespace)
            .field("const_labels", &self.inner.const_text)
            .field("families", &self.family_names())
            .finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

/// The process-wide registry, created on first use with the
/// [`self_metrics`] collector registered.
///
/// ```
/// let requests = vitals_core::default_registry()
///     .counter("doc_default_requests", "Requests served.")
///     .register()
///     .unwrap();
/// requests.inc();
/// ```
#[inline]
pub fn default_registry() -> &'static Registry {
    static DEFAULT: OnceLock<Registry> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        let registry = Registry::new();
        registry.register_self_metrics();
        registry
    })
}

/// Configures a [`Registry`]. Defaults: no namespace, no constant labels, at most
/// [`DEFAULT_MAX_SERIES_PER_FAMILY`] series per family and [`DEFAULT_MAX_SERIES`] in all.
#[derive(Debug, Clone)]
pub struct RegistryBuilder {
    namespace: Option<String>,
    const_labels: Vec<(String, String)>,
    max_series_per_family: Option<usize>,
    max_series: Option<usize>,
}

impl Default for RegistryBuilder {
    fn default() -> Self {
        Self {
            namespace: None,
            const_labels: Vec::new(),
            max_series_per_family: Some(DEFAULT_MAX_SERIES_PER_FAMILY),
            max_series: Some(DEFAULT_MAX_SERIES),
        }
    }
}

impl RegistryBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The series limit of each family that sets none itself (see [`crate::limits`]).
    /// Default: [`DEFAULT_MAX_SERIES_PER_FAMILY`].
    pub fn with_max_series_per_family(mut self, max: usize) -> Self {
        self.max_series_per_family = Some(max);
        self
    }

    /// The series limit of the registry, all families together. Default:
    /// [`DEFAULT_MAX_SERIES`].
    pub fn with_max_series(mut self, max: usize) -> Self {
        self.max_series = Some(max);
        self
    }

    /// No series limit for the registry or for its families (a family may still set its
    /// own). For programs whose label values are all bounded by construction.
    pub fn without_series_limits(mut self) -> Self {
        self.max_series_per_family = None;
        self.max_series = None;
        self
    }

    /// A prefix for every family registered through the builders: `ns` makes `requests` into
    /// `ns_requests`. Not applied to collectors' families. Default: none.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// A label added to every series of the registry, collectors' included, written before the
    /// series' own labels. Default: none.
    pub fn with_const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels.push((name.into(), value.into()));
        self
    }

    /// Checks the configuration and builds the registry.
    pub fn build(self) -> Result<Registry> {
        if let Some(namespace) = &self.namespace {
            validate_metric_name(namespace).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidConfig,
                    format!("namespace: {}", e.message()),
                )
            })?;
        }
        let names: Vec<&str> = self.const_labels.iter().map(|(n, _)| n.as_str()).collect();
        validate_label_names(&names, &[]).map_err(|e| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!("constant label: {}", e.message()),
            )
        })?;
        let mut const_text = String::new();
        for (name, value) in &self.const_labels {
            push_label(&mut const_text, name, value);
        }
        Ok(Registry {
            inner: Arc::new(RegistryInner {
                namespace: self.namespace,
                const_label_names: names.iter().map(|n| (*n).to_owned()).collect(),
                const_text,
                state: RwLock::new(State::default()),
                dynamic: Dynamic::default(),
                max_series_per_family: self.max_series_per_family,
                budget: Arc::new(Budget::new(self.max_series)),
            }),
        })
    }
}

impl Registry {
    /// An empty registry with the [`RegistryBuilder`]'s defaults: no namespace, no constant
    /// labels, the default series limits.
    pub fn new() -> Self {
        let defaults = RegistryBuilder::default();
        Self {
            inner: Arc::new(RegistryInner {
                namespace: None,
                const_label_names: Vec::new(),
                const_text: String::new(),
                state: RwLock::new(State::default()),
                dynamic: Dynamic::default(),
                max_series_per_family: defaults.max_series_per_family,
                budget: Arc::new(Budget::new(defaults.max_series)),
            }),
        }
    }

    /// Whether `self` and `other` are handles to the same registry (not merely equal ones).
    ///
    /// ```
    /// use vitals_core::Registry;
    /// let a = Registry::new();
    /// assert!(a.ptr_eq(&a.clone()));
    /// assert!(!a.ptr_eq(&Registry::new()));
    /// ```
    pub fn ptr_eq(&self, other: &Registry) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A [`RegistryBuilder`] for a namespace and constant labels.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::new()
    }

    pub(crate) fn dynamic(&self) -> &Dynamic {
        &self.inner.dynamic
    }

    /// The namespace prefix, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.inner.namespace.as_deref()
    }

    fn builder_for<M: Metric>(
        &self,
        name: &str,
        help: &str,
        options: Result<M::Options>,
    ) -> MetricBuilder<'_, M> {
        MetricBuilder {
            registry: self,
            name: name.to_owned(),
            help: help.to_owned(),
            unit: None,
            max_series: None,
            idle_expiry: None,
            options,
        }
    }

    /// Starts registering an integer [`Counter`]. The name may end in `_total`; the family is
    /// named without it and the samples with it.
    pub fn counter(&self, name: &str, help: &str) -> MetricBuilder<'_, Counter> {
        self.builder_for(name, help, Ok(()))
    }

    /// Starts registering a [`ShardedCounter`]: a counter exposed like any other, built for
    /// one total that many threads increment at once.
    pub fn sharded_counter(&self, name: &str, help: &str) -> MetricBuilder<'_, ShardedCounter> {
        self.builder_for(name, help, Ok(()))
    }

    /// Starts registering a [`FloatCounter`].
    pub fn float_counter(&self, name: &str, help: &str) -> MetricBuilder<'_, FloatCounter> {
        self.builder_for(name, help, Ok(()))
    }

    /// Starts registering an integer [`Gauge`].
    pub fn gauge(&self, name: &str, help: &str) -> MetricBuilder<'_, Gauge> {
        self.builder_for(name, help, Ok(()))
    }

    /// Starts registering a [`FloatGauge`].
    pub fn float_gauge(&self, name: &str, help: &str) -> MetricBuilder<'_, FloatGauge> {
        self.builder_for(name, help, Ok(()))
    }

    /// Starts registering a [`Histogram`], with [`DEFAULT_BUCKETS`](crate::DEFAULT_BUCKETS)
    /// unless [`with_buckets`](MetricBuilder::with_buckets) says otherwise.
    pub fn histogram(&self, name: &str, help: &str) -> MetricBuilder<'_, Histogram> {
        self.builder_for(name, help, Ok(HistogramOptions::default()))
    }

    /// Starts registering a [`Summary`] with [`SummaryOptions`]' defaults unless
    /// [`with_summary_options`](MetricBuilder::with_summary_options) says otherwise.
    pub fn summary(&self, name: &str, help: &str) -> MetricBuilder<'_, Summary> {
        self.builder_for(name, help, Ok(SummaryOptions::default()))
    }

    /// Starts registering an [`Info`] metric. The name may end in `_info`; the family is named
    /// without it and the samples with it.
    pub fn info(&self, name: &str, help: &str) -> MetricBuilder<'_, Info> {
        self.builder_for(name, help, Ok(()))
    }

    /// Starts registering a [`StateSet`] with these states.
    pub fn state_set<S: AsRef<str>>(
        &self,
        name: &str,
        help: &str,
        states: &[S],
    ) -> MetricBuilder<'_, StateSet> {
        self.builder_for(name, help, StateSetOptions::new(states))
    }

    /// Starts registering an [`Unknown`]-typed metric.
    pub fn unknown(&self, name: &str, help: &str) -> MetricBuilder<'_, Unknown> {
        self.builder_for(name, help, Ok(()))
    }

    /// Adds a collector, called at each scrape after the families registered before it.
    pub fn register_collector(&self, collector: impl Collector + 'static) {
        self.write()
            .entries
            .push(Entry::Collector(Box::new(collector), Vec::new()));
    }

    /// Adds vitals' self-metrics and reserves their names, so that a family registered later
    /// under one of them is refused instead of hiding it. The [`default_registry`] has them
    /// already.
    ///
    /// - `vitals_dropped_updates_total{reason}`: updates that could not be applied
    ///   ([`self_metrics`]; process-wide);
    /// - `vitals_series_overflow_total{family}`: lookups sent to a family's overflow series;
    /// - `vitals_series_expired_total{family}`: series removed by idle expiry.
    ///
    /// A family's series in the last two appear at its first overflow or expiry.
    ///
    /// Calling it again does nothing. If one of these names is already taken by a family of
    /// yours, that family keeps it and the self-metric is not exposed.
    pub fn register_self_metrics(&self) {
        let mut state = self.write();
        if state
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Internal(Internal::LimitCounters)))
        {
            return;
        }
        let family = self_metrics::DROPPED_FAMILY;
        reserve(&mut state, family, MetricType::Counter);
        state.entries.push(Entry::Collector(
            Box::new(self_metrics::collector()),
            vec![family.to_owned()],
        ));
        reserve(&mut state, OVERFLOW_FAMILY, MetricType::Counter);
        reserve(&mut state, EXPIRED_FAMILY, MetricType::Counter);
        state.entries.push(Entry::Internal(Internal::LimitCounters));
    }

    /// Adds gauges of the registry's size, for troubleshooting cardinality (seed 001):
    /// `vitals_registry_series{family}` (series per family) and `vitals_registry_heap_bytes`
    /// (the estimate of [`Registry::stats`]).
    ///
    /// Calling it again does nothing.
    pub fn register_stats_metrics(&self) {
        let mut state = self.write();
        if state
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Internal(Internal::Stats)))
        {
            return;
        }
        reserve(&mut state, SERIES_FAMILY, MetricType::Gauge);
        reserve(&mut state, HEAP_FAMILY, MetricType::Gauge);
        state.entries.push(Entry::Internal(Internal::Stats));
    }

    /// Series counts, limits, overflow and expiry counts and heap estimates, per family and in
    /// total.
    ///
    /// ```
    /// use vitals_core::Registry;
    /// let registry = Registry::builder().with_max_series(50_000).build()?;
    /// let jobs = registry.counter("jobs", "Jobs run.").register_family(&["queue"])?;
    /// jobs.with_labels(&["mail"]).inc();
    /// jobs.with_labels(&["sms"]).inc();
    /// let stats = registry.stats();
    /// assert_eq!((stats.series, stats.max_series), (2, Some(50_000)));
    /// assert_eq!(stats.families[0].name, "jobs");
    /// assert!(stats.heap_bytes > 0);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn stats(&self) -> RegistryStats {
        let families: Vec<_> = self
            .read()
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Family(f) => Some(f.stats()),
                _ => None,
            })
            .collect();
        RegistryStats {
            series: families.iter().map(|f| f.series).sum(),
            heap_bytes: families.iter().map(|f| f.heap_bytes).sum(),
            max_series: self.inner.budget.max(),
            families,
        }
    }

    /// Removes idle series from every family configured with
    /// [`with_idle_expiry`](MetricBuilder::with_idle_expiry) now (scrapes do it too); returns
    /// how many. For programs that are rarely scraped, call it from a timer.
    pub fn expire_idle(&self) -> usize {
        let now = Instant::now();
        self.read()
            .entries
            .iter()
            .map(|e| match e {
                Entry::Family(f) => f.expire_idle(now),
                _ => 0,
            })
            .sum()
    }

    /// Removes the family named `name` (the full name, namespace included; a counter's with or
    /// without `_total`, an info's with or without `_info`); returns whether it was registered.
    /// Its handles keep working, unexposed.
    pub fn unregister(&self, name: &str) -> bool {
        let mut state = self.write();
        // Accept a counter's sample name (`foo_total`) or an info's (`foo_info`) too, but no
        // other suffix: `unregister("x_bucket")` must not remove a histogram `x`.
        let name = match state.claimed.get(name) {
            Some(owner)
                if owner == name
                    || name.strip_suffix("_total") == Some(owner)
                    || name.strip_suffix("_info") == Some(owner) =>
            {
                owner.clone()
            }
            _ => return false,
        };
        let name = name.as_str();
        let before = state.entries.len();
        state.entries.retain(|e| match e {
            Entry::Family(f) if f.descriptor().name() == name => {
                // Its series no longer count against the registry's limit, now or later.
                f.detach();
                false
            }
            _ => true,
        });
        let removed = state.entries.len() != before;
        if removed {
            state.claimed.retain(|_, owner| owner != name);
            state.shared.remove(name);
        }
        drop(state);
        if removed {
            // A later dynamic call by this name creates a new, exposed family. (After the
            // registry's lock is released: the dynamic manager takes its own lock first.)
            self.dynamic().forget(name);
        }
        removed
    }

    /// The names of the registered families, in registration order (collectors' not included).
    pub fn family_names(&self) -> Vec<String> {
        self.read()
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Family(f) => Some(f.descriptor().name().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Walks every family and series, in registration order. This is what encoders call.
    /// With the [switch](crate::switch) off, it visits nothing.
    pub fn visit(&self, visitor: &mut dyn Visitor) {
        if !crate::switch::enabled() {
            return;
        }
        let state = self.read();
        let mut collected: Vec<MetricFamily> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut text = String::new();
        for entry in &state.entries {
            let reserved: &[String] = match entry {
                Entry::Family(family) => {
                    family.visit(visitor);
                    continue;
                }
                Entry::Collector(collector, reserved) => {
                    collected.clear();
                    collector.collect(&mut collected);
                    reserved
                }
                Entry::Internal(internal) => {
                    collected.clear();
                    internal_families(*internal, &state, &mut collected);
                    &[]
                }
            };
            let internal = matches!(entry, Entry::Internal(_));
            for family in &collected {
                let desc = family.descriptor();
                let names = claimed_names(desc.name(), desc.metric_type());
                // vitals' own families are exposed only under names they reserved.
                let own = if internal {
                    state.claimed.get(desc.name()).map(String::as_str) == Some(desc.name())
                        && !has_family(&state, desc.name())
                } else {
                    reserved.iter().any(|r| r == desc.name())
                };
                if names
                    .iter()
                    .any(|n| (!own && state.claimed.contains_key(n)) || seen.contains(n))
                {
                    record(DropReason::CollectorClash);
                    continue;
                }
                if self.clashes_with_const_labels(family) {
                    record(DropReason::CollectorLabelClash);
                    continue;
                }
                seen.extend(names);
                visitor.family(desc);
                family.for_each_series(|labels, value| {
                    text.clear();
                    text.push_str(&self.inner.const_text);
                    if !text.is_empty() && !labels.is_empty() {
                        text.push(',');
                    }
                    text.push_str(labels);
                    visitor.series(&LabelText::new(&text), value);
                });
            }
        }
    }

    /// Whether a collected family would write a constant label's name twice.
    fn clashes_with_const_labels(&self, family: &MetricFamily) -> bool {
        let consts = &self.inner.const_label_names;
        let desc = family.descriptor();
        family.label_names().iter().any(|n| consts.contains(n))
            || (desc.metric_type() == MetricType::StateSet
                && consts.iter().any(|c| c == desc.name()))
    }

    // Poisoning only records that a thread panicked while holding the lock; registration
    // mutates the state in one step, so the state is consistent and is used as is.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Claims a self-metric family's sample names for it, unless a family already claims one
/// of them (which then keeps it).
fn reserve(state: &mut State, family: &str, metric_type: MetricType) {
    let names = claimed_names(family, metric_type);
    if names.iter().any(|n| state.claimed.contains_key(n)) {
        return;
    }
    for sample in names {
        state.claimed.insert(sample, family.to_owned());
    }
}

/// Whether a registered family has this name.
fn has_family(state: &State, name: &str) -> bool {
    state
        .entries
        .iter()
        .any(|e| matches!(e, Entry::Family(f) if f.descriptor().name() == name))
}

/// vitals' families about the registry's own families, built at scrape time.
fn internal_families(internal: Internal, state: &State, out: &mut Vec<MetricFamily>) {
    let families = state.entries.iter().filter_map(|e| match e {
        Entry::Family(f) => Some(f),
        _ => None,
    });
    #[allow(clippy::cast_precision_loss)] // counts stay far below 2^53
    let build = || -> Result<Vec<MetricFamily>> {
        Ok(match internal {
            Internal::LimitCounters => {
                let mut overflow = MetricFamily::counter(
                    OVERFLOW_FAMILY,
                    "Lookups of new label sets sent to a family's overflow series because a \
                     series limit was reached.",
                )?;
                let mut expired = MetricFamily::counter(
                    EXPIRED_FAMILY,
                    "Series removed from a family after being idle for its expiry time.",
                )?;
                for family in families {
                    let name = family.descriptor().name();
                    let (overflowed, expired_count) = family.limit_counts();
                    if overflowed > 0 {
                        overflow.add_counter(&[("family", name)], overflowed as f64)?;
                    }
                    if expired_count > 0 {
                        expired.add_counter(&[("family", name)], expired_count as f64)?;
                    }
                }
                vec![overflow, expired]
            }
            Internal::Stats => {
                let mut series =
                    MetricFamily::gauge(SERIES_FAMILY, "Series in each family of the registry.")?;
                let mut bytes = 0;
                for family in families {
                    let stats = family.stats();
                    series.add_gauge(&[("family", &stats.name)], stats.series as f64)?;
                    bytes += stats.heap_bytes;
                }
                let mut heap = MetricFamily::gauge(
                    HEAP_FAMILY,
                    "Estimated heap bytes used by the registry's series.",
                )?
                .with_unit("bytes")?;
                heap.add_gauge(&[], bytes as f64)?;
                vec![series, heap]
            }
        })
    };
    // Empty ones are left out: a family with no series says nothing. The names and labels
    // above are valid, so building cannot fail; if it ever did, the families are left out
    // rather than half written.
    if let Ok(families) = build() {
        out.extend(families.into_iter().filter(|f| !f.is_empty()));
    }
}

/// The sample names a family produces: its own name and each suffixed name.
fn claimed_names(name: &str, metric_type: MetricType) -> Vec<String> {
    std::iter::once(name.to_owned())
        .chain(
            metric_type
                .sample_suffixes()
                .iter()
                .map(|s| format!("{name}{s}")),
        )
        .collect()
}

/// Registers one metric family: made by [`Registry::counter`], [`Registry::histogram`] and the
/// like; finished by [`register`](Self::register) (no labels),
/// [`register_family`](Self::register_family) (label names given as strings) or
/// [`register_typed`](Self::register_typed) (a [`LabelSet`] type).
///
/// Give every metric a help text: an empty one writes no HELP line, which both formats allow
/// but `promtool check metrics` reports as a problem.
#[must_use = "nothing is registered until `register`, `register_family` or `register_typed`"]
pub struct MetricBuilder<'r, M: Metric> {
    registry: &'r Registry,
    name: String,
    help: String,
    unit: Option<String>,
    /// `None`: the registry's per-family default; `Some(None)`: no limit.
    max_series: Option<Option<usize>>,
    idle_expiry: Option<Duration>,
    options: Result<M::Options>,
}

impl<M: Metric> std::fmt::Debug for MetricBuilder<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricBuilder")
            .field("name", &self.name)
            .field("unit", &self.unit)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'r, M: Metric> MetricBuilder<'r, M> {
    /// Declares the unit (OpenMetrics `# UNIT`), such as `seconds` or `bytes`. The name must end
    /// in `_<unit>` (before `_total` for counters). Info and state set metrics take no unit.
    /// Default: none.
    pub fn with_unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_owned());
        self
    }

    /// The family's series limit (see [`crate::limits`]). Default: the registry's
    /// [per-family limit](RegistryBuilder::with_max_series_per_family).
    pub fn with_max_series(mut self, max: usize) -> Self {
        self.max_series = Some(Some(max));
        self
    }

    /// No series limit for this family (the registry's total limit still applies).
    pub fn without_series_limit(mut self) -> Self {
        self.max_series = Some(None);
        self
    }

    /// Removes series that were neither looked up through the family nor changed in value
    /// for `idle` (checked at each scrape and by [`Registry::expire_idle`]). A series kept
    /// as a handle and only ever set to the same value counts as idle. An expired series'
    /// kept handles are detached (their updates are no longer exposed), so in an expiring
    /// family look series up at each use rather than keeping handles. Default: never.
    ///
    /// ```
    /// use std::time::Duration;
    /// use vitals_core::Registry;
    /// let registry = Registry::new();
    /// let sessions = registry
    ///     .gauge("session_bytes", "Bytes held per session.")
    ///     .with_idle_expiry(Duration::ZERO)
    ///     .register_family(&["session"])?;
    /// sessions.with_labels(&["a1"]).set(10);
    /// assert_eq!(sessions.expire_idle(), 0); // used since the last sweep
    /// assert_eq!(sessions.expire_idle(), 1); // idle for a whole sweep period
    /// assert!(sessions.is_empty());
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn with_idle_expiry(mut self, idle: Duration) -> Self {
        self.idle_expiry = Some(idle);
        self
    }

    /// Registers a family without labels and returns its one series.
    pub fn register(self) -> Result<M> {
        let family: Family<M> = self.register_family(&[])?;
        family.try_with_labels(&[])
    }

    /// Registers a family with these label names, looked up by `&[&str]` values.
    pub fn register_family(self, label_names: &[&str]) -> Result<Family<M, DynamicLabels>> {
        self.finish(label_names, None, false)
    }

    /// Registers a family that other call sites may register again under the same name: the
    /// first registration creates it, later ones with the same type, label names, help, unit
    /// and options (buckets, quantiles) return a handle to the same family. Anything else
    /// fails with [`ErrorKind::DuplicateMetric`] saying what differs; so does a name taken by
    /// [`register_family`](Self::register_family), which promises a family of its own.
    ///
    /// This is how `#[instrument]` on many functions records into one `function_calls_total`.
    /// The series limit and idle expiry are the first registration's.
    ///
    /// ```
    /// use vitals_core::{ErrorKind, Registry};
    /// let registry = Registry::new();
    /// let a = registry.counter("jobs", "Jobs run.").register_shared(&["queue"])?;
    /// let b = registry.counter("jobs", "Jobs run.").register_shared(&["queue"])?;
    /// a.with_labels(&["mail"]).inc();
    /// b.with_labels(&["mail"]).inc();
    /// assert_eq!(a.with_labels(&["mail"]).get(), 2);
    ///
    /// let other = registry.counter("jobs", "Jobs run.").register_shared(&["kind"]);
    /// assert_eq!(other.unwrap_err().kind(), ErrorKind::DuplicateMetric);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn register_shared(self, label_names: &[&str]) -> Result<Family<M, DynamicLabels>> {
        self.finish(label_names, None, true)
    }

    /// Registers a family whose label names and values come from the [`LabelSet`] type `L`.
    ///
    /// An enumerable label set (every value an enum or `bool`, at most
    /// [`MAX_DENSE_SERIES`] combinations) gets array-indexed
    /// lookups.
    pub fn register_typed<L: LabelSet>(self) -> Result<Family<M, L>> {
        let dense = L::CARDINALITY.filter(|&n| n > 0 && n <= MAX_DENSE_SERIES);
        self.finish(L::label_names(), dense, false)
    }

    fn finish<L>(
        self,
        label_names: &[&str],
        dense: Option<usize>,
        shared: bool,
    ) -> Result<Family<M, L>> {
        let options = self.options?;
        // Validate the full name: a namespace may make a name valid (`http` + `2xx_responses`).
        let full = match &self.registry.inner.namespace {
            Some(ns) => format!("{ns}_{}", self.name),
            None => self.name.clone(),
        };
        validate_metric_name(&full)?;
        let name = strip_type_suffix(&full, M::TYPE)?.to_owned();
        if let Some(unit) = &self.unit {
            check_unit(&name, M::TYPE, unit)?;
        }
        let inner = &self.registry.inner;
        let taken: Vec<&str> = inner.const_label_names.iter().map(String::as_str).collect();
        validate_label_names(label_names, &taken)?;
        if M::TYPE == MetricType::StateSet {
            // The state label is named after the family: a user label of that name would clash.
            if label_names.contains(&name.as_str()) || taken.contains(&name.as_str()) {
                return Err(Error::new(
                    ErrorKind::ReservedLabelName,
                    format!(
                        "label name {name:?} is reserved in state set {name:?}: its states are \
                         written in a label named after the metric; rename the label"
                    ),
                ));
            }
            check_state_set_name(&name)?;
        }
        if shared {
            // Found under the read lock, the usual case of a second registration: nothing is
            // built, and concurrent scrapes are not held up by a write lock.
            let wanted = Wanted::<M> {
                name: &name,
                help: &self.help,
                unit: self.unit.as_deref(),
                label_names,
                options: &options,
            };
            if let Some(existing) = self.registry.read().shared.get(&name) {
                return existing_shared(existing, &wanted).map(Family::from_core);
            }
        }
        let desc = Descriptor {
            name: name.clone(),
            help: self.help,
            unit: self.unit,
            metric_type: M::TYPE,
        };
        let settings = FamilySettings {
            label_names: label_names.iter().map(|n| (*n).to_owned()).collect(),
            const_text: inner.const_text.clone(),
            max_series: self.max_series.unwrap_or(inner.max_series_per_family),
            idle_expiry: self.idle_expiry,
            dense,
            budget: Arc::clone(&inner.budget),
        };
        let core = Arc::new(FamilyCore::<M>::new(desc, settings, options));

        let mut state = self.registry.write();
        if shared {
            if let Some(existing) = state.shared.get(&name) {
                let wanted = Wanted::<M> {
                    name: &name,
                    help: core.desc.help(),
                    unit: core.desc.unit(),
                    label_names,
                    options: core.options(),
                };
                return existing_shared(existing, &wanted).map(Family::from_core);
            }
        }
        if let Some(owner) = state.claimed.get(&name) {
            if *owner == name && (shared || state.shared.contains_key(&name)) {
                // One side shares, the other wants a family of its own.
                let (this, other) = if shared {
                    ("register_shared", "a family of its own")
                } else {
                    ("a family of its own", "a shared family (register_shared)")
                };
                return Err(Error::new(
                    ErrorKind::DuplicateMetric,
                    format!(
                        "metric {name:?} is already registered as {other}, and this call asks \
                         for {this}; register it the same way everywhere, or choose another name"
                    ),
                ));
            }
            let kind = if *owner == name {
                ErrorKind::DuplicateMetric
            } else {
                ErrorKind::NameClash
            };
            return Err(clash_error(kind, &name, owner));
        }
        let claimed = claimed_names(&name, M::TYPE);
        if let Some((sample, owner)) = claimed
            .iter()
            .find_map(|n| state.claimed.get(n).map(|owner| (n, owner)))
        {
            return Err(Error::new(
                ErrorKind::NameClash,
                format!(
                    "metric {name:?} would write samples named {sample:?}, which metric {owner:?} \
                     already writes; rename one of them"
                ),
            ));
        }
        for sample in claimed {
            state.claimed.insert(sample, name.clone());
        }
        state
            .entries
            .push(Entry::Family(Arc::clone(&core) as Arc<dyn Collect>));
        if shared {
            let desc = &core.desc;
            let entry = SharedFamily {
                core: Arc::clone(&core) as Arc<dyn std::any::Any + Send + Sync>,
                label_names: label_names.iter().map(|n| (*n).to_owned()).collect(),
                help: desc.help().to_owned(),
                unit: desc.unit().map(str::to_owned),
                options: Box::new(core.options().clone()),
            };
            state.shared.insert(name, entry);
        }
        Ok(Family::from_core(core))
    }
}

/// The family `existing` holds, if `wanted` (a registration not yet made) describes the same
/// family; otherwise an error saying what differs.
fn existing_shared<M: Metric>(
    existing: &SharedFamily,
    wanted: &Wanted<'_, M>,
) -> Result<Arc<FamilyCore<M>>> {
    let name = wanted.name;
    let differs = |what: String| {
        Err(Error::new(
            ErrorKind::DuplicateMetric,
            format!(
                "metric {name:?} is already registered as a shared family with {what}; register \
                 it the same way everywhere, or choose another name"
            ),
        ))
    };
    let Ok(core) = Arc::clone(&existing.core).downcast::<FamilyCore<M>>() else {
        return differs("another instrument type".to_owned());
    };
    if existing.label_names != wanted.label_names {
        return differs(format!(
            "the labels [{}] (this call gave [{}])",
            existing.label_names.join(", "),
            wanted.label_names.join(", ")
        ));
    }
    if existing.help != wanted.help {
        return differs(format!("the help text {:?}", existing.help));
    }
    if existing.unit.as_deref() != wanted.unit {
        return differs(format!("the unit {:?}", existing.unit));
    }
    if existing.options.downcast_ref::<M::Options>() != Some(wanted.options) {
        return differs(format!("other options ({:?})", core.options()));
    }
    Ok(core)
}

/// What a shared registration asks for, compared with the family already there.
struct Wanted<'a, M: Metric> {
    name: &'a str,
    help: &'a str,
    unit: Option<&'a str>,
    label_names: &'a [&'a str],
    options: &'a M::Options,
}

fn clash_error(kind: ErrorKind, name: &str, owner: &str) -> Error {
    if kind == ErrorKind::DuplicateMetric {
        Error::new(
            kind,
            format!(
                "metric {name:?} is already registered; register it once and share the handle \
                 (handles are cheap to clone), or choose another name"
            ),
        )
    } else {
        Error::new(
            kind,
            format!(
                "metric name {name:?} is a sample name of metric {owner:?} (for example its \
                 _total, _bucket or _created samples); rename one of them"
            ),
        )
    }
}

impl MetricBuilder<'_, Histogram> {
    /// The bucket upper bounds: finite and strictly increasing (a trailing `+Inf` is accepted).
    /// Default: [`DEFAULT_BUCKETS`](crate::DEFAULT_BUCKETS). Invalid bounds make the
    /// registration fail with [`ErrorKind::InvalidBuckets`].
    pub fn with_buckets(mut self, bounds: &[f64]) -> Self {
        self.options = HistogramOptions::new(bounds);
        self
    }

    /// Bucket bounds already checked by [`HistogramOptions::new`].
    pub fn with_bucket_options(mut self, options: HistogramOptions) -> Self {
        self.options = Ok(options);
        self
    }
}

impl MetricBuilder<'_, Summary> {
    /// The quantiles and window. Default: [`SummaryOptions::default`].
    pub fn with_summary_options(mut self, options: SummaryOptions) -> Self {
        self.options = Ok(options);
        self
    }
}

impl MetricBuilder<'_, Info> {
    /// Registers an info family with one series carrying these labels, the common case.
    pub fn register_with(self, labels: &[(&str, &str)]) -> Result<Info> {
        let names: Vec<&str> = labels.iter().map(|(n, _)| *n).collect();
        let values: Vec<&str> = labels.iter().map(|(_, v)| *v).collect();
        let family = self.register_family(&names)?;
        family.try_with_labels(&values)
    }
}
