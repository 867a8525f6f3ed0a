//! `vitals demo` end to end: the real binary, a real socket, a real signal.
//!
//! Each test starts its own demo on `127.0.0.1:0`, learns the port from the first line the
//! demo prints, and talks HTTP/1.1 to it over a plain `TcpStream`, so that nothing between
//! the test and the server hides what goes over the wire.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");
const STARTUP: Duration = Duration::from_secs(20);
const SHUTDOWN: Duration = Duration::from_secs(10);
const ANNOUNCE: &str = "vitals demo: serving metrics at http://";

const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A running demo, killed when dropped so that a failing test never leaks the process.
struct Demo {
    child: Child,
    addr: SocketAddr,
    /// Lines of the demo's stdout, read on a thread so that the demo never blocks on a full
    /// pipe and the test can bound every wait.
    stdout: Receiver<String>,
}

impl Demo {
    fn start() -> Demo {
        Demo::start_with(&[])
    }

    /// Starts the demo with extra arguments after `--listen 127.0.0.1:0`.
    fn start_with(extra: &[&str]) -> Demo {
        let mut child = Command::new(BIN)
            .args(["demo", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        let pipe = child.stdout.take().expect("stdout is piped");
        let (tx, stdout) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut demo = Demo {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stdout,
        };
        let first = match demo.stdout.recv_timeout(STARTUP) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the demo printed nothing within {STARTUP:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = demo.child.wait().ok();
                panic!("the demo closed stdout before announcing its address (exit: {status:?})")
            }
        };
        demo.addr = first
            .strip_prefix(ANNOUNCE)
            .and_then(|rest| rest.strip_suffix("/metrics"))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the demo: {first:?}"));
        assert_ne!(demo.addr.port(), 0, "the demo announced port 0: {first:?}");
        let second = demo
            .stdout
            .recv_timeout(STARTUP)
            .expect("a second line with a curl hint");
        assert!(
            second.contains("curl") && second.contains(&format!("http://{}/metrics", demo.addr)),
            "unexpected second line: {second:?}"
        );
        demo
    }

    fn get(&self, path: &str, accept: Option<&str>) -> Response {
        get(self.addr, path, accept)
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed: {status}");
    }

    /// Waits, bounded, for the demo to exit; returns its status and the rest of its stdout.
    fn wait_for_exit(&mut self) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + SHUTDOWN;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the demo did not exit within {SHUTDOWN:?} of the signal"
            );
            thread::sleep(Duration::from_millis(20));
        };
        let mut rest = Vec::new();
        // The reader thread ends at EOF, which follows the exit at once.
        while let Ok(line) = self.stdout.recv_timeout(SHUTDOWN) {
            rest.push(line);
        }
        (status, rest)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn parse(raw: &[u8]) -> Response {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
        let head = std::str::from_utf8(&raw[..split]).expect("headers are ASCII");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad header line {line:?}"));
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let mut response = Response {
            status,
            headers,
            body: String::new(),
        };
        let payload = &raw[split + 4..];
        let body = if response
            .header("transfer-encoding")
            .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
        {
            dechunk(payload)
        } else {
            if let Some(length) = response.header("content-length") {
                let length: usize = length.parse().expect("numeric content-length");
                assert_eq!(
                    payload.len(),
                    length,
                    "body length differs from content-length"
                );
            }
            payload.to_vec()
        };
        response.body = String::from_utf8(body).expect("the body is UTF-8");
        response
    }
}

/// Decodes a chunked body (RFC 9112 §7.1), ignoring extensions and trailers.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk-size line");
        let line = std::str::from_utf8(&data[..end]).expect("ASCII chunk size");
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .unwrap_or_else(|_| panic!("bad chunk size {line:?}"));
        data = &data[end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&data[..size]);
        assert_eq!(&data[size..size + 2], b"\r\n", "chunk not followed by CRLF");
        data = &data[size + 2..];
    }
}

