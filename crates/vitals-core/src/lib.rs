//! # vitals-core
//!
//! The instruments, label sets, families and registries of
//! [vitals](https://github.com/vitals-rs/vitals), a Prometheus metrics framework. No I/O and no
//! async here: the encoders live in `vitals-expfmt`, the exporters in their own crates, and
//! most programs depend on the `vitals` facade instead of this crate.
//!
//! ```
//! use vitals_core::{Registry, DEFAULT_BUCKETS};
//!
//! let registry = Registry::new();
//! let requests = registry
//!     .counter("http_requests", "HTTP requests served.")
//!     .register_family(&["method", "status"])?;
//! let latency = registry
//!     .histogram("http_request_duration_seconds", "Time to serve a request.")
//!     .with_unit("seconds")
//!     .with_buckets(DEFAULT_BUCKETS)
//!     .register()?;
//!
//! requests.with_labels(&["GET", "200"]).inc();
//! latency.observe(0.042);
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! | module | what is in it |
//! | --- | --- |
//! | [`metrics`] | [`Counter`], [`ShardedCounter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`], [`Histogram`], [`Summary`], [`Info`], [`StateSet`], [`Unknown`] |
//! | [`family`] | [`Family`]: one series per label-value list |
//! | [`labels`] | [`LabelSet`] for typed labels, escaping |
//! | [`registry`] | [`Registry`], its builder, the per-metric builder, [`default_registry`], [`current_registry`] |
//! | [`scope`] | [`current_registry`], [`Registry::enter`] and its [`RegistryScope`] |
//! | [`dynamic`] | the dynamic manager: [`Registry::inc_counter`], [`Registry::set_gauge`], [`Registry::observe`] by name and label pairs |
//! | [`limits`] | cardinality limits and overflow, idle expiry, [`Registry::stats`] |
//! | [`exemplar`] | [`Exemplar`]: the trace id of an increment or observation, for OpenMetrics |
//! | [`collect`] | what encoders read: [`Visitor`], [`SeriesValue`], [`LabelText`], and the [`Collector`] trait |
//! | [`name`] | name, label-name and unit validation |
//! | [`switch`] | the global on/off switch (`METRICS_ENABLED`) |
//! | [`self_metrics`] | counts of updates that could not be applied |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod atomic;
pub mod collect;
pub mod dynamic;
mod error;
pub mod exemplar;
pub mod family;
mod family_owned;
pub mod labels;
pub mod limits;
pub mod metrics;
pub mod name;
pub mod registry;
pub mod scope;
pub mod self_metrics;
pub mod switch;

pub use collect::{Collector, Descriptor, LabelText, MetricType, Number, SeriesValue, Visitor};
pub use error::{Error, ErrorKind, Result};
pub use exemplar::Exemplar;
pub use family::{DynamicLabels, Family, SeriesLabels};
pub use family_owned::MetricFamily;
pub use labels::{LabelSet, LabelValue};
pub use metrics::{
    exponential_buckets, linear_buckets, Counter, FloatCounter, FloatGauge, Gauge, Histogram,
    HistogramOptions, Info, Metric, Observe, ShardedCounter, StateSet, StateSetOptions, Summary,
    SummaryOptions, Timer, Unknown, DEFAULT_BUCKETS,
};
pub use registry::{default_registry, MetricBuilder, Registry, RegistryBuilder};
pub use scope::{current_registry, with_current_registry, RegistryScope};
