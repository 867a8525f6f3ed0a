//! The global on/off switch, written against `vitals_core::switch`: off, every registry
//! exposes nothing (OpenMetrics: just `# EOF`) and the dynamic manager records nothing and
//! returns `Ok`; with the feature `switch` every update is a no-op too, without it updates
//! record, unexposed. `METRICS_ENABLED` sets the state read first.
//!
//! CI runs this file with the crate's default features (`switch`) and again without them.
//!
//! The switch is process-wide, so every in-process check is in one test function; the
//! environment is checked by running this test binary again as a child process, filtered to
//! an `#[ignore]`d test that does nothing unless the parent marked it as its child.
use std::process::Command;

use vitals_core::switch::{enabled, set_enabled, ENV_VAR};
use vitals_core::Registry;
use vitals_expfmt::{encode_to_string, Format};

/// Set by the parent in the child's environment: the ignored tests run only then.
const CHILD_MARKER: &str = "VITALS_SWITCH_TEST_CHILD";

/// A registry with a family of every kind, each with one series updated once.
fn populated() -> Registry {
    let r = Registry::new();
    r.counter("c", "C.")
        .register_family(&["k"])
        .unwrap()
        .with_labels(&["a"])
        .inc();
    r.gauge("g", "G.").register().unwrap().set(3);
    r.histogram("h_seconds", "H.")
        .register()
        .unwrap()
        .observe(0.1);
    r
}

#[test]
#[cfg(feature = "switch")]
fn switching_off_and_on_in_process() {
    set_enabled(true);
    assert!(enabled());
    let r = Registry::new();
    let counter = r.counter("jobs", "J.").register().unwrap();
    let float_counter = r.float_counter("cost", "C.").register().unwrap();
    let sharded = r.sharded_counter("hits", "H.").register().unwrap();
    let gauge = r.gauge("depth", "D.").register().unwrap();
    let float_gauge = r.float_gauge("temp", "T.").register().unwrap();
    let histogram = r
        .histogram("latency_seconds", "L.")
        .with_buckets(&[0.1, 1.0])
        .register()
        .unwrap();
    let summary = r
        .summary("size_bytes", "S.")
        .with_summary_options(vitals_core::SummaryOptions::default())
        .register()
        .unwrap();
    let phase = r
        .state_set("phase", "P.", &["idle", "busy"])
        .register()
        .unwrap();
    let unknown = r.unknown("raw", "R.").register().unwrap();
    let family = r.counter("by_key", "B.").register_family(&["k"]).unwrap();

    counter.inc();
    float_counter.inc_by(1.5);
    sharded.inc();
    gauge.set(4);
    float_gauge.set(2.5);
    histogram.observe(0.05);
    summary.observe(10.0);
    phase.set("idle", true);
    unknown.set(9.0);
    family.with_labels(&["a"]).inc();
    r.inc_counter("dyn_events", &[("k", "v")], 1.0).unwrap();
    let on_text = encode_to_string(&r, Format::PrometheusText);
    let on_om = encode_to_string(&r, Format::OpenMetrics);
    assert!(on_text.contains("jobs_total 1\n"), "{on_text}");
    assert!(
        on_text.contains("dyn_events_total{k=\"v\"} 1\n"),
        "{on_text}"
    );

    // ---- off ----
    set_enabled(false);
    assert!(!enabled());
    counter.inc();
    counter.inc_by(10);
    float_counter.inc_by(1.0);
    sharded.inc_by(5);
    gauge.set(100);
    gauge.inc();
    gauge.dec();
    gauge.add(7);
    float_gauge.set(-1.0);
    float_gauge.add(1.0);
    histogram.observe(0.5);
    summary.observe(20.0);
    phase.set("busy", true);
    phase.set_only("busy");
    unknown.set(1.0);
    let handle = family.with_labels(&["a"]);
    handle.inc();
    assert_eq!(handle.get(), 1, "lookups still return the live handle");
    assert_eq!(counter.get(), 1);
    assert_eq!(float_counter.get(), 1.5);
    assert_eq!(sharded.get(), 1);
    assert_eq!(gauge.get(), 4);
    assert_eq!(float_gauge.get(), 2.5);
    assert_eq!(histogram.count(), 1);
    assert_eq!(histogram.sum(), 0.05);
    assert_eq!(summary.count(), 1);
    assert_eq!(summary.sum(), 10.0);
    assert_eq!(phase.get("idle"), Some(true));
    assert_eq!(phase.get("busy"), Some(false));
    assert_eq!(unknown.get(), 9.0);

    // The dynamic manager returns Ok and creates nothing.
    let families_before = r.family_names();
    r.inc_counter("dyn_off_total", &[("k", "v")], 1.0).unwrap();
    r.set_gauge("dyn_off_gauge", &[], 1.0).unwrap();
    r.observe("dyn_off_seconds", &[("k", "v")], 0.1).unwrap();
    r.inc_counter("dyn_events", &[("k", "v")], 5.0).unwrap();
    // Even calls that would be rejected when on: nothing is checked.
    r.inc_counter("dyn_events", &[("other", "v")], 1.0).unwrap();
    r.inc_counter("dyn_events", &[("k", "v")], -1.0).unwrap();
    assert_eq!(r.family_names(), families_before);
    assert_eq!(
        r.dynamic_counter("dyn_events", &[("k", "v")])
            .unwrap()
            .get(),
        1.0
    );

    // Every registry exposes nothing: 0.0.4 empty, OpenMetrics `# EOF` only.
    assert_eq!(encode_to_string(&r, Format::PrometheusText), "");
    assert_eq!(encode_to_string(&r, Format::OpenMetrics), "# EOF\n");
    assert_eq!(encode_to_string(&populated(), Format::PrometheusText), "");
    assert_eq!(
        encode_to_string(&populated(), Format::OpenMetrics),
        "# EOF\n"
    );
    let selfish = Registry::new();
    selfish.register_self_metrics();
    assert_eq!(encode_to_string(&selfish, Format::OpenMetrics), "# EOF\n");

    // ---- on again ----
    set_enabled(true);
    assert!(enabled());
    assert_eq!(
        encode_to_string(&r, Format::PrometheusText),
        on_text,
        "nothing changed while off"
    );
    // `_created` is fixed at creation, so the OpenMetrics text is the same too.
    assert_eq!(encode_to_string(&r, Format::OpenMetrics), on_om);
    counter.inc();
    float_counter.inc_by(1.0);
    sharded.inc();
    gauge.set(5);
    float_gauge.set(3.5);
    histogram.observe(0.5);
    summary.observe(20.0);
    phase.set_only("busy");
    unknown.set(2.0);
    handle.inc();
    r.inc_counter("dyn_events", &[("k", "v")], 2.0).unwrap();
    r.set_gauge("dyn_on_gauge", &[], 1.0).unwrap();
    assert_eq!(counter.get(), 2);
    assert_eq!(float_counter.get(), 2.5);
    assert_eq!(sharded.get(), 2);
    assert_eq!(gauge.get(), 5);
    assert_eq!(float_gauge.get(), 3.5);
    assert_eq!(histogram.count(), 2);
    assert_eq!(summary.count(), 2);
    assert_eq!(phase.get("busy"), Some(true));
    assert_eq!(phase.get("idle"), Some(false));
    assert_eq!(unknown.get(), 2.0);
    assert_eq!(handle.get(), 2);
    let text = encode_to_string(&r, Format::PrometheusText);
    assert!(text.contains("dyn_events_total{k=\"v\"} 3\n"), "{text}");
    assert!(text.contains("dyn_on_gauge 1\n"), "{text}");
    assert!(text.contains("jobs_total 2\n"), "{text}");
    let om = encode_to_string(&r, Format::OpenMetrics);
    assert!(om.ends_with("# EOF\n") && om.len() > 6, "{om}");
}

