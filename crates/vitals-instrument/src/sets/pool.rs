//! Connection-pool metrics: connections idle and in use, the pool's limit, and the waits for a
//! connection when none is idle.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `db_pool_connections{pool, state="idle"}` | gauge | open connections nobody holds |
//! | `db_pool_connections{pool, state="in_use"}` | gauge | connections checked out |
//! | `db_pool_max_connections{pool}` | gauge | the pool's size limit (only once known) |
//! | `db_pool_waits_total{pool}` | counter | acquisitions that had to wait for a connection |
//! | `db_pool_wait_seconds{pool}` | histogram | how long each wait lasted, timed-out ones included |
//! | `db_pool_timeouts_total{pool}` | counter | waits that ended without a connection |
//!
//! Idle and in-use connections are one family with a `state` label, so
//! `sum by (pool) (db_pool_connections)` is the pool's size and
//! `db_pool_connections{state="in_use"} / on (pool) db_pool_max_connections` its saturation.
//!
//! Keep the gauges from the pool's events, or poll them from a pool that reports its own state
//! (`set_connections`):
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_instrument::sets::PoolMetrics;
//!
//! let registry = Registry::new();
//! let pool = PoolMetrics::builder("primary")
//!     .with_max_connections(10)
//!     .register_in(&registry)?;
//!
//! pool.connection_opened(); // idle 1
//! {
//!     let _conn = pool.checkout(); // idle 0, in_use 1
//!     // ... use the connection ...
//! } // returned on drop: idle 1, in_use 0
//!
//! // No idle connection: time the wait.
//! let wait = pool.start_wait(); // waits + 1
//! let _conn = wait.acquired(); // observes the wait, then checks out
//! # Ok::<(), vitals_core::Error>(())
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use vitals_core::{
    current_registry, Counter, DynamicLabels, Family, Gauge, Histogram, Registry, Result,
};

use super::prefixed;

