//! What a registry exposes at scrape time: family descriptors, series values and their
//! [`LabelText`], the [`Visitor`] that encoders implement, and the [`Collector`] trait for
//! values computed at scrape time.
//!
//! Everything here borrows from the live instruments: walking a registry allocates nothing per
//! series (summaries excepted, which merge their sketches into one per scrape).

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use vitals_index::Key;

use crate::exemplar::{Exemplar, Slot};
use crate::limits::OVERFLOW_LABEL_VALUE;

/// The type of a metric family, as OpenMetrics names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetricType {
    /// A monotonic total; samples are named `<family>_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted in cumulative buckets, with `_sum` and `_count`.
    Histogram,
    /// Quantiles over a sliding window, with `_sum` and `_count`.
    Summary,
    /// Constant labels describing the target; samples are named `<family>_info` with value 1.
    Info,
    /// A set of named boolean states, one sample per state.
    StateSet,
    /// A value of no declared type (`untyped` in the 0.0.4 text format).
    Unknown,
}

impl MetricType {
    /// The name of the type in OpenMetrics `# TYPE` lines.
    pub fn openmetrics_name(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Summary => "summary",
            Self::Info => "info",
            Self::StateSet => "stateset",
            Self::Unknown => "unknown",
        }
    }

    /// The name of the type in Prometheus text 0.0.4 `# TYPE` lines. That format has no info or
    /// state set type; both are exposed as gauges.
    pub fn prometheus_name(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge | Self::Info | Self::StateSet => "gauge",
            Self::Histogram => "histogram",
            Self::Summary => "summary",
            Self::Unknown => "untyped",
        }
    }

    /// The sample names a family of this type produces besides its own name, as suffixes.
    /// Registration uses them to reject clashes such as a gauge `foo_total` beside a counter `foo`.
    pub fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Counter => &["_total", "_created"],
            Self::Histogram => &["_bucket", "_count", "_sum", "_created"],
            Self::Summary => &["_count", "_sum", "_created"],
            Self::Info => &["_info"],
            Self::Gauge | Self::StateSet | Self::Unknown => &[],
        }
    }

    /// Whether OpenMetrics allows a `# UNIT` on this type (info and state set may not have one).
    pub fn allows_unit(self) -> bool {
        !matches!(self, Self::Info | Self::StateSet)
    }
}

/// The metadata of a metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) unit: Option<String>,
    pub(crate) metric_type: MetricType,
}

impl Descriptor {
    /// The family name, namespace included. Counters are named without `_total` and info
    /// metrics without `_info`: the encoders add those suffixes to the samples.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The HELP text, unescaped. Empty means no HELP line.
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The unit, if one was declared; the name always ends in `_<unit>`.
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The family's type.
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }
}

/// A sample value: an integer stays an integer so that it is written exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An unsigned integer (integer counters).
    U64(u64),
    /// A signed integer (integer gauges).
    I64(i64),
    /// A float.
    F64(f64),
}

impl Number {
    /// The value as `f64` (large integers round).
    #[allow(clippy::cast_precision_loss)] // documented: exposition values are floats anyway
    pub fn as_f64(self) -> f64 {
        match self {
            Self::U64(v) => v as f64,
            Self::I64(v) => v as f64,
            Self::F64(v) => v,
        }
    }
}

/// Non-cumulative bucket counts, read live from a histogram or given by a collector. Read-only:
/// a visitor can read the counts but never change them.
#[derive(Debug, Clone, Copy)]
pub struct Counts<'a>(CountsRepr<'a>);