#[test]
#[cfg(not(feature = "switch"))]
fn without_the_feature_updates_record_while_nothing_is_exposed() {
    set_enabled(true);
    let r = Registry::new();
    let counter = r.counter("jobs", "J.").register().unwrap();
    let family = r.counter("by_key", "B.").register_family(&["k"]).unwrap();
    counter.inc();
    set_enabled(false);
    assert!(
        vitals_core::switch::updates_enabled(),
        "updates do not look at the switch"
    );
    counter.inc();
    family.with_labels(&["a"]).inc();
    r.inc_counter("dyn_off", &[], 1.0).unwrap();
    assert_eq!(counter.get(), 2, "the update recorded");
    assert_eq!(encode_to_string(&r, Format::PrometheusText), "");
    assert_eq!(encode_to_string(&r, Format::OpenMetrics), "# EOF\n");
    assert!(!r.family_names().contains(&"dyn_off".to_owned()));
    set_enabled(true);
    let text = encode_to_string(&r, Format::PrometheusText);
    assert!(text.contains("jobs_total 2\n"), "{text}");
    assert!(text.contains("by_key_total{k=\"a\"} 1\n"), "{text}");
}

/// Runs this test binary again with `METRICS_ENABLED=value`, filtered to the ignored test
/// `name`, and asserts that it ran exactly that test and passed.
fn run_child(value: &str, name: &str) {
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe)
        .args(["--ignored", "--exact", name, "--test-threads=1"])
        .env(ENV_VAR, value)
        .env(CHILD_MARKER, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child {name} with {ENV_VAR}={value} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "child ran no test or several:\n{stdout}\n{stderr}"
    );
}

#[test]
fn env_false_turns_metrics_off() {
    run_child("false", "child_sees_metrics_off");
}

#[test]
fn env_off_spellings() {
    for value in ["0", "OFF", " no "] {
        run_child(value, "child_sees_metrics_off");
    }
}

#[test]
fn env_one_leaves_metrics_on() {
    run_child("1", "child_sees_metrics_on");
}

#[test]
#[ignore = "run by env_false_turns_metrics_off in a child process"]
fn child_sees_metrics_off() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    assert!(!enabled(), "off on first read");
    let r = populated();
    let counter = r.counter("child_jobs", "J.").register().unwrap();
    counter.inc();
    // Recorded (unexposed) only without the feature `switch`.
    assert_eq!(counter.get(), u64::from(!cfg!(feature = "switch")));
    r.inc_counter("child_dyn", &[], 1.0).unwrap();
    assert!(!r.family_names().contains(&"child_dyn".to_owned()));
    assert_eq!(encode_to_string(&r, Format::PrometheusText), "");
    assert_eq!(encode_to_string(&r, Format::OpenMetrics), "# EOF\n");
    // set_enabled overrides the environment.
    set_enabled(true);
    counter.inc();
    assert_eq!(counter.get(), 1 + u64::from(!cfg!(feature = "switch")));
    assert!(encode_to_string(&r, Format::OpenMetrics).contains("child_jobs_total"));
}

#[test]
#[ignore = "run by env_one_leaves_metrics_on in a child process"]
fn child_sees_metrics_on() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    assert!(enabled(), "on on first read");
    let r = populated();
    let counter = r.counter("child_jobs", "J.").register().unwrap();
    counter.inc();
    assert_eq!(counter.get(), 1);
    let om = encode_to_string(&r, Format::OpenMetrics);
    assert!(om.contains("child_jobs_total 1\n"), "{om}");
}
