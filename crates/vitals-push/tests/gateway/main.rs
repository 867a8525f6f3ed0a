//! The Pushgateway client against a real Pushgateway (Debian `prometheus-pushgateway`), started
//! per test on 127.0.0.1 and killed when the test ends; and timeouts and refused connections
//! against local sockets.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vitals_core::Registry;
use vitals_expfmt::parse::{parse, Syntax};
use vitals_push::{ErrorKind, Pusher};

/// A running Pushgateway, killed on drop (also when the test panics).
struct Gateway {
    child: Child,
    url: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const BINARY: &str = "prometheus-pushgateway";

/// The gateway binary, or `None` after one `skipping:` line when it is missing and neither `CI`
/// nor `VITALS_REQUIRE_PEERS` is set (then a missing gateway fails the test).
fn binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(BINARY))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty())
            || std::env::var_os("VITALS_REQUIRE_PEERS").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "{BINARY} is not installed (apt-get install prometheus-pushgateway)"
        );
        println!("skipping: {BINARY} is not installed (apt-get install prometheus-pushgateway)");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a gateway with no persistence (Debian's default file would be shared between runs)
/// and waits until it is ready.
fn start() -> Option<Gateway> {
    let binary = binary()?;
    // A port taken between choosing and binding makes the gateway exit: try a few.
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--persistence.file=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut gateway = Gateway {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if gateway.child.try_wait().unwrap().is_some() {
                break;
            }
            if let Ok(r) = ureq::get(&format!("{}/-/ready", gateway.url)).call() {
                if r.status() == 200 {
                    return Some(gateway);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("the Pushgateway did not become ready on 127.0.0.1");
}

type Series = BTreeMap<(String, BTreeMap<String, String>), f64>;

/// The gateway's own exposition, parsed: (sample name, labels) -> value.
fn scrape(gateway: &Gateway) -> Series {
    let text = ureq::get(&format!("{}/metrics", gateway.url))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let families = parse(&text, Syntax::PrometheusText).expect("the gateway's /metrics parses");
    let mut series = Series::new();
    for family in families {
        for sample in family.samples {
            // The gateway adds `instance=""` to groups without one; an empty label is no label
            // in Prometheus, so leave those out.
            let labels = sample
                .labels
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(n, v)| ((*n).to_owned(), v.to_string()))
                .collect();
            series.insert((sample.name.to_owned(), labels), sample.value.as_f64());
        }
    }
    series
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn get(series: &Series, name: &str, pairs: &[(&str, &str)]) -> Option<f64> {
    series.get(&(name.to_owned(), labels(pairs))).copied()
}

/// A registry with a counter `<prefix>_records_total` and a gauge `<prefix>_last_success`.
fn registry(prefix: &str, records: u64, last: i64) -> Registry {
    let registry = Registry::new();
    registry
        .counter(&format!("{prefix}_records"), "Records processed.")
        .register()
        .unwrap()
        .inc_by(records);
    registry
        .gauge(&format!("{prefix}_last_success"), "Last success.")
        .register()
        .unwrap()
        .set(last);
    registry
}

#[test]
fn push_exposes_series_with_job_and_grouping_labels() {
    let Some(gateway) = start() else { return };
    // A job with `/` and grouping values with `/` and non-ASCII text: base64 and
    // percent-encoding on the wire, the plain text in the gateway's labels.
    let pusher = Pusher::new(&gateway.url, "import/nightly")
        .unwrap()
        .with_grouping("instance", "db/2")
        .unwrap()
        .with_grouping("city", "Zürich Genève")
        .unwrap();
    pusher
        .push(&registry("batch", 1042, 1_700_000_000))
        .unwrap();

    let series = scrape(&gateway);
    let group = [
        ("city", "Zürich Genève"),
        ("instance", "db/2"),
        ("job", "import/nightly"),
    ];
    assert_eq!(
        get(&series, "batch_records_total", &group),
        Some(1042.0),
        "{series:#?}"
    );
    assert_eq!(get(&series, "batch_last_success", &group), Some(1.7e9));
    assert!(get(&series, "push_time_seconds", &group).is_some_and(|t| t > 1.6e9));
    assert_eq!(get(&series, "push_failure_time_seconds", &group), Some(0.0));
}

#[test]
fn empty_grouping_value_and_dot_segments_reach_the_gateway() {
    let Some(gateway) = start() else { return };
    // An empty label value means "no such label" in Prometheus: the group is the job alone.
    Pusher::new(&gateway.url, "empty")
        .unwrap()
        .with_grouping("instance", "")
        .unwrap()
        .push(&registry("e", 1, 1))
        .unwrap();
    Pusher::new(&gateway.url, "..")
        .unwrap()
        .with_grouping("instance", ".")
        .unwrap()
        .push(&registry("d", 2, 2))
        .unwrap();
    let series = scrape(&gateway);
    assert_eq!(
        get(&series, "e_records_total", &[("job", "empty")]),
        Some(1.0),
        "{series:#?}"
    );
    assert_eq!(
        get(
            &series,
            "d_records_total",
            &[("instance", "."), ("job", "..")]
        ),
        Some(2.0),
        "{series:#?}"
    );
}

#[test]
fn push_add_keeps_other_metrics_and_push_replaces_them() {
    let Some(gateway) = start() else { return };
    let pusher = Pusher::new(&gateway.url, "pa").unwrap();
    let group: &[(&str, &str)] = &[("job", "pa")];
    pusher.push(&registry("first", 1, 10)).unwrap();

    // POST: a new name is added, and a name pushed again is replaced.
    let second = Registry::new();
    second
        .counter("second_records", "Records.")
        .register()
        .unwrap()
        .inc_by(2);
    second
        .gauge("first_last_success", "Last success.")
        .register()
        .unwrap()
        .set(20);
    pusher.push_add(&second).unwrap();
    let series = scrape(&gateway);
    assert_eq!(
        get(&series, "first_records_total", group),
        Some(1.0),
        "kept"
    );
    assert_eq!(
        get(&series, "second_records_total", group),
        Some(2.0),
        "added"
    );
    assert_eq!(
        get(&series, "first_last_success", group),
        Some(20.0),
        "replaced"
    );

    // PUT: only what was pushed is left.
    let third = Registry::new();
    third
        .gauge("third_value", "Third.")
        .register()
        .unwrap()
        .set(3);
    pusher.push(&third).unwrap();
    let series = scrape(&gateway);
    assert_eq!(get(&series, "third_value", group), Some(3.0));
    for gone in [
        "first_records_total",
        "second_records_total",
        "first_last_success",
    ] {
        assert_eq!(
            get(&series, gone, group),
            None,
            "{gone} replaced by the PUT"
        );
    }
}

#[test]
fn delete_removes_only_its_group() {
    let Some(gateway) = start() else { return };
    let a = Pusher::new(&gateway.url, "del")
        .unwrap()
        .with_grouping("instance", "a")
        .unwrap();
    let b = Pusher::new(&gateway.url, "del")
        .unwrap()
        .with_grouping("instance", "b")
        .unwrap();
    a.push(&registry("del", 1, 1)).unwrap();
    b.push(&registry("del", 2, 2)).unwrap();
    a.delete().unwrap();
    let series = scrape(&gateway);
    assert_eq!(
        get(
            &series,
            "del_records_total",
            &[("instance", "a"), ("job", "del")]
        ),
        None
    );
    assert_eq!(
        get(
            &series,
            "del_records_total",
            &[("instance", "b"), ("job", "del")]
        ),
        Some(2.0)
    );
    // Deleting a group that is not there succeeds.
    a.delete().unwrap();
}

#[test]
fn rejected_push_is_a_status_error_with_the_gateways_message() {
    let Some(gateway) = start() else { return };
    let gauge = Registry::new();
    gauge
        .gauge("clash_metric_total", "A gauge.")
        .register()
        .unwrap()
        .set(1);
    Pusher::new(&gateway.url, "one")
        .unwrap()
        .push(&gauge)
        .unwrap();

    // The same sample name as a counter in another group: the gateway refuses it.
    let counter_reg = Registry::new();
    counter_reg
        .counter("clash_metric", "A counter.")
        .register()
        .unwrap()
        .inc();
    let err = Pusher::new(&gateway.url, "two")
        .unwrap()
        .push(&counter_reg)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(err.status(), Some(400), "{err}");
    let message = err.gateway_message().unwrap();
    assert!(!message.is_empty());
    assert!(err.to_string().contains(message), "{err}");
    assert!(err.to_string().contains("400"), "{err}");
    println!("gateway said: {err}");
    // The first group is intact.
    let series = scrape(&gateway);
    assert_eq!(
        get(&series, "clash_metric_total", &[("job", "one")]),
        Some(1.0)
    );
}

#[test]
fn wrong_path_is_a_status_error_that_points_at_the_url() {
    let Some(gateway) = start() else { return };
    let err = Pusher::new(&format!("{}/metrics", gateway.url), "x")
        .unwrap()
        .push(&registry("w", 1, 1))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert!(err.to_string().contains("check the gateway URL"), "{err}");
}

#[test]
fn a_silent_listener_times_out_quickly() {
    // Connections are accepted by the kernel (the backlog) but never answered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let pusher = Pusher::new(&url, "slow")
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = pusher.push(&registry("t", 1, 1)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(err.to_string().contains("with_timeout"), "{err}");
    drop(listener);
}

#[test]
fn a_closed_port_is_a_connection_error() {
    let port = free_port();
    // Nothing listens now: connecting is refused.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    let err = Pusher::new(&format!("127.0.0.1:{port}"), "gone")
        .unwrap()
        .delete()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[cfg(feature = "async")]
mod nonblocking {
    use super::*;

    // Multi-threaded: the test reads the gateway's /metrics with a blocking client.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn push_add_and_delete_async() {
        let Some(gateway) = start() else { return };
        let pusher = Pusher::new(&gateway.url, "async")
            .unwrap()
            .with_grouping("instance", "x/y")
            .unwrap();
        let group = [("instance", "x/y"), ("job", "async")];
        pusher.push_async(&registry("a", 5, 6)).await.unwrap();
        let extra = Registry::new();
        extra
            .gauge("b_value_total", "B.")
            .register()
            .unwrap()
            .set(7);
        pusher.push_add_async(&extra).await.unwrap();
        let series = tokio::task::block_in_place(|| scrape(&gateway));
        assert_eq!(get(&series, "a_records_total", &group), Some(5.0));
        assert_eq!(get(&series, "b_value_total", &group), Some(7.0));

        let clash = Registry::new();
        clash
            .counter("b_value", "Now a counter.")
            .register()
            .unwrap();
        let other = Pusher::new(&gateway.url, "async2").unwrap();
        let err = other.push_async(&clash).await.unwrap_err();
        assert_eq!(
            (err.kind(), err.status()),
            (ErrorKind::Status, Some(400)),
            "{err}"
        );
        assert!(!err.gateway_message().unwrap().is_empty());

        pusher.delete_async().await.unwrap();
        let series = tokio::task::block_in_place(|| scrape(&gateway));
        assert_eq!(get(&series, "a_records_total", &group), None);
    }

    #[tokio::test]
    async fn timeout_and_connection_errors_async() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let started = Instant::now();
        let err = Pusher::new(&url, "slow")
            .unwrap()
            .with_timeout(Duration::from_millis(300))
            .push_async(&registry("t", 1, 1))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));

        let port = free_port();
        let err = Pusher::new(&format!("127.0.0.1:{port}"), "gone")
            .unwrap()
            .delete_async()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
        drop(listener);
    }
}

/// Accepts one connection, answers `status` with `body`, and returns the request's head.
fn one_shot_server(status: &str, body: &'static str) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let status = status.to_owned();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, handle)
}

#[test]
fn request_carries_method_path_content_type_and_credentials() {
    let (url, server) = one_shot_server("200 OK", "");
    Pusher::new(&url, "auth")
        .unwrap()
        .with_grouping("instance", "a/b")
        .unwrap()
        .with_basic_auth("user", "secret")
        .push_add(&registry("h", 1, 1))
        .unwrap();
    let head = server.join().unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("post /metrics/job/auth/instance@base64/ys9i "),
        "{head}"
    );
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    // base64("user:secret")
    assert!(
        head.contains("authorization: basic dxnlcjpzzwnyzxq="),
        "{head}"
    );
}

#[test]
fn server_errors_carry_status_and_body() {
    let (url, server) = one_shot_server("503 Service Unavailable", "overloaded, try later\n");
    let err = Pusher::new(&url, "busy").unwrap().delete().unwrap_err();
    server.join().unwrap();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Status, Some(503)));
    assert_eq!(err.gateway_message(), Some("overloaded, try later"));
    assert!(err.to_string().contains("retry later"), "{err}");
}

#[test]
fn debug_hides_credentials() {
    let pusher = Pusher::new("http://gw:9091", "j")
        .unwrap()
        .with_basic_auth("user", "secret");
    let debug = format!("{pusher:?}");
    assert!(
        !debug.contains("secret") && !debug.contains("dXNlcjpzZWNyZXQ"),
        "{debug}"
    );
}
