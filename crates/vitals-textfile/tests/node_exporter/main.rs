//! The written file as a real node_exporter (Debian `prometheus-node-exporter`) serves it:
//! values, `node_textfile_scrape_error 0`, a failed write that keeps the old file served, two
//! processes writing per-process files, and a garbage file showing the check can fail.
//!
//! Without the binary these tests print one `skipping:` line and pass, unless `CI` or
//! `VITALS_REQUIRE_PEERS` is set, when they fail.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vitals_core::{Registry, DEFAULT_BUCKETS};
use vitals_textfile::{TextfileWriter, WriteErrorKind};

const BINARY: &str = "/usr/bin/prometheus-node-exporter";
/// Set in a child process started by `two_processes_write_their_own_files`.
const CHILD_DIR: &str = "VITALS_TEXTFILE_CHILD_DIR";

/// The binary, or `None` after printing why the test is skipped; panics when peers are
/// required.
fn node_exporter_binary() -> Option<PathBuf> {
    let path = std::env::var_os("VITALS_NODE_EXPORTER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(BINARY));
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "{} not found (apt-get install -y prometheus-node-exporter)",
        path.display()
    );
    if std::env::var_os("CI").is_some() || std::env::var_os("VITALS_REQUIRE_PEERS").is_some() {
        panic!("{why}; required because CI or VITALS_REQUIRE_PEERS is set");
    }
    println!("skipping: {why}");
    None
}

/// A running node_exporter with only the textfile collector, killed on drop.
struct NodeExporter {
    child: Child,
    port: u16,
}

impl NodeExporter {
    fn start(binary: &Path, dir: &Path) -> Self {
        // Ask the OS for a free port, then hand it to node_exporter; another process taking it
        // in between would show as a start-up failure below, not a wrong result.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!("--collector.textfile.directory={}", dir.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut exporter = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = exporter.child.try_wait().unwrap() {
                panic!("node_exporter exited at start-up: {status}");
            }
            if exporter.try_scrape().is_some() {
                return exporter;
            }
            assert!(Instant::now() < deadline, "node_exporter not ready in 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn try_scrape(&self) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        // HTTP/1.0: the response is not chunked and ends when the connection closes.
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        head.starts_with("HTTP/1.0 200")
            .then(|| body.to_owned())
            .or_else(|| panic!("node_exporter answered: {head}"))
    }

    /// node_exporter reads the directory at every scrape, so one scrape sees the latest file.
    fn scrape(&self) -> String {
        self.try_scrape().expect("scraping node_exporter")
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the sample written exactly as `series` (name and label text) in `body`.
fn value(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.parse().ok()
    })
}

fn scrape_error(body: &str) -> f64 {
    value(body, "node_textfile_scrape_error").expect("node_textfile_scrape_error missing")
}

#[test]
fn node_exporter_serves_the_written_file() {
    let Some(binary) = node_exporter_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new();
    let calls = registry
        .counter("sentryhub_jira_api_calls", "Jira API calls.")
        .register_family(&["status", "method"])
        .unwrap();
    calls.with_labels(&["success", "create_issue"]).inc_by(7);
    calls.with_labels(&["failure", "add_comment"]).inc();
    let last_call = registry
        .float_gauge(
            "sentryhub_component_last_successful_api_call_timestamp",
            "Unix time of the last successful API call.",
        )
        .register_family(&["component"])
        .unwrap();
    last_call
        .with_labels(&["jira \"cloud\""])
        .set(1_700_000_000.5);
    let latency = registry
        .histogram(
            "sentryhub_jira_request_duration_seconds",
            "Jira call latency.",
        )
        .with_buckets(DEFAULT_BUCKETS)
        .register()
        .unwrap();
    latency.observe(0.2);
    latency.observe(3.0);
    let writer = TextfileWriter::builder(dir.path(), "sentryhub.prom")
        .with_registry(&registry)
        .with_self_metrics_prefix("sentryhub")
        .build()
        .unwrap();
    writer.write_now().unwrap();

    let exporter = NodeExporter::start(&binary, dir.path());
    let body = exporter.scrape();
    assert_eq!(scrape_error(&body), 0.0, "{body}");
    let expect = [
        (
            "sentryhub_jira_api_calls_total{method=\"create_issue\",status=\"success\"}",
            7.0,
        ),
        (
            "sentryhub_jira_api_calls_total{method=\"add_comment\",status=\"failure\"}",
            1.0,
        ),
        (
            "sentryhub_component_last_successful_api_call_timestamp{component=\"jira \\\"cloud\\\"\"}",
            1.7000000005e9,
        ),
        ("sentryhub_jira_request_duration_seconds_bucket{le=\"0.25\"}", 1.0),
        ("sentryhub_jira_request_duration_seconds_bucket{le=\"+Inf\"}", 2.0),
        ("sentryhub_jira_request_duration_seconds_count", 2.0),
        ("sentryhub_jira_request_duration_seconds_sum", 3.2),
        ("sentryhub_metrics_write_failures_total", 0.0),
    ];
    for (series, want) in expect {
        assert_eq!(value(&body, series), Some(want), "{series} in\n{body}");
    }
    let stamp = value(&body, "sentryhub_last_metrics_write_timestamp_seconds").unwrap();
    let written = writer
        .last_success()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    // node_exporter re-formats floats with Go's shortest representation; allow for it.
    assert!((stamp - written).abs() < 1e-3, "{stamp} vs {written}");
    assert!(
        body.lines()
            .any(|l| l.starts_with("node_textfile_mtime_seconds{") && l.contains("sentryhub.prom")),
        "{body}"
    );
    assert!(body.contains("# HELP sentryhub_jira_api_calls_total Jira API calls.\n"));

    // New values show up at the next scrape after the next write.
    calls.with_labels(&["success", "create_issue"]).inc();
    writer.write_now().unwrap();
    let body = exporter.scrape();
    assert_eq!(
        value(
            &body,
            "sentryhub_jira_api_calls_total{method=\"create_issue\",status=\"success\"}"
        ),
        Some(8.0)
    );
    assert_eq!(scrape_error(&body), 0.0);
}

