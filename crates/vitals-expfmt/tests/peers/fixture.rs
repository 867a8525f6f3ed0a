//! The registry every peer test encodes: every metric type, awkward label values and help text,
//! and what a parser must read back from it, computed from the handles' own getters.

use vitals_core::{
    Counter, Exemplar, Family, FloatCounter, FloatGauge, Gauge, Histogram, Info, Metric,
    MetricFamily, Registry, StateSet, Summary, Unknown,
};

use crate::model::{self, Labels, Value};
use crate::peer::Parser;

/// Everything the escaping rules are about in one label value: quotes, backslashes (one
/// before an `n`, one at the end), a newline, the label syntax's own characters, non-ASCII.
pub(crate) const TRICKY: &str = "say \"hi\", C:\\new {x=\"y\"}\nline two ünï 日本 \\";

/// A W3C trace id, the exemplar label every tracing integration writes.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// An exemplar label value with what escaping is about, except the double quote: a backslash
/// before an `n`, one at the end, a newline, braces, a `#`, non-ASCII. The reference Python
/// parser (prometheus_client 0.2x `_parse_remaining_text`) toggles its in-quotes state on every
/// `"` in an exemplar, escaped or not, and rejects a value with an odd number of escaped quotes,
/// which OpenMetrics allows; the golden tests pin the quote's escaping instead.
const EXEMPLAR_TRICKY: &str = "C:\\new {x=y} # \nline two ünï 日本 \\";

/// The registry's constant label, on every series.
const CONST_LABEL: (&str, &str) = ("region", "eu \"west\" \\ ünï 日本");

const NAMESPACE: &str = "peer";

/// HELP text with a quote, backslashes (one before an `n`), a newline and non-ASCII.
fn help(what: &str) -> String {
    format!("{what}: \"quoted\", C:\\new\\dir \\\\ two, line one\nline two, ünï 日本.")
}

/// How each format must spell the `le` and `quantile` values used here (DESIGN: Go's `%g` in
/// 0.0.4, the canonical form in OpenMetrics). Written out rather than computed, so that the
/// expectation does not share code with the encoder.
const FLOAT_LABELS: &[(f64, &str, &str)] = &[
    (-1.0, "-1", "-1.0"),
    (0.0, "0", "0.0"),
    (1e-5, "1e-05", "1e-05"),
    (0.1, "0.1", "0.1"),
    (0.5, "0.5", "0.5"),
    (0.9, "0.9", "0.9"),
    (0.99, "0.99", "0.99"),
    (1.0, "1", "1.0"),
    (2.5, "2.5", "2.5"),
    (100.0, "100", "100.0"),
    (1000.0, "1000", "1000.0"),
    (10000.0, "10000", "10000.0"),
    (1e6, "1e+06", "1e+06"),
    (f64::INFINITY, "+Inf", "+Inf"),
];

fn float_label(v: f64, parser: Parser) -> &'static str {
    let &(_, text, om) = FLOAT_LABELS
        .iter()
        .find(|(f, _, _)| *f == v)
        .unwrap_or_else(|| panic!("add {v} to FLOAT_LABELS"));
    match parser {
        Parser::Text => text,
        Parser::OpenMetrics => om,
    }
}

/// One registered family as the test knows it: its full name, help, unit and series.
pub(crate) struct Fam<M> {
    name: String,
    help: String,
    unit: Option<&'static str>,
    /// The labels every series carries (the registry's constant labels).
    base: Labels,
    series: Vec<(Labels, M)>,
}

impl<M: Metric> Fam<M> {
    /// `name` is the full name (namespace included, without `_total`/`_info`).
    pub(crate) fn new(name: &str, help: String, unit: Option<&'static str>, base: &Labels) -> Self {
        Self {
            name: name.to_owned(),
            help,
            unit,
            base: base.clone(),
            series: Vec::new(),
        }
    }

    /// Records a series that `register()` returned (no labels of its own).
    pub(crate) fn single(mut self, metric: &M) -> Self {
        self.series.push((self.base.clone(), metric.clone()));
        self
    }

    /// Gets the series with these labels from `family` and records it.
    pub(crate) fn add(&mut self, family: &Family<M>, labels: &[(&str, &str)]) -> M {
        let values: Vec<&str> = labels.iter().map(|(_, v)| *v).collect();
        let metric = family
            .try_with_labels(&values)
            .expect("label values match the family");
        let mut all = self.base.clone();
        for (k, v) in labels {
            all.insert((*k).to_owned(), (*v).to_owned());
        }
        self.series.push((all, metric.clone()));
        metric
    }

