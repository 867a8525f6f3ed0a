//! Helpers for testing code that records metrics: read a series' current value, assert on it
//! with a failure message that explains itself, and make a fresh registry the thread's
//! [`current_registry`](crate::current_registry) for the length of a test.
//!
//! Values are read the way a scraper reads them: the registry is encoded in Prometheus text
//! 0.0.4 and parsed back with vitals' own parser, so a helper sees exactly what is exposed
//! (collectors included) and every read exercises the real exposition. Sample names are the
//! names of 0.0.4 sample lines: `http_requests_total` for a counter, `…_bucket` (with `le`),
//! `…_sum` and `…_count` for a histogram, the family's own name (with `quantile`), `…_sum` and
//! `…_count` for a summary, `…_info` for an info, and the family's own name (with the family
//! name as label) for a state set. `_created` samples are not part of 0.0.4 and cannot be read.
//!
//! Labels are matched exactly and in any order: a series matches when it has exactly the given
//! labels, no more and no fewer. The registry's constant labels
//! ([`RegistryBuilder::with_const_label`](crate::RegistryBuilder::with_const_label)) are
//! labels of every series and must be given too. `le` and `quantile` values are compared as
//! numbers, so `("le", "1")` and `("le", "1.0")` name the same bucket.
//!
//! Each call encodes and parses the whole registry: cheap in a test, not meant for production.
//!
//! ```
//! use vitals::testing::{assert_sample, sample, LocalRegistry};
//! use vitals::{assert_sample, current_registry};
//!
//! let registry = LocalRegistry::new(); // current on this thread until dropped
//!
//! // Code under test records into whatever registry is current.
//! let requests = current_registry()
//!     .counter("http_requests", "HTTP requests served.")
//!     .register_family(&["method", "status"])?;
//! requests.with_labels(&["GET", "200"]).inc_by(3);
//!
//! assert_eq!(sample(&registry, "http_requests_total", &[("method", "GET"), ("status", "200")]), Some(3.0));
//! assert_sample(&registry, "http_requests_total", &[("status", "200"), ("method", "GET")], 3.0);
//! assert_sample!(registry, "http_requests_total", {"method" = "GET", "status" = "200"}, 3.0);
//! # Ok::<(), vitals::Error>(())
//! ```

use std::fmt::Write as _;
use std::ops::Deref;

use vitals_core::{
    Descriptor, LabelText, MetricType, Number, Registry, RegistryScope, SeriesValue, Visitor,
};
use vitals_expfmt::number::{write_go_float, write_i64, write_u64};
use vitals_expfmt::parse::{parse, Family, FamilyType, Sample, Syntax};
use vitals_expfmt::{encode_to_string, Format};

/// The current value of the sample named `name` with exactly the labels `labels`, or `None`
/// when there is no such series.
///
/// `name` is a sample name as written in Prometheus text 0.0.4 (`http_requests_total`, not
/// `http_requests`; see the [module docs](self) for each type's names). Labels match in any
/// order; the registry's constant labels must be included; `le` and `quantile` compare as
/// numbers. Integer values larger than 2^53 are rounded to the nearest `f64`.
///
/// ```
/// use vitals::testing::sample;
/// use vitals::Registry;
///
/// let registry = Registry::builder().with_const_label("region", "eu").build()?;
/// let latency = registry
///     .histogram("latency_seconds", "Latency.")
///     .with_buckets(&[0.1, 1.0])
///     .register()?;
/// latency.observe(0.5);
/// latency.observe(2.0);
///
/// let region = ("region", "eu");
/// assert_eq!(sample(&registry, "latency_seconds_count", &[region]), Some(2.0));
/// assert_eq!(sample(&registry, "latency_seconds_sum", &[region]), Some(2.5));
/// assert_eq!(sample(&registry, "latency_seconds_bucket", &[("le", "1"), region]), Some(1.0));
/// assert_eq!(sample(&registry, "latency_seconds_bucket", &[region, ("le", "+Inf")]), Some(2.0));
/// // Constant labels are labels of every series:
/// assert_eq!(sample(&registry, "latency_seconds_count", &[]), None);
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Panics
///
/// If vitals cannot parse its own exposition, which would be a bug in vitals.
pub fn sample(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let exposition = Exposition::of(registry);
    let families = exposition.families();
    find_sample(&families, name, labels).map(|s| s.value.as_f64())
}

