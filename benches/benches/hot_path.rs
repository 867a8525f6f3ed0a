//! The hot path, vitals beside its peers in one run: updating a resolved handle, finding a
//! labeled series that already exists (by strings, and by a typed label set of enums), what the
//! on/off switch costs an update, and what a lookup costs once a family is at its series limit.
#![allow(missing_docs)] // criterion's macros generate undocumented items

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

    let measured = measured::Counter::new();
    let count = || measured.get_metric().count.load(Ordering::Relaxed);
    group.bench_function("measured", |b| {
        let before = count();
        b.iter(|| black_box(&measured).inc());
        assert!(count() > before, "measured's counter moved");
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

/// The 11 bounds as `measured`'s thresholds (it takes them as an array: `N` is a type parameter).
fn measured_thresholds() -> Thresholds<11> {
    Thresholds::with_buckets(BUCKETS.try_into().expect("11 bounds"))
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

    let measured = measured::Histogram::<11>::with_metadata(measured_thresholds());
    group.bench_function("measured", |b| {
        let before = measured_observations(&measured.get_metric());
        b.iter(|| measured.observe(black_box(value)));
        assert!(measured_observations(&measured.get_metric()) > before);
    });
    group.finish();
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// `measured`'s key for the same two labels: string values not known up front go through an
/// interner per label, `paracord::ParaCord` (see `vitals_bench::MeasuredLabels` for the choice).
#[derive(Clone, Copy, measured::LabelGroup)]
#[label(set = MeasuredRouteSet)]
struct MeasuredRoute<'a> {
    #[label(dynamic_with = paracord::ParaCord, default)]
    method: &'a str,
    #[label(dynamic_with = paracord::ParaCord, default)]
    route: &'a str,
}

/// A `measured` counter's value for one label group.
fn measured_count<L: LabelGroupSet>(family: &measured::CounterVec<L>, labels: L::Group<'_>) -> u64 {
    family
        .get_metric(family.with_labels(labels))
        .count
        .load(Ordering::Relaxed)
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
    assert_eq!(family.len(), 1);
    group.bench_function("vitals", |b| {
        b.iter(|| family.with_labels(black_box(&[method, route])).inc());
    });
    // The clone-free form: the update runs on the borrowed handle under the read lock.
    group.bench_function("vitals-with-series", |b| {
        b.iter(|| family.with_series(black_box(&[method, route]), |c| c.inc()));
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

    let measured = measured::CounterVec::with_label_set(MeasuredRouteSet::default());
    let labels = MeasuredRoute { method, route };
    measured.inc(labels);
    assert_eq!(measured.get_cardinality().0, 1);
    group.bench_function("measured", |b| {
        let before = measured_count(&measured, labels);
        b.iter(|| {
            measured.inc(MeasuredRoute {
                method: black_box(method),
                route: black_box(route),
            });
        });
        assert!(measured_count(&measured, labels) > before);
    });
    assert_eq!(measured.get_cardinality().0, 1);
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
/// with the switch off.
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

    let before = counter.get();
    vitals_core::switch::set_enabled(false);
    group.bench_function("vitals-off", |b| b.iter(|| black_box(&counter).inc()));
    vitals_core::switch::set_enabled(true);
    assert_eq!(
        counter.get(),
        before,
        "no update lands while the switch is off"
    );
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
    histogram_observe,
    labeled_lookup,
    typed_lookup,
    switch,
    at_limit
);
criterion_main!(benches);
