//! Golden tests: for every metric type, the exact exposition in Prometheus text 0.0.4 and in
//! OpenMetrics 1.0.0, including escaping of label values and HELP text.

use vitals_core::{MetricFamily, Registry, SummaryOptions};
use vitals_expfmt::number::write_go_float;
use vitals_expfmt::{encode, encode_to_string, Format};

/// HELP text with every character that needs escaping somewhere, and non-ASCII.
const HELP: &str = "Help with \"quotes\", a \\ backslash,\na newline and ünïcödé.";
/// As 0.0.4 writes it: only `\` and newline are escaped.
const HELP_TEXT: &str = "Help with \"quotes\", a \\\\ backslash,\\na newline and ünïcödé.";
/// As OpenMetrics writes it: `"` too.
const HELP_OM: &str = "Help with \\\"quotes\\\", a \\\\ backslash,\\na newline and ünïcödé.";
/// A label value with every character that needs escaping, and non-ASCII.
const VALUE: &str = "a \"quoted\" \\ path\nline 日本";
const VALUE_ESCAPED: &str = "a \\\"quoted\\\" \\\\ path\\nline 日本";

fn go(v: f64) -> String {
    let mut out = Vec::new();
    write_go_float(&mut out, v);
    String::from_utf8(out).unwrap()
}

#[track_caller]
fn assert_golden(registry: &Registry, text: &str, openmetrics: &str) {
    assert_eq!(encode_to_string(registry, Format::PrometheusText), text);
    assert_eq!(encode_to_string(registry, Format::OpenMetrics), openmetrics);
}

#[test]
fn counter() {
    let r = Registry::new();
    let family = r
        .counter("http_requests", HELP)
        .register_family(&["path", "code"])
        .unwrap();
    let a = family.with_labels(&[VALUE, "200"]);
    a.inc_by(41);
    a.inc();
    let b = family.with_labels(&["/", "500"]);
    b.inc();
    assert_golden(
        &r,
        &format!(
            "# HELP http_requests_total {HELP_TEXT}\n\
             # TYPE http_requests_total counter\n\
             http_requests_total{{path=\"{VALUE_ESCAPED}\",code=\"200\"}} 42\n\
             http_requests_total{{path=\"/\",code=\"500\"}} 1\n"
        ),
        &format!(
            "# TYPE http_requests counter\n\
             # HELP http_requests {HELP_OM}\n\
             http_requests_total{{path=\"{VALUE_ESCAPED}\",code=\"200\"}} 42\n\
             http_requests_created{{path=\"{VALUE_ESCAPED}\",code=\"200\"}} {}\n\
             http_requests_total{{path=\"/\",code=\"500\"}} 1\n\
             http_requests_created{{path=\"/\",code=\"500\"}} {}\n\
             # EOF\n",
            go(a.created()),
            go(b.created())
        ),
    );
}

#[test]
fn float_counter_with_unit() {
    let r = Registry::new();
    let cost = r
        .float_counter("llm_cost_dollars_total", HELP)
        .with_unit("dollars")
        .register_family(&["model"])
        .unwrap()
        .with_labels(&[VALUE]);
    cost.inc_by(0.125);
    cost.inc_by(2.0);
    let l = format!("model=\"{VALUE_ESCAPED}\"");
    assert_golden(
        &r,
        &format!(
            "# HELP llm_cost_dollars_total {HELP_TEXT}\n\
             # TYPE llm_cost_dollars_total counter\n\
             llm_cost_dollars_total{{{l}}} 2.125\n"
        ),
        &format!(
            "# TYPE llm_cost_dollars counter\n\
             # UNIT llm_cost_dollars dollars\n\
             # HELP llm_cost_dollars {HELP_OM}\n\
             llm_cost_dollars_total{{{l}}} 2.125\n\
             llm_cost_dollars_created{{{l}}} {}\n\
             # EOF\n",
            go(cost.created())
        ),
    );
}