#[derive(Debug, Clone, Copy)]
enum CountsRepr<'a> {
    Atomic(&'a [AtomicU64]),
    Plain(&'a [u64]),
}

impl<'a> Counts<'a> {
    pub(crate) fn atomic(counts: &'a [AtomicU64]) -> Self {
        Self(CountsRepr::Atomic(counts))
    }

    pub(crate) fn plain(counts: &'a [u64]) -> Self {
        Self(CountsRepr::Plain(counts))
    }

    /// The number of buckets, `+Inf` included.
    pub fn len(&self) -> usize {
        match self.0 {
            CountsRepr::Atomic(c) => c.len(),
            CountsRepr::Plain(c) => c.len(),
        }
    }

    /// Whether there are no buckets (never true for a valid histogram).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The count of bucket `i` alone (not cumulative); 0 past the end.
    pub fn get(&self, i: usize) -> u64 {
        match self.0 {
            CountsRepr::Atomic(c) => c.get(i).map_or(0, |a| a.load(Ordering::Relaxed)),
            CountsRepr::Plain(c) => c.get(i).copied().unwrap_or(0),
        }
    }
}

/// The latest exemplar of each bucket of a histogram, read live. Read-only.
///
/// ```
/// use vitals_core::collect::LabelText;
/// use vitals_core::{Histogram, Metric, SeriesValue, Visitor};
///
/// let latency = Histogram::with_buckets(&[0.1, 1.0])?;
/// latency.observe_with_exemplar(0.5, &[("trace_id", "abc")]);
///
/// struct Buckets(Vec<Option<f64>>);
/// impl Visitor for Buckets {
///     fn family(&mut self, _: &vitals_core::Descriptor) {}
///     fn series(&mut self, _: &LabelText<'_>, value: &SeriesValue<'_>) {
///         if let SeriesValue::Histogram(h) = value {
///             self.0 = (0..h.counts.len()).map(|i| h.exemplars.get(i).map(|e| e.value())).collect();
///         }
///     }
/// }
/// let mut buckets = Buckets(Vec::new());
/// latency.visit(&LabelText::default(), &mut buckets);
/// assert_eq!(buckets.0, [None, Some(0.5), None]); // le="0.1", le="1", le="+Inf"
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Exemplars<'a>(Option<&'a [Slot]>);

impl<'a> Exemplars<'a> {
    pub(crate) fn live(slots: Option<&'a [Slot]>) -> Self {
        Self(slots)
    }

    pub(crate) fn none() -> Self {
        Self(None)
    }

    /// A copy of the latest exemplar of bucket `i` (not cumulative: the bucket the observation
    /// fell in), if it has one. Copying takes the bucket's exemplar lock briefly and allocates
    /// nothing.
    pub fn get(&self, i: usize) -> Option<Exemplar> {
        self.0?.get(i)?.load()
    }
}

/// A histogram series at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct HistogramValue<'a> {
    /// Finite upper bounds, strictly increasing; the `+Inf` bucket is implicit.
    pub bounds: &'a [f64],
    /// One count per bound plus one for `+Inf`, not cumulative.
    pub counts: Counts<'a>,
    /// The sum of observations.
    pub sum: f64,
    /// When the series was created, in seconds since the Unix epoch.
    pub created: Option<f64>,
    /// Whether any observation so far was negative (sticky). OpenMetrics then leaves out
    /// `_count` and `_sum` for good, rather than showing and hiding them as the sum changes sign.
    pub negative_observed: bool,
    /// The latest exemplar of each bucket, indexed like [`counts`](Self::counts).
    pub exemplars: Exemplars<'a>,
}

impl HistogramValue<'_> {
    /// Calls `f(upper_bound, cumulative_count)` for each bucket, ending with `+Inf`, and returns
    /// the total count. Each bucket is read once, so the `+Inf` bucket always equals the count
    /// that is returned, even while observations arrive.
    pub fn for_each_cumulative(&self, mut f: impl FnMut(f64, u64)) -> u64 {
        let mut total = 0u64;
        for i in 0..self.counts.len() {
            total = total.wrapping_add(self.counts.get(i));
            f(self.bounds.get(i).copied().unwrap_or(f64::INFINITY), total);
        }
        total
    }
}

/// A summary series at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct SummaryValue<'a> {
    /// `(quantile, value)` pairs over the sliding window; the value is NaN when the window is
    /// empty.
    pub quantiles: &'a [(f64, f64)],
    /// The sum of all observations since creation.
    pub sum: f64,
    /// The number of observations since creation.
    pub count: u64,
    /// When the series was created, in seconds since the Unix epoch.
    pub created: Option<f64>,
    /// Whether any observation so far was negative (sticky). OpenMetrics then leaves out
    /// `_sum` for good.
    pub negative_observed: bool,
}

/// State flags, read live from a state set or given by a collector. Read-only.
#[derive(Debug, Clone, Copy)]
pub struct Flags<'a>(FlagsRepr<'a>);

#[derive(Debug, Clone, Copy)]
enum FlagsRepr<'a> {
    Atomic(&'a [AtomicBool]),
    Plain(&'a [bool]),
}

impl<'a> Flags<'a> {
    pub(crate) fn atomic(flags: &'a [AtomicBool]) -> Self {
        Self(FlagsRepr::Atomic(flags))
    }

    pub(crate) fn plain(flags: &'a [bool]) -> Self {
        Self(FlagsRepr::Plain(flags))
    }

    /// Whether flag `i` is set; false past the end.
    pub fn get(&self, i: usize) -> bool {
        match self.0 {
            FlagsRepr::Atomic(f) => f.get(i).is_some_and(|a| a.load(Ordering::Relaxed)),
            FlagsRepr::Plain(f) => f.get(i).copied().unwrap_or(false),
        }
    }
}

/// A state set series at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct StateSetValue<'a> {
    /// The state names, in declaration order.
    pub states: &'a [Box<str>],
    /// Whether each state is set.
    pub flags: Flags<'a>,
}

