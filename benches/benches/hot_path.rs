//! The hot path, vitals beside its peers in one run: updating a resolved handle, and finding a
//! labeled series that already exists.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use prometheus_client::encoding::EncodeLabelSet;

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn counter_inc(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter_inc");

    let registry = vitals::Registry::new();
    let counter = registry.counter("requests", "R.").register().unwrap();
    group.bench_function("vitals", |b| b.iter(|| black_box(&counter).inc()));

    let tikv = prometheus::IntCounter::new("requests", "R.").unwrap();
    group.bench_function("prometheus", |b| b.iter(|| black_box(&tikv).inc()));

    let client: prometheus_client::metrics::counter::Counter =
        prometheus_client::metrics::counter::Counter::default();
    group.bench_function("prometheus-client", |b| b.iter(|| black_box(&client).inc()));

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = metrics::with_local_recorder(&recorder, || metrics::counter!("requests"));
    group.bench_function("metrics", |b| b.iter(|| black_box(&handle).increment(1)));
    group.finish();
}

fn histogram_observe(c: &mut Criterion) {
    let mut group = c.benchmark_group("histogram_observe");
    let value = 0.042;

    let registry = vitals::Registry::new();
    let histogram = registry
        .histogram("latency_seconds", "L.")
        .with_buckets(BUCKETS)
        .register()
        .unwrap();
    group.bench_function("vitals", |b| b.iter(|| histogram.observe(black_box(value))));

    let opts = prometheus::HistogramOpts::new("latency_seconds", "L.").buckets(BUCKETS.to_vec());
    let tikv = prometheus::Histogram::with_opts(opts).unwrap();
    group.bench_function("prometheus", |b| b.iter(|| tikv.observe(black_box(value))));

    let client = prometheus_client::metrics::histogram::Histogram::new(BUCKETS.iter().copied());
    group.bench_function("prometheus-client", |b| {
        b.iter(|| client.observe(black_box(value)))
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .unwrap()
        .build_recorder();
    let handle = metrics::with_local_recorder(&recorder, || metrics::histogram!("latency_seconds"));
    group.bench_function("metrics", |b| b.iter(|| handle.record(black_box(value))));
    group.finish();
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

fn labeled_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("labeled_lookup_inc");
    let (method, route) = ("GET", "/api/v1/users/{id}");

    let registry = vitals::Registry::new();
    let family = registry
        .counter("requests", "R.")
        .register_family(&["method", "route"])
        .unwrap();
    family.with_labels(&[method, route]).inc();
    group.bench_function("vitals", |b| {
        b.iter(|| family.with_labels(black_box(&[method, route])).inc());
    });

    let tikv = prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests", "R."),
        &["method", "route"],
    )
    .unwrap();
    group.bench_function("prometheus", |b| {
        b.iter(|| tikv.with_label_values(black_box(&[method, route])).inc());
    });

    // prometheus-client's lookup key is an owned label set: building it allocates, which is
    // part of that crate's lookup cost.
    let client = prometheus_client::metrics::family::Family::<
        RouteLabels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    group.bench_function("prometheus-client", |b| {
        b.iter(|| {
            client
                .get_or_create(&RouteLabels {
                    method: black_box(method).to_owned(),
                    route: black_box(route).to_owned(),
                })
                .inc();
        });
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    group.bench_function("metrics", |b| {
        metrics::with_local_recorder(&recorder, || {
            b.iter(|| {
                metrics::counter!("requests", "method" => black_box(method), "route" => black_box(route))
                    .increment(1);
            });
        });
    });
    group.finish();
}

criterion_group!(benches, counter_inc, histogram_observe, labeled_lookup);
criterion_main!(benches);