/// One `GET` on a fresh connection, closed by the server after the response.
fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> Response {
    let mut stream =
        TcpStream::connect(addr).unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if let Some(accept) = accept {
        request.push_str(&format!("Accept: {accept}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("reading the response to GET {path}: {e}"));
    Response::parse(&raw)
}

/// The sum of every `demo_jobs_processed_total` sample in a text exposition.
fn jobs_processed(body: &str) -> f64 {
    body.lines()
        .filter(|line| line.starts_with("demo_jobs_processed_total{"))
        .map(|line| {
            let value = line.rsplit(' ').next().unwrap_or_default();
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("bad sample line {line:?}"))
        })
        .sum()
}

fn assert_contains(body: &str, needle: &str) {
    assert!(
        body.contains(needle),
        "expected {needle:?} in the exposition:\n{body}"
    );
}

#[test]
fn serves_prometheus_text_without_accept() {
    let demo = Demo::start();
    let response = demo.get("/metrics", None);
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("content-type"), Some(TEXT_CONTENT_TYPE));
    let body = &response.body;
    for type_line in [
        "# TYPE demo_jobs_processed_total counter",
        "# TYPE demo_llm_cost_dollars_total counter",
        "# TYPE demo_jobs_in_flight gauge",
        "# TYPE demo_queue_depth gauge",
        "# TYPE demo_worker_load_ratio gauge",
        "# TYPE demo_scheduler_last_run_timestamp_seconds gauge",
        "# TYPE demo_job_duration_seconds histogram",
        "# TYPE demo_job_payload_bytes summary",
        "# TYPE demo_upstream_backlog untyped",
        // Text 0.0.4 has no info or state set type: both are exposed as gauges.
        "# TYPE demo_build_info gauge",
        "# TYPE demo_worker_state gauge",
        // The self-metrics collector is registered too.
        "# TYPE vitals_dropped_updates_total counter",
    ] {
        assert_contains(body, &format!("{type_line}\n"));
    }
    let version = env!("CARGO_PKG_VERSION");
    assert_contains(
        body,
        &format!("demo_build_info{{version=\"{version}\",component=\"vitals-demo\"}} 1\n"),
    );
    // Known label combinations exist from the start, at zero until their first event.
    assert_contains(
        body,
        "demo_jobs_processed_total{queue=\"notifications\",outcome=\"retried\"} ",
    );
    assert_contains(
        body,
        "demo_job_duration_seconds_bucket{queue=\"alerts\",le=\"+Inf\"} ",
    );
    assert!(!body.contains("# EOF"), "0.0.4 has no EOF marker:\n{body}");
    assert!(!body.contains("_created"), "0.0.4 has no _created:\n{body}");
}

#[test]
fn serves_openmetrics_when_asked() {
    let demo = Demo::start();
    let response = demo.get(
        "/metrics",
        Some("application/openmetrics-text; version=1.0.0"),
    );
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        response.header("content-type"),
        Some(OPENMETRICS_CONTENT_TYPE)
    );
    let body = &response.body;
    assert!(body.ends_with("# EOF\n"), "no final # EOF:\n{body}");
    assert_eq!(
        body.matches("# EOF").count(),
        1,
        "more than one # EOF:\n{body}"
    );
    for line in [
        "# TYPE demo_build info",
        "# TYPE demo_worker_state stateset",
        "# TYPE demo_upstream_backlog unknown",
        "# TYPE demo_jobs_processed counter",
        "# TYPE demo_job_duration_seconds histogram",
        "# TYPE demo_job_payload_bytes summary",
        "# UNIT demo_llm_cost_dollars dollars",
        "# UNIT demo_job_duration_seconds seconds",
    ] {
        assert_contains(body, &format!("{line}\n"));
    }
    // Every series is created before the first scrape, so each carries its creation time.
    for created in [
        "demo_jobs_processed_created{queue=\"alerts\",outcome=\"ok\"} ",
        "demo_llm_cost_dollars_created{model=\"summarizer-small\"} ",
        "demo_job_duration_seconds_created{queue=\"enrichment\"} ",
        "demo_job_payload_bytes_created{queue=\"notifications\"} ",
    ] {
        assert_contains(body, created);
    }
    assert_contains(
        body,
        "demo_worker_state{demo_worker_state=\"draining\"} 0\n",
    );
}

#[test]
fn negotiates_like_a_prometheus_server() {
    let demo = Demo::start();
    let table = [
        // What Prometheus 2.x sends when it prefers OpenMetrics.
        (
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1",
            OPENMETRICS_CONTENT_TYPE,
        ),
        ("application/openmetrics-text", OPENMETRICS_CONTENT_TYPE),
        ("text/plain;version=0.0.4", TEXT_CONTENT_TYPE),
        ("*/*", TEXT_CONTENT_TYPE),
        // JSON when asked for (seed 002's /api/metrics/json shape); anything unknown gets text.
        ("application/json", "application/json"),
        ("application/xml", TEXT_CONTENT_TYPE),
    ];
    for (accept, want) in table {
        let response = demo.get("/metrics", Some(accept));
        assert_eq!(response.status, 200, "Accept: {accept}");
        assert_eq!(
            response.header("content-type"),
            Some(want),
            "Accept: {accept}"
        );
        if want == "application/json" {
            let doc: serde_json::Value = serde_json::from_str(&response.body)
                .unwrap_or_else(|e| panic!("Accept: {accept}: not JSON: {e}"));
            assert_eq!(doc["version"], 1, "Accept: {accept}");
        }
    }
}

#[test]
fn traffic_moves_the_counters() {
    let demo = Demo::start();
    let before = jobs_processed(&demo.get("/metrics", None).body);
    // Jobs last under half a second, so one should finish between two scrapes 500 ms apart;
    // a few more tries keep a slow machine from failing the test.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        thread::sleep(Duration::from_millis(500));
        let now = jobs_processed(&demo.get("/metrics", None).body);
        if now > before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "demo_jobs_processed_total stayed at {before}: the traffic task does not run"
        );
    }
}

