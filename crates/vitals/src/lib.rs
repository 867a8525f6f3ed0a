//! # vitals
//!
//! Prometheus metrics for Rust services: instruments that cost a few nanoseconds, exposition
//! correct to the letter of Prometheus text 0.0.4 and OpenMetrics 1.0, and (in the optional
//! crates, one feature each as they arrive) the exporters a service needs.
//!
//! This crate is the one to depend on; it re-exports the others.
//!
//! ```
//! use vitals::{encode_to_string, Format, Registry};
//!
//! let registry = Registry::new();
//! let requests = registry
//!     .counter("http_requests", "HTTP requests served.")
//!     .register_family(&["method", "status"])?;
//! requests.with_labels(&["GET", "200"]).inc();
//!
//! let text = encode_to_string(&registry, Format::PrometheusText);
//! assert!(text.contains("http_requests_total{method=\"GET\",status=\"200\"} 1\n"));
//! # Ok::<(), vitals::Error>(())
//! ```
//!
//! | crate | re-exported as | feature |
//! | --- | --- | --- |
//! | `vitals-core` | the crate root, [`collect`], [`labels`], [`self_metrics`], [`name`], [`switch`], [`limits`] | always |
//! | `vitals-derive` | `#[derive(LabelSet)]`, `#[derive(LabelValue)]` (beside the traits) | `derive` (default) |
//! | `vitals-expfmt` | [`expfmt`], [`encode`], [`encode_to_string`], [`Encoder`], [`Format`] | always |
//! | this crate | [`testing`]: read series values, [`assert_sample!`], [`testing::LocalRegistry`] | always |
//! | `vitals-http` | `http` (`vitals::http::serve`, `metrics_router`, `RequestMetricsLayer`) | `http` |
//! | `vitals-textfile` | `textfile` (`TextfileWriter`) | `textfile` |
//! | `vitals-push` | `push` (`Pusher`) | `push`, `push-async` |
//! | `vitals-process` | `process` (`register`, `ProcessCollector`) | `process` |
//! | `vitals-metrics` | `recorder` (`VitalsRecorder`, a `metrics` crate recorder) | `metrics` |
//! | `vitals-instrument` | `instrument` (guards, trackers, instrument sets, error sinks) | `instrument` (default) |
//! | `vitals-derive` | `#[vitals::instrument]` | `instrument` (default) |
//! | `vitals-sentry` | `sentry` (`SentrySink`) | `sentry` |
//!
//! `full` turns every feature on.

// Items, not a glob: a glob would also bring modules such as `metrics` into a user's
// `use vitals::*`, shadowing crates of the same name.
pub use vitals_core::{
    default_registry, exponential_buckets, linear_buckets, Collector, Counter, Descriptor,
    DynamicLabels, Error, ErrorKind, Exemplar, Family, FloatCounter, FloatGauge, Gauge, Histogram,
    HistogramOptions, Info, LabelSet, LabelText, LabelValue, Metric, MetricBuilder, MetricFamily,
    MetricType, Number, Observe, Registry, RegistryBuilder, Result, SeriesValue, ShardedCounter,
    StateSet, StateSetOptions, Summary, SummaryOptions, Timer, Unknown, Visitor, DEFAULT_BUCKETS,
};

/// What encoders and other visitors read at scrape time.
pub use vitals_core::collect;

/// The registry that code records into when it is not handed one, and the guard that sets it.
pub use vitals_core::{current_registry, RegistryScope};

/// Counts of updates vitals could not apply.
pub use vitals_core::self_metrics;

/// Typed label sets and values, and label text escaping.
pub use vitals_core::labels;

/// `#[derive(LabelSet)]` and `#[derive(LabelValue)]`. A derive macro and a trait live in
/// different namespaces, so `use vitals::LabelSet;` brings both, as serde's `Serialize` does.
#[cfg(feature = "derive")]
pub use vitals_derive::{LabelSet, LabelValue};

/// The global on/off switch (`METRICS_ENABLED`).
pub use vitals_core::switch;

/// Cardinality limits, overflow, idle expiry and registry statistics.
pub use vitals_core::limits;

/// Name, label-name and unit validation.
pub use vitals_core::name;

/// Exposition formats.
pub use vitals_expfmt as expfmt;

pub use vitals_expfmt::{encode, encode_to_string, Encoder, Format};

/// Test helpers: read a series' value, assert on it with a message that explains, make a fresh
/// registry current for a test.
pub mod testing;

/// HTTP exposition: the `/metrics` service, the request-metrics layer, a standalone server.
#[cfg(feature = "http")]
pub use vitals_http as http;

/// The node_exporter textfile writer.
#[cfg(feature = "textfile")]
pub use vitals_textfile as textfile;

/// The Pushgateway client.
#[cfg(feature = "push")]
pub use vitals_push as push;

/// The `process_*` collector.
#[cfg(feature = "process")]
pub use vitals_process as process;

/// Instrumentation: `#[vitals::instrument]`'s runtime, timers and guards, trackers, instrument
/// sets, error sinks.
#[cfg(feature = "instrument")]
pub use vitals_instrument as instrument;

/// `#[vitals::instrument]` (an attribute; the module of the same name holds its runtime).
#[cfg(feature = "instrument")]
pub use vitals_derive::instrument;

/// The Sentry error sink.
#[cfg(feature = "sentry")]
pub use vitals_sentry as sentry;

/// A `metrics` crate recorder: `metrics::counter!`, `gauge!` and `histogram!` recorded into a
/// vitals registry.
#[cfg(feature = "metrics")]
pub use vitals_metrics as recorder;

/// The README's examples, compiled and run as doctests so that the README cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
