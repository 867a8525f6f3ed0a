//! Families and instruments: series identity, removal, typed label sets, and exact totals under
//! concurrency.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use vitals_core::{
    Counter, FloatCounter, FloatGauge, Gauge, Histogram, LabelSet, Observe, Registry, Summary,
    SummaryOptions,
};

const THREADS: usize = 8;
const PER_THREAD: u64 = 50_000;

#[test]
fn concatenation_equal_value_lists_are_different_series() {
    let r = Registry::new();
    let family = r.counter("c", "h").register_family(&["a", "b"]).unwrap();
    family.with_labels(&["ab", "c"]).inc();
    family.with_labels(&["a", "bc"]).inc_by(5);
    family.with_labels(&["", "abc"]).inc_by(7);
    family.with_labels(&["abc", ""]).inc_by(11);
    assert_eq!(family.len(), 4);
    assert_eq!(family.with_labels(&["ab", "c"]).get(), 1);
    assert_eq!(family.with_labels(&["a", "bc"]).get(), 5);
    assert_eq!(family.with_labels(&["", "abc"]).get(), 7);
    assert_eq!(family.with_labels(&["abc", ""]).get(), 11);
}

#[test]
fn lookup_returns_the_same_series() {
    let r = Registry::new();
    let family = r.gauge("g", "h").register_family(&["k"]).unwrap();
    let a = family.with_labels(&["x"]);
    let b = family.with_labels(&["x"]);
    a.set(3);
    assert_eq!(b.get(), 3);
    assert_eq!(family.len(), 1);
}

#[test]
fn remove_and_clear() {
    let r = Registry::new();
    let family = r.counter("c", "h").register_family(&["i"]).unwrap();
    let names: Vec<String> = (0..100).map(|i| format!("s{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        family.with_labels(&[name]).inc_by(i as u64);
    }
    // Remove every odd series; the swap-remove must keep the others reachable.
    for name in names.iter().skip(1).step_by(2) {
        assert!(family.remove(&[name]));
        assert!(!family.remove(&[name]), "second remove finds nothing");
    }
    assert_eq!(family.len(), 50);
    for (i, name) in names.iter().enumerate().step_by(2) {
        assert_eq!(family.with_labels(&[name]).get(), i as u64, "{name}");
    }
    assert_eq!(
        family.len(),
        50,
        "lookups of surviving series create nothing"
    );

    // A removed series starts from zero if it comes back; old handles are detached.
    let old = family.with_labels(&["s0"]);
    assert!(family.remove(&["s0"]));
    old.inc();
    assert_eq!(family.with_labels(&["s0"]).get(), 0);

    family.clear();
    assert!(family.is_empty());
    family.with_labels(&["s2"]).inc();
    assert_eq!(family.with_labels(&["s2"]).get(), 1);
}

struct Route<'a> {
    method: &'a str,
    status: u16,
}

impl LabelSet for Route<'_> {
    fn label_names() -> &'static [&'static str] {
        &["method", "status"]
    }

    fn visit_values(&self, visit: &mut dyn FnMut(&str)) {
        visit(self.method);
        visit(&self.status.to_string());
    }
}

#[test]
fn typed_label_sets() {
    let r = Registry::new();
    let family = r
        .counter("requests", "h")
        .register_typed::<Route>()
        .unwrap();
    assert_eq!(
        family.label_names().collect::<Vec<_>>(),
        ["method", "status"]
    );
    family
        .get(&Route {
            method: "GET",
            status: 200,
        })
        .inc();
    family
        .get(&Route {
            method: "GET",
            status: 200,
        })
        .inc();
    family
        .get(&Route {
            method: "GET",
            status: 404,
        })
        .inc();
    assert_eq!(family.len(), 2);
    assert_eq!(
        family
            .get(&Route {
                method: "GET",
                status: 200
            })
            .get(),
        2
    );
    assert!(family.remove_set(&Route {
        method: "GET",
        status: 404
    }));
    assert_eq!(family.len(), 1);
}

#[test]
fn counter_exact_under_contention() {
    let counter = Counter::new();
    let float = FloatCounter::new();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..PER_THREAD {
                    counter.inc();
                    // 0.5 is exact in binary, so the float total must be exact too.
                    float.inc_by(0.5);
                }
            });
        }
    });
    assert_eq!(counter.get(), THREADS as u64 * PER_THREAD);
    assert_eq!(float.get(), THREADS as f64 * PER_THREAD as f64 * 0.5);
}

#[test]
fn histogram_exact_under_contention() {
    let histogram = Histogram::with_buckets(&[1.0, 2.0, 4.0]).unwrap();
    thread::scope(|s| {
        for t in 0..THREADS {
            let histogram = &histogram;
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    // Values 1..=5 cycle: buckets le=1, 2, 4, 4, +Inf.
                    histogram.observe(((i + t as u64) % 5 + 1) as f64);
                }
            });
        }
    });
    let total = THREADS as u64 * PER_THREAD;
    assert_eq!(histogram.count(), total);
    let per_value = total / 5;
    assert_eq!(
        histogram.cumulative_counts(),
        [per_value, 2 * per_value, 4 * per_value, total]
    );
    assert_eq!(histogram.sum(), (per_value * (1 + 2 + 3 + 4 + 5)) as f64);
}

