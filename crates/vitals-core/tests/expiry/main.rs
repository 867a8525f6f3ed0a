//! Idle expiry, written against `MetricBuilder::with_idle_expiry` and `vitals_core::limits`: a
//! family drops series that were neither looked up through it nor changed in value for its
//! expiry time, checked at each scrape and by `Registry::expire_idle` / `Family::expire_idle`,
//! and counted in `FamilyStats::expired` and `vitals_series_expired_total{family}`.

use std::thread::sleep;
use std::time::Duration;

use vitals_core::{Registry, SummaryOptions};
use vitals_expfmt::{encode_to_string, Format};

const IDLE: Duration = Duration::from_millis(50);
/// Comfortably longer than `IDLE`, short enough to keep the suite fast.
const PAUSE: Duration = Duration::from_millis(120);

fn scrape(registry: &Registry) -> String {
    encode_to_string(registry, Format::PrometheusText)
}

#[test]
fn looked_up_since_the_last_sweep_survives() {
    let r = Registry::new();
    let sessions = r
        .gauge("session_bytes", "Bytes per session.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["session"])
        .unwrap();
    sessions.with_labels(&["a1"]).set(10);
    assert_eq!(sessions.expire_idle(), 0, "created since the last sweep");
    let _ = sessions.with_labels(&["a1"]);
    assert_eq!(sessions.expire_idle(), 0, "looked up since the last sweep");
    assert_eq!(sessions.with_labels(&["a1"]).get(), 10);
    assert_eq!(sessions.expire_idle(), 0);
    assert_eq!(sessions.expire_idle(), 1, "idle for a whole sweep period");
    assert!(sessions.is_empty());
    assert_eq!(sessions.stats().expired, 1);
}

#[test]
fn value_changed_through_a_kept_handle_survives() {
    let r = Registry::new();
    let jobs = r
        .counter("jobs", "Jobs.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["queue"])
        .unwrap();
    let mail = jobs.with_labels(&["mail"]);
    assert_eq!(jobs.expire_idle(), 0);
    for _ in 0..3 {
        mail.inc();
        assert_eq!(jobs.expire_idle(), 0, "changed since the last sweep");
    }
    assert_eq!(jobs.expire_idle(), 1, "unchanged for a sweep period");
    // The kept handle keeps working, unexposed.
    mail.inc();
    assert_eq!(mail.get(), 4);
    assert!(jobs.is_empty());
}

#[test]
fn kept_gauge_set_to_the_same_value_counts_as_idle() {
    let r = Registry::new();
    let temp = r
        .gauge("temperature", "T.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["room"])
        .unwrap();
    let kitchen = temp.with_labels(&["kitchen"]);
    kitchen.set(21);
    assert_eq!(temp.expire_idle(), 0);
    kitchen.set(21);
    assert_eq!(
        temp.expire_idle(),
        1,
        "documented: a handle only ever set to the same value is idle"
    );
}

/// Every instrument whose value changes through a kept handle, with no lookup, is in use.
#[test]
fn every_instrument_type_counts_a_change_as_use() {
    let r = Registry::new();
    let zero = Duration::ZERO;
    let h = r
        .histogram("h_seconds", "H.")
        .with_buckets(&[0.5, 1.0])
        .with_idle_expiry(zero)
        .register_family(&["k"])
        .unwrap();
    let s = r
        .summary("s_seconds", "S.")
        .with_summary_options(SummaryOptions::default())
        .with_idle_expiry(zero)
        .register_family(&["k"])
        .unwrap();
    let fc = r
        .float_counter("fc", "F.")
        .with_idle_expiry(zero)
        .register_family(&["k"])
        .unwrap();
    let fg = r
        .float_gauge("fg", "G.")
        .with_idle_expiry(zero)
        .register_family(&["k"])
        .unwrap();
    let st = r
        .state_set("phase", "P.", &["idle", "busy"])
        .with_idle_expiry(zero)
        .register_family(&["k"])
        .unwrap();
    let hist = h.with_labels(&["x"]);
    let summary = s.with_labels(&["x"]);
    let float_counter = fc.with_labels(&["x"]);
    let float_gauge = fg.with_labels(&["x"]);
    let phase = st.with_labels(&["x"]);
    assert_eq!(r.expire_idle(), 0, "all just created");

    // Observations of 0.0 change a histogram's count (and its first bucket) but not its sum.
    hist.observe(0.0);
    summary.observe(0.0);
    float_counter.inc_by(0.5);
    float_gauge.set(-1.5);
    phase.set("busy", true);
    assert_eq!(
        r.expire_idle(),
        0,
        "every series changed since the last sweep"
    );
    assert_eq!(
        (h.len(), s.len(), fc.len(), fg.len(), st.len()),
        (1, 1, 1, 1, 1)
    );

    // An observation inside the finite buckets changes the count too.
    hist.observe(0.0);
    assert_eq!(h.expire_idle(), 0, "histogram observed again");
    // Nothing changed now: every one of them goes.
    assert_eq!(r.expire_idle(), 5);
}

#[test]
fn histogram_observing_zero_through_a_kept_handle_is_use() {
    // An observation of 0.0 leaves `_sum` and the `+Inf` bucket alone but changes `_count`:
    // the series changed in value, so it is not idle.
    let r = Registry::new();
    let h = r
        .histogram("retries", "Retries per request.")
        .with_buckets(&[0.0, 1.0, 5.0])
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["route"])
        .unwrap();
    let kept = h.with_labels(&["/"]);
    assert_eq!(h.expire_idle(), 0);
    kept.observe(0.0);
    assert_eq!(h.expire_idle(), 0, "_count went from 0 to 1");
    kept.observe(3.0);
    kept.observe(-3.0);
    assert_eq!(h.expire_idle(), 0, "_count changed, _sum did not");
    assert_eq!(h.expire_idle(), 1);
}

#[test]
fn scrape_sweeps() {
    let r = Registry::new();
    let f = r
        .counter("scraped", "S.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["k"])
        .unwrap();
    f.with_labels(&["a"]).inc();
    assert!(scrape(&r).contains("scraped_total{k=\"a\"} 1\n"));
    let text = scrape(&r);
    assert!(
        !text.contains("k=\"a\""),
        "idle for a whole scrape interval:\n{text}"
    );
    assert!(f.is_empty());
    assert_eq!(f.stats().expired, 1);
    // OpenMetrics scrapes sweep too.
    f.with_labels(&["b"]).inc();
    let _ = encode_to_string(&r, Format::OpenMetrics);
    let om = encode_to_string(&r, Format::OpenMetrics);
    assert!(!om.contains("k=\"b\""), "{om}");
    assert_eq!(f.stats().expired, 2);
}

#[test]
fn registry_expire_idle_sums_across_families_and_leaves_others_alone() {
    let r = Registry::new();
    let a = r
        .counter("a", "A.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["k"])
        .unwrap();
    let b = r
        .gauge("b", "B.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["k"])
        .unwrap();
    let forever = r.gauge("forever", "F.").register_family(&["k"]).unwrap();
    for k in ["1", "2"] {
        a.with_labels(&[k]).inc();
    }
    for k in ["1", "2", "3"] {
        b.with_labels(&[k]).set(1);
    }
    for k in ["1", "2", "3", "4"] {
        forever.with_labels(&[k]).set(1);
    }
    assert_eq!(r.expire_idle(), 0);
    assert_eq!(r.expire_idle(), 5, "2 + 3");
    assert_eq!(forever.len(), 4, "a family without expiry is untouched");
    assert_eq!(forever.expire_idle(), 0);
    for _ in 0..3 {
        let _ = scrape(&r);
        assert_eq!(r.expire_idle(), 0);
    }
    assert_eq!(forever.len(), 4);
    assert_eq!(forever.stats().expired, 0);
    let stats = r.stats();
    let expired: Vec<u64> = stats.families.iter().map(|f| f.expired).collect();
    assert_eq!(expired, [2, 3, 0]);
    assert_eq!(stats.series, 4);
}

#[test]
fn expired_self_metric() {
    let r = Registry::new();
    r.register_self_metrics();
    let f = r
        .gauge("conn_bytes", "C.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["peer"])
        .unwrap();
    let steady = r
        .gauge("steady", "S.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["peer"])
        .unwrap();
    for p in ["p1", "p2"] {
        f.with_labels(&[p]).set(3);
    }
    steady.with_labels(&["p"]).set(1);
    assert!(
        !scrape(&r).contains("vitals_series_expired_total"),
        "nothing expired yet"
    );
    // That scrape was the first sweep; only `steady` is used before the next one.
    let _ = steady.with_labels(&["p"]);
    assert_eq!(r.expire_idle(), 2);
    let text = scrape(&r);
    assert!(
        text.contains("vitals_series_expired_total{family=\"conn_bytes\"} 2\n"),
        "{text}"
    );
    assert!(
        !text.contains("vitals_series_expired_total{family=\"steady\"}"),
        "{text}"
    );
    assert!(text.contains("# TYPE vitals_series_expired_total counter"));
}

#[test]
fn expired_series_comes_back_at_zero() {
    let r = Registry::new();
    let f = r
        .counter("returns", "R.")
        .with_idle_expiry(Duration::ZERO)
        .register_family(&["k"])
        .unwrap();
    let old = f.with_labels(&["a"]);
    old.inc_by(7);
    assert_eq!(f.expire_idle(), 0);
    assert_eq!(f.expire_idle(), 1);
    let back = f.with_labels(&["a"]);
    assert_eq!(back.get(), 0, "a new series");
    assert_eq!(f.len(), 1);
    back.inc();
    old.inc();
    assert_eq!(back.get(), 1, "the old handle is detached");
    assert!(scrape(&r).contains("returns_total{k=\"a\"} 1\n"));
}

#[test]
fn real_duration_expires_only_after_that_long_idle() {
    let r = Registry::new();
    let f = r
        .counter("timed", "T.")
        .with_idle_expiry(IDLE)
        .register_family(&["k"])
        .unwrap();
    let _ = f.with_labels(&["looked_up"]);
    let changed = f.with_labels(&["changed"]);
    let _ = f.with_labels(&["idle"]);
    assert_eq!(f.expire_idle(), 0, "all used since the last sweep");
    assert_eq!(
        f.expire_idle(),
        0,
        "unused since the last sweep, but not for {IDLE:?} yet"
    );
    sleep(PAUSE);
    let _ = f.with_labels(&["looked_up"]);
    changed.inc();
    assert_eq!(f.expire_idle(), 1, "only the idle series");
    let names: Vec<String> = scrape(&r)
        .lines()
        .filter(|l| l.starts_with("timed_total{"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        names,
        [
            "timed_total{k=\"looked_up\"} 0",
            "timed_total{k=\"changed\"} 1"
        ]
    );
    // The scrape above was a sweep too; nothing has been used since.
    sleep(PAUSE);
    assert_eq!(r.expire_idle(), 2);
    assert!(f.is_empty());
    assert_eq!(f.stats().expired, 3);
}

#[test]
fn real_duration_scrape_sweeps() {
    let r = Registry::new();
    let f = r
        .gauge("timed_scrape", "T.")
        .with_idle_expiry(IDLE)
        .register_family(&["k"])
        .unwrap();
    let kept = f.with_labels(&["kept"]);
    kept.set(1);
    f.with_labels(&["dropped"]).set(1);
    let _ = scrape(&r);
    sleep(PAUSE);
    kept.set(2);
    let text = scrape(&r);
    assert!(text.contains("timed_scrape{k=\"kept\"} 2\n"), "{text}");
    assert!(!text.contains("dropped"), "{text}");
}
