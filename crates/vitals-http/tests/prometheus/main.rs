//! A real Prometheus server scrapes two vitals endpoints on 127.0.0.1 every second, one
//! negotiated to OpenMetrics 1.0.0 (with a bearer token) and one to Prometheus text 0.0.4
//! (with basic auth); the values read back through Prometheus's query API must equal what was
//! recorded, non-ASCII and escaped label values included.
//!
//! Prometheus before 2.49 has no `scrape_protocols`: it always prefers OpenMetrics, so the 0.0.4
//! endpoint is served with OpenMetrics turned off (`with_openmetrics(false)`). From 2.49 on the
//! scrape config also pins each job's protocol. Either way each endpoint records the
//! `Content-Type` it served and the test checks it.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use vitals_core::Registry;
use vitals_expfmt::Format;
use vitals_http::{metrics_router, MetricsConfig};

/// How long Prometheus gets to start and scrape: scrapes are every second, so this is
/// generous, and bounded so a broken setup fails rather than hangs.
const DEADLINE: Duration = Duration::from_secs(20);

/// What to do about a missing peer: fail where peers are required (`CI` or
/// `VITALS_REQUIRE_PEERS` set), since a green run that skipped them proves nothing; elsewhere
/// print one notice and let the caller return. (The rule of vitals-expfmt's peer tests.)
fn missing(notice: &str) {
    for variable in ["CI", "VITALS_REQUIRE_PEERS"] {
        assert!(
            std::env::var_os(variable).is_none(),
            "{notice}, and {variable} is set: peer tests must not be skipped here"
        );
    }
    eprintln!("skipping: {notice}");
}

/// The Prometheus binary and its (major, minor) version, or `None` after [`missing`].
fn prometheus() -> Option<(PathBuf, (u32, u32))> {
    let binary =
        PathBuf::from(std::env::var_os("VITALS_PROMETHEUS").unwrap_or("prometheus".into()));
    let output = Command::new(&binary).arg("--version").output();
    let text = match output {
        Ok(out) if out.status.success() => {
            // Prometheus prints its version to stdout (older releases: stderr).
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            text
        }
        _ => {
            missing(
                "prometheus not found (install the Debian package prometheus, or run scripts/test)",
            );
            return None;
        }
    };
    // "prometheus, version 2.42.0+ds (branch: ...)"
    let version = text
        .split("version ")
        .nth(1)
        .and_then(|rest| {
            let mut parts = rest.split(|c: char| !c.is_ascii_digit());
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
        })
        .unwrap_or_else(|| panic!("cannot read the version from {text:?}"));
    Some((binary, version))
}

/// Kills Prometheus when the test ends, however it ends.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An endpoint on its own runtime thread, recording the Content-Type of each scrape.
struct Endpoint {
    addr: SocketAddr,
    served: Arc<Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

fn start_endpoint(registry: Registry, config: MetricsConfig) -> Endpoint {
    let served = Arc::new(Mutex::new(Vec::new()));
    let record = served.clone();
    let router = metrics_router(registry, config)
        .unwrap()
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let record = record.clone();
                async move {
                    let response = next.run(request).await;
                    if let Some(content_type) = response.headers().get("content-type") {
                        let content_type = content_type.to_str().unwrap_or("?").to_owned();
                        record.lock().unwrap().push(content_type);
                    }
                    response
                }
            },
        ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Endpoint {
        addr,
        served,
        _runtime: runtime,
    }
}

/// The metrics recorded: a counter with a non-ASCII and an escaped label value, a float gauge,
/// a histogram with a non-ASCII label. Bucket bounds and observations are exact binary
/// fractions so sums compare exactly, and the bounds have a point so `le` reads the same in
/// both formats (`0.25`, where a bound of 1 would be `1` in 0.0.4 and `1.0` in OpenMetrics).
fn record(registry: &Registry) -> BTreeMap<String, f64> {
    let jobs = registry
        .counter("jobs", "Jobs run.")
        .register_family(&["queue"])
        .unwrap();
    jobs.with_labels(&["café ☕"]).inc_by(3);
    jobs.with_labels(&["mail \"fast\"\\slow"]).inc_by(5);
    registry
        .float_gauge("temperature_celsius", "Room temperature.")
        .with_unit("celsius")
        .register()
        .unwrap()
        .set(-3.5);
    let latency = registry
        .histogram("latency_seconds", "Time per job.")
        .with_unit("seconds")
        .with_buckets(&[0.125, 0.25, 2.5])
        .register_family(&["region"])
        .unwrap();
    let zurich = latency.with_labels(&["zürich"]);
    for v in [0.0625, 0.25, 0.125, 4.0] {
        zurich.observe(v);
    }
    let mut expected = BTreeMap::new();
    let mut put = |key: &str, value: f64| {
        expected.insert(key.to_owned(), value);
    };
    put("jobs_total{queue=\"café ☕\"}", 3.0);
    put("jobs_total{queue=\"mail \\\"fast\\\"\\\\slow\"}", 5.0);
    put("temperature_celsius{}", -3.5);
    put(
        "latency_seconds_bucket{le=\"0.125\",region=\"zürich\"}",
        2.0,
    );
    put("latency_seconds_bucket{le=\"0.25\",region=\"zürich\"}", 3.0);
    put("latency_seconds_bucket{le=\"2.5\",region=\"zürich\"}", 3.0);
    put("latency_seconds_bucket{le=\"+Inf\",region=\"zürich\"}", 4.0);
    put("latency_seconds_count{region=\"zürich\"}", 4.0);
    put("latency_seconds_sum{region=\"zürich\"}", 4.4375);
    expected
}