#[test]
fn gauges_with_special_values() {
    let r = Registry::new();
    r.gauge("queue_depth", HELP)
        .register_family(&["queue"])
        .unwrap()
        .with_labels(&[VALUE])
        .set(-3);
    let temps = r
        .float_gauge("temperature_celsius", "")
        .register_family(&["sensor"])
        .unwrap();
    temps.with_labels(&["nan"]).set(f64::NAN);
    temps.with_labels(&["hot"]).set(f64::INFINITY);
    temps.with_labels(&["cold"]).set(f64::NEG_INFINITY);
    temps.with_labels(&["sum"]).set(0.1 + 0.2);
    temps.with_labels(&["big"]).set(1.5e6);
    temps.with_labels(&["small"]).set(-2.5e-7);
    let series = "temperature_celsius{sensor=\"nan\"} NaN\n\
                  temperature_celsius{sensor=\"hot\"} +Inf\n\
                  temperature_celsius{sensor=\"cold\"} -Inf\n\
                  temperature_celsius{sensor=\"sum\"} 0.30000000000000004\n\
                  temperature_celsius{sensor=\"big\"} 1.5e+06\n\
                  temperature_celsius{sensor=\"small\"} -2.5e-07\n";
    assert_golden(
        &r,
        &format!(
            "# HELP queue_depth {HELP_TEXT}\n\
             # TYPE queue_depth gauge\n\
             queue_depth{{queue=\"{VALUE_ESCAPED}\"}} -3\n\
             # TYPE temperature_celsius gauge\n\
             {series}"
        ),
        &format!(
            "# TYPE queue_depth gauge\n\
             # HELP queue_depth {HELP_OM}\n\
             queue_depth{{queue=\"{VALUE_ESCAPED}\"}} -3\n\
             # TYPE temperature_celsius gauge\n\
             {series}\
             # EOF\n"
        ),
    );
}

#[test]
fn histogram() {
    let r = Registry::new();
    let h = r
        .histogram("request_duration_seconds", HELP)
        .with_unit("seconds")
        .with_buckets(&[0.00001, 0.25, 1.0, 2.5, 1e6])
        .register_family(&["route"])
        .unwrap()
        .with_labels(&[VALUE]);
    for v in [0.25, 0.5, 1.0, 3.0, 2e6] {
        h.observe(v);
    }
    let l = format!("route=\"{VALUE_ESCAPED}\"");
    assert_golden(
        &r,
        &format!(
            "# HELP request_duration_seconds {HELP_TEXT}\n\
             # TYPE request_duration_seconds histogram\n\
             request_duration_seconds_bucket{{{l},le=\"1e-05\"}} 0\n\
             request_duration_seconds_bucket{{{l},le=\"0.25\"}} 1\n\
             request_duration_seconds_bucket{{{l},le=\"1\"}} 3\n\
             request_duration_seconds_bucket{{{l},le=\"2.5\"}} 3\n\
             request_duration_seconds_bucket{{{l},le=\"1e+06\"}} 4\n\
             request_duration_seconds_bucket{{{l},le=\"+Inf\"}} 5\n\
             request_duration_seconds_sum{{{l}}} 2.00000475e+06\n\
             request_duration_seconds_count{{{l}}} 5\n"
        ),
        &format!(
            "# TYPE request_duration_seconds histogram\n\
             # UNIT request_duration_seconds seconds\n\
             # HELP request_duration_seconds {HELP_OM}\n\
             request_duration_seconds_bucket{{{l},le=\"1e-05\"}} 0\n\
             request_duration_seconds_bucket{{{l},le=\"0.25\"}} 1\n\
             request_duration_seconds_bucket{{{l},le=\"1.0\"}} 3\n\
             request_duration_seconds_bucket{{{l},le=\"2.5\"}} 3\n\
             request_duration_seconds_bucket{{{l},le=\"1e+06\"}} 4\n\
             request_duration_seconds_bucket{{{l},le=\"+Inf\"}} 5\n\
             request_duration_seconds_count{{{l}}} 5\n\
             request_duration_seconds_sum{{{l}}} 2.00000475e+06\n\
             request_duration_seconds_created{{{l}}} {}\n\
             # EOF\n",
            go(h.created())
        ),
    );
}