/// A series' label text as a [`Visitor`] receives it: escaped, without braces
/// (`a="1",b="x"`), constant labels first; empty when the series has no labels.
///
/// A family's series keep no text: each label value is interned once with its piece
/// (`,route="/users` and the like), and the text is those pieces one after the other. So the
/// text is not a `&str` until something writes it: [`write_to`](Self::write_to) writes it
/// straight into an encoder's output (what the encoders do, one copy per label), and
/// [`with_str`](Self::with_str) lends it as a `&str` (written into a buffer kept per thread).
///
/// ```
/// use vitals_core::collect::LabelText;
///
/// let labels = LabelText::new(r#"method="GET",path="/""#);
/// let mut out = b"requests_total{".to_vec();
/// labels.write_to(&mut out);
/// out.extend_from_slice(b"} 1");
/// assert_eq!(out, br#"requests_total{method="GET",path="/"} 1"#);
/// assert_eq!(labels.with_str(str::len), 21);
/// assert_eq!(labels.to_string(), r#"method="GET",path="/""#);
/// assert!(LabelText::default().is_empty());
/// ```
#[derive(Clone, Copy, Default)]
pub struct LabelText<'a>(TextRepr<'a>);

#[derive(Clone, Copy)]
enum TextRepr<'a> {
    /// Written already.
    Text(&'a str),
    /// A family's series: `before` (the family's constant labels, with a trailing comma
    /// folded into the first piece), then the pieces of `key`, then the closing quote.
    Stored { before: &'a str, key: Key<'a> },
    /// A family's overflow series: `before`, then per label its prefix (as in the pieces) and
    /// the overflow marker, then the closing quote.
    Overflow {
        before: &'a str,
        prefixes: &'a [Box<str>],
    },
}

impl Default for TextRepr<'_> {
    fn default() -> Self {
        Self::Text("")
    }
}

thread_local! {
    /// Where [`LabelText::with_str`] writes. A `Cell` that is taken and put back, so a nested
    /// call only allocates, never panics; kept from scrape to scrape, so writing allocates
    /// nothing once it has seen the longest text.
    static TEXT: Cell<String> = const { Cell::new(String::new()) };
}

impl<'a> LabelText<'a> {
    /// Label text written already: escaped, without braces (`a="1",b="x"`), as a
    /// [`Visitor`] receives it.
    pub fn new(text: &'a str) -> Self {
        Self(TextRepr::Text(text))
    }

    /// A stored series' text: `before`, then the pieces of `key` (see
    /// [`Store::with_pieces`](vitals_index::Store::with_pieces)), then the closing quote.
    pub(crate) fn stored(before: &'a str, key: Key<'a>) -> Self {
        Self(TextRepr::Stored { before, key })
    }

    /// An overflow series' text: `before`, then each prefix with the overflow marker.
    pub(crate) fn overflow(before: &'a str, prefixes: &'a [Box<str>]) -> Self {
        Self(TextRepr::Overflow { before, prefixes })
    }

    /// Whether the text is empty (then an encoder writes no braces).
    pub fn is_empty(&self) -> bool {
        match self.0 {
            TextRepr::Text(text) => text.is_empty(),
            TextRepr::Stored { before, key } => before.is_empty() && key.is_empty(),
            TextRepr::Overflow { before, prefixes } => before.is_empty() && prefixes.is_empty(),
        }
    }

