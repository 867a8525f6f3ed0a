//! Cardinality limits, written against `vitals_core::limits`' documentation: past a family's or
//! the registry's series limit a new label set goes to the one overflow series (every label
//! `__overflow__`, written after the other series), existing series keep working, overflows are
//! counted in `FamilyStats::overflowed` and `vitals_series_overflow_total{family}`, the first one
//! per family logs one warning, and removing series gives their room back.

use std::sync::{Barrier, Mutex, Once};
use std::thread;

use vitals_core::limits::{DEFAULT_MAX_SERIES_PER_FAMILY, OVERFLOW_LABEL_VALUE};
use vitals_core::Registry;
use vitals_expfmt::{encode_to_string, Format};

const THREADS: usize = 8;

/// The samples named `name` in a Prometheus text exposition: `(label text, value)`, in order.
/// Test label values hold no spaces, so the value is what follows the last space.
fn samples(text: &str, name: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (sample, labels) = match series.split_once('{') {
                Some((sample, rest)) => (sample, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if sample != name {
                return None;
            }
            Some((labels.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn exposition(registry: &Registry) -> String {
    encode_to_string(registry, Format::PrometheusText)
}

#[test]
fn per_family_limit_sends_new_label_sets_to_one_overflow_series() {
    let r = Registry::new();
    let logins = r
        .counter("logins", "Logins by user.")
        .with_max_series(3)
        .register_family(&["user", "region"])
        .unwrap();
    let kept = logins.with_labels(&["u0", "eu"]);
    for user in ["u0", "u1", "u2", "u3", "u4"] {
        logins.with_labels(&[user, "eu"]).inc();
    }
    let stats = logins.stats();
    assert_eq!(stats.series, 3);
    assert_eq!(logins.len(), 3);
    assert_eq!(stats.max_series, Some(3));
    assert_eq!(stats.overflowed, 2, "u3 and u4 were redirected");

    // Existing series keep working past the limit, through a kept handle and by lookup, and
    // those lookups are not overflows.
    kept.inc();
    logins.with_labels(&["u1", "eu"]).inc_by(10);
    assert_eq!(logins.with_labels(&["u0", "eu"]).get(), 2);
    assert_eq!(logins.with_labels(&["u1", "eu"]).get(), 11);
    assert_eq!(logins.stats().overflowed, 2);

    // Any new label set now gets the overflow series; each redirected lookup is counted.
    let overflow = logins.with_labels(&["u99", "us"]);
    assert_eq!(
        overflow.get(),
        2,
        "u3 and u4 counted in the overflow series"
    );
    overflow.inc();
    assert_eq!(
        logins.with_labels(&["u3", "eu"]).get(),
        3,
        "u3 still overflows"
    );
    assert_eq!(logins.stats().overflowed, 4);
    assert_eq!(
        logins.len(),
        3,
        "the overflow series is not counted as a series"
    );

    let text = exposition(&r);
    let got = samples(&text, "logins_total");
    let overflow_labels =
        format!("user=\"{OVERFLOW_LABEL_VALUE}\",region=\"{OVERFLOW_LABEL_VALUE}\"");
    assert_eq!(
        got,
        vec![
            ("user=\"u0\",region=\"eu\"".to_owned(), 2.0),
            ("user=\"u1\",region=\"eu\"".to_owned(), 11.0),
            ("user=\"u2\",region=\"eu\"".to_owned(), 1.0),
            (overflow_labels, 3.0),
        ],
        "three series, then the overflow series last:\n{text}"
    );
    // The family is written once, with one TYPE line.
    assert_eq!(text.matches("# TYPE logins_total counter").count(), 1);
}

#[test]
fn no_overflow_series_before_the_limit_is_reached() {
    let r = Registry::new();
    let f = r
        .gauge("pool_size", "Pool size.")
        .with_max_series(2)
        .register_family(&["pool"])
        .unwrap();
    f.with_labels(&["a"]).set(1);
    f.with_labels(&["b"]).set(2);
    let text = exposition(&r);
    assert!(!text.contains(OVERFLOW_LABEL_VALUE), "{text}");
    assert_eq!(f.stats().overflowed, 0);
}

#[test]
fn overflow_self_metric_per_family() {
    let r = Registry::new();
    r.register_self_metrics();
    let a = r
        .counter("a_events", "A.")
        .with_max_series(1)
        .register_family(&["k"])
        .unwrap();
    let b = r
        .counter("b_events", "B.")
        .with_max_series(1)
        .register_family(&["k"])
        .unwrap();
    let quiet = r
        .counter("quiet_events", "Q.")
        .register_family(&["k"])
        .unwrap();
    quiet.with_labels(&["x"]).inc();
    for i in 0..6 {
        a.with_labels(&[&format!("v{i}")]).inc();
    }
    for i in 0..3 {
        b.with_labels(&[&format!("v{i}")]).inc();
    }
    assert_eq!(a.stats().overflowed, 5);
    assert_eq!(b.stats().overflowed, 2);

    let text = exposition(&r);
    let got = samples(&text, "vitals_series_overflow_total");
    assert_eq!(
        got,
        vec![
            ("family=\"a_events\"".to_owned(), 5.0),
            ("family=\"b_events\"".to_owned(), 2.0),
        ],
        "one series per family that overflowed, none for the others:\n{text}"
    );
    // The overflow series itself holds the redirected increments.
    assert!(
        text.contains("a_events_total{k=\"__overflow__\"} 5\n"),
        "{text}"
    );
    // OpenMetrics too.
    let om = encode_to_string(&r, Format::OpenMetrics);
    assert!(
        om.contains("vitals_series_overflow_total{family=\"a_events\"} 5"),
        "{om}"
    );
}

#[test]
fn registry_limit_is_shared_by_its_families() {
    let r = Registry::builder().with_max_series(5).build().unwrap();
    let a = r.counter("a", "A.").register_family(&["k"]).unwrap();
    let b = r.gauge("b", "B.").register_family(&["k"]).unwrap();
    for k in ["1", "2", "3"] {
        a.with_labels(&[k]).inc();
    }
    for k in ["1", "2"] {
        b.with_labels(&[k]).set(7);
    }
    assert_eq!(r.stats().series, 5);
    assert_eq!(r.stats().max_series, Some(5));
    // Both families are now past the registry's limit, though each is far below its own.
    a.with_labels(&["4"]).inc();
    b.with_labels(&["3"]).set(9);
    assert_eq!((a.len(), b.len()), (3, 2));
    assert_eq!(a.stats().overflowed, 1);
    assert_eq!(b.stats().overflowed, 1);
    assert_eq!(a.stats().max_series, Some(DEFAULT_MAX_SERIES_PER_FAMILY));
    // Existing series still work.
    a.with_labels(&["1"]).inc();
    assert_eq!(a.with_labels(&["1"]).get(), 2);
    assert_eq!(b.with_labels(&["3"]).get(), 9, "b's overflow series");

    let text = exposition(&r);
    assert!(text.contains("a_total{k=\"__overflow__\"} 1\n"), "{text}");
    assert!(text.contains("b{k=\"__overflow__\"} 9\n"), "{text}");
    let stats = r.stats();
    assert_eq!(stats.series, 5);
    assert_eq!(
        stats.families.iter().map(|f| f.series).collect::<Vec<_>>(),
        [3, 2]
    );
}

#[test]
fn registry_per_family_default_and_family_override() {
    let r = Registry::builder()
        .with_max_series_per_family(2)
        .build()
        .unwrap();
    let default = r.counter("d", "D.").register_family(&["k"]).unwrap();
    let wider = r
        .counter("w", "W.")
        .with_max_series(4)
        .register_family(&["k"])
        .unwrap();
    for i in 0..10 {
        default.with_labels(&[&i.to_string()]).inc();
        wider.with_labels(&[&i.to_string()]).inc();
    }
    assert_eq!((default.len(), default.stats().max_series), (2, Some(2)));
    assert_eq!((wider.len(), wider.stats().max_series), (4, Some(4)));
    assert_eq!(default.stats().overflowed, 8);
    assert_eq!(wider.stats().overflowed, 6);
}

/// Fills a 3-series family, frees room with `free`, and checks that a new label set then gets
/// its own series rather than the overflow series.
fn room_comes_back(name: &str, free: impl FnOnce(&vitals_core::Family<vitals_core::Counter>)) {
    let r = Registry::new();
    let f = r
        .counter(name, "H.")
        .with_max_series(3)
        .register_family(&["k"])
        .unwrap();
    for k in ["a", "b", "c"] {
        f.with_labels(&[k]).inc();
    }
    f.with_labels(&["full"]).inc();
    assert_eq!(f.stats().overflowed, 1);
    free(&f);
    let fresh = f.with_labels(&["fresh"]);
    assert_eq!(
        fresh.get(),
        0,
        "{name}: a new series, not the overflow series"
    );
    fresh.inc_by(5);
    assert_eq!(f.stats().overflowed, 1, "{name}: no further overflow");
    let text = exposition(&r);
    assert!(
        text.contains(&format!("{name}_total{{k=\"fresh\"}} 5\n")),
        "{name}:\n{text}"
    );
}

#[test]
fn remove_gives_room_back() {
    room_comes_back("by_remove", |f| assert!(f.remove(&["b"])));
}

#[test]
fn clear_gives_room_back() {
    room_comes_back("by_clear", |f| {
        f.clear();
        assert!(f.is_empty());
    });
}

#[test]
fn remove_if_gives_room_back() {
    room_comes_back("by_remove_if", |f| {
        assert_eq!(f.remove_if(|l| l.get("k") != Some("a")), 2);
        assert_eq!(f.len(), 1);
    });
}

#[test]
fn removal_gives_room_back_in_the_registry_budget() {
    let r = Registry::builder().with_max_series(4).build().unwrap();
    let a = r.counter("a", "A.").register_family(&["k"]).unwrap();
    let b = r.counter("b", "B.").register_family(&["k"]).unwrap();
    for k in ["1", "2", "3", "4"] {
        a.with_labels(&[k]).inc();
    }
    b.with_labels(&["x"]).inc();
    assert_eq!((b.len(), b.stats().overflowed), (0, 1));

    assert!(a.remove(&["1"]));
    b.with_labels(&["y"]).inc();
    assert_eq!(b.len(), 1, "remove gave one series back to the registry");

    assert_eq!(a.remove_if(|l| l.get("k") == Some("2")), 1);
    b.with_labels(&["z"]).inc();
    assert_eq!(b.len(), 2, "remove_if gave one series back");

    a.clear();
    for k in ["p", "q"] {
        b.with_labels(&[k]).inc();
    }
    assert_eq!(b.len(), 4, "clear gave two series back");
    assert_eq!(r.stats().series, 4);
}

#[test]
fn unregister_gives_room_back() {
    let r = Registry::builder().with_max_series(3).build().unwrap();
    let a = r.counter("a", "A.").register_family(&["k"]).unwrap();
    let b = r.counter("b", "B.").register_family(&["k"]).unwrap();
    for k in ["1", "2", "3"] {
        a.with_labels(&[k]).inc();
    }
    b.with_labels(&["x"]).inc();
    assert_eq!(b.len(), 0);
    assert!(r.unregister("a_total"));
    for k in ["1", "2", "3"] {
        b.with_labels(&[k]).inc();
    }
    assert_eq!(b.len(), 3, "a's three series were given back");
    assert_eq!(r.stats().series, 3);
    let text = exposition(&r);
    assert!(!text.contains("a_total"), "{text}");
}

#[test]
fn family_without_series_limit() {
    let r = Registry::builder()
        .with_max_series_per_family(2)
        .with_max_series(50)
        .build()
        .unwrap();
    let f = r
        .counter("unbounded", "U.")
        .without_series_limit()
        .register_family(&["k"])
        .unwrap();
    for i in 0..40 {
        f.with_labels(&[&i.to_string()]).inc();
    }
    assert_eq!(f.len(), 40, "no family limit");
    assert_eq!(f.stats().max_series, None);
    assert_eq!(f.stats().overflowed, 0);
    // The registry's total limit still applies.
    for i in 40..60 {
        f.with_labels(&[&i.to_string()]).inc();
    }
    assert_eq!(f.len(), 50);
    assert_eq!(f.stats().overflowed, 10);
}

#[test]
fn registry_without_series_limits() {
    let r = Registry::builder().without_series_limits().build().unwrap();
    let f = r.counter("many", "M.").register_family(&["k"]).unwrap();
    let n = DEFAULT_MAX_SERIES_PER_FAMILY + 500;
    for i in 0..n {
        f.with_labels(&[&i.to_string()]).inc();
    }
    assert_eq!(f.len(), n);
    let stats = r.stats();
    assert_eq!(stats.max_series, None);
    assert_eq!(stats.families[0].max_series, None);
    assert_eq!(stats.families[0].overflowed, 0);
    // A family may still set its own limit.
    let own = r
        .counter("own", "O.")
        .with_max_series(2)
        .register_family(&["k"])
        .unwrap();
    for i in 0..5 {
        own.with_labels(&[&i.to_string()]).inc();
    }
    assert_eq!((own.len(), own.stats().overflowed), (2, 3));
}

// ---------------------------------------------------------------------------------------------
// The one warning.

struct Capture {
    records: Mutex<Vec<(log::Level, String)>>,
}

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        records.push((record.level(), record.args().to_string()));
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture {
    records: Mutex::new(Vec::new()),
};

/// Installs the capturing logger (once per process) and returns the records so far that
/// mention `needle`. Tests run in parallel, so each looks only at its own family's records.
fn records_mentioning(needle: &str) -> Vec<(log::Level, String)> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&CAPTURE).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
    CAPTURE
        .records
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, message)| message.contains(needle))
        .cloned()
        .collect()
}

#[test]
fn first_overflow_logs_one_warning_naming_family_limit_and_widest_label() {
    assert!(records_mentioning("\"api_calls_by_user\"").is_empty());
    let r = Registry::new();
    let f = r
        .counter("api_calls_by_user", "Calls.")
        .with_max_series(20)
        .register_family(&["method", "user_id"])
        .unwrap();
    let methods = ["GET", "POST", "PUT"];
    for i in 0..25 {
        f.with_labels(&[methods[i % 3], &format!("user-{i}")]).inc();
    }
    assert_eq!(f.stats().overflowed, 5);
    for i in 25..1_025 {
        f.with_labels(&[methods[i % 3], &format!("user-{i}")]).inc();
    }
    assert_eq!(f.stats().overflowed, 1_005);

    let warnings = records_mentioning("\"api_calls_by_user\"");
    assert_eq!(warnings.len(), 1, "exactly one record: {warnings:#?}");
    let (level, message) = &warnings[0];
    assert_eq!(*level, log::Level::Warn);
    assert!(
        message.contains("user_id"),
        "names the widest label: {message}"
    );
    assert!(
        !message.contains("label \"method\""),
        "method has 3 values, user_id 20: {message}"
    );
    assert!(message.contains("20"), "names the limit: {message}");
}

#[test]
fn each_family_warns_once_and_registry_limit_is_named() {
    assert!(
        records_mentioning("\"warn_reg_").is_empty(),
        "installs the logger"
    );
    let r = Registry::builder().with_max_series(4).build().unwrap();
    let a = r
        .counter("warn_reg_a", "A.")
        .register_family(&["tenant"])
        .unwrap();
    let b = r
        .counter("warn_reg_b", "B.")
        .register_family(&["tenant"])
        .unwrap();
    for i in 0..10 {
        a.with_labels(&[&format!("t{i}")]).inc();
        b.with_labels(&[&format!("t{i}")]).inc();
    }
    let wa = records_mentioning("\"warn_reg_a\"");
    let wb = records_mentioning("\"warn_reg_b\"");
    assert_eq!((wa.len(), wb.len()), (1, 1), "{wa:#?} {wb:#?}");
    assert!(wb[0].1.contains("registry"), "{}", wb[0].1);
    assert!(
        wb[0].1.contains('4'),
        "names the registry's limit: {}",
        wb[0].1
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

#[test]
fn threads_creating_the_same_label_sets_share_series() {
    const SETS: usize = 100;
    const ROUNDS: u64 = 200;
    let r = Registry::new();
    let f = r
        .counter("shared_sets", "S.")
        .register_family(&["a", "b"])
        .unwrap();
    let keys: Vec<(String, String)> = (0..SETS)
        .map(|i| (format!("a{}", i % 10), format!("b{i}")))
        .collect();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (f, keys, barrier) = (&f, &keys, &barrier);
            s.spawn(move || {
                barrier.wait();
                for round in 0..ROUNDS {
                    // Each thread walks the sets in its own order, so creations race.
                    for j in 0..SETS {
                        let (a, b) = &keys[(j + t * 13 + round as usize) % SETS];
                        f.with_labels(&[a, b]).inc();
                    }
                }
            });
        }
    });
    assert_eq!(f.len(), SETS);
    assert_eq!(f.stats().overflowed, 0);
    for (a, b) in &keys {
        assert_eq!(f.with_labels(&[a, b]).get(), THREADS as u64 * ROUNDS);
    }
    let total: f64 = samples(&exposition(&r), "shared_sets_total")
        .iter()
        .map(|(_, v)| v)
        .sum();
    assert_eq!(total, (THREADS * SETS) as f64 * ROUNDS as f64);
}

