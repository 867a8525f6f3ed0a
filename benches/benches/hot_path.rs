//! The hot path, vitals beside its peers in one run (issue 7's cases):
//!
//! - `counter_inc`: `inc` on a resolved handle, unlabeled.
//! - `gauge_set`: `set` on a resolved handle, to a new value each iteration.
//! - `histogram_observe`: `observe` on a resolved handle, 12 explicit bounds in every library.
//! - `labeled_lookup_inc`: finding a labeled counter series by three string label values, then
//!   `inc`; the family holds 100 series and each iteration takes the next of a scrambled
//!   rotation through them (so consecutive lookups differ in every label).
//! - `cached_child_inc`: the same series resolved once, its handle kept, then `inc`.
//! - `histogram_lookup_observe`: as `labeled_lookup_inc`, with 100 histogram series of 12
//!   bounds, then `observe`.
//! - `typed_lookup_inc`: the lookup by a typed label set of enums (50 series).
//! - `switch_counter_inc`: what the on/off switch costs an update.
//! - `at_limit_lookup_inc`: what a lookup costs once a family is at its series limit.
//!
//! The two lookup groups also time `floor`, which is no library: the same lookup in an
//! unsynchronised `hashbrown` table (`vitals_bench::floor`), the physical limit of a lookup by
//! strings on the machine of the run. `scripts/bench-report` leaves it out of the peers.
//!
//! Every case checks that its update really landed (a value moved, the family holds the series
//! it should).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use measured::label::LabelGroupSet;
use measured::metric::histogram::Thresholds;
use measured::metric::name::MetricName;
use measured::metric::MetricFamilyEncoding as _;
use measured::text::BufferedTextEncoder;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use vitals::LabelSet as _;
// The 100 labeled series of the lookup groups (`COMBINATIONS` below is the typed group's 50).
use vitals_bench::floor::Floor;
use vitals_bench::{MeasuredLabels, MeasuredLabelsSet, BUCKETS, COMBINATIONS as LABELED, LABELS};

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

    let measured = measured::Counter::new();
    let count = || measured.get_metric().count.load(Ordering::Relaxed);
    group.bench_function("measured", |b| {
        let before = count();
        b.iter(|| black_box(&measured).inc());
        assert!(count() > before, "measured's counter moved");
    });
    group.finish();
}

fn gauge_set(c: &mut Criterion) {
    let mut group = c.benchmark_group("gauge_set");
    // The value set: the iteration count, so every `set` stores a new value; each case checks
    // its gauge holds the last one.
    let v = Cell::new(0_i64);
    let step = || {
        v.set(v.get() + 1);
        black_box(v.get())
    };

    let registry = vitals::Registry::new();
    let gauge = registry.gauge("in_flight", "I.").register().unwrap();
    group.bench_function("vitals", |b| {
        b.iter(|| gauge.set(step()));
        assert_eq!(gauge.get(), v.get());
    });

    let tikv = prometheus::IntGauge::new("in_flight", "I.").unwrap();
    group.bench_function("prometheus", |b| {
        b.iter(|| tikv.set(step()));
        assert_eq!(tikv.get(), v.get());
    });

    let client = prometheus_client::metrics::gauge::Gauge::<i64>::default();
    group.bench_function("prometheus-client", |b| {
        b.iter(|| client.set(step()));
        assert_eq!(client.get(), v.get());
    });

    // `metrics`' gauges hold an `f64`.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = metrics::with_local_recorder(&recorder, || metrics::gauge!("in_flight"));
    group.bench_function("metrics", |b| {
        b.iter(|| handle.set(step() as f64));
        assert_eq!(metrics_total(&recorder, "in_flight"), v.get() as f64);
    });

    let measured = measured::Gauge::new();
    group.bench_function("measured", |b| {
        b.iter(|| measured.set(step()));
        assert_eq!(measured.get_metric().count.load(Ordering::Relaxed), v.get());
    });
    group.finish();
}

/// The observations a `measured` histogram holds (its buckets are not cumulative).
fn measured_observations<const N: usize>(
    histogram: &measured::metric::MetricLockGuard<
        '_,
        measured::metric::histogram::HistogramState<N>,
    >,
) -> u64 {
    let inner = histogram.inner.read();
    inner
        .buckets
        .iter()
        .chain([&inner.inf])
        .map(|b| b.load(Ordering::Relaxed))
        .sum()
}

/// The 12 bounds as `measured`'s thresholds (it takes them as an array: `N` is a type parameter).
fn measured_thresholds() -> Thresholds<12> {
    Thresholds::with_buckets(BUCKETS)
}

