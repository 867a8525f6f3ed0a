//! `vitals lint` beside `promtool check metrics` on the real output of the peer crates.
//!
//! Each test builds a registry with the peer crate, planting the naming problems the crate
//! lets through (and a few clean families, which must stay clean), renders it, and runs both
//! tools on the same file. For every problem promtool reports, `vitals lint --json` must
//! report one for the same metric under the corresponding rule ([`PROMTOOL_RULES`]); what
//! vitals reports beyond that is listed exactly, so a new false positive fails the test too.
//!
//! promtool 2.x reads only the 0.0.4 text format; fed prometheus-client's OpenMetrics it
//! misreads (or rejects) it. Those tests say so where it happens.
//!
//! [`PROMTOOL_RULES`]: crate::support::PROMTOOL_RULES

use serde_json::Value;

use crate::support::{
    assert_covers, expected, have_promtool, lint, pairs, problems, write_temp, Promtool,
};

/// promtool's problems, or a panic if it could not parse the file.
fn promtool_problems(peer: &str, path: &std::path::Path) -> Vec<(String, String)> {
    match crate::support::promtool_check(path) {
        Promtool::Problems(p) => {
            assert!(!p.is_empty(), "{peer}: promtool found nothing to compare");
            p
        }
        Promtool::Unparsable(e) => panic!("{peer}: promtool could not parse the output: {e}"),
    }
}

fn lint_json(path: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let path = path.to_str().expect("UTF-8 path");
    args.push(path);
    let run = lint(&args);
    assert_eq!(run.code, 1, "problems mean exit code 1: {}", run.stderr);
    run.json()
}

// ---------------------------------------------------------------------------------------------
// prometheus (tikv)