#[test]
fn concurrent_creation_of_one_series() {
    let r = Registry::new();
    let family = Arc::new(
        r.counter("c", "h")
            .register_family(&["route", "worker"])
            .unwrap(),
    );
    thread::scope(|s| {
        for _ in 0..THREADS {
            let family = Arc::clone(&family);
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    // Every thread races to create the same 10 series.
                    family.with_labels(&["/a", &(i % 10).to_string()]).inc();
                }
            });
        }
    });
    assert_eq!(family.len(), 10);
    for w in 0..10 {
        assert_eq!(
            family.with_labels(&["/a", &w.to_string()]).get(),
            THREADS as u64 * PER_THREAD / 10
        );
    }
}

#[test]
fn a_family_without_labels_under_constant_labels_has_one_series() {
    let r = Registry::builder()
        .with_const_label("region", "eu")
        .build()
        .unwrap();
    let family = r.counter("jobs", "J.").register_family(&[]).unwrap();
    family.with_labels(&[]).inc();
    family.with_series(&[], |c| c.inc());
    assert_eq!(family.len(), 1);
    assert_eq!(family.with_labels(&[]).get(), 2);
    // The dynamic manager's families without labels too.
    r.set_gauge("temperature", &[], 1.0).unwrap();
    r.set_gauge("temperature", &[], 2.0).unwrap();
    let text = vitals_expfmt::encode_to_string(&r, vitals_expfmt::Format::PrometheusText);
    assert_eq!(text.matches("temperature{").count(), 1, "{text}");
    assert!(text.contains("temperature{region=\"eu\"} 2\n"), "{text}");
    assert!(text.contains("jobs_total{region=\"eu\"} 2\n"), "{text}");
}

#[test]
fn values_that_need_escaping_are_their_own_series() {
    // Most series are found by comparing the values with their rendered label text; those
    // whose text was escaped keep their values. Neither may mistake one for another: the raw
    // `x\"` must not match the text of `x"` (rendered `x\"`).
    let r = Registry::builder()
        .with_const_label("region", "eu")
        .build()
        .unwrap();
    let family = r.counter("c", "h").register_family(&["a", "b"]).unwrap();
    let values: [[&str; 2]; 8] = [
        ["x\"", "1"],
        ["x\\\"", "1"],
        ["x", "\"1"],
        ["x\\", "\"1"],
        ["line\nbreak", ""],
        ["", ""],
        ["x", "1"],
        ["x\"", ""],
    ];
    for (i, v) in values.iter().enumerate() {
        family.with_labels(v).inc_by(i as u64 + 1);
    }
    assert_eq!(family.len(), values.len());
    for (i, v) in values.iter().enumerate() {
        assert_eq!(family.with_labels(v).get(), i as u64 + 1, "{v:?}");
        let mut seen = 0;
        family.remove_if(|labels| {
            if labels.values().eq(v.iter().copied()) {
                seen += 1;
                assert_eq!(labels.get("b"), Some(v[1]));
            }
            false
        });
        assert_eq!(seen, 1, "{v:?} is one series, and its values read back");
    }
    assert!(family.remove(&["x\"", "1"]));
    assert!(!family.remove(&["x\"", "1"]));
    assert_eq!(family.with_labels(&["x\\\"", "1"]).get(), 2);
    let text = vitals_expfmt::encode_to_string(&r, vitals_expfmt::Format::PrometheusText);
    assert!(
        text.contains("c_total{region=\"eu\",a=\"x\\\\\\\"\",b=\"1\"} 2\n"),
        "{text}"
    );
}

#[test]
fn lookups_race_removals_clears_and_scrapes() {
    // Lookups take no lock: readers must keep working, and never see a freed series, while
    // another thread removes, clears (so the index is rebuilt and old tables retired) and
    // scrapes. What the readers add to the one series nobody removes is all counted.
    let r = Registry::new();
    let family = r
        .counter("c", "h")
        .register_family(&["route", "worker"])
        .unwrap();
    let kept = family.with_labels(&["/kept", "0"]);
    // Cleared whole, now and then, while the readers look it up.
    let cleared = r.counter("d", "h").register_family(&["route"]).unwrap();
    let stop = AtomicBool::new(false);
    let progress = AtomicU64::new(0);
    thread::scope(|s| {
        let mut readers = Vec::new();
        for t in 0..2u64 {
            let (family, cleared, stop, progress) = (&family, &cleared, &stop, &progress);
            readers.push(s.spawn(move || {
                let mut adds = 0u64;
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    i = (i + 1) % 50;
                    family.with_series(&["/churn", &i.to_string()], |c| c.inc());
                    family.with_series(&["/kept", "0"], |c| c.inc());
                    cleared.with_series(&[&(i % 7).to_string()], |c| c.inc());
                    adds += 1;
                    progress.fetch_add(1, Ordering::Relaxed);
                }
                adds
            }));
        }
        // At least 200 rounds, and until the readers have raced them a while (bounded).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut round = 0;
        while round < 200
            || (progress.load(Ordering::Relaxed) < 20_000 && std::time::Instant::now() < deadline)
        {
            if round % 5 == 4 {
                cleared.clear();
            }
            if round % 20 == 19 {
                family.remove_if(|labels| labels.get("route") == Some("/churn"));
            } else {
                for i in (round % 3..50).step_by(3) {
                    family.remove(&["/churn", &i.to_string()]);
                }
            }
            let text = vitals_expfmt::encode_to_string(&r, vitals_expfmt::Format::OpenMetrics);
            assert!(text.contains("c_total{route=\"/kept\",worker=\"0\"}"));
            round += 1;
        }
        stop.store(true, Ordering::Relaxed);
        let adds: u64 = readers.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(adds > 0);
        assert_eq!(
            kept.get(),
            adds,
            "every increment of the kept series counted"
        );
    });
    assert!((1..=51).contains(&family.len()));
}

