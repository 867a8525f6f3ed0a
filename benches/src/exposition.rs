//! Filled registries of every library, ready to encode as Prometheus text (0.0.4): `series`
//! labeled counters, or `series` labeled histograms with the 12 bounds of
//! [`BUCKETS`], all of the three-label scheme of [`label_values`]. Series `i`'s
//! counter is incremented by `i` and its histogram observes [`observation(i)`](crate::observation).
//!
//! Each library keeps its encoding state from scrape to scrape as its API allows: vitals (with
//! a kept `Encoder`), `prometheus`, `prometheus-client` and `metrics` write into one buffer that
//! is cleared and reused; `measured` keeps one `BufferedTextEncoder`, which reclaims its buffer once the bytes it
//! handed out are dropped. [`libraries`] checks that every library's output holds exactly the
//! series asked for.

use measured::metric::histogram::Thresholds;
use measured::text::BufferedTextEncoder;
use measured::MetricGroup as _;
use prometheus::Encoder as _;

use crate::{
    label_values, observation, Labels, MeasuredLabels, MeasuredLabelsSet, BUCKETS, LABELS,
};

/// What the registries hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One counter family (`requests`) of labeled series.
    Counters,
    /// One histogram family (`latency_seconds`) of labeled series, 12 bounds each.
    Histograms,
}

impl Shape {
    /// `counters` or `histograms`.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Counters => "counters",
            Shape::Histograms => "histograms",
        }
    }
}

/// One library's filled registry and the state it encodes with.
pub trait Encode {
    /// Encodes the whole registry once, reusing the state of the previous call, and hands the
    /// exposition to `sink` (`measured` lends its bytes only until the next encode).
    fn encode(&mut self, sink: &mut dyn FnMut(&[u8]));

    /// Encodes once; returns the exposition's length in bytes.
    fn encode_len(&mut self) -> usize {
        let mut len = 0;
        self.encode(&mut |text| len = text.len());
        len
    }
}

/// The libraries, named as in the benchmarks.
pub const LIBRARIES: [&str; 5] = [
    "vitals",
    "prometheus",
    "prometheus-client",
    "metrics",
    "measured",
];

/// `library`'s (one of [`LIBRARIES`]) registry filled with `series` series of `shape`, checked
/// to encode exactly those.
///
/// # Panics
///
/// If `library` is not one of [`LIBRARIES`], or its output does not hold the series.
pub fn library(library: &str, shape: Shape, series: usize) -> Box<dyn Encode> {
    let mut filled: Box<dyn Encode> = match library {
        "vitals" => Box::new(Vitals::new(shape, series)),
        "prometheus" => Box::new(Prometheus::new(shape, series)),
        "prometheus-client" => Box::new(Client::new(shape, series)),
        "metrics" => Box::new(Metrics::new(shape, series)),
        "measured" => Box::new(Measured::new(shape, series)),
        other => panic!("no library {other:?}: one of {LIBRARIES:?}"),
    };
    filled.encode(&mut |text| check(library, text, shape, series));
    filled
}

/// Every library's filled registry: [`library`] for each of [`LIBRARIES`].
pub fn libraries(shape: Shape, series: usize) -> Vec<(&'static str, Box<dyn Encode>)> {
    LIBRARIES
        .iter()
        .map(|&name| (name, library(name, shape, series)))
        .collect()
}

/// Asserts that `text` holds `series` series of `shape`, each histogram with 13 buckets.
fn check(library: &str, text: &[u8], shape: Shape, series: usize) {
    let text = std::str::from_utf8(text).expect("UTF-8 exposition");
    let samples = |prefix: &str| {
        text.lines()
            .filter(|l| l.starts_with(prefix) && l.contains("route=\""))
            .count()
    };
    match shape {
        Shape::Counters => assert_eq!(samples("requests"), series, "{library}'s series"),
        Shape::Histograms => {
            assert_eq!(
                samples("latency_seconds_count{"),
                series,
                "{library}'s series"
            );
            assert_eq!(
                samples("latency_seconds_bucket{"),
                series * (BUCKETS.len() + 1),
                "{library}'s buckets"
            );
        }
    }
}

/// vitals' filled registry (see [`vitals_registry`]) and its encoder.
struct Vitals {
    registry: vitals::Registry,
    /// Kept between scrapes, with its scratch space: encoding then allocates nothing.
    encoder: vitals::Encoder,
    buf: Vec<u8>,
}

