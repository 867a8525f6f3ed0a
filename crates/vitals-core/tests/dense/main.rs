//! Enumerable label sets (`LabelSet::CARDINALITY` + `dense_index`), written against
//! `vitals_core::family`'s documentation: such a family finds its series by array index, yet
//! behaves like any other family (series identity, label text, removal, clearing, limits,
//! expiry, exact totals under concurrency). The same label values through the hashed path
//! (`CARDINALITY = None`, or larger than `MAX_DENSE_SERIES`) give the same exposition.

use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use vitals_core::family::MAX_DENSE_SERIES;
use vitals_core::{Counter, Family, LabelSet, Registry};
use vitals_expfmt::{encode_to_string, Format};

const THREADS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Put,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    NotFound,
    Error,
    Timeout,
}

impl Method {
    const ALL: [Method; 3] = [Method::Get, Method::Post, Method::Put];

    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

impl Outcome {
    const ALL: [Outcome; 4] = [
        Outcome::Ok,
        Outcome::NotFound,
        Outcome::Error,
        Outcome::Timeout,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not_found",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
        }
    }
}

/// 3 × 4 = 12 combinations, indexed densely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Call {
    method: Method,
    outcome: Outcome,
}

impl LabelSet for Call {
    const CARDINALITY: Option<usize> = Some(12);

    fn label_names() -> &'static [&'static str] {
        &["method", "outcome"]
    }

    fn visit_values(&self, visit: &mut dyn FnMut(&str)) {
        visit(self.method.as_str());
        visit(self.outcome.as_str());
    }

    fn dense_index(&self) -> usize {
        self.method as usize * 4 + self.outcome as usize
    }
}

/// The same labels through the hashed path.
#[derive(Debug, Clone, Copy)]
struct HashedCall(Call);

impl LabelSet for HashedCall {
    fn label_names() -> &'static [&'static str] {
        Call::label_names()
    }

    fn visit_values(&self, visit: &mut dyn FnMut(&str)) {
        self.0.visit_values(visit);
    }
}

/// Enumerable, but with more combinations than `MAX_DENSE_SERIES`: hashed.
#[derive(Debug, Clone, Copy)]
struct Wide {
    port: u16,
    tls: bool,
}

impl LabelSet for Wide {
    const CARDINALITY: Option<usize> = Some(65_536 * 2);

    fn label_names() -> &'static [&'static str] {
        &["port", "tls"]
    }

    fn visit_values(&self, visit: &mut dyn FnMut(&str)) {
        visit(&self.port.to_string());
        visit(if self.tls { "true" } else { "false" });
    }

    fn dense_index(&self) -> usize {
        usize::from(self.port) * 2 + usize::from(self.tls)
    }
}

fn all_calls() -> Vec<Call> {
    Method::ALL
        .iter()
        .flat_map(|&method| {
            Outcome::ALL
                .iter()
                .map(move |&outcome| Call { method, outcome })
        })
        .collect()
}

fn label_text(call: Call) -> String {
    format!(
        "method=\"{}\",outcome=\"{}\"",
        call.method.as_str(),
        call.outcome.as_str()
    )
}

