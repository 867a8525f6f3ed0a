//! Scale, vitals beside its peers in one run: two threads on one counter and on their own
//! counters, and text (0.0.4) encoding of many labeled series. Memory per series is measured by
//! `src/bin/memory.rs`, outside criterion.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prometheus::Encoder as _;
use vitals_bench::{label_values, Labels, LABELS};

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
    group.finish();
}

fn encode(c: &mut Criterion) {
    encode_counters(c, 10_000);
    encode_histograms(c, 1_000);
}

criterion_group!(benches, contention, encode);
criterion_main!(benches);
