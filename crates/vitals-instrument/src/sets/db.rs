//! Database query metrics: how long queries take and how they fail, by query type.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `db_query_duration_seconds{query_type}` | histogram | every query's duration, failed ones included |
//! | `db_query_errors_total{query_type, error_type}` | counter | failed queries, by kind of failure |
//!
//! The number of queries is the histogram's `_count`; the error ratio is
//! `sum by (query_type) (rate(db_query_errors_total[5m])) / rate(db_query_duration_seconds_count[5m])`.
//!
//! `error_type` is bounded: it comes from an [`ErrorClassifier`] (a function returning
//! `&'static str`, set with [`DbMetricsBuilder::with_error_classifier`]; by default every
//! error is `"error"`) or from a `&'static str` the caller gives
//! ([`QueryTimer::failure`]), never from an error's type name or message, which would make a
//! new series for every new error. Two values are the set's own: `"panic"` for a query whose
//! closure panicked, and `"cancelled"` for a query future dropped before it finished (a
//! timeout around it, a client gone).
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_instrument::sets::DbMetrics;
//!
//! let registry = Registry::new();
//! let db = DbMetrics::builder()
//!     .with_error_classifier(|error| match error.downcast_ref::<std::io::Error>() {
//!         Some(e) if e.kind() == std::io::ErrorKind::TimedOut => "timeout",
//!         _ => "other",
//!     })
//!     .register_in(&registry)?;
//!
//! let rows = db.query("select", || Ok::<_, std::io::Error>(vec![1, 2, 3]))?;
//! assert_eq!(rows.len(), 3);
//! let failed = db.query("insert", || {
//!     Err::<(), _>(std::io::Error::new(std::io::ErrorKind::TimedOut, "lock wait"))
//! });
//! assert!(failed.is_err()); // counted as db_query_errors_total{query_type="insert",error_type="timeout"}
//!
//! // On a hot path, resolve the query type's series once:
//! let select = db.query_type("select");
//! select.run(|| Ok::<_, std::io::Error>(()))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Async queries go through [`DbMetrics::query_async`] (or [`QueryMetrics::run_async`]), which
//! wrap any future; no runtime is needed.
//!
//! Errors that are not a `std::error::Error` (`anyhow::Error`, `Box<dyn Error>`) go through
//! the timer: `let timer = db.query_type("select").start(); ...;
//! timer.failure("other", ErrorRef::Error(err.as_ref()))`.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vitals_core::{current_registry, Counter, DynamicLabels, Family, Histogram, Registry, Result};

use super::{abandoned, classify_as_error, prefixed, report, ErrorClassifier};
use crate::sink::ErrorRef;

/// Default bounds of `db_query_duration_seconds`: 1 ms to 10 s, since an indexed lookup
/// takes about a millisecond and a query past ten seconds is a problem whatever its bucket.
pub const DB_QUERY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What errors reported to the [error sink](crate::sink) are called (their `source`).
const SOURCE: &str = "db_query";

/// Configures and registers a [`DbMetrics`]; made by [`DbMetrics::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct DbMetricsBuilder {
    prefix: Option<String>,
    buckets: Vec<f64>,
    classify: ErrorClassifier,
}

impl DbMetricsBuilder {
    /// Prepends `prefix_` to every metric name (`shop` gives `shop_db_query_duration_seconds`).
    /// Default: no prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The bucket bounds of `db_query_duration_seconds`, in seconds. Default:
    /// [`DB_QUERY_BUCKETS`].
    pub fn with_buckets(mut self, bounds: &[f64]) -> Self {
        self.buckets = bounds.to_vec();
        self
    }

    /// The function that names a failed query's `error_type` in [`DbMetrics::query`],
    /// [`QueryMetrics::run`] and their async forms. Default: `"error"` for every error.
    pub fn with_error_classifier(mut self, classify: ErrorClassifier) -> Self {
        self.classify = classify;
        self
    }