    fn family(&self, typ: &str, unit: bool) -> model::Family {
        model::Family::new(
            &self.name,
            typ,
            if unit { self.unit } else { None },
            &self.help,
        )
    }
}

/// Whether the parser reports units (the 0.0.4 format has none).
fn units(parser: Parser) -> bool {
    parser == Parser::OpenMetrics
}

/// `read` gives a series' total, creation time and exemplar; OpenMetrics adds `_created` and
/// the exemplar.
fn counter<M: Metric>(
    fam: &Fam<M>,
    parser: Parser,
    read: impl Fn(&M) -> (Value, f64, Option<Exemplar>),
) -> model::Family {
    let mut out = fam.family("counter", units(parser));
    let total = format!("{}_total", fam.name);
    let created = format!("{}_created", fam.name);
    for (labels, metric) in &fam.series {
        let (value, created_at, exemplar) = read(metric);
        out.push(&total, labels, &[], value);
        if parser == Parser::OpenMetrics {
            out.with_exemplar(exemplar.as_ref());
            out.push(&created, labels, &[], Value::Float(created_at));
        }
    }
    out
}

/// A family of one sample per series, named like the family: gauges and unknowns.
fn plain<M: Metric>(
    fam: &Fam<M>,
    parser: Parser,
    typ: &str,
    read: impl Fn(&M) -> Value,
) -> model::Family {
    let mut out = fam.family(typ, units(parser));
    for (labels, metric) in &fam.series {
        out.push(&fam.name, labels, &[], read(metric));
    }
    out
}

/// What a parser reads from a histogram family. OpenMetrics adds `_created` and the buckets'
/// exemplars, and forbids
/// `_sum` when a bucket bound is negative, and a negative or NaN `_sum` (it is counter-like);
/// `_count` is present exactly when `_sum` is.
pub(crate) fn histogram(fam: &Fam<Histogram>, parser: Parser) -> model::Family {
    let mut out = fam.family("histogram", units(parser));
    let name = |suffix: &str| format!("{}{suffix}", fam.name);
    for (labels, h) in &fam.series {
        let bounds = h.bounds().iter().copied().chain([f64::INFINITY]);
        let counts = h.cumulative_counts();
        assert_eq!(
            counts.len(),
            h.bounds().len() + 1,
            "one count per bucket and +Inf"
        );
        for (i, (bound, count)) in bounds.zip(&counts).enumerate() {
            let le = float_label(bound, parser);
            out.push(
                &name("_bucket"),
                labels,
                &[("le", le)],
                Value::Int((*count).into()),
            );
            if parser == Parser::OpenMetrics {
                out.with_exemplar(h.exemplar(i).as_ref());
            }
        }
        let sum = h.sum();
        let no_sum = h.bounds().first().is_some_and(|b| *b < 0.0) || sum < 0.0 || sum.is_nan();
        if parser == Parser::Text || !no_sum {
            out.push(&name("_sum"), labels, &[], Value::Float(h.sum()));
            out.push(&name("_count"), labels, &[], Value::Int(h.count().into()));
        }
        if parser == Parser::OpenMetrics {
            out.push(&name("_created"), labels, &[], Value::Float(h.created()));
        }
    }
    out
}

fn summary(fam: &Fam<Summary>, parser: Parser) -> model::Family {
    let mut out = fam.family("summary", units(parser));
    let name = |suffix: &str| format!("{}{suffix}", fam.name);
    for (labels, s) in &fam.series {
        for (q, v) in s.quantiles() {
            let quantile = float_label(q, parser);
            out.push(
                &fam.name,
                labels,
                &[("quantile", quantile)],
                Value::Float(v),
            );
        }
        out.push(&name("_sum"), labels, &[], Value::Float(s.sum()));
        out.push(&name("_count"), labels, &[], Value::Int(s.count().into()));
        if parser == Parser::OpenMetrics {
            out.push(&name("_created"), labels, &[], Value::Float(s.created()));
        }
    }
    out
}

