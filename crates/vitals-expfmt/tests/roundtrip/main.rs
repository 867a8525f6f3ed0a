//! Round trip: random registries (every type; names, HELP and label values with any Unicode;
//! NaN and ±Inf values) are encoded in both formats, parsed back, and compared sample by
//! sample with what the handles hold. The expectation follows each format's documented rules
//! (0.0.4 names counters' TYPE with `_total` and has no `_created`; OpenMetrics leaves out what
//! it cannot carry for negative histograms and summaries).

use proptest::prelude::*;
use vitals_core::{
    Counter, FloatCounter, FloatGauge, Gauge, Histogram, Number, Registry, StateSet, Summary,
    SummaryOptions, Unknown,
};
use vitals_expfmt::parse::{parse, FamilyType, Syntax};
use vitals_expfmt::{encode_to_string, Format};

/// One family to register, with the updates to apply to each of its series.
#[derive(Debug, Clone)]
enum Kind {
    Counter(Vec<u64>),
    FloatCounter(Vec<f64>),
    Gauge(i64),
    FloatGauge(f64),
    Histogram(Vec<f64>, Vec<f64>),
    Summary(Vec<f64>),
    Info,
    StateSet(Vec<String>, Vec<bool>),
    Unknown(f64),
}

#[derive(Debug, Clone)]
struct Spec {
    help: String,
    label_names: Vec<String>,
    /// One entry per series: its label values.
    series: Vec<Vec<String>>,
    kind: Kind,
}

/// Any f64 a gauge may hold, NaN and infinities often.
fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>(),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        2 => -1e6..1e6f64,
    ]
}

/// Observations: finite values of either sign and infinities (NaN is dropped by design).
fn observation() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -100.0..1000.0f64,
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        prop::collection::vec(any::<u64>().prop_map(|v| v >> 2), 0..3).prop_map(Kind::Counter),
        prop::collection::vec(0.0..1e9f64, 0..3).prop_map(Kind::FloatCounter),
        any::<i64>().prop_map(Kind::Gauge),
        any_value().prop_map(Kind::FloatGauge),
        (
            prop::collection::btree_set(-50i32..500, 0..6),
            prop::collection::vec(observation(), 0..12)
        )
            .prop_map(|(bounds, obs)| {
                let bounds = bounds.into_iter().map(|b| f64::from(b) / 4.0).collect();
                Kind::Histogram(bounds, obs)
            }),
        prop::collection::vec(observation(), 0..12).prop_map(Kind::Summary),
        Just(Kind::Info),
        prop::collection::btree_set(any::<String>(), 1..4).prop_flat_map(|states| {
            let n = states.len();
            (
                Just(states.into_iter().collect::<Vec<_>>()),
                prop::collection::vec(any::<bool>(), n),
            )
                .prop_map(|(s, f)| Kind::StateSet(s, f))
        }),
        any_value().prop_map(Kind::Unknown),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<String>(),
        prop::collection::btree_set("[a-z][a-z0-9_]{0,6}", 0..3),
        kind(),
    )
        .prop_flat_map(|(help, names, kind)| {
            let names: Vec<String> = names
                .into_iter()
                .filter(|n| n != "le" && n != "quantile")
                .collect();
            let width = names.len();
            // Distinct label-value lists, so that each is its own series.
            let series = prop::collection::btree_set(
                prop::collection::vec(any::<String>(), width..=width),
                1..3,
            )
            .prop_map(|s| s.into_iter().collect::<Vec<_>>());
            (Just(help), Just(names), series, Just(kind)).prop_map(
                |(help, label_names, series, kind)| Spec {
                    help,
                    label_names,
                    series,
                    kind,
                },
            )
        })
}

/// A sample as a parser should read it back.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    name: String,
    labels: Vec<(String, String)>,
    value: Value,
}