#[test]
fn histogram_with_negative_buckets_has_no_openmetrics_count_or_sum() {
    let r = Registry::new();
    let h = r
        .histogram("temperature_delta", "Change.")
        .with_buckets(&[-1.0, 0.0, 1.0])
        .register()
        .unwrap();
    h.observe(-2.0);
    h.observe(0.5);
    assert_golden(
        &r,
        "# HELP temperature_delta Change.\n\
         # TYPE temperature_delta histogram\n\
         temperature_delta_bucket{le=\"-1\"} 1\n\
         temperature_delta_bucket{le=\"0\"} 1\n\
         temperature_delta_bucket{le=\"1\"} 2\n\
         temperature_delta_bucket{le=\"+Inf\"} 2\n\
         temperature_delta_sum -1.5\n\
         temperature_delta_count 2\n",
        &format!(
            "# TYPE temperature_delta histogram\n\
             # HELP temperature_delta Change.\n\
             temperature_delta_bucket{{le=\"-1.0\"}} 1\n\
             temperature_delta_bucket{{le=\"0.0\"}} 1\n\
             temperature_delta_bucket{{le=\"1.0\"}} 2\n\
             temperature_delta_bucket{{le=\"+Inf\"}} 2\n\
             temperature_delta_created {}\n\
             # EOF\n",
            go(h.created())
        ),
    );
}

#[test]
fn negative_observations_keep_0_0_4_samples_and_leave_out_what_openmetrics_forbids() {
    let r = Registry::new();
    let h = r
        .histogram("offset", "O.")
        .with_buckets(&[1.0])
        .register()
        .unwrap();
    h.observe(-3.0);
    let options = SummaryOptions::new().with_quantiles(&[0.5]).unwrap();
    let s = r
        .summary("drift", "D.")
        .with_summary_options(options)
        .register()
        .unwrap();
    for _ in 0..3 {
        s.observe(-2.0);
    }
    assert_golden(
        &r,
        "# HELP offset O.\n\
         # TYPE offset histogram\n\
         offset_bucket{le=\"1\"} 1\n\
         offset_bucket{le=\"+Inf\"} 1\n\
         offset_sum -3\n\
         offset_count 1\n\
         # HELP drift D.\n\
         # TYPE drift summary\n\
         drift{quantile=\"0.5\"} -2\n\
         drift_sum -6\n\
         drift_count 3\n",
        &format!(
            "# TYPE offset histogram\n\
             # HELP offset O.\n\
             offset_bucket{{le=\"1.0\"}} 1\n\
             offset_bucket{{le=\"+Inf\"}} 1\n\
             offset_created {}\n\
             # TYPE drift summary\n\
             # HELP drift D.\n\
             drift_count 3\n\
             drift_created {}\n\
             # EOF\n",
            go(h.created()),
            go(s.created())
        ),
    );
    // Sticky: once negative, always without `_count`/`_sum` in OpenMetrics, even when the sum
    // turns positive again, so the series never flaps between scrapes.
    h.observe(10.0);
    s.observe(10.0);
    let om = encode_to_string(&r, Format::OpenMetrics);
    assert!(
        !om.contains("offset_count") && !om.contains("offset_sum"),
        "{om}"
    );
    assert!(
        !om.contains("drift_sum") && om.contains("drift_count 4\n"),
        "{om}"
    );
}

#[test]
fn summary() {
    let r = Registry::new();
    let options = SummaryOptions::new()
        .with_quantiles(&[0.5, 0.99, 0.00001])
        .unwrap();
    let family = r
        .summary("payload_bytes", HELP)
        .with_unit("bytes")
        .with_summary_options(options)
        .register_family(&["kind"])
        .unwrap();
    let s = family.with_labels(&[VALUE]);
    // One repeated value: the sketch's estimate is clamped to [min, max], so it is exact.
    for _ in 0..3 {
        s.observe(512.0);
    }
    let empty = family.with_labels(&["empty"]);
    let l = format!("kind=\"{VALUE_ESCAPED}\"");
    assert_golden(
        &r,
        &format!(
            "# HELP payload_bytes {HELP_TEXT}\n\
             # TYPE payload_bytes summary\n\
             payload_bytes{{{l},quantile=\"1e-05\"}} 512\n\
             payload_bytes{{{l},quantile=\"0.5\"}} 512\n\
             payload_bytes{{{l},quantile=\"0.99\"}} 512\n\
             payload_bytes_sum{{{l}}} 1536\n\
             payload_bytes_count{{{l}}} 3\n\
             payload_bytes{{kind=\"empty\",quantile=\"1e-05\"}} NaN\n\
             payload_bytes{{kind=\"empty\",quantile=\"0.5\"}} NaN\n\
             payload_bytes{{kind=\"empty\",quantile=\"0.99\"}} NaN\n\
             payload_bytes_sum{{kind=\"empty\"}} 0\n\
             payload_bytes_count{{kind=\"empty\"}} 0\n"
        ),
        &format!(
            "# TYPE payload_bytes summary\n\
             # UNIT payload_bytes bytes\n\
             # HELP payload_bytes {HELP_OM}\n\
             payload_bytes{{{l},quantile=\"1e-05\"}} 512\n\
             payload_bytes{{{l},quantile=\"0.5\"}} 512\n\
             payload_bytes{{{l},quantile=\"0.99\"}} 512\n\
             payload_bytes_count{{{l}}} 3\n\
             payload_bytes_sum{{{l}}} 1536\n\
             payload_bytes_created{{{l}}} {}\n\
             payload_bytes{{kind=\"empty\",quantile=\"1e-05\"}} NaN\n\
             payload_bytes{{kind=\"empty\",quantile=\"0.5\"}} NaN\n\
             payload_bytes{{kind=\"empty\",quantile=\"0.99\"}} NaN\n\
             payload_bytes_count{{kind=\"empty\"}} 0\n\
             payload_bytes_sum{{kind=\"empty\"}} 0\n\
             payload_bytes_created{{kind=\"empty\"}} {}\n\
             # EOF\n",
            go(s.created()),
            go(empty.created())
        ),
    );
}