/// 0.0.4 has no info type: a gauge family named `<name>_info`. OpenMetrics: type info, family
/// `<name>`, samples `<name>_info`. The value is 1 either way.
fn info(fam: &Fam<Info>, parser: Parser) -> model::Family {
    let sample = format!("{}_info", fam.name);
    let mut out = match parser {
        Parser::Text => model::Family::new(&sample, "gauge", None, &fam.help),
        Parser::OpenMetrics => fam.family("info", false),
    };
    for (labels, _) in &fam.series {
        out.push(&sample, labels, &[], Value::Int(1));
    }
    out
}

/// One sample per state, labelled `<name>="<state>"`, 0 or 1; a gauge in 0.0.4.
fn state_set(fam: &Fam<StateSet>, parser: Parser, states: &[&str]) -> model::Family {
    let typ = match parser {
        Parser::Text => "gauge",
        Parser::OpenMetrics => "stateset",
    };
    let mut out = fam.family(typ, false);
    for (labels, set) in &fam.series {
        for state in states {
            let on = set.get(state).expect("a declared state");
            out.push(
                &fam.name,
                labels,
                &[(&fam.name, state)],
                Value::Int(on.into()),
            );
        }
    }
    out
}

const STATES: &[&str] = &["idle", "busy", "stopped \"now\" \\ ünï"];

/// A gauge and a counter produced by a collector at scrape time (no namespace: collectors name
/// their families in full), with their values.
const COLLECTED_GAUGE: &str = "collected_queue_depth";
const COLLECTED_COUNTER: &str = "collected_jobs";
const COLLECTED_DEPTHS: [(&str, f64); 2] = [(TRICKY, 3.5), ("plain", -1.0)];

fn with_const_label(pairs: &[(&str, &str)]) -> Labels {
    let mut labels: Labels = [(CONST_LABEL.0.to_owned(), CONST_LABEL.1.to_owned())].into();
    for (k, v) in pairs {
        labels.insert((*k).to_owned(), (*v).to_owned());
    }
    labels
}

fn collected_gauge() -> model::Family {
    let mut out = model::Family::new(COLLECTED_GAUGE, "gauge", None, &help("Collected depth"));
    for (queue, value) in COLLECTED_DEPTHS {
        let labels = with_const_label(&[("queue", queue)]);
        out.push(COLLECTED_GAUGE, &labels, &[], Value::Float(value));
    }
    out
}

/// The exemplar a collector relays with its counter, timestamp and all.
fn collected_exemplar() -> Exemplar {
    Exemplar::new(&[("trace_id", TRACE_ID), ("origin", EXEMPLAR_TRICKY)], 2.5)
        .and_then(|e| e.with_timestamp(1_520_879_607.789))
        .expect("a valid exemplar")
}

/// Collected counters carry no creation time, so no `_created` sample in either format; the
/// one here relays an exemplar, which only OpenMetrics has.
fn collected_counter(parser: Parser) -> model::Family {
    let mut out = model::Family::new(COLLECTED_COUNTER, "counter", None, &help("Collected jobs"));
    let labels = with_const_label(&[("queue", TRICKY)]);
    let total = format!("{COLLECTED_COUNTER}_total");
    out.push(&total, &labels, &[], Value::Float(12.0));
    if parser == Parser::OpenMetrics {
        out.with_exemplar(Some(&collected_exemplar()));
    }
    out
}

/// An exemplar's label pairs, in order.
type OwnedLabels = Vec<(String, String)>;