/// What the `prometheus` crate writes for a registry with typical mistakes. It insists on a
/// non-empty HELP, so that one cannot be planted.
fn tikv_exposition() -> String {
    use prometheus::{
        Encoder, Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
        Opts, Registry, TextEncoder,
    };
    let registry = Registry::new();
    let add = |c: Box<dyn prometheus::core::Collector>| registry.register(c).expect("register");

    // A counter without _total: the crate writes the name as given.
    let requests = IntCounter::new("http_requests", "Requests served.").unwrap();
    requests.inc();
    add(Box::new(requests));
    add(Box::new(
        Gauge::new("request_latency_milliseconds", "Latency.").unwrap(),
    ));
    add(Box::new(
        IntGauge::new("queueDepth", "Queue depth.").unwrap(),
    ));
    let jobs = IntGaugeVec::new(Opts::new("jobs_count", "Jobs waiting."), &["queueName"]).unwrap();
    jobs.with_label_values(&["mail"]).set(3);
    add(Box::new(jobs));
    add(Box::new(IntGauge::new("cache_kb", "Cache size.").unwrap()));
    add(Box::new(
        IntGauge::new("temperature_total", "Temperature.").unwrap(),
    ));
    add(Box::new(
        IntGauge::new("job:errors:rate5m", "Error rate.").unwrap(),
    ));
    add(Box::new(
        Histogram::with_opts(HistogramOpts::new("rpc_duration_histogram", "RPC time.")).unwrap(),
    ));
    let le = IntGaugeVec::new(Opts::new("slots", "Slots."), &["le"]).unwrap();
    le.with_label_values(&["1"]).set(1);
    add(Box::new(le));
    let quantile = IntGaugeVec::new(Opts::new("ranks", "Ranks."), &["quantile"]).unwrap();
    quantile.with_label_values(&["0.5"]).set(1);
    add(Box::new(quantile));
    // promtool has no rule for percentages; vitals does.
    add(Box::new(Gauge::new("cpu_usage_percent", "CPU.").unwrap()));

    // Clean families: nothing to report.
    let responses =
        IntCounterVec::new(Opts::new("http_responses_total", "Responses."), &["code"]).unwrap();
    responses.with_label_values(&["200"]).inc();
    responses.with_label_values(&["500"]).inc();
    add(Box::new(responses));
    add(Box::new(
        Histogram::with_opts(HistogramOpts::new("rpc_latency_seconds", "RPC latency.")).unwrap(),
    ));

    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn prometheus_crate() {
    if !have_promtool() {
        return;
    }
    let text = tikv_exposition();
    let path = write_temp("tikv", text.as_bytes());
    let promtool = promtool_problems("prometheus", &path);
    let report = lint_json(&path, &[]);
    assert_eq!(report["syntax"], "prometheus");
    let found = problems(&report);
    let extra = assert_covers("prometheus", &promtool, &found, |_, _| None);
    assert_eq!(
        pairs(&extra),
        expected(&[("percent", "cpu_usage_percent")]),
        "vitals reported more than promtool beyond the expected"
    );
}

// ---------------------------------------------------------------------------------------------
// prometheus-client

/// What `prometheus-client` writes (OpenMetrics, its only format). It always writes HELP (an
/// empty one as "."), and appends `_total` to counters itself.
fn client_exposition(with_info: bool) -> String {
    use prometheus_client::encoding::text::encode;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    use prometheus_client::metrics::histogram::Histogram;
    use prometheus_client::metrics::info::Info;
    use prometheus_client::registry::{Registry, Unit};

    let mut registry = Registry::default();
    let requests: Counter = Counter::default();
    requests.inc();
    registry.register("http_requests", "Requests served", requests);
    let gauge = Gauge::<i64>::default;
    registry.register("request_latency_milliseconds", "Latency", gauge());
    registry.register("queueDepth", "Queue depth", gauge());
    registry.register("jobs_count", "Jobs waiting", gauge());
    registry.register_with_unit("cache", "Cache size", Unit::Other("kb".into()), gauge());
    let rpc = Histogram::new([0.1, 1.0]);
    rpc.observe(0.5);
    registry.register("rpc_latency_ms", "RPC latency", rpc);
    let workers = Family::<Vec<(String, String)>, Gauge>::default();
    workers
        .get_or_create(&vec![("poolName".to_owned(), "io".to_owned())])
        .set(4);
    registry.register("workers", "Workers", workers);
    registry.register("disk_usage_percent", "Disk usage", gauge());
    // Clean: a counter with its unit (written cpu_seconds_total).
    let cpu: Counter = Counter::default();
    registry.register_with_unit("cpu", "CPU time", Unit::Seconds, cpu);
    if with_info {
        let info = Info::new(vec![("version".to_owned(), "1.2.3".to_owned())]);
        registry.register("build", "Build", info);
    }
    let mut out = String::new();
    encode(&mut out, &registry).unwrap();
    out
}

/// The counter families of an OpenMetrics report.
fn counters(report: &Value) -> Vec<String> {
    report["cardinality"]["families"]
        .as_array()
        .expect("families")
        .iter()
        .filter(|f| f["type"] == "counter")
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn prometheus_client_crate() {
    if !have_promtool() {
        return;
    }
    let text = client_exposition(false);
    let path = write_temp("client", text.as_bytes());
    let promtool = promtool_problems("prometheus-client", &path);

    // Read as what it is, OpenMetrics.
    let report = lint_json(&path, &[]);
    assert_eq!(report["syntax"], "openmetrics");
    let counters = counters(&report);
    // promtool reads OpenMetrics as 0.0.4, where a counter declared `X` cannot have samples
    // named `X_total`: it sees an untyped `X_total` without HELP and says so. In OpenMetrics
    // that sample belongs to the counter `X`, which has a HELP: no problem there.
    let excuse = |metric: &str, text: &str| {
        let stem = metric.strip_suffix("_total")?;
        (text == "no help text" && counters.iter().any(|c| c == stem)).then(|| {
            format!(
                "promtool's misreading of OpenMetrics: {metric} is a sample of the counter \
                 {stem}, which has a HELP"
            )
        })
    };
    let found = problems(&report);
    let extra = assert_covers("prometheus-client", &promtool, &found, excuse);
    assert_eq!(
        pairs(&extra),
        expected(&[("percent", "disk_usage_percent")]),
        "vitals reported more than promtool beyond the expected"
    );

    // Read as promtool reads it (0.0.4), vitals finds all of promtool's problems, the
    // misreading's included.
    let as_text = lint_json(&path, &["--input", "prometheus"]);
    assert_eq!(as_text["syntax_chosen"], "forced");
    let found = problems(&as_text);
    let extra = assert_covers(
        "prometheus-client read as 0.0.4",
        &promtool,
        &found,
        |_, _| None,
    );
    assert_eq!(
        pairs(&extra),
        expected(&[("percent", "disk_usage_percent")]),
        "vitals reported more than promtool beyond the expected"
    );
}

#[test]
fn prometheus_client_info_is_beyond_promtool() {
    if !have_promtool() {
        return;
    }
    let text = client_exposition(true);
    let path = write_temp("client-info", text.as_bytes());
    // promtool cannot read an OpenMetrics info family at all...
    let Promtool::Unparsable(message) = crate::support::promtool_check(&path) else {
        panic!("promtool parsed an OpenMetrics info family; revisit this test")
    };
    assert!(
        message.contains("unknown metric type \"info\""),
        "{message}"
    );
    let promtool_line: u64 = message
        .split("in line ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line in {message:?}"));

    // ...vitals reads it as the OpenMetrics it is, and lints all of it, the info family
    // included...
    let report = lint_json(&path, &[]);
    assert_eq!(report["valid"], true);
    let families = report["cardinality"]["families"].as_array().unwrap();
    assert!(families
        .iter()
        .any(|f| f["name"] == "build" && f["type"] == "info"));
    assert!(!problems(&report).is_empty());

    // ...and read as 0.0.4, stops where promtool stops, saying where.
    let as_text = lint_json(&path, &["--input", "prometheus"]);
    assert_eq!(as_text["valid"], false);
    assert_eq!(as_text["parse_error"]["line"], promtool_line);
    assert!(as_text["parse_error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown type \"info\""));
}

// ---------------------------------------------------------------------------------------------
// metrics-exporter-prometheus

/// Renders what `metrics-exporter-prometheus` writes for the metrics `record` emits.
fn metrics_exposition(record: impl FnOnce()) -> String {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, record);
    handle.render()
}