#[test]
fn index_and_not_found() {
    let demo = Demo::start();
    let index = demo.get("/", None);
    assert_eq!(index.status, 200, "{index:?}");
    assert!(index.body.contains("/metrics"), "{index:?}");
    let missing = demo.get("/nope", None);
    assert_eq!(missing.status, 404, "{missing:?}");
}

#[cfg(unix)]
fn stops_cleanly_on(signal: &str) {
    let mut demo = Demo::start();
    assert_eq!(demo.get("/metrics", None).status, 200);
    // An idle keep-alive connection, as a Prometheus server keeps one, must not hold up the
    // graceful shutdown.
    let mut idle = TcpStream::connect(demo.addr).expect("connect");
    write!(idle, "GET / HTTP/1.1\r\nHost: {}\r\n\r\n", demo.addr).expect("send");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first)
        .expect("a response on the idle connection");
    assert_eq!(&first, b"HTTP/1.1 200");

    demo.signal(signal);
    let (status, rest) = demo.wait_for_exit();
    assert!(status.success(), "exit after SIG{signal}: {status}");
    assert!(
        rest.iter().any(|line| line == "vitals demo: stopped"),
        "no 'vitals demo: stopped' after SIG{signal}; stdout after startup: {rest:?}"
    );
}

#[cfg(unix)]
#[test]
fn stops_cleanly_on_sigterm() {
    stops_cleanly_on("TERM");
}

#[cfg(unix)]
#[test]
fn stops_cleanly_on_sigint() {
    stops_cleanly_on("INT");
}

/// Runs the demo expecting it to fail at once; returns its exit code and stderr.
fn run_failing(listen: &str) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", listen])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + STARTUP;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`vitals demo --listen {listen}` did not exit within {STARTUP:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    (status.code(), reader.join().expect("stderr reader"))
}

#[test]
fn bad_listen_address_exits_with_2() {
    let (code, stderr) = run_failing("not-an-address");
    assert_eq!(code, Some(2), "stderr: {stderr}");
    assert!(stderr.contains("not-an-address"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn port_in_use_exits_with_2() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port to occupy");
    let addr = taken.local_addr().expect("local addr").to_string();
    let (code, stderr) = run_failing(&addr);
    assert_eq!(code, Some(2), "stderr: {stderr}");
    assert!(stderr.contains(&addr), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn health_json_request_and_process_metrics() {
    let demo = Demo::start();
    let health = demo.get("/health", None);
    assert_eq!(health.status, 200);
    assert!(health.body.contains("\"status\":\"ok\""), "{}", health.body);

    assert_eq!(demo.get("/no/such/page/42", None).status, 404);
    let json = demo.get("/metrics/json", None);
    assert_eq!(json.header("content-type"), Some("application/json"));
    let doc: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    assert_eq!(doc["version"], 1);

    // The traffic task calls the demo's own API; the layer labels by route template.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = demo.get("/metrics", None).body;
        let templated = text.contains("route=\"/api/incidents/{id}\"")
            && text.contains("route=\"/api/alerts\"");
        if templated {
            assert!(
                !text
                    .lines()
                    .any(|l| l.contains("route=\"/api/incidents/") && !l.contains("{id}")),
                "a raw path leaked into a route label"
            );
            assert!(text.contains("# TYPE demo_http_request_duration_seconds histogram"));
            // Scrapes go through the layer too, and a 404 shares the one unmatched value.
            assert!(text.contains("route=\"/metrics\""), "scrapes are measured");
            assert!(text.contains("route=\"unmatched\""), "404s share one value");
            assert!(!text.contains("/no/such/page"), "a raw 404 path leaked");
            assert!(
                text.contains("# TYPE process_cpu_seconds_total counter"),
                "process metrics"
            );
            // The incident lookup is #[vitals::instrument]ed into the demo's registry.
            assert!(
                text.contains(
                    "demo_function_calls_total{function=\"find_incident\",module=\"vitals::demo::http\",result=\"ok\",error_kind=\"\"}"
                ),
                "{text}"
            );
            assert!(
                text.contains("# TYPE demo_function_call_duration_seconds histogram"),
                "{text}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no API request was measured within 10 s:\n{text}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn textfile_is_written_for_node_exporter() {
    let dir = std::env::temp_dir().join(format!("vitals-demo-textfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let demo = Demo::start_with(&["--textfile", dir.to_str().unwrap()]);
    let file = dir.join("vitals_demo.prom");
    let text = std::fs::read_to_string(&file).expect("the demo writes the textfile before serving");
    assert!(
        text.contains("# TYPE demo_jobs_processed_total counter"),
        "{text}"
    );
    assert!(
        text.contains("vitals_demo_last_metrics_write_timestamp_seconds"),
        "{text}"
    );
    assert!(!text.contains("# EOF"), "node_exporter reads 0.0.4 only");
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_textfile_directory_is_a_usage_error() {
    let output = Command::new(BIN)
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--textfile",
            "/nonexistent/vitals/dir",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run the demo");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/vitals/dir"), "{stderr}");
}
