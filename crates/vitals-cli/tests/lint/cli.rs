//! The command itself: exit codes, `--syntax-only`, `--input`, stdin, URLs, limits, output.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::support::{lint, lint_stdin, problems, write_temp};

const CLEAN: &str = "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\n\
                     jobs_total{queue=\"mail\"} 3\n";
const COUNTER_WITHOUT_TOTAL: &str =
    "# HELP http_requests Requests.\n# TYPE http_requests counter\nhttp_requests 1027\n";
const OPENMETRICS: &str = "# TYPE jobs counter\n# HELP jobs Jobs run.\njobs_total 3\n# EOF\n";
/// A label set that is never closed: line 3, column 25 is where a `,` or `}` was expected.
const BROKEN: &str = "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\n\
                      jobs_total{queue=\"mail\" 3\n";

fn file(tag: &str, text: &str) -> String {
    write_temp(tag, text.as_bytes())
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

#[test]
fn exit_codes_are_clean_problems_unreadable() {
    let clean = lint(&[&file("clean", CLEAN)]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let problems = lint(&[&file("problems", COUNTER_WITHOUT_TOTAL)]);
    assert_eq!(problems.code, 1);
    assert!(
        problems.stdout.starts_with(
            "line 3: http_requests: counter samples should end in _total (rename \
             http_requests to http_requests_total)\n"
        ),
        "{}",
        problems.stdout
    );
    assert!(
        problems.stdout.ends_with(": 1 problem\n"),
        "{}",
        problems.stdout
    );

    let broken = lint(&[&file("broken", BROKEN)]);
    assert_eq!(broken.code, 1, "a syntax error is a problem");
    assert!(
        broken.stdout.contains("line 3, column 25: syntax error: "),
        "{}",
        broken.stdout
    );

    let missing = lint(&["/nonexistent/metrics.prom"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read /nonexistent/metrics.prom"),
        "{}",
        missing.stderr
    );
    assert!(missing.stdout.is_empty());

    let binary = write_temp("binary", b"jobs_total 1\n\xff\xfe\n");
    let binary = lint(&[binary.to_str().unwrap()]);
    assert_eq!(binary.code, 2);
    assert!(
        binary
            .stderr
            .contains("is not UTF-8 text (invalid byte at offset 13)"),
        "{}",
        binary.stderr
    );
}

#[test]
fn unreadable_input_with_json_says_so_in_json() {
    let run = lint(&["--json", "/nonexistent/metrics.prom"]);
    assert_eq!(run.code, 2);
    let report = run.json();
    assert_eq!(report["schema"], "vitals-lint/1");
    assert!(report["read_error"]
        .as_str()
        .unwrap()
        .starts_with("cannot read /nonexistent/metrics.prom"));
}

#[test]
fn syntax_only_judges_the_format_alone() {
    // Naming problems do not count.
    let valid = lint(&["--syntax-only", &file("so-valid", COUNTER_WITHOUT_TOTAL)]);
    assert_eq!(valid.code, 0);
    assert!(
        valid
            .stdout
            .ends_with(": valid Prometheus text 0.0.4 (1 family)\n"),
        "{}",
        valid.stdout
    );

    let path = file("so-broken", BROKEN);
    let invalid = lint(&["--syntax-only", &path]);
    assert_eq!(invalid.code, 1);
    // The message is the parser's; the position and the shape are this command's.
    assert!(
        invalid.stdout.starts_with(&format!(
            "{path}: line 3, column 25: syntax error: expected "
        )),
        "{}",
        invalid.stdout
    );
    assert_eq!(invalid.stdout.lines().count(), 1, "{}", invalid.stdout);

    let json = lint(&["--syntax-only", "--json", &path]).json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["clean"], false);
    assert_eq!(json["parse_error"]["line"], 3);
    assert_eq!(json["parse_error"]["column"], 25);
    assert_eq!(json["cardinality"], serde_json::Value::Null);
}

#[test]
fn input_forces_the_format() {
    let path = file("forced", CLEAN);
    // Without `# EOF` this is not OpenMetrics.
    let run = lint(&["--input", "openmetrics", "--json", &path]);
    assert_eq!(run.code, 1);
    let report = run.json();
    assert_eq!(report["syntax"], "openmetrics");
    assert_eq!(report["syntax_chosen"], "forced");
    assert_eq!(report["valid"], false);

    let run = lint(&["--input", "prometheus", "--json", &path]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["syntax"], "prometheus");

    let run = lint(&["--input", "protobuf", &path]);
    assert_eq!(run.code, 2, "a usage error");
}

#[test]
fn reads_standard_input() {
    let dash = lint_stdin(&["--json", "-"], OPENMETRICS.as_bytes());
    assert_eq!(dash.code, 0, "{}", dash.stdout);
    let report = dash.json();
    assert_eq!(report["source"], "<stdin>");
    assert_eq!(report["syntax"], "openmetrics");
    assert_eq!(report["syntax_chosen"], "detected");

    // No argument means stdin too.
    let bare = lint_stdin(&[], COUNTER_WITHOUT_TOTAL.as_bytes());
    assert_eq!(bare.code, 1);
    assert!(
        bare.stdout.starts_with("line 3: http_requests: "),
        "{}",
        bare.stdout
    );
}

#[test]
fn json_report_has_problems_and_cardinality() {
    let text = "# HELP requests_total R.\n# TYPE requests_total counter\n\
                requests_total{path=\"/a\",method=\"GET\"} 1\n\
                requests_total{path=\"/b\",method=\"GET\"} 1\n\
                requests_total{path=\"/c\",method=\"POST\"} 1\n\
                # TYPE queueDepth gauge\nqueueDepth 3\n";
    let run = lint(&["--json", "--max-series", "2", &file("json", text)]);
    assert_eq!(run.code, 1);
    let report = run.json();
    let found: Vec<(String, String, u64)> = problems(&report)
        .into_iter()
        .map(|(rule, family, line, _)| (rule, family, line))
        .collect();
    assert_eq!(
        found,
        [
            ("high-cardinality".into(), "requests".into(), 1),
            ("help-missing".into(), "queueDepth".into(), 6),
            ("snake-case-name".into(), "queueDepth".into(), 6),
        ]
    );
    let requests = &report["cardinality"]["families"][0];
    assert_eq!(requests["name"], "requests");
    assert_eq!(requests["type"], "counter");
    assert_eq!(requests["series"], 3);
    assert_eq!(requests["top_label"]["name"], "path");
    assert_eq!(requests["top_label"]["values"], 3);
    assert_eq!(requests["over_limit"], true);
    assert_eq!(report["cardinality"]["total_series"], 4);
    assert_eq!(report["cardinality"]["max_series"], 2);

    let human = lint(&["--max-series", "2", &file("human", text)]);
    assert!(
        human
            .stdout
            .contains("requests: 3 series, over the limit of 2; label \"path\" has 3 distinct"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("OVER THE LIMIT"), "{}", human.stdout);

    let total = lint(&["--json", "--max-total-series", "3", &file("total", CLEAN)]);
    assert_eq!(total.code, 0, "1 series is under 3");
    let text3 = format!("{CLEAN}jobs_total{{queue=\"sms\"}} 1\n");
    let total = lint(&["--max-total-series", "1", &file("total2", &text3)]);
    assert_eq!(total.code, 1);
    assert!(
        total
            .stdout
            .contains("total: 2 series in all, over the limit of 1"),
        "{}",
        total.stdout
    );
}

/// A one-request HTTP server on 127.0.0.1:0: answers with `status`, `content_type` and
/// `body`, and hands back the request it read.
fn serve_once(
    status: &'static str,
    content_type: Option<&'static str>,
    body: &'static str,
) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let handle = thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        let (mut stream, _) = loop {
            match listener.accept() {
                Ok(conn) => break conn,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "no request within 20 s");
                    thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).expect("read the request");
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let mut response = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if let Some(ct) = content_type {
            response.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(body);
        stream.write_all(response.as_bytes()).expect("write");
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, handle)
}

#[test]
fn reads_urls_and_takes_the_format_from_the_content_type() {
    let cases: &[(Option<&'static str>, &'static str, &str, &str)] = &[
        (
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            OPENMETRICS,
            "openmetrics",
            "content-type",
        ),
        (
            Some("text/plain; version=0.0.4; charset=utf-8"),
            CLEAN,
            "prometheus",
            "content-type",
        ),
        // The Content-Type wins over the content: `# EOF` is a comment in 0.0.4.
        (
            Some("text/plain; version=0.0.4"),
            OPENMETRICS,
            "prometheus",
            "content-type",
        ),
        // A type that names no exposition format: the content decides.
        (
            Some("application/octet-stream"),
            OPENMETRICS,
            "openmetrics",
            "detected",
        ),
        (None, CLEAN, "prometheus", "detected"),
    ];
    for &(content_type, body, syntax, chosen) in cases {
        let (url, server) = serve_once("200 OK", content_type, body);
        let run = lint(&["--json", &url]);
        let request = server.join().expect("the server thread");
        let report = run.json();
        let what = format!("{content_type:?}: {}", run.stdout);
        assert_eq!(report["syntax"], syntax, "{what}");
        assert_eq!(report["syntax_chosen"], chosen, "{what}");
        assert_eq!(report["source"], url.as_str());
        assert!(
            request.lines().any(|l| l.eq_ignore_ascii_case(
                "accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
            )),
            "{request}"
        );
        assert!(
            request.starts_with("GET /metrics HTTP/1.1\r\n"),
            "{request}"
        );
    }
    // 0.0.4 read from OpenMetrics text: the counter's samples are a family of their own,
    // without HELP. The result is what a 0.0.4 scraper would see.
    let (url, server) = serve_once("200 OK", Some("text/plain"), OPENMETRICS);
    let run = lint(&["--json", &url]);
    server.join().unwrap();
    assert_eq!(run.code, 1);
}

#[test]
fn http_errors_are_unreadable_input() {
    let (url, server) = serve_once("404 Not Found", Some("text/plain"), "no such page\n");
    let run = lint(&[&url]);
    server.join().unwrap();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&format!("cannot read {url}: the server answered HTTP 404")),
        "{}",
        run.stderr
    );

    // Nothing listens on a port just released.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = lint(&[&format!("http://127.0.0.1:{port}/metrics")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read http://127.0.0.1:"),
        "{}",
        run.stderr
    );
}
