//! # vitals-metrics
//!
//! A [`metrics`] (0.24) recorder for [vitals](https://github.com/vitals-rs/vitals): libraries
//! instrumented with `metrics::counter!`, `gauge!` and `histogram!` record into a vitals
//! [`Registry`](vitals_core::Registry) and are exposed with everything else in it, in every
//! format vitals writes, histograms as real Prometheus histograms with configured buckets.
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_expfmt::{encode_to_string, Format};
//! use vitals_metrics::{Matcher, VitalsRecorder};
//!
//! let registry = Registry::new();
//! let recorder = VitalsRecorder::builder(registry.clone())
//!     .with_buckets(Matcher::Suffix("_seconds".into()), &[0.1, 0.5, 1.0])
//!     .build()?;
//! // In a program: `recorder.install()` once, at startup.
//! metrics::with_local_recorder(&recorder, || {
//!     metrics::describe_counter!("http.requests", "HTTP requests served.");
//!     metrics::counter!("http.requests", "method" => "GET").increment(3);
//!     metrics::histogram!("http.latency.seconds").record(0.3);
//! });
//!
//! let text = encode_to_string(&registry, Format::PrometheusText);
//! assert!(text.contains("# HELP http_requests_total HTTP requests served.\n"));
//! assert!(text.contains("http_requests_total{method=\"GET\"} 3\n"));
//! assert!(text.contains("# TYPE http_latency_seconds histogram\n"));
//! assert!(text.contains("http_latency_seconds_bucket{le=\"0.5\"} 1\n"));
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! ## What each call becomes
//!
//! | `metrics` | vitals |
//! | --- | --- |
//! | `counter!(name, labels)` | a [`FloatCounter`](vitals_core::FloatCounter) series of [`Registry::dynamic_counter`](vitals_core::Registry::dynamic_counter) |
//! | `Counter::increment(n)` | `inc_by(n)` |
//! | `Counter::absolute(n)` | `raise_to(n)`: the counter never goes down |
//! | `gauge!` | a [`FloatGauge`](vitals_core::FloatGauge) series: `increment`/`decrement`/`set` → `add`/`sub`/`set` |
//! | `histogram!` | a [`Histogram`](vitals_core::Histogram) series (not a summary), buckets from the [builder](VitalsRecorderBuilder) |
//! | `Histogram::record(v)`, `record_many(v, n)` | `observe(v)`, `n` times |
//! | `describe_*!(name, unit, help)` | [`Registry::declare`](vitals_core::Registry::declare): HELP, and UNIT where it fits |
//!
//! ## Names
//!
//! `metrics` accepts any name; Prometheus does not. Names and label keys are sanitized as
//! `metrics-exporter-prometheus` does it, so a program moving from that exporter keeps its
//! series: [`sanitize_metric_name`] (`http.requests` → `http_requests`, `9lives` → `_lives`)
//! and [`sanitize_label_key`] (`http.method` → `http_method`, no `:`). Label values are kept
//! as they are and escaped by the encoders. Label keys may come in any order: one set of
//! names is one series. A counter is exposed as `<name>_total` (a name already ending in
//! `_total` is not doubled).
//!
//! ## Units and descriptions
//!
//! A description becomes the family's HELP text. A unit is declared (OpenMetrics `# UNIT`) only
//! where Prometheus has a word for it ([`unit_name`]: seconds and bytes) *and* the sanitized
//! name already ends in `_<unit>` (`_<unit>_total` for a counter), as OpenMetrics requires;
//! otherwise the unit is left out and the description still applies. The first description of
//! a name wins. A description that arrives after the metric's first use is ignored: the
//! family's help is fixed when it is created, and `metrics` allows describing at any time, so
//! this is not an error.
//!
//! ## When the registry refuses a metric
//!
//! A family keeps the label names of its first use. A later registration with other label
//! names, or of another type under the same name, or with a name or label key the registry
//! refuses (`le` on a histogram, a key starting with `__`, a clash with a family registered
//! directly on the registry), returns a no-op handle: updates through it go nowhere. The
//! registry counts each refusal in `vitals_dropped_updates_total{reason="dynamic_rejected"}`
//! ([`self_metrics::dropped`](vitals_core::self_metrics::dropped)), and the recorder logs the
//! first refusal of each name with `log::warn!`.
//!
//! ## Cost
//!
//! The handles wrap vitals' own series, so an update through a kept handle is the series'
//! relaxed atomic operations. Registration (what each `counter!` invocation does) is the
//! registry's lookup by name and label values plus one `Arc` for the handle; label keys that
//! need no sanitizing are not copied.
//!
//! | item | what it is |
//! | --- | --- |
//! | [`VitalsRecorder`] | the [`metrics::Recorder`]; `new`, `builder`, `install` |
//! | [`VitalsRecorderBuilder`] | histogram buckets per name and by default |
//! | [`Matcher`] | selects histograms by full name, prefix or suffix |
//! | [`sanitize_metric_name`], [`sanitize_label_key`], [`unit_name`] | the name and unit mapping |

mod builder;
mod matcher;
mod recorder;
mod sanitize;

pub use builder::VitalsRecorderBuilder;
pub use matcher::Matcher;
pub use recorder::VitalsRecorder;
pub use sanitize::{sanitize_label_key, sanitize_metric_name, unit_name};