#[test]
fn threads_racing_past_a_limit_create_exactly_the_limit() {
    const LIMIT: usize = 50;
    const PER_THREAD: usize = 500;
    let r = Registry::new();
    let f = r
        .counter("raced", "R.")
        .with_max_series(LIMIT)
        .register_family(&["id"])
        .unwrap();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (f, barrier) = (&f, &barrier);
            s.spawn(move || {
                barrier.wait();
                for i in 0..PER_THREAD {
                    f.with_labels(&[&format!("t{t}-{i}")]).inc();
                }
            });
        }
    });
    let increments = THREADS * PER_THREAD;
    assert_eq!(f.len(), LIMIT);
    let stats = f.stats();
    assert_eq!(stats.series, LIMIT);
    assert_eq!(stats.overflowed, (increments - LIMIT) as u64);

    let got = samples(&exposition(&r), "raced_total");
    assert_eq!(
        got.len(),
        LIMIT + 1,
        "the limit's series plus the overflow series"
    );
    assert_eq!(got.last().unwrap().0, "id=\"__overflow__\"");
    assert_eq!(got.last().unwrap().1, (increments - LIMIT) as f64);
    assert!(got[..LIMIT].iter().all(|(_, v)| *v == 1.0));
    let total: f64 = got.iter().map(|(_, v)| v).sum();
    assert_eq!(total, increments as f64, "no increment lost");
}