    /// Appends the text to `out`.
    #[inline]
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self.0 {
            TextRepr::Text(text) => out.extend_from_slice(text.as_bytes()),
            TextRepr::Stored { before, key } => {
                // Most registries have no constant labels: a branch, not a call to copy nothing.
                if !before.is_empty() {
                    out.extend_from_slice(before.as_bytes());
                }
                key.push_pieces(out);
                if !key.is_empty() {
                    out.push(b'"');
                }
            }
            TextRepr::Overflow { before, prefixes } => {
                out.extend_from_slice(before.as_bytes());
                for prefix in prefixes {
                    out.extend_from_slice(prefix.as_bytes());
                    out.extend_from_slice(OVERFLOW_LABEL_VALUE.as_bytes());
                }
                if !prefixes.is_empty() {
                    out.push(b'"');
                }
            }
        }
    }

    /// Appends the text to `out`.
    pub fn push_to(&self, out: &mut String) {
        match self.0 {
            TextRepr::Text(text) => out.push_str(text),
            TextRepr::Stored { before, key } => {
                out.push_str(before);
                key.push_pieces_str(out);
                if !key.is_empty() {
                    out.push('"');
                }
            }
            TextRepr::Overflow { before, prefixes } => {
                out.push_str(before);
                for prefix in prefixes {
                    out.push_str(prefix);
                    out.push_str(OVERFLOW_LABEL_VALUE);
                }
                if !prefixes.is_empty() {
                    out.push('"');
                }
            }
        }
    }

    /// Calls `f` with the text as a `&str`: the text itself when it is written already, else
    /// written into a buffer kept per thread (so this allocates nothing once warm).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        if let TextRepr::Text(text) = self.0 {
            return f(text);
        }
        // `try_with`: from a thread-local destructor, after the buffer is gone, allocate.
        let mut text = TEXT.try_with(Cell::take).unwrap_or_default();
        text.clear();
        self.push_to(&mut text);
        let result = f(&text);
        let _ = TEXT.try_with(|kept| kept.set(text));
        result
    }
}

impl fmt::Display for LabelText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| f.write_str(text))
    }
}

impl fmt::Debug for LabelText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| fmt::Debug::fmt(text, f))
    }
}

/// The value of one series at scrape time.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum SeriesValue<'a> {
    /// A counter total, its creation time and its latest exemplar. More fields may be added:
    /// match with `..`.
    #[non_exhaustive]
    Counter {
        /// The total.
        value: Number,
        /// Creation time, in seconds since the Unix epoch.
        created: Option<f64>,
        /// The latest exemplar, if the counter was given one (OpenMetrics writes it after the
        /// `_total` sample; 0.0.4 has no place for it).
        exemplar: Option<&'a Exemplar>,
    },
    /// A gauge value.
    Gauge(Number),
    /// A value of unknown type.
    Unknown(Number),
    /// A histogram.
    Histogram(HistogramValue<'a>),
    /// A summary.
    Summary(SummaryValue<'a>),
    /// An info series: its labels are the information, its value is 1.
    Info,
    /// A state set.
    StateSet(StateSetValue<'a>),
}

/// Receives a registry's content, family by family. The encoders implement it.
///
/// For each family: one [`family`](Self::family) call, then one [`series`](Self::series) call
/// per series. Families are never interleaved.
pub trait Visitor {
    /// Starts a family.
    fn family(&mut self, desc: &Descriptor);

    /// One series of the current family. `labels` is its label text, escaped, without braces
    /// (`a="1",b="x"`), constant labels first; empty when there are none. Write it into an
    /// output with [`LabelText::write_to`], or read it with [`LabelText::with_str`].
    fn series(&mut self, labels: &LabelText<'_>, value: &SeriesValue<'_>);
}

/// Values computed at scrape time, such as a queue's length read from elsewhere.
///
/// Implemented for closures, so a collector can be one line:
///
/// ```
/// use vitals_core::{MetricFamily, Registry};
///
/// let registry = Registry::new();
/// registry.register_collector(|out: &mut Vec<MetricFamily>| {
///     let mut depth = MetricFamily::gauge("queue_depth", "Jobs waiting.").unwrap();
///     depth.add_gauge(&[("queue", "emails")], 3.0).unwrap();
///     out.push(depth);
/// });
/// ```
pub trait Collector: Send + Sync {
    /// Appends this collector's families to `out`. Called once per scrape, while the registry
    /// is locked for reading: registering or unregistering metrics on the same registry from
    /// here would deadlock.
    ///
    /// A family whose name clashes with a registered family, or with another family collected in
    /// the same scrape, is dropped and counted in `vitals_dropped_updates_total`.
    fn collect(&self, out: &mut Vec<crate::MetricFamily>);
}

impl<F> Collector for F
where
    F: Fn(&mut Vec<crate::MetricFamily>) + Send + Sync,
{
    fn collect(&self, out: &mut Vec<crate::MetricFamily>) {
        self(out);
    }
}

impl<C: Collector + ?Sized> Collector for std::sync::Arc<C> {
    fn collect(&self, out: &mut Vec<crate::MetricFamily>) {
        (**self).collect(out);
    }
}