/// vitals' registry filled with `series` series of `shape`, without series limits (the default,
/// 2,000 per family, would send every series past the 2,000th to the overflow series). Also what
/// `src/bin/memory.rs` measures.
pub fn vitals_registry(shape: Shape, series: usize) -> vitals::Registry {
    let registry = vitals::Registry::builder()
        .without_series_limits()
        .build()
        .expect("valid registry");
    match shape {
        Shape::Counters => {
            let family = registry
                .counter("requests", "R.")
                .register_family(&LABELS)
                .expect("valid family");
            for i in 0..series {
                let [m, r, s] = label_values(i);
                family.with_labels(&[&m, &r, &s]).inc_by(i as u64);
            }
            assert_eq!(family.len(), series);
        }
        Shape::Histograms => {
            let family = registry
                .histogram("latency_seconds", "L.")
                .with_buckets(&BUCKETS)
                .register_family(&LABELS)
                .expect("valid family");
            for i in 0..series {
                let [m, r, s] = label_values(i);
                family.with_labels(&[&m, &r, &s]).observe(observation(i));
            }
            assert_eq!(family.len(), series);
        }
    }
    registry
}

impl Vitals {
    fn new(shape: Shape, series: usize) -> Self {
        let registry = vitals_registry(shape, series);
        Vitals {
            registry,
            encoder: vitals::Encoder::new(vitals::Format::PrometheusText),
            buf: Vec::new(),
        }
    }
}

impl Encode for Vitals {
    fn encode(&mut self, sink: &mut dyn FnMut(&[u8])) {
        self.buf.clear();
        self.encoder.encode(&self.registry, &mut self.buf);
        sink(&self.buf);
    }
}

/// `prometheus` gathers its registry into protobuf-shaped structs, then writes them.
struct Prometheus {
    registry: prometheus::Registry,
    encoder: prometheus::TextEncoder,
    buf: Vec<u8>,
}

impl Prometheus {
    fn new(shape: Shape, series: usize) -> Self {
        let registry = prometheus::Registry::new();
        match shape {
            Shape::Counters => {
                let vec = prometheus::IntCounterVec::new(
                    prometheus::Opts::new("requests", "R."),
                    &LABELS,
                )
                .expect("valid vec");
                registry
                    .register(Box::new(vec.clone()))
                    .expect("registered");
                for i in 0..series {
                    let [m, r, s] = label_values(i);
                    vec.with_label_values(&[&m, &r, &s]).inc_by(i as u64);
                }
            }
            Shape::Histograms => {
                let opts = prometheus::HistogramOpts::new("latency_seconds", "L.")
                    .buckets(BUCKETS.to_vec());
                let vec = prometheus::HistogramVec::new(opts, &LABELS).expect("valid vec");
                registry
                    .register(Box::new(vec.clone()))
                    .expect("registered");
                for i in 0..series {
                    let [m, r, s] = label_values(i);
                    vec.with_label_values(&[&m, &r, &s]).observe(observation(i));
                }
            }
        }
        Prometheus {
            registry,
            encoder: prometheus::TextEncoder::new(),
            buf: Vec::new(),
        }
    }
}

impl Encode for Prometheus {
    fn encode(&mut self, sink: &mut dyn FnMut(&[u8])) {
        self.buf.clear();
        self.encoder
            .encode(&self.registry.gather(), &mut self.buf)
            .expect("encoded");
        sink(&self.buf);
    }
}

/// `prometheus-client` writes into a `fmt::Write`: a `String` here.
struct Client {
    registry: prometheus_client::registry::Registry,
    text: String,
}

impl Client {
    fn new(shape: Shape, series: usize) -> Self {
        use prometheus_client::metrics::{counter::Counter, family::Family, histogram::Histogram};
        let mut registry = prometheus_client::registry::Registry::default();
        match shape {
            Shape::Counters => {
                let family = Family::<Labels, Counter>::default();
                registry.register("requests", "R.", family.clone());
                for i in 0..series {
                    family.get_or_create(&Labels::of(i)).inc_by(i as u64);
                }
            }
            Shape::Histograms => {
                let family =
                    Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(|| {
                        Histogram::new(BUCKETS.iter().copied())
                    });
                registry.register("latency_seconds", "L.", family.clone());
                for i in 0..series {
                    family.get_or_create(&Labels::of(i)).observe(observation(i));
                }
            }
        }
        Client {
            registry,
            text: String::new(),
        }
    }
}