/// Every series of a sample name: each one's labels (in exposition order, constant labels
/// first) and current value, in exposition order. Empty when there is none.
///
/// `name` is a sample name as for [`sample`], or the family name of a counter or info, which
/// stands for its `_total` or `_info` samples. A histogram's family name lists nothing: ask for
/// its `_bucket`, `_sum` or `_count` samples, or use [`histogram`].
///
/// ```
/// use vitals::testing::samples;
/// use vitals::Registry;
///
/// let registry = Registry::new();
/// let jobs = registry.counter("jobs", "Jobs run.").register_family(&["queue"])?;
/// jobs.with_labels(&["mail"]).inc_by(2);
/// jobs.with_labels(&["sms"]).inc();
///
/// let expected = vec![
///     (vec![("queue".to_string(), "mail".to_string())], 2.0),
///     (vec![("queue".to_string(), "sms".to_string())], 1.0),
/// ];
/// assert_eq!(samples(&registry, "jobs_total"), expected);
/// assert_eq!(samples(&registry, "jobs"), expected);
/// assert!(samples(&registry, "nothing_total").is_empty());
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Panics
///
/// If vitals cannot parse its own exposition, which would be a bug in vitals.
pub fn samples(registry: &Registry, name: &str) -> Vec<(Vec<(String, String)>, f64)> {
    let exposition = Exposition::of(registry);
    let families = exposition.families();
    let sample_name = if find_family(&families, name).is_some() {
        name.to_owned()
    } else {
        match exposition.metric_type(name) {
            Some(MetricType::Counter) => format!("{name}_total"),
            Some(MetricType::Info) => format!("{name}_info"),
            _ => name.to_owned(),
        }
    };
    families
        .iter()
        .flat_map(|family| &family.samples)
        .filter(|s| s.name == sample_name)
        .map(|s| {
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone().into_owned()))
                .collect();
            (labels, s.value.as_f64())
        })
        .collect()
}

/// One histogram series, as read by [`histogram`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HistogramSnapshot {
    /// The number of observations (`_count`).
    pub count: u64,
    /// The sum of observations (`_sum`).
    pub sum: f64,
    /// Each bucket's upper bound and cumulative count, in increasing order of bound, ending
    /// with the `+Inf` bucket (whose count equals [`count`](Self::count)).
    pub buckets: Vec<(f64, u64)>,
}

impl HistogramSnapshot {
    /// The cumulative count of the bucket whose upper bound is `le`, if there is one.
    ///
    /// ```
    /// use vitals::testing::histogram;
    /// use vitals::Registry;
    ///
    /// let registry = Registry::new();
    /// let sizes = registry.histogram("sizes", "Sizes.").with_buckets(&[1.0, 10.0]).register()?;
    /// sizes.observe(5.0);
    /// let snapshot = histogram(&registry, "sizes", &[]).unwrap();
    /// assert_eq!(snapshot.bucket(1.0), Some(0));
    /// assert_eq!(snapshot.bucket(10.0), Some(1));
    /// assert_eq!(snapshot.bucket(f64::INFINITY), Some(1));
    /// assert_eq!(snapshot.bucket(2.0), None);
    /// # Ok::<(), vitals::Error>(())
    /// ```
    pub fn bucket(&self, le: f64) -> Option<u64> {
        self.buckets
            .iter()
            .find(|(bound, _)| *bound == le)
            .map(|&(_, count)| count)
    }
}