#[test]
fn registry_budget_under_concurrent_families() {
    // The budget may overshoot by one per concurrently creating family (documented on
    // `Budget::exhausted`), never more.
    const LIMIT: usize = 40;
    let r = Registry::builder().with_max_series(LIMIT).build().unwrap();
    let families: Vec<_> = (0..THREADS)
        .map(|t| {
            r.counter(&format!("fam{t}"), "F.")
                .register_family(&["id"])
                .unwrap()
        })
        .collect();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for f in &families {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for i in 0..100 {
                    f.with_labels(&[&i.to_string()]).inc();
                }
            });
        }
    });
    let series = r.stats().series;
    assert!(
        (LIMIT..=LIMIT + THREADS).contains(&series),
        "{series} series for a limit of {LIMIT}"
    );
    let total: u64 = families
        .iter()
        .map(|f| f.len() as u64 + f.stats().overflowed)
        .sum();
    assert_eq!(total, (THREADS * 100) as u64);
}

#[test]
fn handle_of_an_unregistered_family_does_not_use_the_registry_budget() {
    // `unregister`: "Its handles keep working, unexposed." The registry's limit is of "series
    // in all families" (`RegistryStats::series`), so series an unregistered family's handle
    // creates must not crowd out the registered families.
    let r = Registry::builder().with_max_series(3).build().unwrap();
    let gone = r.counter("gone", "G.").register_family(&["k"]).unwrap();
    let b = r.counter("b", "B.").register_family(&["k"]).unwrap();
    assert!(r.unregister("gone"));
    for k in ["x", "y", "z"] {
        gone.with_labels(&[k]).inc();
    }
    assert_eq!(
        gone.with_labels(&["x"]).get(),
        1,
        "the handle keeps working"
    );
    assert_eq!(r.stats().series, 0, "the registry has no series");
    for k in ["1", "2", "3"] {
        b.with_labels(&[k]).inc();
    }
    assert_eq!(
        (b.len(), b.stats().overflowed),
        (3, 0),
        "b overflowed against series that are not in the registry"
    );
}