impl Encode for Client {
    fn encode(&mut self, sink: &mut dyn FnMut(&[u8])) {
        self.text.clear();
        prometheus_client::encoding::text::encode(&mut self.text, &self.registry).expect("encoded");
        sink(self.text.as_bytes());
    }
}

/// `metrics` with `metrics-exporter-prometheus`'s recorder, filled through
/// `metrics::with_local_recorder` (not installed globally). `render_to_write` writes into a
/// buffer the caller keeps (`render` would return a new `String` each time).
struct Metrics {
    // The handle shares the recorder's state; the recorder is kept for clarity of ownership.
    _recorder: metrics_exporter_prometheus::PrometheusRecorder,
    handle: metrics_exporter_prometheus::PrometheusHandle,
    buf: Vec<u8>,
}

impl Metrics {
    fn new(shape: Shape, series: usize) -> Self {
        let recorder = match shape {
            Shape::Counters => {
                metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder()
            }
            Shape::Histograms => metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .expect("valid buckets")
                .build_recorder(),
        };
        metrics::with_local_recorder(&recorder, || {
            for i in 0..series {
                let [m, r, s] = label_values(i);
                match shape {
                    Shape::Counters => {
                        metrics::counter!("requests", "method" => m, "route" => r, "status" => s)
                            .increment(i as u64);
                    }
                    Shape::Histograms => {
                        metrics::histogram!("latency_seconds", "method" => m, "route" => r, "status" => s)
                            .record(observation(i));
                    }
                }
            }
        });
        Metrics {
            handle: recorder.handle(),
            _recorder: recorder,
            buf: Vec::new(),
        }
    }
}

impl Encode for Metrics {
    fn encode(&mut self, sink: &mut dyn FnMut(&[u8])) {
        self.buf.clear();
        self.handle
            .render_to_write(&mut self.buf)
            .expect("rendered");
        sink(&self.buf);
    }
}

/// `measured`'s families, as one group (its unit of encoding): the doc comments are the help
/// text. A counter's name carries its `_total`, which `measured` does not add.
#[derive(measured::MetricGroup)]
struct MeasuredCounters {
    /// R.
    requests_total: measured::CounterVec<MeasuredLabelsSet>,
}

/// The same for histograms.
#[derive(measured::MetricGroup)]
struct MeasuredHistograms {
    /// L.
    latency_seconds: measured::HistogramVec<MeasuredLabelsSet, 12>,
}

enum MeasuredGroup {
    Counters(MeasuredCounters),
    Histograms(MeasuredHistograms),
}

/// One encoder kept across scrapes, as `measured`'s docs ask: `finish` hands out the bytes, and
/// the buffer is reclaimed once they are dropped (after `sink`, before the next encode).
struct Measured {
    group: MeasuredGroup,
    encoder: BufferedTextEncoder,
}

impl Measured {
    fn new(shape: Shape, series: usize) -> Self {
        let group = match shape {
            Shape::Counters => {
                let group = MeasuredCounters {
                    requests_total: measured::CounterVec::with_label_set(
                        MeasuredLabelsSet::default(),
                    ),
                };
                for i in 0..series {
                    let values = label_values(i);
                    group
                        .requests_total
                        .inc_by(MeasuredLabels::of(&values), i as u64);
                }
                assert_eq!(group.requests_total.get_cardinality().0, series);
                MeasuredGroup::Counters(group)
            }
            Shape::Histograms => {
                let group = MeasuredHistograms {
                    latency_seconds: measured::HistogramVec::with_label_set_and_metadata(
                        MeasuredLabelsSet::default(),
                        Thresholds::with_buckets(BUCKETS),
                    ),
                };
                for i in 0..series {
                    let values = label_values(i);
                    group
                        .latency_seconds
                        .observe(MeasuredLabels::of(&values), observation(i));
                }
                assert_eq!(group.latency_seconds.get_cardinality().0, series);
                MeasuredGroup::Histograms(group)
            }
        };
        Measured {
            group,
            encoder: BufferedTextEncoder::new(),
        }
    }
}

impl Encode for Measured {
    fn encode(&mut self, sink: &mut dyn FnMut(&[u8])) {
        match &self.group {
            MeasuredGroup::Counters(group) => group.collect_group_into(&mut self.encoder),
            MeasuredGroup::Histograms(group) => group.collect_group_into(&mut self.encoder),
        }
        .expect("encoded");
        sink(&self.encoder.finish());
    }
}
