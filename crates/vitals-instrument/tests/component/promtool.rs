//! `rules/seed000-jira.yml` (seed 000's alert rules) checked by the real `promtool`: `check
//! rules` on the file, and `test rules` on input series taken from a real tracker's
//! exposition, minute by minute, so the rules are tested against the names and labels the
//! tracker actually writes.
//!
//! When promtool is missing these tests fail if `CI` or `VITALS_REQUIRE_PEERS` is set, and
//! otherwise skip with a notice.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use vitals::expfmt::parse::{parse, Syntax};
use vitals::instrument::ComponentTracker;
use vitals::{encode_to_string, Format, Registry};

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/seed000-jira.yml");

/// What vitals-textfile's writer names its write timestamp with
/// `with_self_metrics_prefix("sentryhub")`: not a dependency of this crate, so the series is
/// written here.
const WRITE_TIMESTAMP: &str = "sentryhub_last_metrics_write_timestamp_seconds";

/// The simulated scrapes: one a minute, minutes 0 to 90.
const MINUTES: usize = 91;

/// A usable promtool, or `None` after a skip notice (a failure where peers are required).
fn promtool() -> Option<&'static str> {
    match Command::new("promtool").arg("--version").output() {
        Ok(out) if out.status.success() => Some("promtool"),
        _ => {
            let notice =
                "promtool not found (install the Debian package prometheus, or run scripts/test)";
            for variable in ["CI", "VITALS_REQUIRE_PEERS"] {
                assert!(
                    std::env::var_os(variable).is_none(),
                    "{notice}, and {variable} is set: peer tests must not be skipped here"
                );
            }
            eprintln!("skipping: {notice}");
            None
        }
    }
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A directory of its own for this test run's files.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vitals-instrument-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_seed_rules_pass_promtool_check_rules() {
    let Some(promtool) = promtool() else { return };
    let output = Command::new(promtool)
        .args(["check", "rules", RULES])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("SUCCESS: 3 rules found"),
        "{}",
        describe(&output)
    );
}

#[test]
fn the_tracker_exposition_passes_promtool_check_metrics() {
    let Some(promtool) = promtool() else { return };
    let registry = Registry::new();
    let jira = ComponentTracker::builder("jira")
        .with_prefix("sentryhub")
        .register_in(&registry)
        .unwrap();
    jira.call("create_issue", || Ok::<_, String>(())).unwrap();
    let _ = jira.call("add_comment", || Err::<(), _>("403"));
    let text = encode_to_string(&registry, Format::PrometheusText);

    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}\n{text}", describe(&output));
}

/// Every sample of the registry's Prometheus text exposition, as `name{labels}` and value.
fn scrape(registry: &Registry) -> Vec<(String, f64)> {
    let text = encode_to_string(registry, Format::PrometheusText);
    let families = parse(&text, Syntax::PrometheusText).unwrap();
    let mut samples = Vec::new();
    for family in &families {
        for sample in &family.samples {
            let labels: Vec<String> = sample
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', r"\\").replace('"', "\\\"")))
                .collect();
            let key = format!("{}{{{}}}", sample.name, labels.join(","));
            samples.push((key, sample.value.as_f64()));
        }
    }
    samples
}

/// The input series promtool is fed: each series' value at each minute (`None` before it
/// exists), taken from the exposition of a real tracker driven through this scenario:
///
/// - minutes 0–9: one successful `create_issue` a minute; minute 5 also one `add_comment`;
///   minute 2 one initialisation error;
/// - minutes 10–19: one failed `create_issue` a minute;
/// - from minute 20: no calls.
///
/// The last-success gauge holds real Unix times; each value is translated to the simulated
/// minute at which it changed (promtool's clock starts at 0). The textfile writer's
/// timestamp, not written by this crate, is simulated: a write every minute until minute 30.
fn scenario() -> BTreeMap<String, Vec<Option<f64>>> {
    let registry = Registry::new();
    let jira = ComponentTracker::builder("jira")
        .with_prefix("sentryhub")
        .register_in(&registry)
        .unwrap();
    let last_success = "sentryhub_component_last_successful_api_call_timestamp{component=\"jira\"}";
    let started = unix_now();

    let mut series: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut real_last_success = None;
    let mut changed_at = Vec::new();
    for minute in 0..MINUTES {
        if minute < 10 {
            jira.call("create_issue", || Ok::<_, String>("OPS-1"))
                .unwrap();
        }
        if minute == 5 {
            jira.call("add_comment", || Ok::<_, String>(())).unwrap();
        }
        if minute == 2 {
            jira.init_failed("connection refused");
        }
        if (10..20).contains(&minute) {
            let _ = jira.call("create_issue", || Err::<(), _>("502 Bad Gateway"));
        }
        for (key, value) in scrape(&registry) {
            let value = if key == last_success {
                assert!(
                    started <= value && value <= unix_now(),
                    "the last-success gauge holds the Unix time of the call: {value}"
                );
                if real_last_success != Some(value) {
                    real_last_success = Some(value);
                    changed_at.push(minute);
                }
                // The simulated time of the minute it last changed.
                (changed_at.last().copied().unwrap_or(0) * 60) as f64
            } else {
                value
            };
            series.entry(key).or_insert_with(|| vec![None; MINUTES])[minute] = Some(value);
        }
        let written = (minute.min(30) * 60) as f64;
        series
            .entry(WRITE_TIMESTAMP.to_owned())
            .or_insert_with(|| vec![None; MINUTES])[minute] = Some(written);
    }
    // The gauge moved at each success and at nothing else.
    assert_eq!(changed_at, (0..10).collect::<Vec<_>>());
    series
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A YAML double-quoted string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', r"\\").replace('"', "\\\""))
}

