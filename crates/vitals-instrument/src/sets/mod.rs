//! Instrument sets: the metrics a queue, a connection pool, a cache, database queries, LLM
//! calls and a health-check loop each need, registered together in one call and named the
//! same way in every service.
//!
//! | set | metric | type | labels |
//! | --- | --- | --- | --- |
//! | [`QueueMetrics`] | `queue_depth` | gauge | `queue` |
//! | | `queue_items_enqueued_total` | counter | `queue` |
//! | | `queue_items_processed_total` | counter | `queue` |
//! | | `queue_wait_seconds` | histogram | `queue` |
//! | [`PoolMetrics`] | `db_pool_connections` | gauge | `pool`, `state` = `idle` \| `in_use` |
//! | | `db_pool_max_connections` | gauge | `pool` |
//! | | `db_pool_waits_total` | counter | `pool` |
//! | | `db_pool_wait_seconds` | histogram | `pool` |
//! | | `db_pool_timeouts_total` | counter | `pool` |
//! | [`CacheMetrics`] | `cache_requests_total` | counter | `cache`, `result` = `hit` \| `miss` |
//! | | `cache_evictions_total` | counter | `cache` |
//! | | `cache_entries` | gauge | `cache` |
//! | [`DbMetrics`] | `db_query_duration_seconds` | histogram | `query_type` |
//! | | `db_query_errors_total` | counter | `query_type`, `error_type` |
//! | [`LlmMetrics`] | `llm_requests_total` | counter | `provider`, `model`, `status` |
//! | | `llm_request_duration_seconds` | histogram | `provider`, `model` |
//! | | `llm_tokens_total` | counter | `provider`, `model`, `type` = `prompt` \| `completion` |
//! | | `llm_cost_usd_total` | counter (float) | `provider`, `model` |
//! | | `llm_requests_in_flight` | gauge | `provider`, `model` |
//! | [`HealthCheck`] | `service_health_status` | gauge: 0 healthy, 1 degraded, 2 down | `service` |
//! | | `service_health_check_duration_seconds` | histogram | `service` |
//! | | `service_health_last_check_timestamp_seconds` | gauge | `service` |
//!
//! Process resources (CPU, memory, file descriptors) need no set: the `vitals-process`
//! collector (facade feature `process`) exposes the standard `process_*` families.
//!
//! # One shape for every set
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_instrument::sets::{CacheMetrics, QueueMetrics};
//!
//! let registry = Registry::new();
//! let email = QueueMetrics::builder("email").register_in(&registry)?;
//! // A second queue shares the families; its series differ by the `queue` label.
//! let sms = QueueMetrics::builder("sms").register_in(&registry)?;
//! let sessions = CacheMetrics::builder("sessions")
//!     .with_prefix("shop") // shop_cache_requests_total, ...
//!     .register_in(&registry)?;
//!
//! let item = email.enqueued();
//! email.dequeued(item);
//! sms.set_depth(3); // or keep depth from the queue's own length
//! sessions.hit();
//!
//! let text = vitals::encode_to_string(&registry, vitals::Format::PrometheusText);
//! assert!(text.contains("queue_depth{queue=\"email\"} 0\n"));
//! assert!(text.contains("queue_depth{queue=\"sms\"} 3\n"));
//! assert!(text.contains("shop_cache_requests_total{cache=\"sessions\",result=\"hit\"} 1\n"));
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! - `Set::builder(..)` takes what names the instance (a queue's, pool's, cache's or
//!   service's name: the value of its instance label; [`DbMetrics`] and [`LlmMetrics`] take
//!   none, their label values come with each call) and has documented defaults;
//!   `with_prefix("shop")` prepends `shop_` to every name (on top of the registry's own
//!   namespace, if it has one).
//! - `.register()` registers in the [current registry](vitals_core::current_registry);
//!   `.register_in(&registry)` in a given one. Both return [`vitals_core::Error`] when a family
//!   cannot be registered: an invalid prefix, or a name already taken by a family of another
//!   definition ([`ErrorKind::DuplicateMetric`](vitals_core::ErrorKind::DuplicateMetric)).
//! - Families are registered with
//!   [`register_shared`](vitals_core::MetricBuilder::register_shared): every instance of a set
//!   in one registry uses the same families, so a dashboard sums or compares them. Instances
//!   must therefore agree on the definition: two queues with different wait buckets in one
//!   registry are a registration error, not two histograms.
//! - The series of a named instance are resolved when the set is built: recording is a few
//!   relaxed atomic operations, never a lookup, never a panic, never a `Result`. Sets whose
//!   label values come with each call (a query type, an LLM model) offer a resolved handle for
//!   the hot path ([`DbMetrics::query_type`], [`LlmMetrics::model`]).
//! - A set is a cheap `Clone` (one `Arc`); clones record into the same series.
//! - Failures a set records (a failed query, a failed LLM call, a health check that errs or
//!   panics) are also sent to the installed [error sink](crate::sink), with the labels of the
//!   series that counted them.

use std::any::Any;
use std::error::Error as StdError;

use crate::sink::{report_error, ErrorEvent, ErrorRef};

pub(crate) use crate::prefixed;

pub mod cache;
pub mod db;
pub mod health;
pub mod llm;
pub mod pool;
pub mod queue;

pub use cache::{CacheMetrics, CacheMetricsBuilder};
pub use db::{DbMetrics, DbMetricsBuilder, QueryMetrics, QueryTimer, DB_QUERY_BUCKETS};
pub use health::{
    HealthCheck, HealthCheckBuilder, HealthLoop, HealthOutcome, HealthStatus, HEALTH_CHECK_BUCKETS,
};
pub use llm::{
    LlmCall, LlmMetrics, LlmMetricsBuilder, LlmModelMetrics, LlmOutcome, LlmUsage,
    LLM_DURATION_BUCKETS,
};
pub use pool::{PoolCheckout, PoolMetrics, PoolMetricsBuilder, PoolWait, POOL_WAIT_BUCKETS};
pub use queue::{Enqueued, MeteredQueue, QueueMetrics, QueueMetricsBuilder, QUEUE_WAIT_BUCKETS};

/// Turns an error into a bounded label value (`error_type`, `status`): a function, not the
/// error's type name or text, so the number of series stays what the function can return.
///
/// It sees the error as `&dyn Error` and can downcast it:
///
/// ```
/// use vitals_instrument::sets::ErrorClassifier;
///
/// let classify: ErrorClassifier = |error| match error.downcast_ref::<std::io::Error>() {
///     Some(e) if e.kind() == std::io::ErrorKind::TimedOut => "timeout",
///     Some(_) => "io",
///     None => "other",
/// };
/// let timeout = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
/// assert_eq!(classify(&timeout), "timeout");
/// ```
pub type ErrorClassifier = fn(&(dyn StdError + 'static)) -> &'static str;

/// The classifier sets use unless given one: every error is `"error"`.
pub(crate) fn classify_as_error(_: &(dyn StdError + 'static)) -> &'static str {
    "error"
}

/// Sends one failure to the error sink; `report_error` itself returns at once without one.
pub(crate) fn report(source: &str, labels: &[(&str, &str)], error: ErrorRef<'_>) {
    report_error(&ErrorEvent::new(source, labels, error));
}

/// What a caught panic said, when it said it with a string (as `panic!` does).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// The label value and sink text for an operation that ended without reporting an outcome:
/// unwinding from a panic, or dropped before completion (a cancelled future, a timeout).
pub(crate) fn abandoned() -> (&'static str, &'static str) {
    if std::thread::panicking() {
        ("panic", "panicked before it completed")
    } else {
        ("cancelled", "dropped before it completed (cancelled)")
    }
}