fn owned_labels(e: &Exemplar) -> OwnedLabels {
    e.labels()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The registry holding every type, and the handles its values were recorded through.
pub(crate) struct Fixture {
    pub(crate) registry: Registry,
    requests: Fam<Counter>,
    cpu: Fam<FloatCounter>,
    inventory: Fam<Gauge>,
    signal: Fam<FloatGauge>,
    latency: Fam<Histogram>,
    sizes: Fam<Histogram>,
    jobs: Fam<Summary>,
    build: Fam<Info>,
    phase: Fam<StateSet>,
    legacy: Fam<Unknown>,
}

impl Fixture {
    /// Registers and records everything, in the order the families must come out.
    pub(crate) fn new() -> Self {
        let registry = Registry::builder()
            .with_namespace(NAMESPACE)
            .with_const_label(CONST_LABEL.0, CONST_LABEL.1)
            .build()
            .expect("valid registry configuration");
        let base: Labels = [(CONST_LABEL.0.to_owned(), CONST_LABEL.1.to_owned())].into();
        let full = |name: &str| format!("{NAMESPACE}_{name}");

        let mut requests = Fam::new(&full("http_requests"), help("HTTP requests"), None, &base);
        let family = registry
            .counter("http_requests_total", &requests.help)
            .register_family(&["method", "path"])
            .expect("register the counter family");
        requests
            .add(&family, &[("method", "GET"), ("path", "/")])
            .inc_by(7);
        let post = requests.add(&family, &[("method", "POST"), ("path", TRICKY)]);
        post.inc();
        post.inc_with_exemplar(&[("trace_id", TRACE_ID)]);
        // The latest exemplar wins; its value is the increment.
        post.inc_with_exemplar(&[("trace_id", TRACE_ID), ("user", EXEMPLAR_TRICKY)]);
        // Above 2^53: only an exact integer encoding survives. The exemplar's value is a float.
        requests
            .add(&family, &[("method", "PUT"), ("path", "trailing\\")])
            .inc_by_with_exemplar((1 << 60) + 1, &[("trace_id", TRACE_ID)]);
        requests
            .add(&family, &[("method", "PATCH"), ("path", "\"")])
            .inc();
        requests
            .add(&family, &[("method", "HEAD"), ("path", "\n")])
            .inc();
        requests.add(&family, &[("method", "DELETE"), ("path", "\\")]); // stays at 0

        let cpu = Fam::new(
            &full("cpu_time_seconds"),
            help("CPU time"),
            Some("seconds"),
            &base,
        );
        let handle = registry
            .float_counter("cpu_time_seconds", &cpu.help)
            .with_unit("seconds")
            .register()
            .expect("register the float counter");
        for v in [1.25, 0.1, 0.2, -1.0 /* dropped */] {
            handle.inc_by_with_exemplar(v, &[("trace_id", v)]);
        }
        let cpu = cpu.single(&handle);

        let mut inventory = Fam::new(
            &full("inventory_delta"),
            help("Inventory change"),
            None,
            &base,
        );
        let family = registry
            .gauge("inventory_delta", &inventory.help)
            .register_family(&["warehouse"])
            .expect("register the gauge family");
        inventory.add(&family, &[("warehouse", "north")]).set(-42);
        inventory
            .add(&family, &[("warehouse", "south")])
            .set(i64::MIN);
        inventory
            .add(&family, &[("warehouse", TRICKY)])
            .set(i64::MAX);

        let mut signal = Fam::new(&full("signal_level"), help("Signal level"), None, &base);
        let family = registry
            .float_gauge("signal_level", &signal.help)
            .register_family(&["probe"])
            .expect("register the float gauge family");
        for (probe, v) in [
            ("sum", 0.1 + 0.2),
            ("nan", f64::NAN),
            ("pos_inf", f64::INFINITY),
            ("neg_inf", f64::NEG_INFINITY),
            ("tiny", -1e-7),
            ("huge", 1.5e300),
            (TRICKY, 2.5),
        ] {
            signal.add(&family, &[("probe", probe)]).set(v);
        }

        let latency = Fam::new(
            &full("request_duration_seconds"),
            help("Request latency"),
            Some("seconds"),
            &base,
        );
        let handle = registry
            .histogram("request_duration_seconds", &latency.help)
            .with_unit("seconds")
            .with_buckets(&[1e-5, 0.1, 0.5, 1.0, 2.5, 1e6])
            .register()
            .expect("register the histogram");
        // 0.1 and 1.0 fall exactly on bounds; 2e6 is above every bound. Exemplars land in the
        // bucket of their observation: 0.1 in le="0.1", 1.0 replaces 0.7 in le="1.0" (latest
        // wins), 2e6 in +Inf, with exactly 128 characters of labels; le="0.5" and le="2.5" get
        // none.
        let wide = "☃".repeat(120); // "trace_id" + 120 snowmen: the limit, in characters
        for (v, exemplar) in [
            (1e-6, None),
            (0.1, Some(TRACE_ID)),
            (0.7, Some("replaced")),
            (1.0, Some(EXEMPLAR_TRICKY)),
            (3.0, None),
            (2e6, Some(wide.as_str())),
        ] {
            match exemplar {
                Some(id) => handle.observe_with_exemplar(v, &[("trace_id", id)]),
                None => handle.observe(v),
            }
        }
        let latency = latency.single(&handle);

        let mut sizes = Fam::new(
            &full("response_size_bytes"),
            help("Response size"),
            Some("bytes"),
            &base,
        );
        let family = registry
            .histogram("response_size_bytes", &sizes.help)
            .with_unit("bytes")
            .with_buckets(&[100.0, 1000.0, 10000.0])
            .register_family(&["route"])
            .expect("register the histogram family");
        let a = sizes.add(&family, &[("route", "/a")]);
        for v in [50.0, 1000.0, 123_456.0] {
            a.observe(v);
        }
        sizes
            .add(&family, &[("route", TRICKY)])
            .observe_with_exemplar(5000.0, &[("trace_id", TRACE_ID), ("le", "allowed")]);
        sizes.add(&family, &[("route", "/empty")]);

        let mut jobs = Fam::new(
            &full("job_duration_seconds"),
            help("Job duration"),
            Some("seconds"),
            &base,
        );
        let family = registry
            .summary("job_duration_seconds", &jobs.help)
            .with_unit("seconds")
            .register_family(&["queue"])
            .expect("register the summary family");
        let default = jobs.add(&family, &[("queue", "default")]);
        for i in 1..=100 {
            default.observe(f64::from(i) / 10.0);
        }
        jobs.add(&family, &[("queue", "idle \"q\"")]); // empty window: NaN quantiles

        let mut build = Fam::new(&full("build"), help("Build information"), None, &base);
        let labels = [("version", "1.2.3"), ("commit", TRICKY)];
        let handle = registry
            .info("build_info", &build.help)
            .register_with(&labels)
            .expect("register the info metric");
        // `register_with` creates the one series itself; record its labels for the expectation.
        let mut all = base.clone();
        for (k, v) in labels {
            all.insert(k.to_owned(), v.to_owned());
        }
        build.series.push((all, handle));

        let mut phase = Fam::new(&full("worker_phase"), help("Worker phase"), None, &base);
        let family = registry
            .state_set("worker_phase", &phase.help, STATES)
            .register_family(&["worker"])
            .expect("register the state set family");
        phase.add(&family, &[("worker", "w1")]).set_only("busy");
        let tricky = phase.add(&family, &[("worker", TRICKY)]);
        tricky.set("idle", true);
        tricky.set(STATES[2], true);

        let legacy = Fam::new(&full("legacy_value"), help("Legacy value"), None, &base);
        let handle = registry
            .unknown("legacy_value", &legacy.help)
            .register()
            .expect("register the unknown metric");
        handle.set(-0.25);
        let legacy = legacy.single(&handle);

        // Collected families come last, as registered, and get the constant label too.
        registry.register_collector(|out: &mut Vec<MetricFamily>| {
            let mut depth = MetricFamily::gauge(COLLECTED_GAUGE, &help("Collected depth"))
                .expect("valid collected gauge");
            for (queue, value) in COLLECTED_DEPTHS {
                depth
                    .add_gauge(&[("queue", queue)], value)
                    .expect("valid collected series");
            }
            out.push(depth);
            let mut jobs = MetricFamily::counter(
                &format!("{COLLECTED_COUNTER}_total"),
                &help("Collected jobs"),
            )
            .expect("valid collected counter");
            jobs.add_counter_with_exemplar(&[("queue", TRICKY)], 12.0, collected_exemplar())
                .expect("valid collected series");
            out.push(jobs);
        });

        Self {
            registry,
            requests,
            cpu,
            inventory,
            signal,
            latency,
            sizes,
            jobs,
            build,
            phase,
            legacy,
        }
    }

    /// What `parser` must read from this registry's exposition, family by family in order,
    /// with every value taken from the handles' getters.
    pub(crate) fn expected(&self, parser: Parser) -> Vec<model::Family> {
        vec![
            counter(&self.requests, parser, |c| {
                (Value::Int(c.get().into()), c.created(), c.exemplar())
            }),
            counter(&self.cpu, parser, |c| {
                (Value::Float(c.get()), c.created(), c.exemplar())
            }),
            plain(&self.inventory, parser, "gauge", |g| {
                Value::Int(g.get().into())
            }),
            plain(&self.signal, parser, "gauge", |g| Value::Float(g.get())),
            histogram(&self.latency, parser),
            histogram(&self.sizes, parser),
            summary(&self.jobs, parser),
            info(&self.build, parser),
            state_set(&self.phase, parser, STATES),
            plain(&self.legacy, parser, "unknown", |u| Value::Float(u.get())),
            collected_gauge(),
            collected_counter(parser),
        ]
    }

    /// The values recorded in [`Fixture::new`], read back through the getters and checked
    /// against literals: the expectations are built from these getters, so they must be right.
    pub(crate) fn assert_recorded(&self) {
        let totals: Vec<u64> = self.requests.series.iter().map(|(_, c)| c.get()).collect();
        assert_eq!(totals, [7, 3, (1 << 60) + 1, 1, 1, 0]);
        let exemplars: Vec<Option<(OwnedLabels, f64)>> = self
            .requests
            .series
            .iter()
            .map(|(_, c)| c.exemplar().map(|e| (owned_labels(&e), e.value())))
            .collect();
        let trace = ("trace_id".to_owned(), TRACE_ID.to_owned());
        assert_eq!(
            exemplars,
            [
                None,
                Some((
                    vec![trace.clone(), ("user".into(), EXEMPLAR_TRICKY.into())],
                    1.0
                )),
                Some((vec![trace.clone()], 2f64.powi(60))),
                None,
                None,
                None
            ]
        );
        let cpu = &self.cpu.series[0].1;
        assert_eq!(cpu.get(), [1.25, 0.1, 0.2].iter().fold(0.0, |a, b| a + b));
        let latest = cpu.exemplar().expect("the cpu counter has an exemplar");
        assert_eq!(latest.labels().collect::<Vec<_>>(), [("trace_id", "0.2")]);
        assert_eq!(latest.value(), 0.2);
        let levels: Vec<i64> = self.inventory.series.iter().map(|(_, g)| g.get()).collect();
        assert_eq!(levels, [-42, i64::MIN, i64::MAX]);
        let signal: Vec<String> = self
            .signal
            .series
            .iter()
            .map(|(_, g)| format!("{:?}", g.get()))
            .collect();
        assert_eq!(
            signal,
            [
                "0.30000000000000004",
                "NaN",
                "inf",
                "-inf",
                "-1e-7",
                "1.5e300",
                "2.5"
            ]
        );

        let latency = &self.latency.series[0].1;
        assert_eq!(latency.cumulative_counts(), [1, 2, 2, 4, 4, 5, 6]);
        let exemplars: Vec<Option<f64>> = (0..7)
            .map(|i| latency.exemplar(i).map(|e| e.value()))
            .collect();
        assert_eq!(
            exemplars,
            [None, Some(0.1), None, Some(1.0), None, None, Some(2e6)]
        );
        let wide = latency
            .exemplar(6)
            .expect("the +Inf bucket has an exemplar");
        let chars: usize = wide
            .labels()
            .map(|(k, v)| k.chars().count() + v.chars().count())
            .sum();
        assert_eq!(chars, 128, "the +Inf exemplar sits exactly at the limit");
        let tricky = self.sizes.series[1]
            .1
            .exemplar(2)
            .expect("le=10000 has one");
        assert_eq!(
            tricky.labels().collect::<Vec<_>>(),
            [("trace_id", TRACE_ID), ("le", "allowed")]
        );
        assert_eq!(latency.count(), 6);
        let sum = [1e-6, 0.1, 0.7, 1.0, 3.0, 2e6]
            .iter()
            .fold(0.0, |a, b| a + b);
        assert_eq!(latency.sum(), sum);
        let sizes: Vec<Vec<u64>> = self
            .sizes
            .series
            .iter()
            .map(|(_, h)| h.cumulative_counts())
            .collect();
        assert_eq!(
            sizes,
            [vec![1, 2, 2, 3], vec![0, 0, 1, 1], vec![0, 0, 0, 0]]
        );

        let default = &self.jobs.series[0].1;
        assert_eq!(default.count(), 100);
        let median = default.quantile(0.5).expect("observations in the window");
        assert!((median - 5.0).abs() <= 0.05 + 1e-9, "median {median}");
        let idle = &self.jobs.series[1].1;
        assert!(idle.quantiles().iter().all(|(_, v)| v.is_nan()));
        assert_eq!(idle.count(), 0);

        let phases: Vec<Vec<Option<bool>>> = self
            .phase
            .series
            .iter()
            .map(|(_, s)| STATES.iter().map(|state| s.get(state)).collect())
            .collect();
        assert_eq!(
            phases,
            [
                vec![Some(false), Some(true), Some(false)],
                vec![Some(true), Some(false), Some(true)]
            ]
        );
        assert_eq!(self.legacy.series[0].1.get(), -0.25);
    }
}
