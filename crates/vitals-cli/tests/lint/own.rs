//! `vitals lint` on vitals' own output finds nothing: a registry with every type in both
//! formats, and the live `vitals demo` over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use vitals::{Format, Registry};

use crate::support::{have_promtool, lint, promtool_check, write_temp, Promtool, BIN};

/// A registry with every metric type, labels, units, and the self-metrics.
fn every_type() -> Registry {
    let registry = Registry::new();
    let jobs = registry
        .counter("jobs_total", "Jobs run.")
        .register_family(&["queue"])
        .unwrap();
    jobs.with_labels(&["mail"]).inc();
    jobs.with_labels(&["sms"]).inc_by(2);
    registry
        .float_counter("cpu_seconds_total", "CPU time.")
        .with_unit("seconds")
        .register()
        .unwrap()
        .inc_by(1.5);
    registry
        .gauge("queue_depth", "Jobs waiting.")
        .register()
        .unwrap()
        .set(4);
    registry
        .float_gauge("temperature_celsius", "Temperature.")
        .with_unit("celsius")
        .register()
        .unwrap()
        .set(21.5);
    registry
        .histogram("request_duration_seconds", "Request time.")
        .with_unit("seconds")
        .register_family(&["route"])
        .unwrap()
        .with_labels(&["/items"])
        .observe(0.2);
    registry
        .summary("payload_bytes", "Payload sizes.")
        .with_unit("bytes")
        .register()
        .unwrap()
        .observe(512.0);
    registry
        .info("build", "Build information.")
        .register_with(&[("version", "1.2.3")])
        .unwrap();
    registry
        .state_set("mode", "Operating mode.", &["normal", "degraded"])
        .register()
        .unwrap();
    registry
        .unknown("legacy_value", "A value of unknown type.")
        .register()
        .unwrap();
    registry.register_self_metrics();
    registry
}

#[test]
fn every_type_in_both_formats_is_clean() {
    let registry = every_type();
    for (format, syntax) in [
        (Format::PrometheusText, "prometheus"),
        (Format::OpenMetrics, "openmetrics"),
    ] {
        let text = vitals::encode_to_string(&registry, format);
        let path = write_temp(&format!("own-{syntax}"), text.as_bytes());
        let path = path.to_str().unwrap();
        let run = lint(&["--json", path]);
        let report = run.json();
        assert_eq!(
            (run.code, &report["problems"]),
            (0, &serde_json::json!([])),
            "{format:?}:\n{text}"
        );
        assert_eq!(report["syntax"], syntax);
        assert_eq!(report["clean"], true);
        assert_eq!(
            report["cardinality"]["families"].as_array().unwrap().len(),
            10
        );

        let human = lint(&[path]);
        assert_eq!(human.code, 0, "{}", human.stdout);
        assert!(
            human.stdout.ends_with(": no problems\n"),
            "{}",
            human.stdout
        );
    }
    // promtool agrees on the 0.0.4 output (the only format it reads).
    if have_promtool() {
        let text = vitals::encode_to_string(&registry, Format::PrometheusText);
        let path = write_temp("own-promtool", text.as_bytes());
        match promtool_check(&path) {
            Promtool::Problems(p) => assert!(p.is_empty(), "promtool: {p:?}\n{text}"),
            Promtool::Unparsable(e) => panic!("promtool: {e}\n{text}"),
        }
    }
}

/// The demo, killed when dropped so that a failing test never leaks it.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_demo_is_clean_over_http() {
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN} demo: {e}"));
    let stdout = child.stdout.take().expect("stdout is piped");
    let demo = Demo(child);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        // Keep reading to the end, so the demo never blocks on a full pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the demo announces its address");
    let url = first
        .split_once("http://")
        .map(|(_, rest)| format!("http://{rest}"))
        .unwrap_or_else(|| panic!("unexpected first line from the demo: {first:?}"));

    let run = lint(&["--json", &url]);
    let report = run.json();
    assert_eq!(
        (run.code, &report["problems"]),
        (0, &serde_json::json!([])),
        "{}",
        run.stdout
    );
    // The Accept header asks for OpenMetrics first, and the demo serves it.
    assert_eq!(report["syntax"], "openmetrics");
    assert_eq!(report["syntax_chosen"], "content-type");
    drop(demo);
}