const WRITE_DESCRIPTION: &str = "The SentryHub application has not written metrics to the \
    textfile collector for over 5 minutes. This indicates a potential issue with the metrics \
    framework or the application itself. Value: ";
const FAILURE_DESCRIPTION: &str = "There are active errors in API calls from SentryHub to \
    Jira. This may prevent ticket creation or updates. Check SentryHub logs for details. \
    Value: ";
const NO_SUCCESS_DESCRIPTION: &str = "No successful API calls have been made to Jira \
    recently. This could indicate a silent failure, a network issue, or that no alerts have \
    triggered the Jira integration. Please verify the integration is healthy.";

/// One expected firing alert: its labels (besides `alertname`) and annotations.
struct Firing {
    labels: &'static [(&'static str, &'static str)],
    summary: &'static str,
    description: String,
}

fn write_failure(value: &str) -> Firing {
    Firing {
        labels: &[("severity", "critical")],
        summary: "SentryHub metrics are not being written",
        description: format!("{WRITE_DESCRIPTION}{value}"),
    }
}

fn integration_failure(value: &str) -> Firing {
    Firing {
        labels: &[
            ("component", "jira"),
            ("method", "create_issue"),
            ("status", "failure"),
            ("severity", "critical"),
        ],
        summary: "SentryHub is failing to communicate with Jira",
        description: format!("{FAILURE_DESCRIPTION}{value}"),
    }
}

fn no_recent_success() -> Firing {
    Firing {
        labels: &[("component", "jira"), ("severity", "warning")],
        summary: "SentryHub has not had a successful communication with Jira for over 1 hour",
        description: NO_SUCCESS_DESCRIPTION.to_owned(),
    }
}

#[test]
fn the_seed_rules_fire_on_the_series_a_tracker_writes() {
    let Some(promtool) = promtool() else { return };
    let series = scenario();
    for name in [
        "sentryhub_jira_api_calls_total{component=\"jira\",method=\"create_issue\",status=\"failure\"}",
        "sentryhub_component_last_successful_api_call_timestamp{component=\"jira\"}",
    ] {
        assert!(series.contains_key(name), "the tracker wrote no {name}");
    }

    let mut yaml = String::new();
    writeln!(yaml, "rule_files:\n  - {}", quoted(RULES)).unwrap();
    yaml.push_str("evaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n");
    for (key, values) in &series {
        let values: Vec<String> = values
            .iter()
            .map(|v| v.map_or_else(|| "_".to_owned(), |v| v.to_string()))
            .collect();
        writeln!(
            yaml,
            "      - series: {}\n        values: {}",
            quoted(key),
            quoted(&values.join(" "))
        )
        .unwrap();
    }

    // (minute, alert, what fires): every alert at every checked minute, so promtool also
    // fails on an alert that fires when it should not.
    let write = "SentryHubMetricsWriteFailure";
    let failure = "SentryHubJiraIntegrationFailure";
    let stale = "SentryHubJiraNoRecentSuccess";
    let cases: Vec<(u32, &str, Vec<Firing>)> = vec![
        // Healthy: the failure series exists at 0, so `rate` is 0, not absent.
        (5, write, vec![]),
        (5, failure, vec![]),
        (5, stale, vec![]),
        // Failing since minute 10: pending at 10, firing from 11. rate over [7m, 12m]: 3/300.
        (12, failure, vec![integration_failure("0.01")]),
        (12, stale, vec![]),
        // No failure in the last 5 minutes: resolved.
        (30, failure, vec![]),
        (30, write, vec![]),
        // Last write at minute 30: stale after 35, firing from 36 on.
        (34, write, vec![]),
        (40, write, vec![write_failure("600")]),
        (40, stale, vec![]),
        // Last success at minute 9 (540 s): over an hour from minute 70, firing 5 minutes on.
        (72, stale, vec![]),
        (80, stale, vec![no_recent_success()]),
        (80, failure, vec![]),
    ];
    yaml.push_str("    alert_rule_test:\n");
    for (minute, alert, firing) in &cases {
        writeln!(
            yaml,
            "      - eval_time: {minute}m\n        alertname: {alert}"
        )
        .unwrap();
        if firing.is_empty() {
            yaml.push_str("        exp_alerts: []\n");
            continue;
        }
        yaml.push_str("        exp_alerts:\n");
        for alert in firing {
            yaml.push_str("          - exp_labels:\n");
            for (k, v) in alert.labels {
                writeln!(yaml, "              {k}: {}", quoted(v)).unwrap();
            }
            writeln!(
                yaml,
                "            exp_annotations:\n              summary: {}\n              description: {}",
                quoted(alert.summary),
                quoted(&alert.description)
            )
            .unwrap();
        }
    }

    let dir = scratch_dir("promtool-rules");
    let test_file = dir.join("seed000-jira.test.yml");
    std::fs::write(&test_file, &yaml).unwrap();
    let output = Command::new(promtool)
        .args(["test", "rules"])
        .arg(&test_file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n--- test file {}",
        describe(&output),
        test_file.display()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
