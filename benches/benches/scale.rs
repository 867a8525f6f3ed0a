//! Scale, vitals beside its peers in one run: two threads on one counter and on their own
//! counters (`contention/shared/*`, `contention/own/*`, vitals' `ShardedCounter` in both), and
//! text (0.0.4) encoding of many labeled series: 10,000 and 100,000 counter series
//! (`encode_counters/*/10000`, `encode_counters/*/100000`) and 1,000 histograms of 12 bounds
//! (`encode_histograms/*/1000`). Memory per series is measured by `src/bin/memory.rs`, and the
//! allocations of one encode by `src/bin/encode_allocs.rs`, outside criterion.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use std::sync::atomic::Ordering;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use vitals_bench::exposition::{self, Shape};

/// Wall-clock time per operation of two threads running `op(thread_index)` `iters` times each:
/// the elapsed time divided by the `2 * iters` operations.
fn two_threads<R>(iters: u64, op: impl Fn(usize) -> R + Sync) -> Duration {
    let op = &op;
    let start = Instant::now();
    thread::scope(|s| {
        for t in 0..2 {
            s.spawn(move || {
                for _ in 0..iters {
                    black_box(op(t));
                }
            });
        }
    });
    start.elapsed() / 2
}

/// A value on cache lines of its own (128 bytes: adjacent-line prefetch pairs 64-byte lines).
#[repr(align(128))]
struct Padded<T>(T);

fn contention(c: &mut Criterion) {
    let mut group = c.benchmark_group("contention");
    group.sample_size(10);

    // Two threads on one counter.
    let registry = vitals::Registry::new();
    let counter = registry.counter("requests", "R.").register().unwrap();
    group.bench_function(BenchmarkId::new("shared", "vitals"), |b| {
        let before = counter.get();
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&counter).inc()));
        assert!(counter.get() > before);
    });

    // The striped counter, made for exactly this case.
    let sharded = registry
        .sharded_counter("requests_sharded", "R.")
        .register()
        .unwrap();
    group.bench_function(BenchmarkId::new("shared", "vitals-sharded"), |b| {
        let before = sharded.get();
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&sharded).inc()));
        assert!(sharded.get() > before);
    });

    let tikv = prometheus::IntCounter::new("requests", "R.").unwrap();
    group.bench_function(BenchmarkId::new("shared", "prometheus"), |b| {
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&tikv).inc()));
    });

    let client = prometheus_client::metrics::counter::Counter::<u64>::default();
    group.bench_function(BenchmarkId::new("shared", "prometheus-client"), |b| {
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&client).inc()));
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = metrics::with_local_recorder(&recorder, || metrics::counter!("requests"));
    group.bench_function(BenchmarkId::new("shared", "metrics"), |b| {
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&handle).increment(1)));
    });

    let measured = measured::Counter::new();
    let count = |c: &measured::Counter| c.get_metric().count.load(Ordering::Relaxed);
    group.bench_function(BenchmarkId::new("shared", "measured"), |b| {
        let before = count(&measured);
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&measured).inc()));
        assert!(count(&measured) > before);
    });

    // Two threads, each on its own counter.
    let own = [
        registry.counter("own_a", "A.").register().unwrap(),
        registry.counter("own_b", "B.").register().unwrap(),
    ];
    group.bench_function(BenchmarkId::new("own", "vitals"), |b| {
        let before = own[1].get();
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).inc()));
        assert!(own[1].get() > before);
    });

    // Each thread on its own striped counter: what choosing `ShardedCounter` costs where there
    // is no contention to spread.
    let own = [
        registry
            .sharded_counter("own_sharded_a", "A.")
            .register()
            .unwrap(),
        registry
            .sharded_counter("own_sharded_b", "B.")
            .register()
            .unwrap(),
    ];
    group.bench_function(BenchmarkId::new("own", "vitals-sharded"), |b| {
        let before = own[1].get();
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).inc()));
        assert!(own[1].get() > before);
    });

    let own = [
        prometheus::IntCounter::new("own_a", "A.").unwrap(),
        prometheus::IntCounter::new("own_b", "B.").unwrap(),
    ];
    group.bench_function(BenchmarkId::new("own", "prometheus"), |b| {
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).inc()));
    });

    let own = [
        prometheus_client::metrics::counter::Counter::<u64>::default(),
        prometheus_client::metrics::counter::Counter::<u64>::default(),
    ];
    group.bench_function(BenchmarkId::new("own", "prometheus-client"), |b| {
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).inc()));
    });

    let own = metrics::with_local_recorder(&recorder, || {
        [metrics::counter!("own_a"), metrics::counter!("own_b")]
    });
    group.bench_function(BenchmarkId::new("own", "metrics"), |b| {
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).increment(1)));
    });

    // Each thread on its own series of one labeled family, created one after the other: in
    // vitals two neighbouring slots of the family's arena (24 bytes each, so on one cache line),
    // in `prometheus` two children of one vec, each behind its own `Arc`. What the arena's
    // packing costs when threads update neighbouring series.
    let family = registry
        .counter("own_series", "S.")
        .register_family(&["n"])
        .unwrap();
    let own = [family.with_labels(&["a"]), family.with_labels(&["b"])];
    group.bench_function(BenchmarkId::new("own-series", "vitals"), |b| {
        let before = own[1].get();
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).inc()));
        assert!(own[1].get() > before);
    });
    let vec =
        prometheus::IntCounterVec::new(prometheus::Opts::new("own_series", "S."), &["n"]).unwrap();
    let own = [vec.with_label_values(&["a"]), vec.with_label_values(&["b"])];
    group.bench_function(BenchmarkId::new("own-series", "prometheus"), |b| {
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).inc()));
    });

    // A `measured` counter is a plain value (an `AtomicU64`), not a handle to its own
    // allocation: two side by side, as two fields of one metric group are, share a cache line,
    // and the threads then contend as on one counter (about 17 ns here). Each on its own line is
    // the case measured here, as the peers' counters, each behind its own `Arc`, are.
    let own = [
        Padded(measured::Counter::new()),
        Padded(measured::Counter::new()),
    ];
    group.bench_function(BenchmarkId::new("own", "measured"), |b| {
        let before = count(&own[1].0);
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t].0).inc()));
        assert!(count(&own[1].0) > before);
    });
    group.finish();
}