/// `name{labels} value` lines of the family `sample`, in exposition order.
fn sample_lines(registry: &Registry, sample: &str) -> Vec<String> {
    let prefix = format!("{sample}{{");
    encode_to_string(registry, Format::PrometheusText)
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

/// What both paths must do alike: one series per combination, with its own label text and value.
fn every_combination_is_its_own_series<L: LabelSet>(wrap: impl Fn(Call) -> L) {
    assert!(Call::CARDINALITY.unwrap() <= MAX_DENSE_SERIES);
    let r = Registry::new();
    let calls: Family<Counter, L> = r.counter("calls", "Calls.").register_typed::<L>().unwrap();
    for (i, call) in all_calls().into_iter().enumerate() {
        calls.get(&wrap(call)).inc_by(i as u64 + 1);
    }
    assert_eq!(calls.len(), 12);
    for (i, call) in all_calls().into_iter().enumerate() {
        assert_eq!(calls.get(&wrap(call)).get(), i as u64 + 1, "{call:?}");
        assert_eq!(calls.with(&wrap(call), Counter::get), i as u64 + 1);
    }
    assert_eq!(calls.len(), 12, "lookups of existing series create nothing");
    let expected: Vec<String> = all_calls()
        .into_iter()
        .enumerate()
        .map(|(i, call)| format!("calls_total{{{}}} {}", label_text(call), i + 1))
        .collect();
    assert_eq!(sample_lines(&r, "calls_total"), expected);
}

#[test]
fn dense_every_combination_is_its_own_series() {
    every_combination_is_its_own_series(|c| c);
}

#[test]
fn hashed_every_combination_is_its_own_series() {
    every_combination_is_its_own_series(HashedCall);
}

#[test]
fn get_and_with_share_one_series() {
    let r = Registry::new();
    let calls = r.counter("calls", "C.").register_typed::<Call>().unwrap();
    let c = Call {
        method: Method::Post,
        outcome: Outcome::Timeout,
    };
    let kept = calls.get(&c);
    calls.with(&c, |h| h.inc_by(3));
    kept.inc();
    assert_eq!(calls.get(&c).get(), 4);
    assert_eq!(calls.with(&c, |h| h.get()), 4);
    assert_eq!(calls.len(), 1);
    // `with` alone creates the series too.
    let other = Call {
        method: Method::Get,
        outcome: Outcome::Ok,
    };
    calls.with(&other, |h| h.inc());
    assert_eq!(calls.len(), 2);
    assert_eq!(
        sample_lines(&r, "calls_total"),
        [
            "calls_total{method=\"POST\",outcome=\"timeout\"} 4",
            "calls_total{method=\"GET\",outcome=\"ok\"} 1",
        ]
    );
}

#[test]
fn dense_remove_set_unexposes_and_next_get_restores_with_value_kept() {
    let r = Registry::new();
    let calls = r.counter("calls", "C.").register_typed::<Call>().unwrap();
    let gone = Call {
        method: Method::Put,
        outcome: Outcome::Error,
    };
    let stays = Call {
        method: Method::Get,
        outcome: Outcome::Ok,
    };
    calls.get(&gone).inc_by(5);
    calls.get(&stays).inc();
    assert!(calls.remove_set(&gone));
    assert!(!calls.remove_set(&gone), "second removal finds nothing");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        sample_lines(&r, "calls_total"),
        ["calls_total{method=\"GET\",outcome=\"ok\"} 1"]
    );
    // `with` on a removed combination must not update an unexposed handle silently: it
    // brings the series back like `get`.
    calls.with(&gone, |h| h.inc());
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls.get(&gone).get(),
        6,
        "a dense series comes back with its value"
    );
    // Back in its old slot: first, as when it was created.
    assert_eq!(
        sample_lines(&r, "calls_total"),
        [
            "calls_total{method=\"PUT\",outcome=\"error\"} 6",
            "calls_total{method=\"GET\",outcome=\"ok\"} 1",
        ]
    );
}

#[test]
fn hashed_remove_set_unexposes_and_next_get_starts_from_zero() {
    let r = Registry::new();
    let calls = r
        .counter("calls", "C.")
        .register_typed::<HashedCall>()
        .unwrap();
    let gone = HashedCall(Call {
        method: Method::Put,
        outcome: Outcome::Error,
    });
    calls.get(&gone).inc_by(5);
    assert!(calls.remove_set(&gone));
    assert!(sample_lines(&r, "calls_total").is_empty());
    // As for `with_labels` families (tests/families): a removed series starts again from zero.
    assert_eq!(calls.get(&gone).get(), 0);
    assert_eq!(calls.len(), 1);
}

#[test]
fn clear_unexposes_every_combination() {
    let r = Registry::new();
    let calls = r.counter("calls", "C.").register_typed::<Call>().unwrap();
    for call in all_calls() {
        calls.with(&call, |h| h.inc());
    }
    assert_eq!(calls.len(), 12);
    calls.clear();
    assert!(calls.is_empty());
    assert!(sample_lines(&r, "calls_total").is_empty());
    assert_eq!(r.stats().series, 0);
    let one = all_calls()[7];
    calls.with(&one, |h| h.inc());
    assert_eq!(calls.len(), 1);
    assert_eq!(sample_lines(&r, "calls_total").len(), 1);
    assert_eq!(r.stats().series, 1);
}

fn concurrent_totals<L: LabelSet + Sync>(wrap: impl Fn(Call) -> L + Sync) {
    const ROUNDS: u64 = 2_000;
    let r = Registry::new();
    let calls: Family<Counter, L> = r.counter("calls", "C.").register_typed::<L>().unwrap();
    let all = all_calls();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (calls, all, barrier, wrap) = (&calls, &all, &barrier, &wrap);
            s.spawn(move || {
                barrier.wait();
                for round in 0..ROUNDS {
                    for j in 0..all.len() {
                        let labels = wrap(all[(j + t) % all.len()]);
                        if round % 2 == 0 {
                            calls.with(&labels, |h| h.inc());
                        } else {
                            calls.get(&labels).inc();
                        }
                    }
                }
            });
        }
    });
    assert_eq!(calls.len(), 12);
    for call in all_calls() {
        assert_eq!(calls.get(&wrap(call)).get(), THREADS as u64 * ROUNDS);
    }
    assert_eq!(sample_lines(&r, "calls_total").len(), 12);
    assert_eq!(r.stats().series, 12);
}

