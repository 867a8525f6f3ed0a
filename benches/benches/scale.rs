//! Scale, vitals beside its peers in one run: two threads on one counter and on their own
//! counters, and text (0.0.4) encoding of many labeled series. Memory per series is measured by
//! `src/bin/memory.rs`, outside criterion.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use std::sync::atomic::Ordering;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use measured::metric::histogram::Thresholds;
use measured::text::BufferedTextEncoder;
use measured::MetricGroup as _;
use prometheus::Encoder as _;
use vitals_bench::{label_values, Labels, MeasuredLabels, MeasuredLabelsSet, LABELS};

/// 11 bounds, 12 buckets with `+Inf`.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
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
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));

    // Two threads on one counter.
    let registry = vitals::Registry::new();
    let counter = registry.counter("requests", "R.").register().unwrap();
    group.bench_function(BenchmarkId::new("shared", "vitals"), |b| {
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&counter).inc()));
    });

    // The striped counter, made for exactly this case.
    let sharded = registry
        .sharded_counter("requests_sharded", "R.")
        .register()
        .unwrap();
    group.bench_function(BenchmarkId::new("shared", "vitals-sharded"), |b| {
        b.iter_custom(|iters| two_threads(iters, |_| black_box(&sharded).inc()));
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
        b.iter_custom(|iters| two_threads(iters, |t| black_box(&own[t]).inc()));
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

/// A registry without series limits: the default (2,000 per family) would send every series
/// past the 2,000th to the overflow series, and the encoders would measure 2,001 series.
fn unlimited_registry() -> vitals::Registry {
    vitals::Registry::builder()
        .without_series_limits()
        .build()
        .unwrap()
}

/// `measured`'s families, as one group (its unit of encoding): the doc comments are the help
/// text. A counter's name carries its `_total`, which `measured` does not add.
#[derive(measured::MetricGroup)]
struct MeasuredCounters {
    /// R.
    requests_total: measured::CounterVec<MeasuredLabelsSet>,
}

#[derive(measured::MetricGroup)]
struct MeasuredHistograms {
    /// L.
    latency_seconds: measured::HistogramVec<MeasuredLabelsSet, 11>,
}

/// Series `i`'s counter value and histogram observation, so encoders see varied numbers.
fn observation(i: usize) -> f64 {
    (i % 1000) as f64 / 97.0
}

fn encode_counters(c: &mut Criterion, series: usize) {
    let mut group = c.benchmark_group("encode_counters");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(series as u64));

    let registry = unlimited_registry();
    let family = registry
        .counter("requests", "R.")
        .register_family(&LABELS)
        .unwrap();
    for i in 0..series {
        let [m, r, s] = label_values(i);
        family.with_labels(&[&m, &r, &s]).inc_by(i as u64);
    }
    assert_eq!(family.len(), series);
    let mut buf = Vec::new();
    group.bench_function(BenchmarkId::new("vitals", series), |b| {
        b.iter(|| {
            buf.clear();
            vitals::encode(&registry, vitals::Format::PrometheusText, &mut buf);
            black_box(&buf);
        });
    });

    let tikv_registry = prometheus::Registry::new();
    let tikv =
        prometheus::IntCounterVec::new(prometheus::Opts::new("requests", "R."), &LABELS).unwrap();
    tikv_registry.register(Box::new(tikv.clone())).unwrap();
    for i in 0..series {
        let [m, r, s] = label_values(i);
        tikv.with_label_values(&[&m, &r, &s]).inc_by(i as u64);
    }
    let encoder = prometheus::TextEncoder::new();
    group.bench_function(BenchmarkId::new("prometheus", series), |b| {
        b.iter(|| {
            buf.clear();
            encoder.encode(&tikv_registry.gather(), &mut buf).unwrap();
            black_box(&buf);
        });
    });

    let mut client_registry = prometheus_client::registry::Registry::default();
    let client = prometheus_client::metrics::family::Family::<
        Labels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    client_registry.register("requests", "R.", client.clone());
    for i in 0..series {
        client.get_or_create(&Labels::of(i)).inc_by(i as u64);
    }
    let mut text = String::new();
    group.bench_function(BenchmarkId::new("prometheus-client", series), |b| {
        b.iter(|| {
            text.clear();
            prometheus_client::encoding::text::encode(&mut text, &client_registry).unwrap();
            black_box(&text);
        });
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        for i in 0..series {
            let [m, r, s] = label_values(i);
            metrics::counter!("requests", "method" => m, "route" => r, "status" => s)
                .increment(i as u64);
        }
    });
    let handle = recorder.handle();
    // `render` returns a new `String`; the API offers no buffer to reuse.
    group.bench_function(BenchmarkId::new("metrics", series), |b| {
        b.iter(|| black_box(handle.render()));
    });

    let measured = MeasuredCounters {
        requests_total: measured::CounterVec::with_label_set(MeasuredLabelsSet::default()),
    };
    for i in 0..series {
        let values = label_values(i);
        measured
            .requests_total
            .inc_by(MeasuredLabels::of(&values), i as u64);
    }
    assert_eq!(measured.requests_total.get_cardinality().0, series);
    // One encoder kept across scrapes, as its docs ask: `finish` hands out the bytes, and the
    // buffer is reclaimed once they are dropped.
    let mut encoder = BufferedTextEncoder::new();
    measured.collect_group_into(&mut encoder).unwrap();
    let text = encoder.finish();
    assert_eq!(
        text.split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"requests_total{"))
            .count(),
        series
    );
    drop(text);
    group.bench_function(BenchmarkId::new("measured", series), |b| {
        b.iter(|| {
            measured.collect_group_into(&mut encoder).unwrap();
            black_box(encoder.finish());
        });
    });
    group.finish();
}