#[test]
fn gauges() {
    let g = Gauge::new();
    g.set(10);
    g.inc();
    g.dec();
    g.dec();
    g.add(5);
    g.sub(20);
    assert_eq!(g.get(), -6);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    g.set_to_current_time();
    assert!((g.get() - before).abs() <= 1, "{} vs {before}", g.get());

    let f = FloatGauge::new();
    f.set(1.5);
    f.inc();
    f.sub(0.25);
    f.dec();
    assert_eq!(f.get(), 1.25);
    f.set_to_current_time();
    assert!(f.get() > 1.7e9);
}

#[test]
fn timers_observe_elapsed_seconds() {
    let histogram = Histogram::with_buckets(&[10.0]).unwrap();
    {
        let _timer = histogram.start_timer();
        thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(histogram.count(), 1);
    assert!(histogram.sum() >= 0.005);
    assert_eq!(histogram.cumulative_counts(), [1, 1]);

    let sum_before = histogram.sum();
    let elapsed = histogram.start_timer().observe_duration();
    assert_eq!(histogram.count(), 2);
    assert_eq!(
        histogram.sum(),
        sum_before + elapsed,
        "the returned duration is the one observed"
    );
    histogram.start_timer().discard();
    assert_eq!(histogram.count(), 2, "a discarded timer observes nothing");

    let summary = Summary::new(&SummaryOptions::new());
    drop(summary.start_timer());
    assert_eq!(summary.count(), 1);
}

#[test]
fn float_counter_rejects_what_a_counter_cannot_do() {
    let c = FloatCounter::new();
    c.inc_by(-0.5);
    c.inc_by(f64::NAN);
    c.inc_by(f64::INFINITY);
    c.inc();
    assert_eq!(c.get(), 1.0);
}

proptest::proptest! {
    /// Two value lists land in the same series exactly when they are equal.
    #[test]
    fn series_identity(
        a in proptest::collection::vec(".{0,4}", 3),
        b in proptest::collection::vec(".{0,4}", 3),
    ) {
        let r = Registry::new();
        let family = r.counter("c", "h").register_family(&["x", "y", "z"]).unwrap();
        let a_refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let b_refs: Vec<&str> = b.iter().map(String::as_str).collect();
        family.with_labels(&a_refs).inc();
        let b_value = family.with_labels(&b_refs).get();
        proptest::prop_assert_eq!(b_value == 1, a == b);
        proptest::prop_assert_eq!(family.len(), if a == b { 1 } else { 2 });
    }
}

/// `with_series`: the clone-free lookup finds existing series, creates new ones, and sends a
/// wrong number of values where `with_labels` does (a detached handle, counted).
#[test]
fn with_series_updates_existing_and_new_series_without_cloning() {
    let registry = vitals_core::Registry::new();
    let requests = registry
        .counter("with_series_requests", "R.")
        .register_family(&["method", "route"])
        .unwrap();
    requests.with_labels(&["GET", "/a"]).inc();
    requests.with_series(&["GET", "/a"], |c| c.inc_by(2));
    requests.with_series(&["POST", "/b"], |c| c.inc());
    assert_eq!(requests.with_labels(&["GET", "/a"]).get(), 3);
    assert_eq!(requests.with_labels(&["POST", "/b"]).get(), 1);
    assert_eq!(requests.len(), 2);

    let before = vitals_core::self_metrics::dropped(
        vitals_core::self_metrics::DropReason::LabelCountMismatch,
    );
    requests.with_series(&["GET"], |c| c.inc());
    let after = vitals_core::self_metrics::dropped(
        vitals_core::self_metrics::DropReason::LabelCountMismatch,
    );
    assert_eq!(requests.len(), 2, "a wrong count creates no series");
    assert!(after > before, "and is counted");
    // What `f` returns is passed back.
    assert_eq!(requests.with_series(&["GET", "/a"], |c| c.get()), 3);
}