#[test]
fn dense_concurrent_lookups_give_exact_totals() {
    concurrent_totals(|c| c);
}

#[test]
fn hashed_concurrent_lookups_give_exact_totals() {
    concurrent_totals(HashedCall);
}

#[test]
fn cardinality_above_max_dense_series_is_hashed_and_works() {
    assert!(Wide::CARDINALITY.unwrap() > MAX_DENSE_SERIES);
    let r = Registry::new();
    let conns = r
        .gauge("connections", "C.")
        .register_typed::<Wide>()
        .unwrap();
    for port in [80_u16, 443, 8080, 65_535] {
        for tls in [false, true] {
            conns
                .get(&Wide { port, tls })
                .set(i64::from(port) + i64::from(tls));
        }
    }
    assert_eq!(conns.len(), 8);
    assert_eq!(
        conns.with(
            &Wide {
                port: 443,
                tls: true
            },
            |g| g.get()
        ),
        444
    );
    assert!(conns.remove_set(&Wide {
        port: 80,
        tls: false
    }));
    assert_eq!(conns.len(), 7);
    let lines = sample_lines(&r, "connections");
    assert_eq!(lines.len(), 7);
    assert!(lines.contains(&"connections{port=\"65535\",tls=\"true\"} 65536".to_owned()));
    // The family's estimate holds no array of 131,072 slots.
    assert!(conns.stats().heap_bytes < 64 * 1024, "{:?}", conns.stats());
}

#[test]
fn dense_family_respects_its_series_limit() {
    let r = Registry::new();
    let calls = r
        .counter("limited_calls", "C.")
        .with_max_series(5)
        .register_typed::<Call>()
        .unwrap();
    for call in all_calls() {
        calls.with(&call, |h| h.inc());
    }
    assert_eq!(calls.len(), 5);
    assert_eq!(calls.stats().overflowed, 7);
    let lines = sample_lines(&r, "limited_calls_total");
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[5],
        "limited_calls_total{method=\"__overflow__\",outcome=\"__overflow__\"} 7"
    );
    // Existing dense series keep working; removing one gives room back.
    calls.with(&all_calls()[0], |h| h.inc());
    assert_eq!(calls.get(&all_calls()[0]).get(), 2);
    assert!(calls.remove_set(&all_calls()[1]));
    calls.get(&all_calls()[11]).inc();
    assert_eq!(calls.get(&all_calls()[11]).get(), 1);
    assert_eq!(calls.len(), 5);
}

#[test]
fn dense_family_with_idle_expiry_sees_lookups() {
    let r = Registry::new();
    let calls = r
        .counter("expiring_calls", "C.")
        .with_idle_expiry(Duration::ZERO)
        .register_typed::<Call>()
        .unwrap();
    let used = all_calls()[0];
    let idle = all_calls()[1];
    calls.get(&used).inc();
    calls.get(&idle).inc();
    assert_eq!(calls.expire_idle(), 0);
    // Lookups without a change of value: `with` and `get` both count as use.
    calls.with(&used, |_| ());
    assert_eq!(calls.expire_idle(), 1, "only the idle combination");
    let _ = calls.get(&used);
    assert_eq!(calls.expire_idle(), 0);
    assert_eq!(calls.len(), 1);
    // The scrape is a sweep too.
    calls.with(&used, |_| ());
    assert_eq!(
        sample_lines(&r, "expiring_calls_total"),
        ["expiring_calls_total{method=\"GET\",outcome=\"ok\"} 1"]
    );
}

/// A hand-written label set that declares its cardinality but forgets `dense_index` must not
/// merge label sets: the default position is outside every array, so lookups are hashed.
#[test]
fn forgotten_dense_index_does_not_merge_label_sets() {
    struct Flag(bool);

    impl LabelSet for Flag {
        const CARDINALITY: Option<usize> = Some(2);
        fn label_names() -> &'static [&'static str] {
            &["flag"]
        }
        fn visit_values(&self, visit: &mut dyn FnMut(&str)) {
            visit(if self.0 { "true" } else { "false" });
        }
    }

    let r = Registry::new();
    let family = r.counter("flags", "h").register_typed::<Flag>().unwrap();
    family.get(&Flag(true)).inc();
    family.get(&Flag(false)).inc_by(5);
    assert_eq!(family.len(), 2);
    assert_eq!(family.get(&Flag(true)).get(), 1);
    assert_eq!(family.get(&Flag(false)).get(), 5);
}