#[test]
fn info() {
    let r = Registry::new();
    r.info("build_info", HELP)
        .register_with(&[("version", "1.4.2"), ("branch", VALUE)])
        .unwrap();
    let l = format!("version=\"1.4.2\",branch=\"{VALUE_ESCAPED}\"");
    assert_golden(
        &r,
        &format!(
            "# HELP build_info {HELP_TEXT}\n\
             # TYPE build_info gauge\n\
             build_info{{{l}}} 1\n"
        ),
        &format!(
            "# TYPE build info\n\
             # HELP build {HELP_OM}\n\
             build_info{{{l}}} 1\n\
             # EOF\n"
        ),
    );
}

#[test]
fn state_set() {
    let r = Registry::new();
    let phase = r
        .state_set("worker_phase", HELP, &["idle", "busy \"hot\"", "ünï"])
        .register_family(&["worker"])
        .unwrap()
        .with_labels(&[VALUE]);
    phase.set_only("busy \"hot\"");
    let l = format!("worker=\"{VALUE_ESCAPED}\"");
    let samples = format!(
        "worker_phase{{{l},worker_phase=\"idle\"}} 0\n\
         worker_phase{{{l},worker_phase=\"busy \\\"hot\\\"\"}} 1\n\
         worker_phase{{{l},worker_phase=\"ünï\"}} 0\n"
    );
    assert_golden(
        &r,
        &format!(
            "# HELP worker_phase {HELP_TEXT}\n\
             # TYPE worker_phase gauge\n\
             {samples}"
        ),
        &format!(
            "# TYPE worker_phase stateset\n\
             # HELP worker_phase {HELP_OM}\n\
             {samples}\
             # EOF\n"
        ),
    );
}

#[test]
fn unknown() {
    let r = Registry::new();
    r.unknown("relayed_value", HELP)
        .register_family(&["source"])
        .unwrap()
        .with_labels(&[VALUE])
        .set(1e21);
    assert_golden(
        &r,
        &format!(
            "# HELP relayed_value {HELP_TEXT}\n\
             # TYPE relayed_value untyped\n\
             relayed_value{{source=\"{VALUE_ESCAPED}\"}} 1e+21\n"
        ),
        &format!(
            "# TYPE relayed_value unknown\n\
             # HELP relayed_value {HELP_OM}\n\
             relayed_value{{source=\"{VALUE_ESCAPED}\"}} 1e+21\n\
             # EOF\n"
        ),
    );
}