/// Exact comparison: integers as integers, floats bit for bit (NaN equal to NaN).
#[derive(Debug, Clone, Copy)]
struct Value(Number);

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        let int = |n: Number| match n {
            Number::U64(v) => Some(i128::from(v)),
            Number::I64(v) => Some(i128::from(v)),
            Number::F64(_) => None,
        };
        match (int(self.0), int(other.0)) {
            (Some(a), Some(b)) => a == b,
            _ => {
                let (a, b) = (self.0.as_f64(), other.0.as_f64());
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits() || (a == b && a != 0.0)
            }
        }
    }
}

/// A registered family as the check sees it: name, type, help, and what a parser must read
/// back in a given format.
type FamilyCheck = (
    String,
    FamilyType,
    String,
    Box<dyn Fn(Syntax) -> Vec<Expected>>,
);

struct Built {
    registry: Registry,
    /// Per family: name, type, help, unit, and a closure producing the expected samples.
    families: Vec<FamilyCheck>,
}

fn labels_of(
    names: &[String],
    values: &[String],
    extra: Option<(&str, String)>,
) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> =
        names.iter().cloned().zip(values.iter().cloned()).collect();
    if let Some((n, v)) = extra {
        labels.push((n.to_owned(), v));
    }
    labels
}

fn sample(name: &str, labels: Vec<(String, String)>, value: Number) -> Expected {
    Expected {
        name: name.to_owned(),
        labels,
        value: Value(value),
    }
}

/// `le` and `quantile` as each format writes them, read back as strings.
fn float_label(v: f64, syntax: Syntax) -> String {
    let mut out = Vec::new();
    match syntax {
        Syntax::OpenMetrics => vitals_expfmt::number::write_canonical_float(&mut out, v),
        Syntax::PrometheusText => vitals_expfmt::number::write_go_float(&mut out, v),
    }
    String::from_utf8(out).unwrap()
}