/// Default bounds of `db_pool_wait_seconds`: 1 ms to 30 s, since a healthy pool hands out a
/// freed connection within milliseconds and acquisition timeouts are usually 5–30 s.
pub const POOL_WAIT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Configures and registers a [`PoolMetrics`]; made by [`PoolMetrics::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct PoolMetricsBuilder {
    pool: String,
    prefix: Option<String>,
    wait_buckets: Vec<f64>,
    max_connections: Option<u64>,
}

impl PoolMetricsBuilder {
    /// Prepends `prefix_` to every metric name (`shop` gives `shop_db_pool_connections`).
    /// Default: no prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The bucket bounds of `db_pool_wait_seconds`, in seconds. Default:
    /// [`POOL_WAIT_BUCKETS`]. Every pool of one registry must use the same bounds.
    pub fn with_wait_buckets(mut self, bounds: &[f64]) -> Self {
        self.wait_buckets = bounds.to_vec();
        self
    }

    /// The pool's size limit, exposed as `db_pool_max_connections`. Default: unknown, and the
    /// series is absent until [`PoolMetrics::set_max_connections`].
    pub fn with_max_connections(mut self, max: u64) -> Self {
        self.max_connections = Some(max);
        self
    }

    /// Registers in the [current registry](vitals_core::current_registry).
    pub fn register(self) -> Result<PoolMetrics> {
        self.register_in(&current_registry())
    }

    /// Registers in `registry`: the families are created, or shared with the pools already
    /// registered there, and this pool's series are resolved.
    pub fn register_in(self, registry: &Registry) -> Result<PoolMetrics> {
        let prefix = self.prefix.as_deref();
        let connections = registry
            .gauge(
                &prefixed(prefix, "db_pool_connections"),
                "Open connections of the pool, by state: idle or in_use.",
            )
            .register_shared(&["pool", "state"])?;
        let max = registry
            .gauge(
                &prefixed(prefix, "db_pool_max_connections"),
                "The most connections the pool may open.",
            )
            .register_shared(&["pool"])?;
        let waits = registry
            .counter(
                &prefixed(prefix, "db_pool_waits"),
                "Connection acquisitions that had to wait because no connection was idle.",
            )
            .register_shared(&["pool"])?;
        let wait = registry
            .histogram(
                &prefixed(prefix, "db_pool_wait_seconds"),
                "Time spent waiting for a connection, timed-out waits included.",
            )
            .with_unit("seconds")
            .with_buckets(&self.wait_buckets)
            .register_shared(&["pool"])?;
        let timeouts = registry
            .counter(
                &prefixed(prefix, "db_pool_timeouts"),
                "Waits for a connection that ended without one.",
            )
            .register_shared(&["pool"])?;
        let pool = self.pool.as_str();
        let metrics = PoolMetrics {
            inner: Arc::new(PoolInner {
                idle: connections.with_labels(&[pool, "idle"]),
                in_use: connections.with_labels(&[pool, "in_use"]),
                waits: waits.with_labels(&[pool]),
                wait: wait.with_labels(&[pool]),
                timeouts: timeouts.with_labels(&[pool]),
                max,
                pool: self.pool.clone(),
            }),
        };
        if let Some(max) = self.max_connections {
            metrics.set_max_connections(max);
        }
        Ok(metrics)
    }
}

/// The metrics of one named connection pool (see the [module docs](self)). Cloning is cheap
/// and shares the series.
#[derive(Debug, Clone)]
pub struct PoolMetrics {
    inner: Arc<PoolInner>,
}

#[derive(Debug)]
struct PoolInner {
    idle: Gauge,
    in_use: Gauge,
    waits: Counter,
    wait: Histogram,
    timeouts: Counter,
    /// Looked up only when the limit is set (rarely), so that an unknown limit has no series
    /// rather than a false 0.
    max: Family<Gauge, DynamicLabels>,
    pool: String,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PoolMetrics {
    /// A builder for the pool named `pool` (the value of the `pool` label). Defaults: no
    /// prefix, wait buckets [`POOL_WAIT_BUCKETS`], no known limit.
    pub fn builder(pool: impl Into<String>) -> PoolMetricsBuilder {
        PoolMetricsBuilder {
            pool: pool.into(),
            prefix: None,
            wait_buckets: POOL_WAIT_BUCKETS.to_vec(),
            max_connections: None,
        }
    }

    /// The pool opened a connection, which is idle until checked out: idle + 1.
    #[inline]
    pub fn connection_opened(&self) {
        self.inner.idle.inc();
    }

    /// The pool closed an idle connection: idle − 1. (A checked-out connection that is closed
    /// instead of returned goes through [`PoolCheckout::close`].)
    #[inline]
    pub fn connection_closed(&self) {
        self.inner.idle.dec();
    }

    /// A connection was checked out without waiting: idle − 1, in_use + 1 until the guard is
    /// dropped (returned: in_use − 1, idle + 1) or [closed](PoolCheckout::close). A pool that
    /// opens a connection for the caller calls [`connection_opened`](Self::connection_opened)
    /// first.
    #[inline]
    pub fn checkout(&self) -> PoolCheckout {
        self.inner.idle.dec();
        self.inner.in_use.inc();
        PoolCheckout {
            inner: Some(Arc::clone(&self.inner)),
        }
    }

    /// No connection was idle and the caller starts waiting: waits + 1. End the wait with
    /// [`PoolWait::acquired`] or [`PoolWait::timed_out`].
    #[inline]
    pub fn start_wait(&self) -> PoolWait {
        self.inner.waits.inc();
        PoolWait {
            inner: Some(Arc::clone(&self.inner)),
            start: Instant::now(),
        }
    }

    /// Sets idle and in-use connections from the pool's own report (bb8's `state()`,
    /// deadpool's `status()`, sqlx's `size()` and `num_idle()`), for pools polled rather than
    /// followed event by event. Use one way or the other for a pool, not both.
    pub fn set_connections(&self, idle: u64, in_use: u64) {
        self.inner.idle.set(to_i64(idle));
        self.inner.in_use.set(to_i64(in_use));
    }

    /// Sets `db_pool_max_connections`, creating the series on first use.
    pub fn set_max_connections(&self, max: u64) {
        self.inner
            .max
            .with_labels(&[self.inner.pool.as_str()])
            .set(to_i64(max));
    }
}

/// A checked-out connection: returns it to idle when dropped. Made by
/// [`PoolMetrics::checkout`] and [`PoolWait::acquired`]; keep it beside the connection (in the
/// pool's connection wrapper, whose `Drop` returns the connection).
#[derive(Debug)]
#[must_use = "dropping the guard at once returns the connection at once"]
pub struct PoolCheckout {
    inner: Option<Arc<PoolInner>>,
}

impl PoolCheckout {
    /// The connection was closed instead of returned (broken, or past its lifetime): in_use
    /// − 1 without idle + 1.
    pub fn close(mut self) {
        if let Some(inner) = self.inner.take() {
            inner.in_use.dec();
        }
    }
}

impl Drop for PoolCheckout {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.in_use.dec();
            inner.idle.inc();
        }
    }
}

/// A wait for a connection, started by [`PoolMetrics::start_wait`].
///
/// Dropped without [`acquired`](Self::acquired) or [`timed_out`](Self::timed_out) (the caller
/// gave up, or its future was cancelled), it observes the wait and counts nothing else.
#[derive(Debug)]
#[must_use = "end the wait with `acquired` or `timed_out`"]
pub struct PoolWait {
    inner: Option<Arc<PoolInner>>,
    start: Instant,
}

impl PoolWait {
    /// A connection became available: observes the wait, then checks the connection out.
    pub fn acquired(mut self) -> PoolCheckout {
        let waited = self.start.elapsed();
        match self.inner.take() {
            Some(inner) => {
                inner.wait.observe(waited.as_secs_f64());
                inner.idle.dec();
                inner.in_use.inc();
                PoolCheckout { inner: Some(inner) }
            }
            // `inner` is only taken by a method that consumes the wait.
            None => PoolCheckout { inner: None },
        }
    }

    /// The wait ended without a connection: observes it and counts a timeout.
    pub fn timed_out(mut self) {
        if let Some(inner) = self.inner.take() {
            inner.wait.observe(self.start.elapsed().as_secs_f64());
            inner.timeouts.inc();
        }
    }

    /// How long the wait has lasted so far.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

impl Drop for PoolWait {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.wait.observe(self.start.elapsed().as_secs_f64());
        }
    }
}