#[test]
fn namespace_and_constant_labels() {
    let r = Registry::builder()
        .with_namespace("shop")
        .with_const_label("region", VALUE)
        .build()
        .unwrap();
    r.gauge("carts", "Open carts.").register().unwrap().set(7);
    r.gauge("items", "Items.")
        .register_family(&["kind"])
        .unwrap()
        .with_labels(&["book"])
        .set(2);
    let c = format!("region=\"{VALUE_ESCAPED}\"");
    assert_golden(
        &r,
        &format!(
            "# HELP shop_carts Open carts.\n\
             # TYPE shop_carts gauge\n\
             shop_carts{{{c}}} 7\n\
             # HELP shop_items Items.\n\
             # TYPE shop_items gauge\n\
             shop_items{{{c},kind=\"book\"}} 2\n"
        ),
        &format!(
            "# TYPE shop_carts gauge\n\
             # HELP shop_carts Open carts.\n\
             shop_carts{{{c}}} 7\n\
             # TYPE shop_items gauge\n\
             # HELP shop_items Items.\n\
             shop_items{{{c},kind=\"book\"}} 2\n\
             # EOF\n"
        ),
    );
}

#[test]
fn collector_families() {
    let r = Registry::builder()
        .with_const_label("host", "a")
        .build()
        .unwrap();
    r.register_collector(|out: &mut Vec<MetricFamily>| {
        let mut jobs = MetricFamily::counter("jobs_total", "Jobs.").unwrap();
        jobs.add_counter(&[("queue", "q1")], 3.0).unwrap();
        out.push(jobs);
        let mut lat = MetricFamily::histogram("lat_seconds", "Lat.")
            .unwrap()
            .with_unit("seconds")
            .unwrap();
        lat.add_histogram(&[], &[(0.5, 1), (f64::INFINITY, 3)], 2.5)
            .unwrap();
        out.push(lat);
    });
    assert_golden(
        &r,
        "# HELP jobs_total Jobs.\n\
         # TYPE jobs_total counter\n\
         jobs_total{host=\"a\",queue=\"q1\"} 3\n\
         # HELP lat_seconds Lat.\n\
         # TYPE lat_seconds histogram\n\
         lat_seconds_bucket{host=\"a\",le=\"0.5\"} 1\n\
         lat_seconds_bucket{host=\"a\",le=\"+Inf\"} 3\n\
         lat_seconds_sum{host=\"a\"} 2.5\n\
         lat_seconds_count{host=\"a\"} 3\n",
        "# TYPE jobs counter\n\
         # HELP jobs Jobs.\n\
         jobs_total{host=\"a\",queue=\"q1\"} 3\n\
         # TYPE lat_seconds histogram\n\
         # UNIT lat_seconds seconds\n\
         # HELP lat_seconds Lat.\n\
         lat_seconds_bucket{host=\"a\",le=\"0.5\"} 1\n\
         lat_seconds_bucket{host=\"a\",le=\"+Inf\"} 3\n\
         lat_seconds_count{host=\"a\"} 3\n\
         lat_seconds_sum{host=\"a\"} 2.5\n\
         # EOF\n",
    );
}

#[test]
fn empty_registry_and_empty_family() {
    let r = Registry::new();
    assert_golden(&r, "", "# EOF\n");
    r.counter("never_used", "Declared, no series yet.")
        .register_family(&["a"])
        .unwrap();
    assert_golden(
        &r,
        "# HELP never_used_total Declared, no series yet.\n\
         # TYPE never_used_total counter\n",
        "# TYPE never_used counter\n\
         # HELP never_used Declared, no series yet.\n\
         # EOF\n",
    );
}

#[test]
fn buffer_is_appended_to_and_reusable() {
    let r = Registry::new();
    r.gauge("g", "G.").register().unwrap().set(1);
    let mut out = b"prefix\n".to_vec();
    encode(&r, Format::PrometheusText, &mut out);
    assert_eq!(out, b"prefix\n# HELP g G.\n# TYPE g gauge\ng 1\n");
    out.clear();
    let capacity = out.capacity();
    encode(&r, Format::PrometheusText, &mut out);
    assert_eq!(out.capacity(), capacity, "a warm buffer does not grow");
}

/// How the OpenMetrics encoder writes an exemplar timestamp: plain decimal seconds, never an
/// exponent (the reference Python parser misreads `1.7e+09`-style timestamps).
fn ts(e: &vitals_core::Exemplar) -> String {
    let text = e.timestamp().to_string();
    assert!(
        text.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
        "{text}"
    );
    text
}