fn with(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

fn build(specs: &[Spec]) -> Built {
    let registry = Registry::new();
    let mut families: Vec<FamilyCheck> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let name = format!("family_{i}");
        let names: Vec<&str> = spec.label_names.iter().map(String::as_str).collect();
        let ln = spec.label_names.clone();
        let series = spec.series.clone();
        let help = spec.help.clone();
        let (typ, expect): (FamilyType, Box<dyn Fn(Syntax) -> Vec<Expected>>) = match &spec.kind {
            Kind::Counter(incs) => {
                let f = registry
                    .counter(&name, &help)
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<Counter> =
                    series.iter().map(|v| f.with_labels(&with(v))).collect();
                for h in &handles {
                    incs.iter().for_each(|i| h.inc_by(*i));
                }
                let n = name.clone();
                (
                    FamilyType::Counter,
                    Box::new(move |syntax| {
                        counter_samples(
                            &n,
                            &ln,
                            &series,
                            syntax,
                            handles.iter().map(|h| (Number::U64(h.get()), h.created())),
                        )
                    }),
                )
            }
            Kind::FloatCounter(incs) => {
                let f = registry
                    .float_counter(&name, &help)
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<FloatCounter> =
                    series.iter().map(|v| f.with_labels(&with(v))).collect();
                for h in &handles {
                    incs.iter().for_each(|i| h.inc_by(*i));
                }
                let n = name.clone();
                (
                    FamilyType::Counter,
                    Box::new(move |syntax| {
                        counter_samples(
                            &n,
                            &ln,
                            &series,
                            syntax,
                            handles.iter().map(|h| (Number::F64(h.get()), h.created())),
                        )
                    }),
                )
            }
            Kind::Gauge(v) => {
                let f = registry
                    .gauge(&name, &help)
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<Gauge> = series.iter().map(|s| f.with_labels(&with(s))).collect();
                handles.iter().for_each(|h| h.set(*v));
                let n = name.clone();
                (
                    FamilyType::Gauge,
                    Box::new(move |_| {
                        handles
                            .iter()
                            .zip(&series)
                            .map(|(h, s)| sample(&n, labels_of(&ln, s, None), Number::I64(h.get())))
                            .collect()
                    }),
                )
            }
            Kind::FloatGauge(v) => {
                let f = registry
                    .float_gauge(&name, &help)
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<FloatGauge> =
                    series.iter().map(|s| f.with_labels(&with(s))).collect();
                handles.iter().for_each(|h| h.set(*v));
                let n = name.clone();
                (
                    FamilyType::Gauge,
                    Box::new(move |_| {
                        handles
                            .iter()
                            .zip(&series)
                            .map(|(h, s)| sample(&n, labels_of(&ln, s, None), Number::F64(h.get())))
                            .collect()
                    }),
                )
            }
            Kind::Unknown(v) => {
                let f = registry
                    .unknown(&name, &help)
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<Unknown> =
                    series.iter().map(|s| f.with_labels(&with(s))).collect();
                handles.iter().for_each(|h| h.set(*v));
                let n = name.clone();
                (
                    FamilyType::Unknown,
                    Box::new(move |_| {
                        handles
                            .iter()
                            .zip(&series)
                            .map(|(h, s)| sample(&n, labels_of(&ln, s, None), Number::F64(h.get())))
                            .collect()
                    }),
                )
            }
            Kind::Info => {
                let f = registry.info(&name, &help).register_family(&names).unwrap();
                series.iter().for_each(|s| {
                    f.with_labels(&with(s));
                });
                let n = format!("{name}_info");
                (
                    FamilyType::Info,
                    Box::new(move |_| {
                        series
                            .iter()
                            .map(|s| sample(&n, labels_of(&ln, s, None), Number::U64(1)))
                            .collect()
                    }),
                )
            }
            Kind::StateSet(states, flags) => {
                let f = registry
                    .state_set(&name, &help, states)
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<StateSet> =
                    series.iter().map(|s| f.with_labels(&with(s))).collect();
                for h in &handles {
                    for (state, on) in states.iter().zip(flags) {
                        h.set(state, *on);
                    }
                }
                let (n, states) = (name.clone(), states.clone());
                (
                    FamilyType::StateSet,
                    Box::new(move |_| {
                        let mut out = Vec::new();
                        for (h, s) in handles.iter().zip(&series) {
                            for state in &states {
                                let on = h.get(state).unwrap();
                                out.push(sample(
                                    &n,
                                    labels_of(&ln, s, Some((&n, state.clone()))),
                                    Number::U64(u64::from(on)),
                                ));
                            }
                        }
                        out
                    }),
                )
            }
            Kind::Histogram(bounds, observations) => {
                let f = registry
                    .histogram(&name, &help)
                    .with_buckets(bounds)
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<Histogram> =
                    series.iter().map(|s| f.with_labels(&with(s))).collect();
                for h in &handles {
                    observations.iter().for_each(|o| h.observe(*o));
                }
                let negative = observations.iter().any(|o| *o < 0.0)
                    || bounds.first().is_some_and(|b| *b < 0.0);
                let n = name.clone();
                (
                    FamilyType::Histogram,
                    Box::new(move |syntax| {
                        let mut out = Vec::new();
                        for (h, s) in handles.iter().zip(&series) {
                            let counts = h.cumulative_counts();
                            let les = h.bounds().iter().copied().chain([f64::INFINITY]);
                            for (le, c) in les.zip(&counts) {
                                let labels =
                                    labels_of(&ln, s, Some(("le", float_label(le, syntax))));
                                out.push(sample(&format!("{n}_bucket"), labels, Number::U64(*c)));
                            }
                            let count = sample(
                                &format!("{n}_count"),
                                labels_of(&ln, s, None),
                                Number::U64(h.count()),
                            );
                            let sum = sample(
                                &format!("{n}_sum"),
                                labels_of(&ln, s, None),
                                Number::F64(h.sum()),
                            );
                            match syntax {
                                Syntax::PrometheusText => out.extend([sum, count]),
                                Syntax::OpenMetrics => {
                                    if !negative {
                                        out.extend([count, sum]);
                                    }
                                    out.push(sample(
                                        &format!("{n}_created"),
                                        labels_of(&ln, s, None),
                                        Number::F64(h.created()),
                                    ));
                                }
                            }
                        }
                        out
                    }),
                )
            }
            Kind::Summary(observations) => {
                let f = registry
                    .summary(&name, &help)
                    .with_summary_options(SummaryOptions::new())
                    .register_family(&names)
                    .unwrap();
                let handles: Vec<Summary> =
                    series.iter().map(|s| f.with_labels(&with(s))).collect();
                for h in &handles {
                    observations.iter().for_each(|o| h.observe(*o));
                }
                let negative = observations.iter().any(|o| *o < 0.0);
                let n = name.clone();
                (
                    FamilyType::Summary,
                    Box::new(move |syntax| {
                        let mut out = Vec::new();
                        for (h, s) in handles.iter().zip(&series) {
                            for (q, v) in h.quantiles() {
                                if syntax == Syntax::OpenMetrics && v < 0.0 {
                                    continue;
                                }
                                let labels =
                                    labels_of(&ln, s, Some(("quantile", float_label(q, syntax))));
                                out.push(sample(&n, labels, Number::F64(v)));
                            }
                            let count = sample(
                                &format!("{n}_count"),
                                labels_of(&ln, s, None),
                                Number::U64(h.count()),
                            );
                            let sum = sample(
                                &format!("{n}_sum"),
                                labels_of(&ln, s, None),
                                Number::F64(h.sum()),
                            );
                            match syntax {
                                Syntax::PrometheusText => out.extend([sum, count]),
                                Syntax::OpenMetrics => {
                                    out.push(count);
                                    if !negative {
                                        out.push(sum);
                                    }
                                    out.push(sample(
                                        &format!("{n}_created"),
                                        labels_of(&ln, s, None),
                                        Number::F64(h.created()),
                                    ));
                                }
                            }
                        }
                        out
                    }),
                )
            }
        };
        families.push((name, typ, spec.help.clone(), expect));
    }
    Built { registry, families }
}