#[test]
fn failed_write_keeps_the_old_file_served() {
    let Some(binary) = node_exporter_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new();
    let gauge = registry.gauge("svc_value", "A value.").register().unwrap();
    gauge.set(1);
    let writer = TextfileWriter::builder(dir.path(), "svc.prom")
        .with_registry(&registry)
        .build()
        .unwrap();
    writer.write_now().unwrap();
    let exporter = NodeExporter::start(&binary, dir.path());

    // The temporary file's name taken by a directory: the write fails (for root too).
    fs::create_dir(writer.temp_path()).unwrap();
    gauge.set(2);
    let err = writer.write_now().unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::CreateTemp);
    let body = exporter.scrape();
    assert_eq!(scrape_error(&body), 0.0, "{body}");
    assert_eq!(value(&body, "svc_value"), Some(1.0), "old file not served");
    assert_eq!(value(&body, "svc_metrics_write_failures_total"), Some(0.0));

    // Once the write succeeds again, node_exporter shows the failure that happened.
    fs::remove_dir(writer.temp_path()).unwrap();
    writer.write_now().unwrap();
    let body = exporter.scrape();
    assert_eq!(scrape_error(&body), 0.0, "{body}");
    assert_eq!(value(&body, "svc_value"), Some(2.0));
    assert_eq!(value(&body, "svc_metrics_write_failures_total"), Some(1.0));
}

/// Run in a child process: writes `svc.<pid>.prom` as one process of a service would.
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return; // not a child: nothing to do
    };
    let pid = std::process::id().to_string();
    let registry = Registry::builder()
        .with_const_label("pid", pid.as_str())
        .build()
        .unwrap();
    registry
        .counter("svc_jobs", "Jobs run.")
        .register()
        .unwrap()
        .inc_by(5);
    TextfileWriter::builder(PathBuf::from(dir), "svc.prom")
        .with_registry(&registry)
        .with_per_process_file(true)
        .build()
        .unwrap()
        .write_now()
        .unwrap();
}

#[test]
fn two_processes_write_their_own_files() {
    let Some(binary) = node_exporter_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut pids = Vec::new();
    for _ in 0..2 {
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_writer", "--test-threads=1", "--quiet"])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        pids.push(child.id());
        let status = child.wait_with_output().unwrap().status;
        assert!(status.success(), "child writer failed: {status}");
    }
    for pid in &pids {
        assert!(dir.path().join(format!("svc.{pid}.prom")).is_file());
    }

    let exporter = NodeExporter::start(&binary, dir.path());
    let body = exporter.scrape();
    assert_eq!(scrape_error(&body), 0.0, "{body}");
    for pid in &pids {
        assert_eq!(
            value(&body, &format!("svc_jobs_total{{pid=\"{pid}\"}}")),
            Some(5.0),
            "{body}"
        );
        assert_eq!(
            value(
                &body,
                &format!("svc_metrics_write_failures_total{{pid=\"{pid}\"}}")
            ),
            Some(0.0),
            "{body}"
        );
    }
}

#[test]
fn a_garbage_file_is_a_scrape_error() {
    let Some(binary) = node_exporter_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let writer = TextfileWriter::builder(dir.path(), "good.prom")
        .build()
        .unwrap();
    writer.write_now().unwrap();
    let exporter = NodeExporter::start(&binary, dir.path());
    assert_eq!(scrape_error(&exporter.scrape()), 0.0);

    // What a non-atomic or careless writer can leave: the check this crate relies on fails.
    fs::write(
        dir.path().join("broken.prom"),
        "# TYPE half_written gauge\nhalf_written{a=\"1\" 3\n",
    )
    .unwrap();
    let body = exporter.scrape();
    assert_eq!(scrape_error(&body), 1.0, "{body}");
    // A family declared twice (what the writer refuses to write) fails the same way.
    fs::write(
        dir.path().join("broken.prom"),
        "# TYPE twice gauge\ntwice 1\n# TYPE twice gauge\ntwice 2\n",
    )
    .unwrap();
    assert_eq!(scrape_error(&exporter.scrape()), 1.0);

    fs::remove_file(dir.path().join("broken.prom")).unwrap();
    let body = exporter.scrape();
    assert_eq!(scrape_error(&body), 0.0, "{body}");
    assert_eq!(value(&body, "good_metrics_write_failures_total"), Some(0.0));
}
