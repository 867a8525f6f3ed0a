//! Cache metrics: lookups by result, evictions, and the number of entries.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `cache_requests_total{cache, result="hit"}` | counter | lookups that found an entry |
//! | `cache_requests_total{cache, result="miss"}` | counter | lookups that found none |
//! | `cache_evictions_total{cache}` | counter | entries removed to make room or because they expired |
//! | `cache_entries{cache}` | gauge | entries in the cache now |
//!
//! Hits and misses are one family with a `result` label rather than the seed's
//! `cache_hits_total` and `cache_misses_total`: the lookup rate is then a plain sum, and the
//! hit ratio divides two selections of one family, whose other labels match by construction.
//! The ratio is computed in PromQL, not exported, because a ratio gauge cannot be aggregated
//! across instances or over time, while the counters can:
//!
//! ```text
//! sum by (cache) (rate(cache_requests_total{result="hit"}[5m]))
//!   / sum by (cache) (rate(cache_requests_total[5m]))
//! ```
//!
//! ```
//! use std::collections::HashMap;
//! use vitals_core::Registry;
//! use vitals_instrument::sets::CacheMetrics;
//!
//! let registry = Registry::new();
//! let metrics = CacheMetrics::builder("users").register_in(&registry)?;
//! let mut users: HashMap<u32, &str> = HashMap::new();
//!
//! assert_eq!(metrics.lookup(users.get(&7)), None); // a miss
//! users.insert(7, "ada");
//! metrics.set_entries(users.len());
//! assert_eq!(metrics.lookup(users.get(&7)), Some(&"ada")); // a hit
//! # Ok::<(), vitals_core::Error>(())
//! ```

use std::sync::Arc;

use vitals_core::{current_registry, Counter, Gauge, Registry, Result};

use super::prefixed;

/// Configures and registers a [`CacheMetrics`]; made by [`CacheMetrics::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct CacheMetricsBuilder {
    cache: String,
    prefix: Option<String>,
}

impl CacheMetricsBuilder {
    /// Prepends `prefix_` to every metric name (`shop` gives `shop_cache_requests_total`).
    /// Default: no prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Registers in the [current registry](vitals_core::current_registry).
    pub fn register(self) -> Result<CacheMetrics> {
        self.register_in(&current_registry())
    }

    /// Registers in `registry`: the families are created, or shared with the caches already
    /// registered there, and this cache's series are resolved.
    pub fn register_in(self, registry: &Registry) -> Result<CacheMetrics> {
        let prefix = self.prefix.as_deref();
        let requests = registry
            .counter(
                &prefixed(prefix, "cache_requests"),
                "Cache lookups, by result: hit or miss.",
            )
            .register_shared(&["cache", "result"])?;
        let evictions = registry
            .counter(
                &prefixed(prefix, "cache_evictions"),
                "Entries removed from the cache to make room or because they expired.",
            )
            .register_shared(&["cache"])?;
        let entries = registry
            .gauge(&prefixed(prefix, "cache_entries"), "Entries in the cache.")
            .register_shared(&["cache"])?;
        let cache = self.cache.as_str();
        Ok(CacheMetrics {
            inner: Arc::new(CacheInner {
                hits: requests.with_labels(&[cache, "hit"]),
                misses: requests.with_labels(&[cache, "miss"]),
                evictions: evictions.with_labels(&[cache]),
                entries: entries.with_labels(&[cache]),
            }),
        })
    }
}

/// The metrics of one named cache (see the [module docs](self)). Cloning is cheap and shares
/// the series.
#[derive(Debug, Clone)]
pub struct CacheMetrics {
    inner: Arc<CacheInner>,
}

#[derive(Debug)]
struct CacheInner {
    hits: Counter,
    misses: Counter,
    evictions: Counter,
    entries: Gauge,
}

impl CacheMetrics {
    /// A builder for the cache named `cache` (the value of the `cache` label). Default: no
    /// prefix.
    pub fn builder(cache: impl Into<String>) -> CacheMetricsBuilder {
        CacheMetricsBuilder {
            cache: cache.into(),
            prefix: None,
        }
    }

    /// Counts a lookup that found an entry.
    #[inline]
    pub fn hit(&self) {
        self.inner.hits.inc();
    }

    /// Counts a lookup that found none.
    #[inline]
    pub fn miss(&self) {
        self.inner.misses.inc();
    }

    /// Counts a lookup: a hit if `found`, else a miss.
    #[inline]
    pub fn record(&self, found: bool) {
        if found {
            self.hit();
        } else {
            self.miss();
        }
    }

    /// Counts a lookup by its result and passes the result on: `Some` is a hit, `None` a miss.
    #[inline]
    pub fn lookup<T>(&self, found: Option<T>) -> Option<T> {
        self.record(found.is_some());
        found
    }

    /// Counts one eviction.
    #[inline]
    pub fn evicted(&self) {
        self.inner.evictions.inc();
    }

    /// Counts `n` evictions (a sweep of expired entries).
    #[inline]
    pub fn add_evicted(&self, n: u64) {
        self.inner.evictions.inc_by(n);
    }

    /// Sets the number of entries.
    #[inline]
    pub fn set_entries(&self, entries: usize) {
        self.inner
            .entries
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
    }
}