    /// Registers in the [current registry](vitals_core::current_registry).
    pub fn register(self) -> Result<DbMetrics> {
        self.register_in(&current_registry())
    }

    /// Registers in `registry`: the families are created, or shared with the
    /// [`DbMetrics`] already registered there.
    pub fn register_in(self, registry: &Registry) -> Result<DbMetrics> {
        let prefix = self.prefix.as_deref();
        let duration = registry
            .histogram(
                &prefixed(prefix, "db_query_duration_seconds"),
                "Duration of database queries, failed ones included.",
            )
            .with_unit("seconds")
            .with_buckets(&self.buckets)
            .register_shared(&["query_type"])?;
        let errors = registry
            .counter(
                &prefixed(prefix, "db_query_errors"),
                "Database queries that failed, by kind of error.",
            )
            .register_shared(&["query_type", "error_type"])?;
        Ok(DbMetrics {
            inner: Arc::new(DbInner {
                duration,
                errors,
                classify: self.classify,
            }),
        })
    }
}

/// Database query metrics (see the [module docs](self)). Cloning is cheap and shares the
/// families.
#[derive(Debug, Clone)]
pub struct DbMetrics {
    inner: Arc<DbInner>,
}

#[derive(Debug)]
struct DbInner {
    duration: Family<Histogram, DynamicLabels>,
    errors: Family<Counter, DynamicLabels>,
    classify: ErrorClassifier,
}

impl DbMetrics {
    /// A builder. Defaults: no prefix, buckets [`DB_QUERY_BUCKETS`], every error classified
    /// as `"error"`.
    pub fn builder() -> DbMetricsBuilder {
        DbMetricsBuilder {
            prefix: None,
            buckets: DB_QUERY_BUCKETS.to_vec(),
            classify: classify_as_error,
        }
    }

    /// The series of one query type, resolved once: keep it for a query run often, so that
    /// each run is a clock read and a histogram observation, without a label lookup.
    pub fn query_type(&self, query_type: &str) -> QueryMetrics {
        QueryMetrics {
            inner: Arc::new(QueryInner {
                duration: self.inner.duration.with_labels(&[query_type]),
                errors: self.inner.errors.clone(),
                query_type: query_type.into(),
                classify: self.inner.classify,
            }),
        }
    }

    /// Runs a query: observes its duration and, if it fails, counts the error (classified by
    /// the builder's classifier) and reports it to the error sink. Returns what `run` returns.
    ///
    /// Looks the query type's series up on each call (no allocation once it exists); see
    /// [`query_type`](Self::query_type) for a resolved handle.
    pub fn query<T, E>(&self, query_type: &str, run: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: StdError + 'static,
    {
        let duration = self.inner.duration.with_labels(&[query_type]);
        let timer = QueryTimer::new(&duration, &self.inner.errors, query_type);
        finish(timer, run(), self.inner.classify)
    }

    /// Wraps a query future: like [`query`](Self::query), timed from its first poll to its
    /// completion. A future dropped before completing counts `error_type="cancelled"`.
    ///
    /// The returned future owns what it needs: it is `'static` (and `Send`) when `query` is.
    pub fn query_async<F, T, E>(
        &self,
        query_type: &str,
        query: F,
    ) -> impl Future<Output = Result<T, E>>
    where
        F: Future<Output = Result<T, E>>,
        E: StdError + 'static,
    {
        self.query_type(query_type).run_async(query)
    }
}

/// The series of one query type, made by [`DbMetrics::query_type`]. Cloning is cheap and
/// shares the series.
#[derive(Debug, Clone)]
pub struct QueryMetrics {
    inner: Arc<QueryInner>,
}

#[derive(Debug)]
struct QueryInner {
    duration: Histogram,
    errors: Family<Counter, DynamicLabels>,
    query_type: Box<str>,
    classify: ErrorClassifier,
}

impl QueryMetrics {
    /// The query type (the `query_type` label value).
    pub fn query_type(&self) -> &str {
        &self.inner.query_type
    }

