//! Queue metrics: how many items wait, how many came and went, and how long each waited.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `queue_depth{queue}` | gauge | items in the queue now |
//! | `queue_items_enqueued_total{queue}` | counter | items put into the queue |
//! | `queue_items_processed_total{queue}` | counter | items taken out of the queue to be handled |
//! | `queue_wait_seconds{queue}` | histogram | time from enqueue to dequeue, per item |
//!
//! "Processed" keeps the meaning of the seed's `queue_items_processed_total`: an item taken off
//! the queue. Whether its handling then succeeded is the handler's metric (an
//! `#[instrument]`ed function, a [`BatchTracker`](crate::BatchTracker)).
//!
//! The wait time needs the instant each item was enqueued. [`QueueMetrics::enqueued`] returns
//! it as an [`Enqueued`] token to carry with the item, [`QueueMetrics::dequeued`] takes it
//! back; [`MeteredQueue`] does this for an in-process FIFO.
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_instrument::sets::QueueMetrics;
//!
//! let registry = Registry::new();
//! let jobs = QueueMetrics::builder("email").register_in(&registry)?;
//!
//! let (tx, rx) = std::sync::mpsc::channel();
//! tx.send(("welcome mail", jobs.enqueued())).unwrap(); // depth 1, enqueued 1
//! let (job, token) = rx.recv().unwrap();
//! let waited = jobs.dequeued(token); // depth 0, processed 1, one wait observed
//! assert_eq!(job, "welcome mail");
//! assert!(waited.as_secs() < 60);
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! For a queue that lives elsewhere (Redis, SQS, a database table), poll its length into
//! [`set_depth`](QueueMetrics::set_depth) and count with
//! [`add_enqueued`](QueueMetrics::add_enqueued) and
//! [`add_processed`](QueueMetrics::add_processed); if its messages carry their enqueue time,
//! give the wait to [`observe_wait`](QueueMetrics::observe_wait).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use vitals_core::{current_registry, Counter, Gauge, Histogram, Registry, Result};

use super::prefixed;

