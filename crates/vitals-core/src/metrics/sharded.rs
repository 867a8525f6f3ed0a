use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{boxed_handle, sealed, Metric};
use crate::atomic::unix_now;
use crate::collect::{LabelText, MetricType, Number, SeriesValue, Visitor};

/// A counter for one total that many threads increment at once: each increment goes to one of
/// several cache-line-sized shards chosen by the calling thread, and a read sums the shards
/// (the idea of Java's `LongAdder`). Exposed exactly like a [`Counter`](crate::Counter).
///
/// It pays when several threads hammer the same counter (no cache line bounces between
/// cores); it costs a thread-local lookup per increment and 128 bytes per shard, so use a
/// plain [`Counter`](crate::Counter) for everything else, and for labeled families with many
/// series. A read is not a snapshot across shards, but every increment made before the read
/// began is in it, and the total never goes backwards.
///
/// ```
/// use vitals_core::Registry;
/// let registry = Registry::new();
/// let requests = registry
///     .sharded_counter("requests", "Requests served, from every worker thread.")
///     .register()
///     .unwrap();
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| (0..1000).for_each(|_| requests.inc()));
///     }
/// });
/// assert_eq!(requests.get(), 4000);
/// ```
#[derive(Debug, Clone)]
pub struct ShardedCounter {
    inner: Arc<ShardedCell>,
}

/// One shard, alone on its cache line (128 bytes: adjacent-line prefetchers pair 64-byte
/// lines on x86, so 64 would still let two shards interfere).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(AtomicU64);

#[derive(Debug)]
struct ShardedCell {
    shards: Box<[Shard]>,
    /// `shards.len() - 1`; the length is a power of two so a mask picks the shard.
    mask: usize,
    created: f64,
}

/// The calling thread's shard number, assigned once per thread in turn: threads spread over
/// the shards evenly, and a thread keeps its shard (and so its cache line).
fn thread_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: Cell<Option<usize>> = const { Cell::new(None) };
    }
    SHARD.with(|shard| match shard.get() {
        Some(index) => index,
        None => {
            let index = NEXT.fetch_add(1, Ordering::Relaxed);
            shard.set(Some(index));
            index
        }
    })
}

impl ShardedCounter {
    /// A counter at zero that belongs to no registry, with one shard per available core
    /// (rounded up to a power of two, at most 64).
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, usize::from);
        Self::with_shards(cores)
    }

    /// A counter with `shards` shards (rounded up to a power of two, between 1 and 64).
    pub fn with_shards(shards: usize) -> Self {
        let count = shards.clamp(1, 64).next_power_of_two();
        Self {
            inner: Arc::new(ShardedCell {
                shards: (0..count).map(|_| Shard::default()).collect(),
                mask: count - 1,
                created: unix_now(),
            }),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `v`. The total wraps at `u64::MAX`.
    #[inline]
    pub fn inc_by(&self, v: u64) {
        if !crate::switch::updates_enabled() {
            return;
        }
        let index = thread_shard() & self.inner.mask;
        if let Some(shard) = self.inner.shards.get(index) {
            shard.0.fetch_add(v, Ordering::Relaxed);
        }
    }

    /// The current total: the sum of the shards.
    pub fn get(&self) -> u64 {
        self.inner
            .shards
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }

    /// How many shards the counter spreads over.
    pub fn shards(&self) -> usize {
        self.inner.shards.len()
    }

    /// When this series was created, in seconds since the Unix epoch.
    pub fn created(&self) -> f64 {
        self.inner.created
    }
}

impl Default for ShardedCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl sealed::Sealed for ShardedCounter {}

impl Metric for ShardedCounter {
    type Options = ();
    const TYPE: MetricType = MetricType::Counter;

    boxed_handle!();

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        visitor.series(
            labels,
            &SeriesValue::Counter {
                value: Number::U64(self.get()),
                created: Some(self.inner.created),
                exemplar: None,
            },
        );
    }

    fn same_series(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn heap_bytes(&self) -> usize {
        super::arc_bytes::<ShardedCell>() + self.inner.shards.len() * std::mem::size_of::<Shard>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_counts_are_powers_of_two_within_bounds() {
        assert_eq!(ShardedCounter::with_shards(0).shards(), 1);
        assert_eq!(ShardedCounter::with_shards(3).shards(), 4);
        assert_eq!(ShardedCounter::with_shards(1000).shards(), 64);
        assert!(ShardedCounter::new().shards().is_power_of_two());
    }

    #[test]
    fn exact_under_contention() {
        let counter = ShardedCounter::with_shards(4);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50_000 {
                        counter.inc();
                    }
                    counter.inc_by(7);
                });
            }
        });
        assert_eq!(counter.get(), 8 * 50_007);
    }
}