#[test]
fn counter_with_exemplars() {
    let r = Registry::new();
    let family = r
        .counter("http_requests", HELP)
        .register_family(&["path"])
        .unwrap();
    let a = family.with_labels(&[VALUE]);
    a.inc_by(40);
    a.inc_with_exemplar(&[("trace_id", "0af7651916cd43dd8448eb211c80319c")]);
    // The latest wins; its value is the increment; values escape like series labels.
    a.inc_by_with_exemplar(2, &[("trace_id", VALUE), ("span_id", "b7ad6b7169203331")]);
    let b = family.with_labels(&["/"]);
    b.inc(); // no exemplar: nothing after the sample
    let cost = r
        .float_counter("cost_dollars", "")
        .with_unit("dollars")
        .register()
        .unwrap();
    cost.inc_by_with_exemplar(0.125, &[("trace_id", "c")]);
    let (ea, ec) = (a.exemplar().unwrap(), cost.exemplar().unwrap());
    assert_golden(
        &r,
        &format!(
            "# HELP http_requests_total {HELP_TEXT}\n\
             # TYPE http_requests_total counter\n\
             http_requests_total{{path=\"{VALUE_ESCAPED}\"}} 43\n\
             http_requests_total{{path=\"/\"}} 1\n\
             # TYPE cost_dollars_total counter\n\
             cost_dollars_total 0.125\n"
        ),
        &format!(
            "# TYPE http_requests counter\n\
             # HELP http_requests {HELP_OM}\n\
             http_requests_total{{path=\"{VALUE_ESCAPED}\"}} 43 # {{trace_id=\"{VALUE_ESCAPED}\",span_id=\"b7ad6b7169203331\"}} 2 {}\n\
             http_requests_created{{path=\"{VALUE_ESCAPED}\"}} {}\n\
             http_requests_total{{path=\"/\"}} 1\n\
             http_requests_created{{path=\"/\"}} {}\n\
             # TYPE cost_dollars counter\n\
             # UNIT cost_dollars dollars\n\
             cost_dollars_total 0.125 # {{trace_id=\"c\"}} 0.125 {}\n\
             cost_dollars_created {}\n\
             # EOF\n",
            ts(&ea),
            go(a.created()),
            go(b.created()),
            ts(&ec),
            go(cost.created()),
        ),
    );
}

#[test]
fn histogram_with_exemplars() {
    let r = Registry::new();
    let h = r
        .histogram("request_duration_seconds", "")
        .with_buckets(&[0.25, 1.0, 2.5])
        .register_family(&["route"])
        .unwrap()
        .with_labels(&["/a"]);
    h.observe_with_exemplar(0.25, &[("trace_id", "on-the-bound")]); // le="0.25"
    h.observe_with_exemplar(0.5, &[("trace_id", "replaced")]); // le="1.0"
    h.observe_with_exemplar(0.75, &[("trace_id", "latest")]); // le="1.0", wins
    h.observe(2.0); // le="2.5", no exemplar
    h.observe_with_exemplar(1e6, &[("trace_id", "slow")]); // +Inf
    let e: Vec<_> = (0..4).map(|i| h.exemplar(i)).collect();
    assert!(e[2].is_none());
    let l = "route=\"/a\"";
    assert_golden(
        &r,
        &format!(
            "# TYPE request_duration_seconds histogram\n\
             request_duration_seconds_bucket{{{l},le=\"0.25\"}} 1\n\
             request_duration_seconds_bucket{{{l},le=\"1\"}} 3\n\
             request_duration_seconds_bucket{{{l},le=\"2.5\"}} 4\n\
             request_duration_seconds_bucket{{{l},le=\"+Inf\"}} 5\n\
             request_duration_seconds_sum{{{l}}} 1.0000035e+06\n\
             request_duration_seconds_count{{{l}}} 5\n"
        ),
        &format!(
            "# TYPE request_duration_seconds histogram\n\
             request_duration_seconds_bucket{{{l},le=\"0.25\"}} 1 # {{trace_id=\"on-the-bound\"}} 0.25 {}\n\
             request_duration_seconds_bucket{{{l},le=\"1.0\"}} 3 # {{trace_id=\"latest\"}} 0.75 {}\n\
             request_duration_seconds_bucket{{{l},le=\"2.5\"}} 4\n\
             request_duration_seconds_bucket{{{l},le=\"+Inf\"}} 5 # {{trace_id=\"slow\"}} 1e+06 {}\n\
             request_duration_seconds_count{{{l}}} 5\n\
             request_duration_seconds_sum{{{l}}} 1.0000035e+06\n\
             request_duration_seconds_created{{{l}}} {}\n\
             # EOF\n",
            ts(e[0].as_ref().unwrap()),
            ts(e[1].as_ref().unwrap()),
            ts(e[3].as_ref().unwrap()),
            go(h.created())
        ),
    );
}