/// Default bounds of `queue_wait_seconds`: 1 ms to 5 minutes, since a queue holds items from
/// a few milliseconds (a busy worker pool) to minutes (a backlog).
pub const QUEUE_WAIT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Configures and registers a [`QueueMetrics`]; made by [`QueueMetrics::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct QueueMetricsBuilder {
    queue: String,
    prefix: Option<String>,
    wait_buckets: Vec<f64>,
}

impl QueueMetricsBuilder {
    /// Prepends `prefix_` to every metric name (`shop` gives `shop_queue_depth`). Default: no
    /// prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The bucket bounds of `queue_wait_seconds`, in seconds. Default: [`QUEUE_WAIT_BUCKETS`].
    /// Every queue of one registry must use the same bounds.
    pub fn with_wait_buckets(mut self, bounds: &[f64]) -> Self {
        self.wait_buckets = bounds.to_vec();
        self
    }

    /// Registers in the [current registry](vitals_core::current_registry).
    pub fn register(self) -> Result<QueueMetrics> {
        self.register_in(&current_registry())
    }

    /// Registers in `registry`: the families are created, or shared with the queues already
    /// registered there, and this queue's series are resolved.
    pub fn register_in(self, registry: &Registry) -> Result<QueueMetrics> {
        let prefix = self.prefix.as_deref();
        let depth = registry
            .gauge(&prefixed(prefix, "queue_depth"), "Items in the queue.")
            .register_shared(&["queue"])?;
        let enqueued = registry
            .counter(
                &prefixed(prefix, "queue_items_enqueued"),
                "Items put into the queue.",
            )
            .register_shared(&["queue"])?;
        let processed = registry
            .counter(
                &prefixed(prefix, "queue_items_processed"),
                "Items taken out of the queue to be handled.",
            )
            .register_shared(&["queue"])?;
        let wait = registry
            .histogram(
                &prefixed(prefix, "queue_wait_seconds"),
                "Time items spent in the queue, from enqueue to dequeue.",
            )
            .with_unit("seconds")
            .with_buckets(&self.wait_buckets)
            .register_shared(&["queue"])?;
        // Series are resolved only once every family is registered, so a failed registration
        // leaves no half-made series behind.
        let queue = [self.queue.as_str()];
        Ok(QueueMetrics {
            inner: Arc::new(QueueInner {
                depth: depth.with_labels(&queue),
                enqueued: enqueued.with_labels(&queue),
                processed: processed.with_labels(&queue),
                wait: wait.with_labels(&queue),
            }),
        })
    }
}

/// The metrics of one named queue (see the [module docs](self)). Cloning is cheap and shares
/// the series.
#[derive(Debug, Clone)]
pub struct QueueMetrics {
    inner: Arc<QueueInner>,
}

#[derive(Debug)]
struct QueueInner {
    depth: Gauge,
    enqueued: Counter,
    processed: Counter,
    wait: Histogram,
}

impl QueueMetrics {
    /// A builder for the queue named `queue` (the value of the `queue` label). Defaults: no
    /// prefix, wait buckets [`QUEUE_WAIT_BUCKETS`].
    pub fn builder(queue: impl Into<String>) -> QueueMetricsBuilder {
        QueueMetricsBuilder {
            queue: queue.into(),
            prefix: None,
            wait_buckets: QUEUE_WAIT_BUCKETS.to_vec(),
        }
    }

    /// One item was put into the queue: depth + 1, enqueued + 1. Carry the returned token with
    /// the item and give it to [`dequeued`](Self::dequeued).
    #[inline]
    pub fn enqueued(&self) -> Enqueued {
        self.inner.depth.inc();
        self.inner.enqueued.inc();
        Enqueued { at: Instant::now() }
    }

    /// The item enqueued with `item` was taken out: depth − 1, processed + 1, and its wait
    /// observed. Returns the wait.
    #[inline]
    pub fn dequeued(&self, item: Enqueued) -> Duration {
        let waited = item.at.elapsed();
        self.inner.depth.dec();
        self.inner.processed.inc();
        self.inner.wait.observe(waited.as_secs_f64());
        waited
    }

    /// The item enqueued with `item` left the queue without being handled (expired, purged,
    /// rejected): depth − 1 only.
    #[inline]
    pub fn discarded(&self, item: Enqueued) {
        let _ = item;
        self.inner.depth.dec();
    }

    /// Sets the depth from the queue's own length: for queues whose length is known (polled
    /// from Redis, `VecDeque::len`). Use either this or the enqueue/dequeue tokens for one
    /// queue, not both, or each corrects the other.
    #[inline]
    pub fn set_depth(&self, depth: usize) {
        self.inner
            .depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Counts `n` items enqueued without touching the depth (for a polled depth).
    #[inline]
    pub fn add_enqueued(&self, n: u64) {
        self.inner.enqueued.inc_by(n);
    }

    /// Counts `n` items taken out without touching the depth (for a polled depth).
    #[inline]
    pub fn add_processed(&self, n: u64) {
        self.inner.processed.inc_by(n);
    }

    /// Observes one item's wait measured elsewhere (from a timestamp the message carries).
    #[inline]
    pub fn observe_wait(&self, waited: Duration) {
        self.inner.wait.observe(waited.as_secs_f64());
    }
}

/// The instant an item was enqueued: returned by [`QueueMetrics::enqueued`], carried with the
/// item, and given back to [`QueueMetrics::dequeued`] to observe its wait.
///
/// Dropping it records nothing: give it to [`QueueMetrics::discarded`] if the item leaves the
/// queue unhandled, or the depth stays one too high. Not `Clone`: one enqueue is dequeued
/// once ([`Enqueued::at`] rebuilds a token from an enqueue time kept with the item).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[must_use = "give the token to `dequeued` or `discarded`, or the queue depth stays too high"]
pub struct Enqueued {
    at: Instant,
}

impl Enqueued {
    /// A token for an item enqueued at `at` (an instant kept by the queue itself). It does not
    /// count an enqueue: that is [`QueueMetrics::enqueued`]'s job.
    pub fn at(at: Instant) -> Self {
        Self { at }
    }

    /// When the item was enqueued.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// How long the item has waited so far.
    pub fn waited(&self) -> Duration {
        self.at.elapsed()
    }
}

/// A FIFO queue that keeps its [`QueueMetrics`] up to date: the seed's `MetricsAwareQueue`.
///
/// Each item is stored with its enqueue instant; the depth is set from the queue's length under
/// its lock, so it is exact even with many producers and consumers.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_instrument::sets::{MeteredQueue, QueueMetrics};
///
/// let registry = Registry::new();
/// let queue = MeteredQueue::new(QueueMetrics::builder("thumbnails").register_in(&registry)?);
/// queue.push("a.png");
/// queue.push("b.png");
/// assert_eq!(queue.pop(), Some("a.png"));
/// assert_eq!(queue.len(), 1);
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug)]
pub struct MeteredQueue<T> {
    items: Mutex<VecDeque<(Instant, T)>>,
    metrics: QueueMetrics,
}

impl<T> MeteredQueue<T> {
    /// An empty queue recording into `metrics` (whose depth it sets to 0).
    pub fn new(metrics: QueueMetrics) -> Self {
        metrics.set_depth(0);
        Self {
            items: Mutex::new(VecDeque::new()),
            metrics,
        }
    }

    /// Appends an item.
    pub fn push(&self, item: T) {
        let mut items = self.lock();
        items.push_back((Instant::now(), item));
        self.metrics.set_depth(items.len());
        drop(items);
        self.metrics.add_enqueued(1);
    }

    /// Takes the oldest item, observing how long it waited; `None` when empty.
    pub fn pop(&self) -> Option<T> {
        let mut items = self.lock();
        let (at, item) = items.pop_front()?;
        self.metrics.set_depth(items.len());
        drop(items);
        self.metrics.add_processed(1);
        self.metrics.observe_wait(at.elapsed());
        Some(item)
    }

    /// The number of items in the queue.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The queue's metrics.
    pub fn metrics(&self) -> &QueueMetrics {
        &self.metrics
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Instant, T)>> {
        // A panic while the lock was held cannot leave the deque half-modified (its methods
        // do not unwind midway), so a poisoned lock still guards a valid queue.
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