fn free_port() -> u16 {
    // Bound and released: Prometheus needs a number up front. A race with another process
    // for the same port is possible but shows as a clear startup failure.
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Runs an instant query: the series of the result as `name{label="value",...}` (labels
/// sorted, `job` and `instance` left out, values escaped as in the exposition) to value.
fn query(api: SocketAddr, promql: &str) -> Result<BTreeMap<String, f64>, String> {
    let url = format!("http://{api}/api/v1/query?query={}", percent_encode(promql));
    let body = ureq::get(&url)
        .call()
        .map_err(|e| e.to_string())?
        .into_body()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    if json["status"] != "success" {
        return Err(body);
    }
    let mut out = BTreeMap::new();
    for series in json["data"]["result"].as_array().ok_or("no result array")? {
        let labels = series["metric"].as_object().ok_or("no metric")?;
        let name = labels["__name__"].as_str().ok_or("no __name__")?;
        let mut key = format!("{name}{{");
        let mut first = true;
        for (label, value) in labels {
            if matches!(label.as_str(), "__name__" | "job" | "instance") {
                continue;
            }
            if !first {
                key.push(',');
            }
            first = false;
            let value = value.as_str().ok_or("label value not a string")?;
            let escaped = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            key.push_str(&format!("{label}=\"{escaped}\""));
        }
        key.push('}');
        let value: f64 = series["value"][1]
            .as_str()
            .ok_or("value not a string")?
            .parse()
            .map_err(|e| format!("{e}"))?;
        out.insert(key, value);
    }
    Ok(out)
}

fn write_config(dir: &Path, version: (u32, u32), om: SocketAddr, text: SocketAddr) -> PathBuf {
    let pin = |protocol: &str| {
        if version >= (2, 49) {
            format!("    scrape_protocols: [{protocol}]\n")
        } else {
            String::new()
        }
    };
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n\
         \x20 - job_name: om\n\
         {om_pin}\
         \x20   authorization:\n      credentials: om-token\n\
         \x20   static_configs:\n      - targets: ['{om}']\n\
         \x20 - job_name: text\n\
         {text_pin}\
         \x20   basic_auth:\n      username: prometheus\n      password: 'text pass'\n\
         \x20   static_configs:\n      - targets: ['{text}']\n",
        om_pin = pin("OpenMetricsText1.0.0"),
        text_pin = pin("PrometheusText0.0.4"),
    );
    let path = dir.join("prometheus.yml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn prometheus_scrapes_both_formats() {
    let Some((binary, version)) = prometheus() else {
        return;
    };
    let registry = Registry::new();
    let expected = record(&registry);
    let om = start_endpoint(
        registry.clone(),
        MetricsConfig::new().with_bearer_token("om-token"),
    );
    let text = start_endpoint(
        registry.clone(),
        MetricsConfig::new()
            .with_basic_auth("prometheus", "text pass")
            .with_openmetrics(false),
    );

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), version, om.addr, text.addr);
    let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = dir.path().join("prometheus.log");
    // One file for both streams, one handle shared, so neither overwrites the other.
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(&binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={api}"))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("start prometheus");
    let prometheus = Running { child, log };

    let started = Instant::now();
    for job in ["om", "text"] {
        let promql = format!(
            "{{job=\"{job}\",__name__=~\"jobs_total|temperature_celsius|latency_seconds_(bucket|count|sum)\"}}"
        );
        let mut last = Err("no query made".to_owned());
        while started.elapsed() < DEADLINE {
            last = query(api, &promql);
            if last.as_ref().is_ok_and(|got| *got == expected) {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        assert_eq!(
            last.as_ref().ok(),
            Some(&expected),
            "job {job}: Prometheus never returned the recorded values within {DEADLINE:?}; \
             last answer {last:?}\nprometheus log:\n{}",
            prometheus.log()
        );
        let up = query(api, &format!("up{{job=\"{job}\"}}")).unwrap();
        assert_eq!(
            up.values().copied().collect::<Vec<_>>(),
            vec![1.0],
            "job {job}"
        );
    }

    for (endpoint, format) in [(&om, Format::OpenMetrics), (&text, Format::PrometheusText)] {
        let served = endpoint.served.lock().unwrap().clone();
        assert!(!served.is_empty(), "{format:?} endpoint never scraped");
        assert!(
            served.iter().all(|ct| ct == format.content_type()),
            "{format:?} endpoint served {served:?}"
        );
    }
    drop(prometheus);
}