#[test]
fn collected_counter_with_exemplar() {
    let r = Registry::new();
    r.register_collector(|out: &mut Vec<MetricFamily>| {
        let mut jobs = MetricFamily::counter("jobs_total", "Jobs.").unwrap();
        let exemplar = vitals_core::Exemplar::new(&[("trace_id", "abc")], 1.0)
            .unwrap()
            .with_timestamp(1520879607.789)
            .unwrap();
        jobs.add_counter_with_exemplar(&[("queue", "q1")], 3.0, exemplar)
            .unwrap();
        jobs.add_counter(&[("queue", "q2")], 0.0).unwrap();
        out.push(jobs);
    });
    assert_golden(
        &r,
        "# HELP jobs_total Jobs.\n\
         # TYPE jobs_total counter\n\
         jobs_total{queue=\"q1\"} 3\n\
         jobs_total{queue=\"q2\"} 0\n",
        "# TYPE jobs counter\n\
         # HELP jobs Jobs.\n\
         jobs_total{queue=\"q1\"} 3 # {trace_id=\"abc\"} 1 1520879607.789\n\
         jobs_total{queue=\"q2\"} 0\n\
         # EOF\n",
    );
}

#[test]
fn sharded_counter_is_exposed_like_a_counter() {
    let r = Registry::new();
    let c = r
        .sharded_counter("jobs_total", "Jobs, from every worker.")
        .register()
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| c.inc_by(5));
        }
    });
    assert_golden(
        &r,
        "# HELP jobs_total Jobs, from every worker.\n\
         # TYPE jobs_total counter\n\
         jobs_total 15\n",
        &format!(
            "# TYPE jobs counter\n\
             # HELP jobs Jobs, from every worker.\n\
             jobs_total 15\n\
             jobs_created {}\n\
             # EOF\n",
            go(c.created())
        ),
    );
}

/// The encoders format a family's `le` values once and reuse them while the bounds stay the
/// same; a collected family may give each series its own bounds, and each must come out right.
#[test]
fn collected_histograms_with_different_bounds_per_series() {
    let r = Registry::new();
    r.register_collector(|out: &mut Vec<MetricFamily>| {
        let mut h = MetricFamily::histogram("mixed", "Mixed.").unwrap();
        h.add_histogram(
            &[("s", "a")],
            &[(1.0, 1), (2.0, 2), (f64::INFINITY, 2)],
            2.0,
        )
        .unwrap();
        h.add_histogram(&[("s", "b")], &[(5.0, 1), (f64::INFINITY, 1)], 5.0)
            .unwrap();
        h.add_histogram(
            &[("s", "c")],
            &[(1.0, 0), (2.0, 0), (f64::INFINITY, 0)],
            0.0,
        )
        .unwrap();
        out.push(h);
    });
    let text = encode_to_string(&r, Format::PrometheusText);
    let buckets: Vec<&str> = text.lines().filter(|l| l.contains("_bucket")).collect();
    assert_eq!(
        buckets,
        [
            "mixed_bucket{s=\"a\",le=\"1\"} 1",
            "mixed_bucket{s=\"a\",le=\"2\"} 2",
            "mixed_bucket{s=\"a\",le=\"+Inf\"} 2",
            "mixed_bucket{s=\"b\",le=\"5\"} 1",
            "mixed_bucket{s=\"b\",le=\"+Inf\"} 1",
            "mixed_bucket{s=\"c\",le=\"1\"} 0",
            "mixed_bucket{s=\"c\",le=\"2\"} 0",
            "mixed_bucket{s=\"c\",le=\"+Inf\"} 0",
        ]
    );
    let om = encode_to_string(&r, Format::OpenMetrics);
    assert!(om.contains("mixed_bucket{s=\"b\",le=\"5.0\"} 1\n"), "{om}");
    assert!(om.contains("mixed_bucket{s=\"c\",le=\"2.0\"} 0\n"), "{om}");
}