/// The histogram series of the family `name` (the family name, without `_bucket`) whose labels
/// are exactly `labels` (without `le`; constant labels included), or `None` when there is no
/// such histogram series.
///
/// ```
/// use vitals::testing::histogram;
/// use vitals::Registry;
///
/// let registry = Registry::new();
/// let latency = registry
///     .histogram("latency_seconds", "Latency.")
///     .with_buckets(&[0.1, 1.0])
///     .register_family(&["route"])?;
/// latency.with_labels(&["/"]).observe(0.05);
/// latency.with_labels(&["/"]).observe(0.5);
///
/// let snapshot = histogram(&registry, "latency_seconds", &[("route", "/")]).unwrap();
/// assert_eq!(snapshot.count, 2);
/// assert_eq!(snapshot.sum, 0.55);
/// assert_eq!(snapshot.buckets, [(0.1, 1), (1.0, 2), (f64::INFINITY, 2)]);
/// assert_eq!(histogram(&registry, "latency_seconds", &[("route", "/admin")]), None);
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Panics
///
/// If vitals cannot parse its own exposition, which would be a bug in vitals.
pub fn histogram(
    registry: &Registry,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<HistogramSnapshot> {
    let exposition = Exposition::of(registry);
    let families = exposition.families();
    let family = families
        .iter()
        .find(|f| f.name == name && f.family_type == FamilyType::Histogram)?;
    let named = |suffix: &str| {
        let sample_name = format!("{name}{suffix}");
        family.samples.iter().filter(move |s| s.name == sample_name)
    };
    let count = named("_count").find(|s| labels_match(s, labels))?;
    let sum = named("_sum").find(|s| labels_match(s, labels))?;
    let mut buckets = Vec::new();
    for bucket in named("_bucket") {
        let Some(le) = bucket.label("le").and_then(parse_float) else {
            continue;
        };
        let rest: Vec<(&str, &str)> = bucket
            .labels
            .iter()
            .filter(|(k, _)| *k != "le")
            .map(|(k, v)| (*k, &**v))
            .collect();
        if same_labels(&rest, labels) {
            buckets.push((le, as_count(bucket.value)));
        }
    }
    Some(HistogramSnapshot {
        count: as_count(count.value),
        sum: sum.value.as_f64(),
        buckets,
    })
}

/// Asserts that the sample `name` with exactly the labels `labels` exists and has the value
/// `expected`. Names and labels are read as by [`sample`].
///
/// Values compare exactly (`==`), except that NaN equals NaN: an assertion on a computed float
/// should expect the value the code computes, not one close to it.
///
/// On failure it panics, at the caller's line, with a message that gives the expected value,
/// the value found (or "no such series"), the series of the same name with other labels and
/// how their labels differ, and the whole family as exposed in Prometheus text 0.0.4. When no
/// sample has that name, it says which family does (a counter's samples end in `_total`) or
/// which names are similar.
///
/// ```
/// use vitals::testing::assert_sample;
/// use vitals::Registry;
///
/// let registry = Registry::new();
/// let temperature = registry.float_gauge("temperature_celsius", "Temperature.").register()?;
/// temperature.set(21.5);
/// assert_sample(&registry, "temperature_celsius", &[], 21.5);
///
/// let failure = std::panic::catch_unwind(|| {
///     assert_sample(&registry, "temperature_celsius", &[], 20.0);
/// });
/// let message = *failure.unwrap_err().downcast::<String>().unwrap();
/// assert!(message.contains("expected: 20\n"));
/// assert!(message.contains("found: 21.5\n"));
/// assert!(message.contains("  temperature_celsius 21.5\n"));
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Panics
///
/// When the series is missing or its value differs, as above.
#[track_caller]
pub fn assert_sample(registry: &Registry, name: &str, labels: &[(&str, &str)], expected: f64) {
    let exposition = Exposition::of(registry);
    let families = exposition.families();
    let found = find_sample(&families, name, labels);
    if found.is_some_and(|s| same_value(s.value.as_f64(), expected)) {
        return;
    }
    let mut message = format!("assert_sample failed for {}\n", series_text(name, labels));
    message.push_str("  expected: ");
    push_float(&mut message, expected);
    message.push_str("\n     found: ");
    match found {
        Some(s) => push_number(&mut message, s.value),
        None => message.push_str("no such series"),
    }
    message.push('\n');
    explain(&mut message, &exposition, &families, name, labels);
    panic!("{message}");
}

/// Asserts that there is no sample `name` with exactly the labels `labels`. Names and labels
/// are read as by [`sample`].
///
/// On failure it panics, at the caller's line, with the value found and the whole family as
/// exposed in Prometheus text 0.0.4.
///
/// ```
/// use vitals::testing::assert_no_series;
/// use vitals::Registry;
///
/// let registry = Registry::new();
/// let errors = registry.counter("errors", "Errors.").register_family(&["kind"])?;
/// errors.with_labels(&["timeout"]).inc();
///
/// assert_no_series(&registry, "errors_total", &[("kind", "refused")]);
/// assert!(std::panic::catch_unwind(|| {
///     assert_no_series(&registry, "errors_total", &[("kind", "timeout")]);
/// })
/// .is_err());
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Panics
///
/// When the series exists, as above.
#[track_caller]
pub fn assert_no_series(registry: &Registry, name: &str, labels: &[(&str, &str)]) {
    let exposition = Exposition::of(registry);
    let families = exposition.families();
    let Some(found) = find_sample(&families, name, labels) else {
        return;
    };
    let mut message = format!(
        "assert_no_series failed: {} exists\n  expected: no such series\n     found: ",
        series_text(name, labels)
    );
    push_number(&mut message, found.value);
    message.push('\n');
    explain(&mut message, &exposition, &families, name, labels);
    panic!("{message}");
}

/// Asserts that a sample has a value: [`testing::assert_sample`](crate::testing::assert_sample)
/// with the labels written as `{"name" = value, …}`.
///
/// The registry may be a [`Registry`], a `&Registry` or a
/// [`LocalRegistry`](crate::testing::LocalRegistry); label values are `&str` expressions;
/// the expected value is an `f64`, compared exactly (NaN equals NaN). On failure the panic
/// message gives the expected and found values, the series of the same name with other
/// labels, and the family's exposition.
///
/// ```
/// use vitals::Registry;
///
/// let registry = Registry::new();
/// let requests = registry
///     .counter("http_requests", "HTTP requests served.")
///     .register_family(&["method", "status"])?;
/// requests.with_labels(&["GET", "200"]).inc_by(3);
/// let depth = registry.gauge("queue_depth", "Jobs waiting.").register()?;
/// depth.set(-2);
///
/// let status = String::from("200");
/// vitals::assert_sample!(registry, "http_requests_total", {"method" = "GET", "status" = &status}, 3.0);
/// vitals::assert_sample!(&registry, "queue_depth", {}, -2.0);
/// # Ok::<(), vitals::Error>(())
/// ```
#[macro_export]
macro_rules! assert_sample {
    ($registry:expr, $name:expr, { $($label:literal = $value:expr),* $(,)? }, $expected:expr $(,)?) => {
        $crate::testing::assert_sample(&$registry, $name, &[$(($label, $value)),*], $expected)
    };
}

/// A fresh, empty [`Registry`] that is this thread's
/// [`current_registry`](crate::current_registry) until dropped (through [`Registry::enter`]),
/// so that a test sees only the series it recorded itself, even while other tests of the same
/// process run in parallel threads.
///
/// It is for code that records into `current_registry()` rather than into a registry it is
/// handed: the dynamic manager, `#[instrument]`, libraries that use the default registry. Code
/// that takes a `&Registry` can be given a plain `Registry::new()` instead. It dereferences to
/// the [`Registry`], so it can be passed to every helper of this module.
///
/// Scopes are per thread: a thread the test spawns does not see the local registry and records
/// into the default registry (or into its own `LocalRegistry`). Local registries nest; drop
/// them in the reverse order of their creation (as variables in one block are), since each
/// drop makes current again the registry that was current before the latest entry.
///
/// ```
/// use vitals::testing::{sample, LocalRegistry};
/// use vitals::current_registry;
///
/// fn handle_job() {
///     // Code under test: records into whatever registry is current.
///     current_registry().counter("jobs", "Jobs run.").register().unwrap().inc();
/// }
///
/// let registry = LocalRegistry::new();
/// handle_job();
/// assert_eq!(sample(&registry, "jobs_total", &[]), Some(1.0));
/// drop(registry);
/// // The default registry is current again; it never saw the counter.
/// assert!(!vitals::default_registry().family_names().contains(&"jobs".to_string()));
/// ```
///
/// In an async test: `#[tokio::test]` runs on a current-thread runtime by default, so the test
/// body and the tasks it `tokio::spawn`s all run on the test's thread and see the local
/// registry. Not so with `#[tokio::test(flavor = "multi_thread")]`, whose tasks run on worker
/// threads, nor for `spawn_blocking` closures, which run on the blocking pool: pass the registry
/// to such code explicitly. A `LocalRegistry` is not `Send`, so it can live across `.await`s of
/// the test body but cannot move into a spawned task. `#[tokio::test]` expands to the
/// `#[tokio::main(flavor = "current_thread")]` below:
///
/// ```
/// use vitals::testing::{assert_sample, LocalRegistry};
/// use vitals::current_registry;
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() {
///     let registry = LocalRegistry::new();
///     tokio::spawn(async {
///         current_registry().counter("spawned", "Tasks.").register().unwrap().inc();
///     })
///     .await
///     .unwrap();
///     assert_sample(&registry, "spawned_total", &[], 1.0);
/// }
/// ```
#[must_use = "the registry stops being current when the LocalRegistry is dropped"]
#[derive(Debug)]
pub struct LocalRegistry {
    registry: Registry,
    _scope: RegistryScope,
}

impl LocalRegistry {
    /// A new empty registry, made current on this thread until the `LocalRegistry` is dropped.
    ///
    /// ```
    /// let registry = vitals::testing::LocalRegistry::new();
    /// assert!(registry.family_names().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::enter(Registry::new())
    }

    /// Makes `registry` current on this thread until the `LocalRegistry` is dropped: for a
    /// registry built with a namespace or constant labels.
    ///
    /// ```
    /// use vitals::testing::{sample, LocalRegistry};
    /// use vitals::{current_registry, Registry};
    ///
    /// let registry = LocalRegistry::enter(Registry::builder().with_const_label("env", "test").build()?);
    /// current_registry().gauge("ready", "Ready.").register()?.set(1);
    /// assert_eq!(sample(&registry, "ready", &[("env", "test")]), Some(1.0));
    /// # Ok::<(), vitals::Error>(())
    /// ```
    pub fn enter(registry: Registry) -> Self {
        let scope = registry.enter();
        Self {
            registry,
            _scope: scope,
        }
    }
}

impl Default for LocalRegistry {
    /// Same as [`LocalRegistry::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Deref for LocalRegistry {
    type Target = Registry;

    fn deref(&self) -> &Registry {
        &self.registry
    }
}

impl AsRef<Registry> for LocalRegistry {
    fn as_ref(&self) -> &Registry {
        &self.registry
    }
}

/// A registry's 0.0.4 exposition and the types of its families, taken once per helper call.
struct Exposition {
    text: String,
    /// Each family's name (as registered: counters without `_total`) and type.
    types: Vec<(String, MetricType)>,
}

impl Exposition {
    fn of(registry: &Registry) -> Self {
        struct Types(Vec<(String, MetricType)>);
        impl Visitor for Types {
            fn family(&mut self, desc: &Descriptor) {
                self.0.push((desc.name().to_owned(), desc.metric_type()));
            }
            fn series(&mut self, _: &LabelText<'_>, _: &SeriesValue<'_>) {}
        }
        let mut types = Types(Vec::new());
        registry.visit(&mut types);
        Self {
            text: encode_to_string(registry, Format::PrometheusText),
            types: types.0,
        }
    }

    fn families(&self) -> Vec<Family<'_>> {
        parse(&self.text, Syntax::PrometheusText).unwrap_or_else(|err| {
            panic!(
                "vitals could not parse its own Prometheus text exposition (a bug in vitals): \
                 {err}\n{}",
                self.text
            )
        })
    }

    fn metric_type(&self, family: &str) -> Option<MetricType> {
        self.types
            .iter()
            .find(|(name, _)| name == family)
            .map(|&(_, t)| t)
    }

    /// The lines of `families[index]` as exposed: from its first line to the next family's.
    fn family_lines<'t>(&'t self, families: &[Family<'_>], index: usize) -> Vec<&'t str> {
        let lines: Vec<&str> = self.text.lines().collect();
        let start = families[index].line.saturating_sub(1);
        let end = families
            .get(index + 1)
            .map_or(lines.len(), |next| next.line.saturating_sub(1));
        lines.get(start..end).unwrap_or_default().to_vec()
    }
}

/// Whether `family` (parsed from 0.0.4) writes samples named `sample`, whether or not it has
/// any series now.
fn owns(family: &Family<'_>, sample: &str) -> bool {
    let Some(suffix) = sample.strip_prefix(family.name) else {
        return false;
    };
    match family.family_type {
        FamilyType::Counter => suffix == "_total",
        FamilyType::Histogram => matches!(suffix, "_bucket" | "_sum" | "_count"),
        FamilyType::Summary => matches!(suffix, "" | "_sum" | "_count"),
        _ => suffix.is_empty(),
    }
}

fn find_family(families: &[Family<'_>], sample: &str) -> Option<usize> {
    families.iter().position(|f| owns(f, sample))
}

fn find_sample<'f, 'a>(
    families: &'f [Family<'a>],
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'f Sample<'a>> {
    let family = &families[find_family(families, name)?];
    family
        .samples
        .iter()
        .find(|s| s.name == name && labels_match(s, labels))
}

fn labels_match(sample: &Sample<'_>, labels: &[(&str, &str)]) -> bool {
    let have: Vec<(&str, &str)> = sample.labels.iter().map(|(k, v)| (*k, &**v)).collect();
    same_labels(&have, labels)
}

/// Whether two label lists are the same set (the exposition never repeats a label name).
fn same_labels(have: &[(&str, &str)], want: &[(&str, &str)]) -> bool {
    let contains = |list: &[(&str, &str)], (k, v): (&str, &str)| {
        list.iter()
            .any(|&(lk, lv)| lk == k && label_value_eq(k, lv, v))
    };
    have.len() == want.len()
        && want.iter().all(|&l| contains(have, l))
        && have.iter().all(|&l| contains(want, l))
}

/// `le` and `quantile` hold numbers, which 0.0.4 and OpenMetrics spell differently (`1` and
/// `1.0`); every other label value compares as text.
fn label_value_eq(name: &str, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if matches!(name, "le" | "quantile") {
        if let (Some(a), Some(b)) = (parse_float(a), parse_float(b)) {
            return same_value(a, b);
        }
    }
    false
}

fn parse_float(text: &str) -> Option<f64> {
    text.trim().parse().ok()
}

fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// A count as exposed: always an unsigned integer from vitals' encoder.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // saturating, never hit
fn as_count(value: Number) -> u64 {
    match value {
        Number::U64(v) => v,
        other => other.as_f64() as u64,
    }
}

fn push_float(out: &mut String, value: f64) {
    let mut buf = Vec::new();
    write_go_float(&mut buf, value);
    out.push_str(&String::from_utf8_lossy(&buf));
}

fn push_number(out: &mut String, value: Number) {
    let mut buf = Vec::new();
    match value {
        Number::U64(v) => write_u64(&mut buf, v),
        Number::I64(v) => write_i64(&mut buf, v),
        Number::F64(v) => write_go_float(&mut buf, v),
    }
    out.push_str(&String::from_utf8_lossy(&buf));
}

/// `name{k="v",…}` with values escaped as in 0.0.4; `name` alone without labels.
fn series_text(name: &str, labels: &[(&str, &str)]) -> String {
    let mut out = name.to_owned();
    if labels.is_empty() {
        return out;
    }
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        push_escaped(&mut out, v);
        out.push('"');
    }
    out.push('}');
    out
}

fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// How a series' labels differ from the wanted ones, e.g. `status="500", not "200"`.
fn label_differences(have: &Sample<'_>, want: &[(&str, &str)]) -> Vec<String> {
    let mut diffs = Vec::new();
    for &(k, v) in want {
        match have.label(k) {
            None => diffs.push(format!("no label {k}")),
            Some(found) if !label_value_eq(k, found, v) => {
                let mut d = format!("{k}=\"");
                push_escaped(&mut d, found);
                d.push_str("\", not \"");
                push_escaped(&mut d, v);
                d.push('"');
                diffs.push(d);
            }
            Some(_) => {}
        }
    }
    for (k, v) in &have.labels {
        if !want.iter().any(|&(wk, _)| wk == *k) {
            let mut d = format!("extra label {k}=\"");
            push_escaped(&mut d, v);
            d.push('"');
            diffs.push(d);
        }
    }
    diffs
}

/// At most this many close matches or similar names are listed.
const LIST_LIMIT: usize = 10;

/// Appends what a failed assertion's reader needs: the other series of the name, or the
/// family meant, or similar names; then the family's exposition.
fn explain(
    out: &mut String,
    exposition: &Exposition,
    families: &[Family<'_>],
    name: &str,
    labels: &[(&str, &str)],
) {
    let mut family_index = find_family(families, name);
    if let Some(index) = family_index {
        let mut others: Vec<(usize, &Sample<'_>)> = families[index]
            .samples
            .iter()
            .filter(|s| s.name == name && !labels_match(s, labels))
            .map(|s| (label_differences(s, labels).len(), s))
            .collect();
        if others.is_empty() {
            let _ = writeln!(out, "no other series is named {name}");
        } else {
            others.sort_by_key(|&(distance, _)| distance);
            let _ = writeln!(out, "series named {name} with other labels:");
            for (_, s) in others.iter().take(LIST_LIMIT) {
                let line = exposition
                    .text
                    .lines()
                    .nth(s.line.saturating_sub(1))
                    .unwrap_or(s.name);
                let _ = writeln!(
                    out,
                    "  {line}    ({})",
                    label_differences(s, labels).join("; ")
                );
            }
            if others.len() > LIST_LIMIT {
                let _ = writeln!(out, "  … and {} more", others.len() - LIST_LIMIT);
            }
        }
    } else if let Some(index) = families.iter().position(|f| f.name == name).or_else(|| {
        // An info family `foo` is exposed in 0.0.4 as the gauge `foo_info`.
        (exposition.metric_type(name) == Some(MetricType::Info))
            .then(|| {
                families
                    .iter()
                    .position(|f| f.name == format!("{name}_info"))
            })
            .flatten()
    }) {
        let family = &families[index];
        let mut sample_names: Vec<&str> = Vec::new();
        for s in &family.samples {
            if !sample_names.contains(&s.name) {
                sample_names.push(s.name);
            }
        }
        let kind = exposition
            .metric_type(name)
            .map_or(family.family_type.as_str(), MetricType::openmetrics_name);
        let _ = write!(
            out,
            "no sample is named {name}: {name} is the name of {} {kind} family",
            if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            }
        );
        if sample_names.is_empty() {
            let _ = writeln!(out, ", which has no series");
        } else {
            let _ = writeln!(out, "; its samples are named {}", sample_names.join(", "));
        }
        family_index = Some(index);
    } else {
        let _ = write!(out, "no sample is named {name}");
        let similar = similar_names(families, name);
        if !similar.is_empty() {
            let _ = write!(out, "; similar names: {}", similar.join(", "));
        }
        out.push('\n');
        let names: Vec<&str> = exposition.types.iter().map(|(n, _)| n.as_str()).collect();
        if names.is_empty() {
            out.push_str("the registry has no families\n");
        } else {
            let _ = write!(out, "the registry's families: ");
            out.push_str(&names[..names.len().min(3 * LIST_LIMIT)].join(", "));
            if names.len() > 3 * LIST_LIMIT {
                let _ = write!(out, " … and {} more", names.len() - 3 * LIST_LIMIT);
            }
            out.push('\n');
        }
    }
    if let Some(index) = family_index {
        let _ = writeln!(
            out,
            "family {} as exposed in Prometheus text 0.0.4:",
            families[index].name
        );
        for line in exposition.family_lines(families, index) {
            let _ = writeln!(out, "  {line}");
        }
    }
}

/// Sample names (and family names) within a small edit distance of `name`, closest first.
fn similar_names(families: &[Family<'_>], name: &str) -> Vec<String> {
    let mut candidates: Vec<&str> = Vec::new();
    for family in families {
        for candidate in std::iter::once(family.name).chain(family.samples.iter().map(|s| s.name)) {
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
    }
    let limit = (name.chars().count() / 4).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(c, name), c))
        .filter(|&(d, _)| d <= limit)
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(LIST_LIMIT)
        .map(|(_, c)| c.to_owned())
        .collect()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}