    /// Runs a query of this type; see [`DbMetrics::query`].
    pub fn run<T, E>(&self, run: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: StdError + 'static,
    {
        finish(self.start(), run(), self.inner.classify)
    }

    /// Wraps a query future of this type; see [`DbMetrics::query_async`].
    pub fn run_async<F, T, E>(&self, query: F) -> impl Future<Output = Result<T, E>>
    where
        F: Future<Output = Result<T, E>>,
        E: StdError + 'static,
    {
        let metrics = self.clone();
        async move {
            // Started here, at the first poll: time spent before the future is polled (queued
            // behind other tasks) is not the query's.
            let timer = metrics.start();
            let result = query.await;
            finish(timer, result, metrics.inner.classify)
        }
    }

    /// Starts timing a query by hand, for code that cannot be wrapped in a closure or whose
    /// errors are not a `std::error::Error`. End it with [`QueryTimer::success`] or
    /// [`QueryTimer::failure`].
    pub fn start(&self) -> QueryTimer<'_> {
        QueryTimer::new(
            &self.inner.duration,
            &self.inner.errors,
            &self.inner.query_type,
        )
    }
}

/// Ends `timer` by `result`'s outcome and passes `result` on.
fn finish<T, E>(
    timer: QueryTimer<'_>,
    result: Result<T, E>,
    classify: ErrorClassifier,
) -> Result<T, E>
where
    E: StdError + 'static,
{
    match &result {
        Ok(_) => {
            timer.success();
        }
        Err(error) => {
            timer.failure(classify(error), ErrorRef::Error(error));
        }
    }
    result
}

/// One query being timed; made by [`QueryMetrics::start`].
///
/// Dropped without [`success`](Self::success) or [`failure`](Self::failure), it observes the
/// duration and counts `error_type="panic"` (when dropped by a panic) or `"cancelled"`.
#[derive(Debug)]
#[must_use = "end the query with `success` or `failure`"]
pub struct QueryTimer<'a> {
    duration: &'a Histogram,
    errors: &'a Family<Counter, DynamicLabels>,
    query_type: &'a str,
    start: Instant,
    done: bool,
}

impl<'a> QueryTimer<'a> {
    fn new(
        duration: &'a Histogram,
        errors: &'a Family<Counter, DynamicLabels>,
        query_type: &'a str,
    ) -> Self {
        Self {
            duration,
            errors,
            query_type,
            start: Instant::now(),
            done: false,
        }
    }

    /// The query succeeded: observes its duration, which it returns.
    pub fn success(mut self) -> Duration {
        self.done = true;
        self.observe()
    }

    /// The query failed: observes its duration (returned), counts
    /// `db_query_errors_total{query_type, error_type}` and reports `error` to the error sink
    /// with those two labels.
    pub fn failure(mut self, error_type: &'static str, error: ErrorRef<'_>) -> Duration {
        self.done = true;
        let elapsed = self.observe();
        self.count_error(error_type, error);
        elapsed
    }

    fn observe(&self) -> Duration {
        let elapsed = self.start.elapsed();
        self.duration.observe(elapsed.as_secs_f64());
        elapsed
    }

    fn count_error(&self, error_type: &str, error: ErrorRef<'_>) {
        self.errors
            .with_labels(&[self.query_type, error_type])
            .inc();
        report(
            SOURCE,
            &[("query_type", self.query_type), ("error_type", error_type)],
            error,
        );
    }
}

impl Drop for QueryTimer<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.observe();
            // Counted, not reported: a panic reaches the panic hook (and Sentry's) anyway, and
            // a cancelled query (a timeout, a `select!`) is not an error worth an event each.
            let (error_type, _) = abandoned();
            self.errors
                .with_labels(&[self.query_type, error_type])
                .inc();
        }
    }
}