/// `metrics`' recorder with the 12 bounds (without them it renders histograms as summaries).
fn metrics_histogram_recorder() -> metrics_exporter_prometheus::PrometheusRecorder {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .unwrap()
        .build_recorder()
}

/// The sum of the values of the samples named `sample` (with or without labels) in a text
/// exposition.
fn sample_total(text: &str, sample: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{sample}{{")) || l.starts_with(&format!("{sample} ")))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

/// The sum of `recorder`'s samples named `sample`: how a `metrics` update is checked, as its
/// handles cannot be read.
fn metrics_total(recorder: &metrics_exporter_prometheus::PrometheusRecorder, sample: &str) -> f64 {
    sample_total(&recorder.handle().render(), sample)
}

/// The sum of `registry`'s samples named `sample`: how a `prometheus-client` histogram is
/// checked (it offers `count()` only to its own tests).
fn client_total(registry: &prometheus_client::registry::Registry, sample: &str) -> f64 {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    sample_total(&text, sample)
}

fn histogram_observe(c: &mut Criterion) {
    let mut group = c.benchmark_group("histogram_observe");
    let value = 0.042;

    let registry = vitals::Registry::new();
    let histogram = registry
        .histogram("latency_seconds", "L.")
        .with_buckets(&BUCKETS)
        .register()
        .unwrap();
    assert_eq!(histogram.bounds(), BUCKETS);
    group.bench_function("vitals", |b| {
        let before = histogram.count();
        b.iter(|| histogram.observe(black_box(value)));
        assert!(histogram.count() > before);
    });

    let opts = prometheus::HistogramOpts::new("latency_seconds", "L.").buckets(BUCKETS.to_vec());
    let tikv = prometheus::Histogram::with_opts(opts).unwrap();
    group.bench_function("prometheus", |b| {
        let before = tikv.get_sample_count();
        b.iter(|| tikv.observe(black_box(value)));
        assert!(tikv.get_sample_count() > before);
    });

    let client = prometheus_client::metrics::histogram::Histogram::new(BUCKETS);
    let mut client_registry = prometheus_client::registry::Registry::default();
    client_registry.register("latency_seconds", "L.", client.clone());
    let client_count = || client_total(&client_registry, "latency_seconds_count");
    group.bench_function("prometheus-client", |b| {
        let before = client_count();
        b.iter(|| client.observe(black_box(value)));
        assert!(client_count() > before);
    });

    let recorder = metrics_histogram_recorder();
    let handle = metrics::with_local_recorder(&recorder, || metrics::histogram!("latency_seconds"));
    group.bench_function("metrics", |b| {
        let before = metrics_total(&recorder, "latency_seconds_count");
        b.iter(|| handle.record(black_box(value)));
        assert!(metrics_total(&recorder, "latency_seconds_count") > before);
    });

    let measured = measured::Histogram::<12>::with_metadata(measured_thresholds());
    group.bench_function("measured", |b| {
        let before = measured_observations(&measured.get_metric());
        b.iter(|| measured.observe(black_box(value)));
        assert!(measured_observations(&measured.get_metric()) > before);
    });
    group.finish();
}

/// A `measured` counter's value for one label group.
fn measured_count<L: LabelGroupSet>(family: &measured::CounterVec<L>, labels: L::Group<'_>) -> u64 {
    family
        .get_metric(family.with_labels(labels))
        .count
        .load(Ordering::Relaxed)
}

/// A label set of the rotation as `measured`'s label group.
fn measured_labels([method, route, status]: [&str; 3]) -> MeasuredLabels<'_> {
    MeasuredLabels {
        method,
        route,
        status,
    }
}

/// A label set of the rotation as `prometheus-client`'s key, an owned struct: building it
/// allocates three strings, which is part of that crate's lookup cost.
fn client_labels([method, route, status]: [&str; 3]) -> vitals_bench::Labels {
    vitals_bench::Labels {
        method: method.to_owned(),
        route: route.to_owned(),
        status: status.to_owned(),
    }
}

/// The libraries of [`CounterFamilies`].
#[derive(Clone, Copy)]
enum Library {
    Vitals,
    Prometheus,
    Client,
    Metrics,
    Measured,
}

/// The counter families of `labeled_lookup_inc` and `cached_child_inc`: every library's, each
/// holding the 100 series of the rotation (incremented once each) before anything is measured.
struct CounterFamilies {
    sets: Vec<[&'static str; 3]>,
    vitals: vitals::Family<vitals::Counter>,
    tikv: prometheus::IntCounterVec,
    client: prometheus_client::metrics::family::Family<
        vitals_bench::Labels,
        prometheus_client::metrics::counter::Counter,
    >,
    recorder: metrics_exporter_prometheus::PrometheusRecorder,
    measured: measured::CounterVec<MeasuredLabelsSet>,
    // Keeps the vitals family's registry alive.
    _registry: vitals::Registry,
}

impl CounterFamilies {
    fn new() -> Self {
        let sets = vitals_bench::rotation();
        let registry = vitals::Registry::new();
        let vitals = registry
            .counter("requests", "R.")
            .register_family(&LABELS)
            .unwrap();
        let tikv = prometheus::IntCounterVec::new(prometheus::Opts::new("requests", "R."), &LABELS)
            .unwrap();
        let client = prometheus_client::metrics::family::Family::<
            vitals_bench::Labels,
            prometheus_client::metrics::counter::Counter,
        >::default();
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let measured = measured::CounterVec::with_label_set(MeasuredLabelsSet::default());
        for &set in &sets {
            let [m, r, s] = set;
            vitals.with_labels(&set).inc();
            tikv.with_label_values(&set).inc();
            client.get_or_create(&client_labels(set)).inc();
            metrics::with_local_recorder(&recorder, || {
                metrics::counter!("requests", "method" => m, "route" => r, "status" => s)
                    .increment(1);
            });
            measured.inc(measured_labels(set));
        }
        let families = CounterFamilies {
            sets,
            vitals,
            tikv,
            client,
            recorder,
            measured,
            _registry: registry,
        };
        families.check_series();
        families
    }

    /// Every library holds exactly the 100 series, each incremented at least once.
    fn check_series(&self) {
        assert_eq!(self.vitals.len(), LABELED);
        assert_eq!(
            prometheus::core::Collector::collect(&self.tikv)[0]
                .get_metric()
                .len(),
            LABELED
        );
        assert_eq!(
            self.recorder
                .handle()
                .render()
                .lines()
                .filter(|l| l.starts_with("requests{"))
                .count(),
            LABELED
        );
        assert_eq!(self.measured.get_cardinality().0, LABELED);
        for library in [
            Library::Vitals,
            Library::Prometheus,
            Library::Client,
            Library::Metrics,
            Library::Measured,
        ] {
            assert!(self.total(library) >= LABELED as u64);
        }
    }

    /// The sum of `library`'s counters over the 100 series: each case checks it moved.
    fn total(&self, library: Library) -> u64 {
        let sum = |f: &dyn Fn([&'static str; 3]) -> u64| self.sets.iter().map(|s| f(*s)).sum();
        match library {
            Library::Vitals => sum(&|s| self.vitals.with_labels(&s).get()),
            Library::Prometheus => sum(&|s| self.tikv.with_label_values(&s).get()),
            Library::Client => sum(&|s| self.client.get_or_create(&client_labels(s)).get()),
            Library::Metrics => metrics_total(&self.recorder, "requests") as u64,
            Library::Measured => sum(&|s| measured_count(&self.measured, measured_labels(s))),
        }
    }
}

fn labeled_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("labeled_lookup_inc");
    let f = CounterFamilies::new();
    let sets = &f.sets;
    let mut i = 0;

    group.bench_function("vitals", |b| {
        let before = f.total(Library::Vitals);
        b.iter(|| {
            f.vitals
                .with_labels(black_box(&sets[next(&mut i, LABELED)]))
                .inc()
        });
        assert!(f.total(Library::Vitals) > before);
    });
    // The clone-free form: the update runs on the handle in place, with no reference count's
    // increment and decrement.
    group.bench_function("vitals-with-series", |b| {
        let before = f.total(Library::Vitals);
        b.iter(|| {
            f.vitals
                .with_series(black_box(&sets[next(&mut i, LABELED)]), |c| c.inc())
        });
        assert!(f.total(Library::Vitals) > before);
    });

    group.bench_function("prometheus", |b| {
        let before = f.total(Library::Prometheus);
        b.iter(|| {
            f.tikv
                .with_label_values(black_box(&sets[next(&mut i, LABELED)]))
                .inc()
        });
        assert!(f.total(Library::Prometheus) > before);
    });

    // The owned key is built from the borrowed values in every iteration.
    group.bench_function("prometheus-client", |b| {
        let before = f.total(Library::Client);
        b.iter(|| {
            f.client
                .get_or_create(&client_labels(*black_box(&sets[next(&mut i, LABELED)])))
                .inc();
        });
        assert!(f.total(Library::Client) > before);
    });

    // The values are `&'static str`: `metrics` borrows them into its key without copying.
    group.bench_function("metrics", |b| {
        let before = f.total(Library::Metrics);
        metrics::with_local_recorder(&f.recorder, || {
            b.iter(|| {
                let [m, r, s] = *black_box(&sets[next(&mut i, LABELED)]);
                metrics::counter!("requests", "method" => m, "route" => r, "status" => s)
                    .increment(1);
            });
        });
        assert!(f.total(Library::Metrics) > before);
    });

    group.bench_function("measured", |b| {
        let before = f.total(Library::Measured);
        b.iter(|| {
            f.measured
                .inc(measured_labels(*black_box(&sets[next(&mut i, LABELED)])))
        });
        assert!(f.total(Library::Measured) > before);
    });

    // Not a library: the physical limit (see `vitals_bench::floor`), the same rotation and
    // the same relaxed atomic add, in an unsynchronised `hashbrown` table.
    let mut floor = Floor::new();
    for set in sets {
        floor.insert(*set, AtomicU64::new(0));
    }
    let floor_total = |floor: &Floor<AtomicU64>| -> u64 {
        sets.iter()
            .map(|s| floor.get(s).map_or(0, |c| c.load(Ordering::Relaxed)))
            .sum()
    };
    group.bench_function("floor", |b| {
        let before = floor_total(&floor);
        b.iter(|| {
            if let Some(cell) = floor.get(black_box(&sets[next(&mut i, LABELED)])) {
                cell.fetch_add(1, Ordering::Relaxed);
            }
        });
        assert!(floor_total(&floor) > before);
    });
    f.check_series();
    group.finish();
}

/// One labeled series (of the 100), its handle resolved once and kept, then `inc`: what a
/// caller that caches its children pays. `measured` hands out no handle that outlives a lock
/// guard; its cheapest address of a fixed label group is the `LabelId` `with_labels` returns
/// (it skips interning and hashing; the sharded map's lookup under its read lock remains).
fn cached_child(c: &mut Criterion) {
    let mut group = c.benchmark_group("cached_child_inc");
    let f = CounterFamilies::new();
    let set = f.sets[0];
    let [m, r, s] = set;

    let child = f.vitals.with_labels(&set);
    group.bench_function("vitals", |b| {
        let before = f.total(Library::Vitals);
        b.iter(|| black_box(&child).inc());
        assert!(f.total(Library::Vitals) > before);
    });

    let child = f.tikv.with_label_values(&set);
    group.bench_function("prometheus", |b| {
        let before = f.total(Library::Prometheus);
        b.iter(|| black_box(&child).inc());
        assert!(f.total(Library::Prometheus) > before);
    });

    // `get_or_create` returns a read guard on the family; the counter cloned out of it (an
    // `Arc`) is the kept handle.
    let child = f.client.get_or_create(&client_labels(set)).clone();
    group.bench_function("prometheus-client", |b| {
        let before = f.total(Library::Client);
        b.iter(|| black_box(&child).inc());
        assert!(f.total(Library::Client) > before);
    });

    // The handle is resolved inside the local recorder and updated outside it.
    let child = metrics::with_local_recorder(
        &f.recorder,
        || metrics::counter!("requests", "method" => m, "route" => r, "status" => s),
    );
    group.bench_function("metrics", |b| {
        let before = f.total(Library::Metrics);
        b.iter(|| black_box(&child).increment(1));
        assert!(f.total(Library::Metrics) > before);
    });

    let id = f.measured.with_labels(measured_labels(set));
    group.bench_function("measured", |b| {
        let before = f.total(Library::Measured);
        b.iter(|| f.measured.get_metric(black_box(id)).inc());
        assert!(f.total(Library::Measured) > before);
    });
    f.check_series();
    group.finish();
}

/// Finding a labeled histogram series by three string label values, rotating through 100 as
/// `labeled_lookup_inc` does, then `observe` (series `k`'s value, spread over the buckets).
fn histogram_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("histogram_lookup_observe");
    let sets = vitals_bench::rotation();
    let values: Vec<f64> = (0..LABELED).map(vitals_bench::observation).collect();
    let mut i = 0;

    let registry = vitals::Registry::new();
    let family = registry
        .histogram("latency_seconds", "L.")
        .with_buckets(&BUCKETS)
        .register_family(&LABELS)
        .unwrap();
    for set in &sets {
        family.with_labels(set).observe(0.1);
    }
    assert_eq!(family.len(), LABELED);
    let total = || -> u64 { sets.iter().map(|s| family.with_labels(s).count()).sum() };
    group.bench_function("vitals", |b| {
        let before = total();
        b.iter(|| {
            let k = next(&mut i, LABELED);
            family
                .with_labels(black_box(&sets[k]))
                .observe(black_box(values[k]))
        });
        assert!(total() > before);
    });
    group.bench_function("vitals-with-series", |b| {
        let before = total();
        b.iter(|| {
            let k = next(&mut i, LABELED);
            family.with_series(black_box(&sets[k]), |h| h.observe(black_box(values[k])))
        });
        assert!(total() > before);
    });
    assert_eq!(family.len(), LABELED);

    let opts = prometheus::HistogramOpts::new("latency_seconds", "L.").buckets(BUCKETS.to_vec());
    let tikv = prometheus::HistogramVec::new(opts, &LABELS).unwrap();
    for set in &sets {
        tikv.with_label_values(set).observe(0.1);
    }
    let total = || -> u64 {
        sets.iter()
            .map(|s| tikv.with_label_values(s).get_sample_count())
            .sum()
    };
    group.bench_function("prometheus", |b| {
        let before = total();
        b.iter(|| {
            let k = next(&mut i, LABELED);
            tikv.with_label_values(black_box(&sets[k]))
                .observe(black_box(values[k]))
        });
        assert!(total() > before);
    });

    let client = prometheus_client::metrics::family::Family::<
        vitals_bench::Labels,
        prometheus_client::metrics::histogram::Histogram,
        fn() -> prometheus_client::metrics::histogram::Histogram,
    >::new_with_constructor(|| {
        prometheus_client::metrics::histogram::Histogram::new(BUCKETS)
    });
    for set in &sets {
        client.get_or_create(&client_labels(*set)).observe(0.1);
    }
    let mut client_registry = prometheus_client::registry::Registry::default();
    client_registry.register("latency_seconds", "L.", client.clone());
    let total = || client_total(&client_registry, "latency_seconds_count");
    assert_eq!(total(), LABELED as f64);
    group.bench_function("prometheus-client", |b| {
        let before = total();
        b.iter(|| {
            let k = next(&mut i, LABELED);
            client
                .get_or_create(&client_labels(*black_box(&sets[k])))
                .observe(black_box(values[k]));
        });
        assert!(total() > before);
    });

    let recorder = metrics_histogram_recorder();
    metrics::with_local_recorder(&recorder, || {
        for &[m, r, s] in &sets {
            metrics::histogram!("latency_seconds", "method" => m, "route" => r, "status" => s)
                .record(0.1);
        }
    });
    let total = || metrics_total(&recorder, "latency_seconds_count");
    assert_eq!(total(), LABELED as f64);
    group.bench_function("metrics", |b| {
        let before = total();
        metrics::with_local_recorder(&recorder, || {
            b.iter(|| {
                let k = next(&mut i, LABELED);
                let [m, r, s] = *black_box(&sets[k]);
                metrics::histogram!("latency_seconds", "method" => m, "route" => r, "status" => s)
                    .record(black_box(values[k]));
            });
        });
        assert!(total() > before);
    });

    let measured = measured::HistogramVec::<MeasuredLabelsSet, 12>::with_label_set_and_metadata(
        MeasuredLabelsSet::default(),
        measured_thresholds(),
    );
    for set in &sets {
        measured.observe(measured_labels(*set), 0.1);
    }
    assert_eq!(measured.get_cardinality().0, LABELED);
    let total = || -> u64 {
        sets.iter()
            .map(|s| {
                measured_observations(
                    &measured.get_metric(measured.with_labels(measured_labels(*s))),
                )
            })
            .sum()
    };
    group.bench_function("measured", |b| {
        let before = total();
        b.iter(|| {
            let k = next(&mut i, LABELED);
            measured.observe(measured_labels(*black_box(&sets[k])), black_box(values[k]));
        });
        assert!(total() > before);
    });
    assert_eq!(measured.get_cardinality().0, LABELED);

    // Not a library: the physical limit of the lookup (see `vitals_bench::floor`), then the
    // same `observe`, on vitals' own histograms (handles of `family`'s series).
    let mut floor = Floor::new();
    for set in &sets {
        floor.insert(*set, family.with_labels(set));
    }
    let total = || -> u64 { sets.iter().map(|s| family.with_labels(s).count()).sum() };
    group.bench_function("floor", |b| {
        let before = total();
        b.iter(|| {
            let k = next(&mut i, LABELED);
            if let Some(histogram) = floor.get(black_box(&sets[k])) {
                histogram.observe(black_box(values[k]));
            }
        });
        assert!(total() > before);
    });
    group.finish();
}

// Issue 4's typed label set: three labels whose every value is an enum variant or a `bool`, so
// vitals indexes the 5 × 5 × 2 = 50 series in an array. The same types serve as
// `prometheus-client`'s key (it hashes the struct: the enums' discriminants, no strings).

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, vitals::LabelValue, EncodeLabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, vitals::LabelValue, EncodeLabelValue)]
enum StatusClass {
    #[label(rename = "1xx")]
    Informational,
    #[label(rename = "2xx")]
    Success,
    #[label(rename = "3xx")]
    Redirection,
    #[label(rename = "4xx")]
    ClientError,
    #[label(rename = "5xx")]
    ServerError,
}

/// The typed label set; `success` is the outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, vitals::LabelSet, EncodeLabelSet)]
struct Request {
    method: Method,
    status_class: StatusClass,
    success: bool,
}

// The same set for `measured`, whose `#[derive(FixedCardinalityLabel)]` shares the `label`
// attribute but not its spelling (no `UPPERCASE`) and which has no label value for `bool`: its
// own enums, with the same values (checked in `typed_lookup` against the encoded text).

#[derive(Clone, Copy, measured::FixedCardinalityLabel)]
#[label(rename_all = "SHOUTY_SNAKE_CASE")]
enum MeasuredMethod {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

#[derive(Clone, Copy, measured::FixedCardinalityLabel)]
enum MeasuredStatusClass {
    #[label(rename = "1xx")]
    Informational,
    #[label(rename = "2xx")]
    Success,
    #[label(rename = "3xx")]
    Redirection,
    #[label(rename = "4xx")]
    ClientError,
    #[label(rename = "5xx")]
    ServerError,
}

#[derive(Clone, Copy, measured::FixedCardinalityLabel)]
#[label(rename_all = "snake_case")]
enum MeasuredSuccess {
    False,
    True,
}

/// Every label of fixed cardinality: `measured` indexes the 50 series in an array ("dense").
#[derive(Clone, Copy, measured::LabelGroup)]
#[label(set = MeasuredRequestSet)]
struct MeasuredRequest {
    method: MeasuredMethod,
    status_class: MeasuredStatusClass,
    success: MeasuredSuccess,
}

impl From<&Request> for MeasuredRequest {
    fn from(request: &Request) -> Self {
        MeasuredRequest {
            method: match request.method {
                Method::Get => MeasuredMethod::Get,
                Method::Post => MeasuredMethod::Post,
                Method::Put => MeasuredMethod::Put,
                Method::Delete => MeasuredMethod::Delete,
                Method::Patch => MeasuredMethod::Patch,
            },
            status_class: match request.status_class {
                StatusClass::Informational => MeasuredStatusClass::Informational,
                StatusClass::Success => MeasuredStatusClass::Success,
                StatusClass::Redirection => MeasuredStatusClass::Redirection,
                StatusClass::ClientError => MeasuredStatusClass::ClientError,
                StatusClass::ServerError => MeasuredStatusClass::ServerError,
            },
            success: if request.success {
                MeasuredSuccess::True
            } else {
                MeasuredSuccess::False
            },
        }
    }
}

const METHODS: [(Method, &str); 5] = [
    (Method::Get, "GET"),
    (Method::Post, "POST"),
    (Method::Put, "PUT"),
    (Method::Delete, "DELETE"),
    (Method::Patch, "PATCH"),
];
const STATUS_CLASSES: [(StatusClass, &str); 5] = [
    (StatusClass::Informational, "1xx"),
    (StatusClass::Success, "2xx"),
    (StatusClass::Redirection, "3xx"),
    (StatusClass::ClientError, "4xx"),
    (StatusClass::ServerError, "5xx"),
];
const SUCCESS: [(bool, &str); 2] = [(false, "false"), (true, "true")];
const COMBINATIONS: usize = 50;

/// The 50 combinations, typed and as the strings vitals renders them, in a scrambled order
/// (stride 17 through the 50) so that consecutive lookups differ in every label.
fn combinations() -> Vec<(Request, [&'static str; 3])> {
    let mut ordered = Vec::with_capacity(COMBINATIONS);
    for (method, m) in METHODS {
        for (status_class, s) in STATUS_CLASSES {
            for (success, o) in SUCCESS {
                let request = Request {
                    method,
                    status_class,
                    success,
                };
                // The strings are exactly the typed set's values.
                let mut values = Vec::new();
                request.visit_values(&mut |v| values.push(v.to_owned()));
                assert_eq!(values, [m, s, o]);
                ordered.push((request, [m, s, o]));
            }
        }
    }
    let combinations: Vec<_> = (0..COMBINATIONS)
        .map(|i| ordered[i * 17 % COMBINATIONS].clone())
        .collect();
    let mut dense: Vec<usize> = combinations.iter().map(|(r, _)| r.dense_index()).collect();
    dense.sort_unstable();
    dense.dedup();
    assert_eq!(dense.len(), COMBINATIONS, "50 distinct dense indices");
    combinations
}

/// The next index of a rotation through `n` items.
#[inline]
fn next(i: &mut usize, n: usize) -> usize {
    let current = *i;
    *i = if current + 1 == n { 0 } else { current + 1 };
    current
}

fn typed_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("typed_lookup_inc");
    let combos = combinations();
    let typed: Vec<Request> = combos.iter().map(|(r, _)| r.clone()).collect();
    let strings: Vec<[&str; 3]> = combos.iter().map(|(_, s)| *s).collect();
    const NAMES: [&str; 3] = ["method", "status_class", "success"];

    let registry = vitals::Registry::new();
    let family = registry
        .counter("requests", "R.")
        .register_typed::<Request>()
        .unwrap();
    assert_eq!(Request::CARDINALITY, Some(COMBINATIONS));
    for labels in &typed {
        family.get(labels).inc();
    }
    assert_eq!(family.len(), COMBINATIONS);
    let mut i = 0;
    group.bench_function("vitals-typed-get", |b| {
        b.iter(|| {
            family
                .get(black_box(&typed[next(&mut i, COMBINATIONS)]))
                .inc()
        });
    });
    group.bench_function("vitals-typed-with", |b| {
        b.iter(|| family.with(black_box(&typed[next(&mut i, COMBINATIONS)]), |c| c.inc()));
    });
    assert_eq!(family.len(), COMBINATIONS);

    let dynamic = registry
        .counter("requests_dynamic", "R.")
        .register_family(&NAMES)
        .unwrap();
    for values in &strings {
        dynamic.with_labels(values).inc();
    }
    assert_eq!(dynamic.len(), COMBINATIONS);
    group.bench_function("vitals-dynamic", |b| {
        b.iter(|| {
            dynamic
                .with_labels(black_box(&strings[next(&mut i, COMBINATIONS)]))
                .inc()
        });
    });
    assert_eq!(dynamic.len(), COMBINATIONS);

    let tikv =
        prometheus::IntCounterVec::new(prometheus::Opts::new("requests", "R."), &NAMES).unwrap();
    for values in &strings {
        tikv.with_label_values(values).inc();
    }
    group.bench_function("prometheus", |b| {
        b.iter(|| {
            tikv.with_label_values(black_box(&strings[next(&mut i, COMBINATIONS)]))
                .inc()
        });
    });

    let client = prometheus_client::metrics::family::Family::<
        Request,
        prometheus_client::metrics::counter::Counter,
    >::default();
    for labels in &typed {
        client.get_or_create(labels).inc();
    }
    group.bench_function("prometheus-client", |b| {
        b.iter(|| {
            client
                .get_or_create(black_box(&typed[next(&mut i, COMBINATIONS)]))
                .inc()
        });
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    group.bench_function("metrics", |b| {
        metrics::with_local_recorder(&recorder, || {
            for [m, s, o] in &strings {
                metrics::counter!("requests", "method" => *m, "status_class" => *s, "success" => *o)
                    .increment(1);
            }
            b.iter(|| {
                let [m, s, o] = *black_box(&strings[next(&mut i, COMBINATIONS)]);
                metrics::counter!("requests", "method" => m, "status_class" => s, "success" => o)
                    .increment(1);
            });
        });
    });

    let measured_typed: Vec<MeasuredRequest> = typed.iter().map(MeasuredRequest::from).collect();
    let measured = measured::CounterVec::with_label_set(MeasuredRequestSet::new());
    for labels in &measured_typed {
        measured.inc(*labels);
    }
    assert_eq!(
        measured.get_cardinality(),
        (COMBINATIONS, Some(COMBINATIONS))
    );
    // The same 50 series, by the label text `measured` writes.
    let mut encoder = BufferedTextEncoder::new();
    measured
        .collect_family_into(MetricName::from_str("requests_total"), &mut encoder)
        .unwrap();
    let text = encoder.finish();
    let text = std::str::from_utf8(&text).unwrap();
    for [m, s, o] in &strings {
        let series = format!("{{method=\"{m}\",status_class=\"{s}\",success=\"{o}\"}} 1\n");
        assert!(text.contains(&series), "{series} in {text}");
    }
    let total = || -> u64 {
        measured_typed
            .iter()
            .map(|labels| measured_count(&measured, *labels))
            .sum()
    };
    group.bench_function("measured", |b| {
        let before = total();
        b.iter(|| measured.inc(*black_box(&measured_typed[next(&mut i, COMBINATIONS)])));
        assert!(total() > before);
    });
    assert_eq!(measured.get_cardinality().0, COMBINATIONS);
    group.finish();
}

/// The on/off switch's share of an update: the same `inc` beside the bare atomic it wraps, and
/// with the switch off. Updates check the switch only with the feature `switch` (off by
/// default, as in the facade): run this group with and without `--features switch`.
fn switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("switch_counter_inc");
    let registry = vitals::Registry::new();
    let counter = registry.counter("requests", "R.").register().unwrap();
    assert!(vitals_core::switch::enabled());
    group.bench_function("vitals-on", |b| b.iter(|| black_box(&counter).inc()));

    // The floor: the one relaxed read-modify-write every crate's counter is.
    let raw = Arc::new(AtomicU64::new(0));
    group.bench_function("atomic-floor", |b| {
        b.iter(|| {
            black_box(&raw).fetch_add(1, Ordering::Relaxed);
        });
    });

    vitals_core::switch::set_enabled(false);
    let gated = !vitals_core::switch::updates_enabled();
    group.bench_function("vitals-off", |b| {
        let before = counter.get();
        b.iter(|| black_box(&counter).inc());
        assert_eq!(
            counter.get() == before,
            gated,
            "updates stand still while the switch is off exactly when the feature `switch` is on"
        );
    });
    vitals_core::switch::set_enabled(true);
    group.finish();
}

/// A cardinality explosion: lookups of label sets the family has never seen, once it is at its
/// series limit (the default, 2,000), beside lookups of series it has. Both rotate through 64
/// label sets of the shared three-label scheme.
fn at_limit(c: &mut Criterion) {
    const ROTATION: usize = 64;
    let mut group = c.benchmark_group("at_limit_lookup_inc");
    let limit = vitals_core::limits::DEFAULT_MAX_SERIES_PER_FAMILY;
    let registry = vitals::Registry::new();
    let family = registry
        .counter("requests", "R.")
        .register_family(&vitals_bench::LABELS)
        .unwrap();
    for i in 0..limit {
        let [m, r, s] = vitals_bench::label_values(i);
        family.with_labels(&[&m, &r, &s]).inc();
    }
    assert_eq!(family.len(), limit);
    assert_eq!(family.stats().overflowed, 0);

    // Existing series spread over the family, and label sets past its end.
    let hits: Vec<[String; 3]> = (0..limit)
        .step_by(limit / ROTATION)
        .take(ROTATION)
        .map(vitals_bench::label_values)
        .collect();
    let misses: Vec<[String; 3]> = (limit..limit + ROTATION)
        .map(vitals_bench::label_values)
        .collect();
    let (hits, misses) = (borrow(&hits), borrow(&misses));
    assert_eq!((hits.len(), misses.len()), (ROTATION, ROTATION));

    // A label set past the limit really goes to the overflow series.
    family.with_labels(&misses[0]).inc();
    assert_eq!((family.len(), family.stats().overflowed), (limit, 1));

    let mut i = 0;
    group.bench_function("vitals-hit", |b| {
        b.iter(|| {
            family
                .with_labels(black_box(&hits[next(&mut i, ROTATION)]))
                .inc()
        });
    });
    assert_eq!(family.stats().overflowed, 1, "hits do not overflow");
    group.bench_function("vitals-overflow", |b| {
        b.iter(|| {
            family
                .with_labels(black_box(&misses[next(&mut i, ROTATION)]))
                .inc()
        });
    });
    assert_eq!(family.len(), limit, "no series created past the limit");
    group.finish();
}

/// Label sets as the `&[&str]` a lookup takes.
fn borrow(sets: &[[String; 3]]) -> Vec<[&str; 3]> {
    sets.iter()
        .map(|[m, r, s]| [m.as_str(), r.as_str(), s.as_str()])
        .collect()
}

criterion_group!(
    benches,
    counter_inc,
    gauge_set,
    histogram_observe,
    labeled_lookup,
    cached_child,
    histogram_lookup,
    typed_lookup,
    switch,
    at_limit
);
criterion_main!(benches);