/// Typical mistakes: HELP only where `describe_*!` was called, counters without _total,
/// and histograms written as summaries (the exporter's default).
fn record_typical() {
    metrics::describe_counter!("http_requests", "Requests served.");
    metrics::counter!("http_requests", "method" => "GET").increment(1);
    metrics::gauge!("request_latency_milliseconds").set(12.0);
    metrics::gauge!("queueDepth").set(3.0);
    metrics::gauge!("jobs_count").set(3.0);
    metrics::gauge!("cache.kb").set(64.0);
    metrics::histogram!("rpc_duration_histogram").record(0.3);
    metrics::counter!("errors_total", "errorKind" => "timeout").increment(2);
    metrics::describe_gauge!("memory_usage_percent", "Memory in use.");
    metrics::gauge!("memory_usage_percent").set(40.0);
    // Clean.
    metrics::describe_counter!("jobs_done_total", "Jobs done.");
    metrics::counter!("jobs_done_total").increment(1);
    metrics::describe_histogram!("rpc_latency_seconds", "RPC latency.");
    metrics::histogram!("rpc_latency_seconds").record(0.25);
}

#[test]
fn metrics_exporter_prometheus_crate() {
    if !have_promtool() {
        return;
    }
    let text = metrics_exposition(record_typical);
    let path = write_temp("metrics", text.as_bytes());
    let promtool = promtool_problems("metrics-exporter-prometheus", &path);
    let report = lint_json(&path, &[]);
    assert_eq!(report["syntax"], "prometheus");
    let found = problems(&report);
    let extra = assert_covers("metrics-exporter-prometheus", &promtool, &found, |_, _| {
        None
    });
    assert_eq!(
        pairs(&extra),
        expected(&[("percent", "memory_usage_percent")]),
        "vitals reported more than promtool beyond the expected"
    );
}

/// A histogram named `*_sum` comes out as a summary whose sum sample is written without its
/// `_sum` suffix (the exporter adds suffixes only when missing), so `x_sum 0.3` reads as a
/// quantile sample without a quantile. Prometheus's Go parser, and so promtool, silently drop
/// that sample; vitals reports it, with its line and column.
#[test]
fn metrics_exporter_summary_named_sum_is_caught_where_promtool_is_silent() {
    if !have_promtool() {
        return;
    }
    let text = metrics_exposition(|| {
        metrics::describe_histogram!("rpc_latency_sum", "RPC latency.");
        metrics::histogram!("rpc_latency_sum").record(0.3);
    });
    let bad_line = text
        .lines()
        .position(|l| l.starts_with("rpc_latency_sum "))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("the exporter no longer writes the bare sum:\n{text}"));
    let path = write_temp("metrics-sum", text.as_bytes());
    match crate::support::promtool_check(&path) {
        Promtool::Problems(p) => assert!(
            !p.iter().any(|(_, t)| t.contains("quantile")),
            "promtool now notices: {p:?}"
        ),
        Promtool::Unparsable(e) => panic!("promtool now rejects it ({e}); revisit this test"),
    }
    let report = lint_json(&path, &[]);
    assert_eq!(report["valid"], false);
    assert_eq!(report["parse_error"]["line"], bad_line, "{text}");
    assert_eq!(report["parse_error"]["column"], 1);
}