fn counter_samples(
    name: &str,
    label_names: &[String],
    series: &[Vec<String>],
    syntax: Syntax,
    values: impl Iterator<Item = (Number, f64)>,
) -> Vec<Expected> {
    let mut out = Vec::new();
    for ((value, created), s) in values.zip(series) {
        out.push(sample(
            &format!("{name}_total"),
            labels_of(label_names, s, None),
            value,
        ));
        if syntax == Syntax::OpenMetrics {
            out.push(sample(
                &format!("{name}_created"),
                labels_of(label_names, s, None),
                Number::F64(created),
            ));
        }
    }
    out
}

fn check(built: &Built, syntax: Syntax) -> Result<(), TestCaseError> {
    let format = match syntax {
        Syntax::OpenMetrics => Format::OpenMetrics,
        Syntax::PrometheusText => Format::PrometheusText,
    };
    let text = encode_to_string(&built.registry, format);
    let parsed = parse(&text, syntax).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(parsed.len(), built.families.len(), "{}", text);
    for (family, (name, typ, help, expect)) in parsed.iter().zip(&built.families) {
        // 0.0.4 has no info or state set type: both read back as gauges, an info one named
        // with its `_info` suffix.
        let (typ, want_name) = match (syntax, typ) {
            (Syntax::PrometheusText, FamilyType::Info) => {
                (FamilyType::Gauge, format!("{name}_info"))
            }
            (Syntax::PrometheusText, FamilyType::StateSet) => (FamilyType::Gauge, name.clone()),
            _ => (*typ, name.clone()),
        };
        prop_assert_eq!(family.name, want_name.as_str());
        prop_assert_eq!(family.family_type, typ, "{}", name);
        // HELP: absent when empty; 0.0.4 loses leading blanks (Go's parser skips them too).
        let want_help = match syntax {
            Syntax::PrometheusText => help.trim_start_matches([' ', '\t']),
            Syntax::OpenMetrics => help.as_str(),
        };
        let got_help = family.help.as_deref().unwrap_or("");
        prop_assert_eq!(got_help, if help.is_empty() { "" } else { want_help });
        let got: Vec<Expected> = family
            .samples
            .iter()
            .map(|s| Expected {
                name: s.name.to_owned(),
                labels: s
                    .labels
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.to_string()))
                    .collect(),
                value: Value(s.value),
            })
            .collect();
        let want = expect(syntax);
        prop_assert_eq!(got, want, "{}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        // Failures found here are saved beside this file and replayed first on every run.
        failure_persistence: Some(Box::new(prop::test_runner::FileFailurePersistence::Direct(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/roundtrip/proptest-regressions.txt"),
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn encode_then_parse_gives_back_what_was_recorded(specs in prop::collection::vec(spec(), 0..6)) {
        let built = build(&specs);
        check(&built, Syntax::PrometheusText)?;
        check(&built, Syntax::OpenMetrics)?;
    }
}

/// Exemplar labels: valid names, any Unicode values, within the 128-character limit.
fn exemplar_labels() -> impl Strategy<Value = Vec<(String, String)>> {
    // `__`-prefixed names are reserved, for exemplars as for series labels.
    prop::collection::btree_map(
        "[a-z][a-z0-9_]{0,8}|_[a-z0-9][a-z0-9_]{0,7}",
        any::<String>(),
        0..3,
    )
    .prop_map(|m| m.into_iter().collect::<Vec<_>>())
    .prop_filter("within the 128-character limit", |labels| {
        labels
            .iter()
            .map(|(n, v)| n.chars().count() + v.chars().count())
            .sum::<usize>()
            <= 128
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: Some(Box::new(prop::test_runner::FileFailurePersistence::Direct(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/roundtrip/proptest-regressions.txt"),
        ))),
        ..ProptestConfig::default()
    })]

    /// An exemplar recorded on a counter and on a histogram bucket is read back by the parser
    /// with the same labels, value and timestamp.
    #[test]
    fn exemplars_round_trip(
        labels in exemplar_labels(),
        increment in 0u64..1_000_000,
        observation in -10.0..10.0f64,
    ) {
        let registry = Registry::new();
        let counter = registry.counter("jobs", "Jobs.").register().unwrap();
        let histogram = registry
            .histogram("latency_seconds", "Latency.")
            .with_buckets(&[-5.0, 0.0, 5.0])
            .register()
            .unwrap();
        let pairs: Vec<(&str, &str)> = labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        counter.inc_by_with_exemplar(increment, &pairs);
        histogram.observe_with_exemplar(observation, &pairs);

        let text = encode_to_string(&registry, Format::OpenMetrics);
        let parsed = parse(&text, Syntax::OpenMetrics)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let bucket = histogram.bounds().iter().position(|b| observation <= *b).unwrap_or(3);
        let recorded = [
            (counter.exemplar().unwrap(), &parsed[0].samples[0]),
            (histogram.exemplar(bucket).unwrap(), &parsed[1].samples[bucket]),
        ];
        for (want, sample) in recorded {
            let got = sample.exemplar.as_ref().ok_or_else(|| TestCaseError::fail(format!("no exemplar on {}\n{text}", sample.name)))?;
            let got_labels: Vec<(&str, &str)> = got.labels.iter().map(|(n, v)| (*n, &**v)).collect();
            let want_labels: Vec<(&str, &str)> = want.labels().collect();
            prop_assert_eq!(got_labels, want_labels, "{}", text);
            prop_assert_eq!(got.value.to_bits(), want.value().to_bits(), "{}", text);
            prop_assert_eq!(got.timestamp, Some(want.timestamp()), "{}", text);
        }
    }
}