fn encode_histograms(c: &mut Criterion, series: usize) {
    let mut group = c.benchmark_group("encode_histograms");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(series as u64));

    let registry = unlimited_registry();
    let family = registry
        .histogram("latency_seconds", "L.")
        .with_buckets(BUCKETS)
        .register_family(&LABELS)
        .unwrap();
    for i in 0..series {
        let [m, r, s] = label_values(i);
        family.with_labels(&[&m, &r, &s]).observe(observation(i));
    }
    assert_eq!(family.len(), series);
    let mut buf = Vec::new();
    group.bench_function(BenchmarkId::new("vitals", series), |b| {
        b.iter(|| {
            buf.clear();
            vitals::encode(&registry, vitals::Format::PrometheusText, &mut buf);
            black_box(&buf);
        });
    });

    let tikv_registry = prometheus::Registry::new();
    let opts = prometheus::HistogramOpts::new("latency_seconds", "L.").buckets(BUCKETS.to_vec());
    let tikv = prometheus::HistogramVec::new(opts, &LABELS).unwrap();
    tikv_registry.register(Box::new(tikv.clone())).unwrap();
    for i in 0..series {
        let [m, r, s] = label_values(i);
        tikv.with_label_values(&[&m, &r, &s])
            .observe(observation(i));
    }
    let encoder = prometheus::TextEncoder::new();
    group.bench_function(BenchmarkId::new("prometheus", series), |b| {
        b.iter(|| {
            buf.clear();
            encoder.encode(&tikv_registry.gather(), &mut buf).unwrap();
            black_box(&buf);
        });
    });

    let mut client_registry = prometheus_client::registry::Registry::default();
    let client = prometheus_client::metrics::family::Family::<
        Labels,
        prometheus_client::metrics::histogram::Histogram,
        fn() -> prometheus_client::metrics::histogram::Histogram,
    >::new_with_constructor(|| {
        prometheus_client::metrics::histogram::Histogram::new(BUCKETS.iter().copied())
    });
    client_registry.register("latency_seconds", "L.", client.clone());
    for i in 0..series {
        client.get_or_create(&Labels::of(i)).observe(observation(i));
    }
    let mut text = String::new();
    group.bench_function(BenchmarkId::new("prometheus-client", series), |b| {
        b.iter(|| {
            text.clear();
            prometheus_client::encoding::text::encode(&mut text, &client_registry).unwrap();
            black_box(&text);
        });
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .unwrap()
        .build_recorder();
    metrics::with_local_recorder(&recorder, || {
        for i in 0..series {
            let [m, r, s] = label_values(i);
            metrics::histogram!("latency_seconds", "method" => m, "route" => r, "status" => s)
                .record(observation(i));
        }
    });
    let handle = recorder.handle();
    group.bench_function(BenchmarkId::new("metrics", series), |b| {
        b.iter(|| black_box(handle.render()));
    });

    let measured = MeasuredHistograms {
        latency_seconds: measured::HistogramVec::with_label_set_and_metadata(
            MeasuredLabelsSet::default(),
            Thresholds::with_buckets(BUCKETS.try_into().expect("11 bounds")),
        ),
    };
    for i in 0..series {
        let values = label_values(i);
        measured
            .latency_seconds
            .observe(MeasuredLabels::of(&values), observation(i));
    }
    assert_eq!(measured.latency_seconds.get_cardinality().0, series);
    let mut encoder = BufferedTextEncoder::new();
    measured.collect_group_into(&mut encoder).unwrap();
    let text = encoder.finish();
    assert_eq!(
        text.split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"latency_seconds_count{"))
            .count(),
        series
    );
    drop(text);
    group.bench_function(BenchmarkId::new("measured", series), |b| {
        b.iter(|| {
            measured.collect_group_into(&mut encoder).unwrap();
            black_box(encoder.finish());
        });
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    encode_counters(c, 10_000);
    encode_histograms(c, 1_000);
}

criterion_group!(benches, contention, encode);
criterion_main!(benches);