/// A real label set spelled like the overflow series must not become a second series with
/// the same labels: the exposition would carry one sample twice.
#[test]
fn label_set_spelled_like_the_overflow_series_is_the_overflow_series() {
    let r = Registry::new();
    let family = r
        .counter("spelled", "h")
        .with_max_series(1)
        .register_family(&["u"])
        .unwrap();
    family.with_labels(&[OVERFLOW_LABEL_VALUE]).inc();
    family.with_labels(&["x"]).inc();
    family.with_labels(&["y"]).inc();
    let text = encode_to_string(&r, Format::PrometheusText);
    let line = format!("spelled_total{{u=\"{OVERFLOW_LABEL_VALUE}\"}}");
    assert_eq!(text.matches(&line).count(), 1, "{text}");
    assert!(text.contains(&format!("{line} 2\n")), "{text}");
}

/// A family without labels has one series; the registry's limit never gives it a second,
/// overflow, one (which would write `name{}` twice once the budget frees up).
#[test]
fn families_without_labels_never_overflow() {
    let r = Registry::builder().with_max_series(1).build().unwrap();
    let first = r.counter("first", "h").register_family(&["k"]).unwrap();
    first.with_labels(&["a"]).inc();
    let second = r.counter("second", "h").register().unwrap();
    second.inc();
    first.clear();
    r.counter("third", "h").register().unwrap().inc();
    second.inc();
    let text = encode_to_string(&r, Format::PrometheusText);
    assert_eq!(text.matches("second_total").count(), 3, "{text}"); // HELP, TYPE, one sample
    assert!(text.contains("second_total 2\n"), "{text}");
}