/// Text (0.0.4) encoding of `series` series of `shape` in every library, the same filled
/// registries `src/bin/encode_allocs.rs` counts the allocations of (see
/// `vitals_bench::exposition`, which checks each library's output holds exactly those series).
fn encode_group(c: &mut Criterion, shape: Shape, series: usize) {
    let mut group = c.benchmark_group(format!("encode_{}", shape.name()));
    group.sample_size(10);
    group.throughput(Throughput::Elements(series as u64));
    if series >= 100_000 {
        // The slowest peers take about half a second per encode here: linear sampling's 55
        // iterations for 10 samples would take half a minute per case; flat sampling's 10 take
        // a few seconds.
        group.sampling_mode(SamplingMode::Flat);
    }
    for name in exposition::LIBRARIES {
        // Filled when the case first runs: criterion calls this closure only for the cases a
        // filter selects (once per sample), so a run of one case does not fill the others'
        // registries, and each is dropped before the next is filled.
        let mut library = None;
        group.bench_function(BenchmarkId::new(name, series), |b| {
            let library = library.get_or_insert_with(|| exposition::library(name, shape, series));
            b.iter(|| black_box(library.encode_len()));
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    encode_group(c, Shape::Counters, 10_000);
    encode_group(c, Shape::Histograms, 1_000);
    encode_group(c, Shape::Counters, 100_000);
}

// Half a second of warm-up and two seconds of measurement per case, set here rather than on the
// groups so that `--warm-up-time` and `--measurement-time` on the command line still override
// them (a group's own setting would win over the command line).
criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = contention, encode
}
criterion_main!(benches);
