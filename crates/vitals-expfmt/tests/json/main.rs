//! JSON exposition: the exact text for every metric type (golden), and an independent reading
//! of it with `serde_json` that checks every value against what the handles recorded, for fixed
//! registries and for arbitrary label values, HELP texts and state names (property test).
//!
//! `docs/json-schema.md` is the contract these tests hold the encoder to.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};
use vitals_core::{MetricFamily, Registry, SummaryOptions};
use vitals_expfmt::number::write_go_float;
use vitals_expfmt::{encode, encode_to_string, Format};

/// HELP text with everything JSON must escape, and non-ASCII.
const HELP: &str = "Help with \"quotes\", a \\ backslash,\na newline, a\ttab, \u{1} and ünïcödé.";
const HELP_JSON: &str =
    r#"Help with \"quotes\", a \\ backslash,\na newline, a\ttab, \u0001 and ünïcödé."#;
/// A label value with everything JSON must escape, and non-ASCII. Its exposition text holds
/// exposition escapes (`\"`, `\\`, `\n`) and raw control characters (tab, U+0001) side by side.
const VALUE: &str = "a \"quoted\" \\ path\nline\ttab \u{1} 日本 ünï";
const VALUE_JSON: &str = r#"a \"quoted\" \\ path\nline\ttab \u0001 日本 ünï"#;

/// 2^53 + 1: the first integer an IEEE double cannot hold, so only an exact writer keeps it.
const BIG: u64 = (1 << 53) + 1;

fn go(v: f64) -> String {
    let mut out = Vec::new();
    write_go_float(&mut out, v);
    String::from_utf8(out).unwrap()
}

fn json(registry: &Registry) -> String {
    encode_to_string(registry, Format::Json)
}

fn parse(registry: &Registry) -> Value {
    let text = json(registry);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
}

/// A float as the schema writes it, read back: a number, or one of three strings.
///
/// serde_json's default float reader (without its `float_roundtrip` feature) can be a unit or
/// two in the last place off, so a read value is compared with [`as_read`] of the recorded one,
/// never with the recorded value itself. The writer's exactness is proven separately, with
/// Rust's correctly rounding reader, in `src/json.rs`'s unit tests.
fn float(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "+Inf" => f64::INFINITY,
        Value::String(s) if s == "-Inf" => f64::NEG_INFINITY,
        other => panic!("not a schema float: {other}"),
    }
}

/// `v` as serde_json reads the exact shortest text of `v`: what [`float`] returns for a value
/// the encoder wrote exactly.
fn as_read(v: f64) -> f64 {
    if v.is_finite() {
        serde_json::from_str(&go(v)).unwrap()
    } else {
        v
    }
}

/// Whether a float read from the document is the recorded value, NaN included.
#[track_caller]
fn assert_float(read: &Value, recorded: f64) {
    let got = float(read);
    let want = as_read(recorded);
    assert!(
        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
        "read {got:?} from {read}, recorded {recorded:?}"
    );
}

fn family<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no family {name} in {doc}"))
}

#[test]
fn empty_registry() {
    assert_eq!(json(&Registry::new()), "{\"version\":1,\"families\":[]}\n");
}

#[test]
fn family_without_series() {
    let r = Registry::new();
    r.counter("never_used", "Declared, no series yet.")
        .register_family(&["a"])
        .unwrap();
    assert_eq!(
        json(&r),
        "{\"version\":1,\"families\":[\n\
         {\"name\":\"never_used\",\"type\":\"counter\",\"help\":\"Declared, no series yet.\",\"unit\":null,\"series\":[]}\n\
         ]}\n"
    );
}

/// Every type, with constant labels, units, tricky text everywhere, special floats and an
/// integer past 2^53. The expected text is written out in full: it is the schema by example.
#[test]
fn golden_every_type() {
    let r = Registry::builder()
        .with_const_label("region", VALUE)
        .build()
        .unwrap();
    let requests = r
        .counter("http_requests", HELP)
        .register_family(&["path", "code"])
        .unwrap();
    let a = requests.with_labels(&[VALUE, "200"]);
    a.inc_by(42);
    let b = requests.with_labels(&["/", "500"]);
    b.inc();
    let big = r
        .counter("sent_bytes", "")
        .with_unit("bytes")
        .register()
        .unwrap();
    big.inc_by(BIG);
    let cost = r
        .float_counter("llm_cost_dollars_total", "Cost.")
        .with_unit("dollars")
        .register()
        .unwrap();
    cost.inc_by(2.125);
    r.gauge("queue_depth", "Depth.").register().unwrap().set(-3);
    let temps = r
        .float_gauge("temperature_celsius", "")
        .register_family(&["sensor"])
        .unwrap();
    temps.with_labels(&["nan"]).set(f64::NAN);
    temps.with_labels(&["hot"]).set(f64::INFINITY);
    temps.with_labels(&["cold"]).set(f64::NEG_INFINITY);
    temps.with_labels(&["sum"]).set(0.1 + 0.2);
    temps.with_labels(&["big"]).set(1.5e6);
    temps.with_labels(&["negative_zero"]).set(-0.0);
    let h = r
        .histogram("request_duration_seconds", HELP)
        .with_unit("seconds")
        .with_buckets(&[0.00001, 0.25, 1.0])
        .register()
        .unwrap();
    for v in [0.25, 0.5, 3.0] {
        h.observe(v);
    }
    let options = SummaryOptions::new().with_quantiles(&[0.5, 0.99]).unwrap();
    let sizes = r
        .summary("payload_bytes", "Sizes.")
        .with_unit("bytes")
        .with_summary_options(options)
        .register_family(&["kind"])
        .unwrap();
    let s = sizes.with_labels(&["full"]);
    // One repeated value: the sketch's estimate is clamped to [min, max], so it is exact.
    for _ in 0..3 {
        s.observe(512.0);
    }
    let empty = sizes.with_labels(&["empty"]);
    r.info("build_info", "Build.")
        .register_with(&[("version", "1.4.2"), ("branch", VALUE)])
        .unwrap();
    r.state_set("worker_phase", "Phase.", &["idle", "busy \"hot\"", "ünï"])
        .register()
        .unwrap()
        .set_only("busy \"hot\"");
    r.unknown("relayed_value", "Relayed.")
        .register()
        .unwrap()
        .set(1e21);

    let c = format!("\"region\":\"{VALUE_JSON}\"");
    let want = format!(
        "{{\"version\":1,\"families\":[\n\
         {{\"name\":\"http_requests\",\"type\":\"counter\",\"help\":\"{HELP_JSON}\",\"unit\":null,\"series\":[\
           {{\"labels\":{{{c},\"path\":\"{VALUE_JSON}\",\"code\":\"200\"}},\"value\":42,\"created\":{a_created}}},\
           {{\"labels\":{{{c},\"path\":\"/\",\"code\":\"500\"}},\"value\":1,\"created\":{b_created}}}]}},\n\
         {{\"name\":\"sent_bytes\",\"type\":\"counter\",\"help\":\"\",\"unit\":\"bytes\",\"series\":[\
           {{\"labels\":{{{c}}},\"value\":9007199254740993,\"created\":{big_created}}}]}},\n\
         {{\"name\":\"llm_cost_dollars\",\"type\":\"counter\",\"help\":\"Cost.\",\"unit\":\"dollars\",\"series\":[\
           {{\"labels\":{{{c}}},\"value\":2.125,\"created\":{cost_created}}}]}},\n\
         {{\"name\":\"queue_depth\",\"type\":\"gauge\",\"help\":\"Depth.\",\"unit\":null,\"series\":[\
           {{\"labels\":{{{c}}},\"value\":-3}}]}},\n\
         {{\"name\":\"temperature_celsius\",\"type\":\"gauge\",\"help\":\"\",\"unit\":null,\"series\":[\
           {{\"labels\":{{{c},\"sensor\":\"nan\"}},\"value\":\"NaN\"}},\
           {{\"labels\":{{{c},\"sensor\":\"hot\"}},\"value\":\"+Inf\"}},\
           {{\"labels\":{{{c},\"sensor\":\"cold\"}},\"value\":\"-Inf\"}},\
           {{\"labels\":{{{c},\"sensor\":\"sum\"}},\"value\":0.30000000000000004}},\
           {{\"labels\":{{{c},\"sensor\":\"big\"}},\"value\":1.5e+06}},\
           {{\"labels\":{{{c},\"sensor\":\"negative_zero\"}},\"value\":-0}}]}},\n\
         {{\"name\":\"request_duration_seconds\",\"type\":\"histogram\",\"help\":\"{HELP_JSON}\",\"unit\":\"seconds\",\"series\":[\
           {{\"labels\":{{{c}}},\"buckets\":[\
             {{\"upper_bound\":1e-05,\"cumulative_count\":0}},\
             {{\"upper_bound\":0.25,\"cumulative_count\":1}},\
             {{\"upper_bound\":1,\"cumulative_count\":2}},\
             {{\"upper_bound\":\"+Inf\",\"cumulative_count\":3}}],\
           \"sum\":3.75,\"count\":3,\"created\":{h_created}}}]}},\n\
         {{\"name\":\"payload_bytes\",\"type\":\"summary\",\"help\":\"Sizes.\",\"unit\":\"bytes\",\"series\":[\
           {{\"labels\":{{{c},\"kind\":\"full\"}},\"quantiles\":[\
             {{\"quantile\":0.5,\"value\":512}},{{\"quantile\":0.99,\"value\":512}}],\
           \"sum\":1536,\"count\":3,\"created\":{s_created}}},\
           {{\"labels\":{{{c},\"kind\":\"empty\"}},\"quantiles\":[\
             {{\"quantile\":0.5,\"value\":\"NaN\"}},{{\"quantile\":0.99,\"value\":\"NaN\"}}],\
           \"sum\":0,\"count\":0,\"created\":{empty_created}}}]}},\n\
         {{\"name\":\"build\",\"type\":\"info\",\"help\":\"Build.\",\"unit\":null,\"series\":[\
           {{\"labels\":{{{c},\"version\":\"1.4.2\",\"branch\":\"{VALUE_JSON}\"}},\"value\":1}}]}},\n\
         {{\"name\":\"worker_phase\",\"type\":\"stateset\",\"help\":\"Phase.\",\"unit\":null,\"series\":[\
           {{\"labels\":{{{c}}},\"states\":{{\"idle\":false,\"busy \\\"hot\\\"\":true,\"ünï\":false}}}}]}},\n\
         {{\"name\":\"relayed_value\",\"type\":\"unknown\",\"help\":\"Relayed.\",\"unit\":null,\"series\":[\
           {{\"labels\":{{{c}}},\"value\":1e+21}}]}}\n\
         ]}}\n",
        a_created = go(a.created()),
        b_created = go(b.created()),
        big_created = go(big.created()),
        cost_created = go(cost.created()),
        h_created = go(h.created()),
        s_created = go(s.created()),
        empty_created = go(empty.created()),
    );
    let got = json(&r);
    assert_eq!(got, want, "\n got: {got}\nwant: {want}");
    // And the golden text is itself valid JSON.
    serde_json::from_str::<Value>(&got).unwrap();
}

/// Families from a collector: float counters, no creation time (`null`), histograms given as
/// cumulative pairs, and constant labels in front of the collector's own.
#[test]
fn golden_collector_families() {
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
        let mut phase = MetricFamily::state_set("phase", "").unwrap();
        phase
            .add_state_set(&[], &[("up", true), ("down", false)])
            .unwrap();
        out.push(phase);
    });
    assert_eq!(
        json(&r),
        "{\"version\":1,\"families\":[\n\
         {\"name\":\"jobs\",\"type\":\"counter\",\"help\":\"Jobs.\",\"unit\":null,\"series\":[\
           {\"labels\":{\"host\":\"a\",\"queue\":\"q1\"},\"value\":3,\"created\":null}]},\n\
         {\"name\":\"lat_seconds\",\"type\":\"histogram\",\"help\":\"Lat.\",\"unit\":\"seconds\",\"series\":[\
           {\"labels\":{\"host\":\"a\"},\"buckets\":[\
             {\"upper_bound\":0.5,\"cumulative_count\":1},\
             {\"upper_bound\":\"+Inf\",\"cumulative_count\":3}],\
           \"sum\":2.5,\"count\":3,\"created\":null}]},\n\
         {\"name\":\"phase\",\"type\":\"stateset\",\"help\":\"\",\"unit\":null,\"series\":[\
           {\"labels\":{\"host\":\"a\"},\"states\":{\"up\":true,\"down\":false}}]}\n\
         ]}\n"
    );
}

/// Read independently: every value the handles recorded is in the document, as the schema
/// says, whatever its layout.
#[test]
fn values_read_back_equal_the_handles() {
    let r = Registry::builder()
        .with_const_label("env", "prod")
        .build()
        .unwrap();
    let requests = r
        .counter("requests", "R.")
        .register_family(&["method"])
        .unwrap();
    let get = requests.with_labels(&["GET"]);
    get.inc_by(BIG);
    let post = requests.with_labels(&[VALUE]);
    post.inc_by(u64::MAX);
    let cost = r.float_counter("cost", "C.").register().unwrap();
    cost.inc_by(0.1);
    cost.inc_by(0.2);
    let depth = r.gauge("depth", "D.").register().unwrap();
    depth.set(i64::MIN);
    let ratio = r.float_gauge("ratio", "R.").register().unwrap();
    ratio.set(1.0 / 3.0);
    let h = r
        .histogram("latency_seconds", "L.")
        .with_unit("seconds")
        .register()
        .unwrap();
    for i in 0..100 {
        h.observe(f64::from(i) / 40.0);
    }
    let options = SummaryOptions::new()
        .with_quantiles(&[0.5, 0.9, 0.99])
        .unwrap();
    let s = r
        .summary("size_bytes", "S.")
        .with_unit("bytes")
        .with_summary_options(options)
        .register()
        .unwrap();
    for i in 1..=1000 {
        s.observe(f64::from(i));
    }
    let phase = r
        .state_set("phase", "P.", &["a", "b", "c"])
        .register()
        .unwrap();
    phase.set("a", true);
    phase.set("c", true);
    let relayed = r.unknown("relayed", "R.").register().unwrap();
    relayed.set(-7.5);

    let doc = parse(&r);
    assert_eq!(doc["version"], 1);

    let f = family(&doc, "requests");
    assert_eq!(f["type"], "counter");
    assert_eq!(f["help"], "R.");
    assert_eq!(f["unit"], Value::Null);
    let series = f["series"].as_array().unwrap();
    assert_eq!(series[0]["labels"], json!({"env": "prod", "method": "GET"}));
    // Exact past 2^53 for a reader that keeps integers (serde_json, Python, Go's json.Number).
    assert_eq!(series[0]["value"].as_u64(), Some(get.get()));
    assert_float(&series[0]["created"], get.created());
    assert_eq!(series[1]["labels"], json!({"env": "prod", "method": VALUE}));
    assert_eq!(series[1]["value"].as_u64(), Some(u64::MAX));
    assert_eq!(series[1]["value"].as_u64(), Some(post.get()));

    let f = family(&doc, "cost");
    assert_float(&f["series"][0]["value"], cost.get());
    assert_float(&f["series"][0]["created"], cost.created());

    let f = family(&doc, "depth");
    assert_eq!(f["series"][0]["value"].as_i64(), Some(depth.get()));
    assert!(f["series"][0].get("created").is_none());

    let f = family(&doc, "ratio");
    assert_float(&f["series"][0]["value"], ratio.get());

    let f = family(&doc, "latency_seconds");
    assert_eq!(f["type"], "histogram");
    assert_eq!(f["unit"], "seconds");
    let series = &f["series"][0];
    let buckets = series["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), h.bounds().len() + 1);
    for (bucket, bound) in buckets
        .iter()
        .zip(h.bounds().iter().chain([&f64::INFINITY]))
    {
        assert_float(&bucket["upper_bound"], *bound);
    }
    let counts: Vec<u64> = buckets
        .iter()
        .map(|b| b["cumulative_count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, h.cumulative_counts());
    assert_eq!(series["count"].as_u64(), Some(h.count()));
    assert_eq!(counts.last().copied(), Some(h.count()));
    assert_float(&series["sum"], h.sum());
    assert_float(&series["created"], h.created());

    let f = family(&doc, "size_bytes");
    assert_eq!(f["type"], "summary");
    let series = &f["series"][0];
    let quantiles = series["quantiles"].as_array().unwrap();
    let recorded = s.quantiles();
    assert_eq!(quantiles.len(), recorded.len());
    for (read, (q, v)) in quantiles.iter().zip(recorded) {
        assert_float(&read["quantile"], q);
        assert_float(&read["value"], v);
    }
    assert_eq!(series["count"].as_u64(), Some(s.count()));
    assert_float(&series["sum"], s.sum());
    assert_float(&series["created"], s.created());

    let f = family(&doc, "phase");
    assert_eq!(f["type"], "stateset");
    assert_eq!(
        f["series"][0]["states"],
        json!({"a": true, "b": false, "c": true})
    );
    for state in ["a", "b", "c"] {
        assert_eq!(f["series"][0]["states"][state].as_bool(), phase.get(state));
    }

    let f = family(&doc, "relayed");
    assert_eq!(f["type"], "unknown");
    assert_float(&f["series"][0]["value"], relayed.get());
}

#[test]
fn special_floats_are_strings() {
    let r = Registry::new();
    let g = r.float_gauge("g", "G.").register_family(&["k"]).unwrap();
    let values = [
        ("nan", f64::NAN),
        ("pos", f64::INFINITY),
        ("neg", f64::NEG_INFINITY),
        ("max", f64::MAX),
        ("tiny", 5e-324),
        ("negative_zero", -0.0),
    ];
    for (k, v) in values {
        g.with_labels(&[k]).set(v);
    }
    let doc = parse(&r);
    let series = doc["families"][0]["series"].as_array().unwrap();
    assert_eq!(series[0]["value"], "NaN");
    assert_eq!(series[1]["value"], "+Inf");
    assert_eq!(series[2]["value"], "-Inf");
    for (i, (_, v)) in values.iter().enumerate() {
        assert_float(&series[i]["value"], *v);
    }
}

#[test]
fn content_type_and_negotiation() {
    assert_eq!(Format::Json.content_type(), "application/json");
    assert_eq!(Format::negotiate(Some("application/json")), Format::Json);
    assert_eq!(
        Format::negotiate(Some(
            "application/openmetrics-text;q=0.9,application/json;q=0.5"
        )),
        Format::OpenMetrics
    );
}

#[test]
fn buffer_is_appended_to_and_reusable() {
    let r = Registry::new();
    r.gauge("g", "G.").register().unwrap().set(1);
    let mut out = b"prefix".to_vec();
    encode(&r, Format::Json, &mut out);
    assert!(out.starts_with(b"prefix{\"version\":1,"));
    out.clear();
    encode(&r, Format::Json, &mut out);
    let capacity = out.capacity();
    out.clear();
    encode(&r, Format::Json, &mut out);
    assert_eq!(out.capacity(), capacity, "a warm buffer does not grow");
}

proptest! {
    // Seeds beside this file: the default location, `tests/proptest-regressions/main.txt`,
    // would be shared by every `tests/<area>/main.rs` target of the crate.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// Whatever the text (any Unicode, control characters, quotes, backslashes), the document
    /// is valid JSON and every string reads back unchanged: label values (constant and own),
    /// HELP, and state names.
    #[test]
    fn any_text_reads_back_unchanged(
        const_value in any::<String>(),
        values in proptest::collection::vec(any::<String>(), 1..4),
        help in any::<String>(),
        states in proptest::collection::hash_set(any::<String>(), 1..4),
        count in any::<u64>(),
        gauge in any::<f64>(),
    ) {
        let r = Registry::builder()
            .with_const_label("c", const_value.as_str())
            .build()
            .unwrap();
        let counters = r.counter("hits", &help).register_family(&["v"]).unwrap();
        for value in &values {
            counters.with_labels(&[value]).inc_by(count);
        }
        let gauges = r.float_gauge("level", &help).register().unwrap();
        gauges.set(gauge);
        let states: Vec<String> = states.into_iter().collect();
        let set = r.state_set("mode", &help, &states).register().unwrap();
        set.set_index(0, true);

        let doc = parse(&r);
        let hits = family(&doc, "hits");
        prop_assert_eq!(hits["help"].as_str(), Some(help.as_str()));
        // Distinct values only: a repeated one is the same series.
        let mut distinct: Vec<&String> = Vec::new();
        for value in &values {
            if !distinct.contains(&value) {
                distinct.push(value);
            }
        }
        let series = hits["series"].as_array().unwrap();
        prop_assert_eq!(series.len(), distinct.len());
        for (s, value) in series.iter().zip(&distinct) {
            prop_assert_eq!(&s["labels"], &json!({"c": const_value, "v": value}));
            let handle = counters.with_labels(&[value]);
            prop_assert_eq!(s["value"].as_u64(), Some(handle.get()));
        }
        let level = family(&doc, "level");
        assert_float(&level["series"][0]["value"], gauge);
        let mode = family(&doc, "mode");
        let read = mode["series"][0]["states"].as_object().unwrap();
        let names: Vec<&String> = read.keys().collect();
        let mut want: Vec<&String> = states.iter().collect();
        want.sort();
        let mut names_sorted = names.clone();
        names_sorted.sort();
        prop_assert_eq!(names_sorted, want);
        prop_assert_eq!(read[&states[0]].as_bool(), Some(true));
    }
}

/// `docs/json-schema.md` stays true: its JSON blocks are valid JSON, and its example document
/// is what the encoder writes for the registry it describes (creation times aside).
#[test]
fn schema_page_example_is_current() {
    let page = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/json-schema.md"
    ));
    let blocks: Vec<&str> = page
        .split("```json\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 2, "the example and the JSON Schema");
    for block in &blocks {
        serde_json::from_str::<Value>(block).unwrap_or_else(|e| panic!("{e}:\n{block}"));
    }

    let r = Registry::builder()
        .with_const_label("service", "checkout")
        .build()
        .unwrap();
    r.counter("http_requests", "HTTP requests served.")
        .register_family(&["method", "code"])
        .unwrap()
        .with_labels(&["GET", "200"])
        .inc_by(1027);
    r.gauge("in_flight_requests", "Requests being served.")
        .register()
        .unwrap()
        .set(3);
    r.float_gauge("cache_hit_ratio", "Share of cache hits.")
        .register()
        .unwrap()
        .set(f64::NAN);
    let h = r
        .histogram("http_request_duration_seconds", "Time to serve a request.")
        .with_unit("seconds")
        .with_buckets(&[0.1, 0.5, 1.0])
        .register()
        .unwrap();
    for v in [0.05, 0.2, 0.3, 2.0] {
        h.observe(v);
    }
    let s = r
        .summary("response_size_bytes", "Response sizes.")
        .with_unit("bytes")
        .with_summary_options(SummaryOptions::new().with_quantiles(&[0.5, 0.9]).unwrap())
        .register()
        .unwrap();
    for _ in 0..4 {
        s.observe(512.0);
    }
    r.info("build_info", "Build information.")
        .register_with(&[("version", "1.4.2"), ("commit", "\"a1b2c3\"\n")])
        .unwrap();
    r.state_set(
        "circuit_breaker",
        "Circuit breaker state.",
        &["closed", "open", "half_open"],
    )
    .register()
    .unwrap()
    .set_only("closed");
    r.unknown("legacy_value", "Relayed from a legacy system.")
        .register()
        .unwrap()
        .set(f64::INFINITY);

    // Creation times differ from run to run: blank them on both sides, then compare the text
    // line by line, so that the page's layout is checked too.
    fn blank_created(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("\"created\":") {
            let (head, tail) = rest.split_at(at + "\"created\":".len());
            out.push_str(head);
            out.push('0');
            let end = tail.find(['}', ',']).unwrap();
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }
    assert_eq!(blank_created(&json(&r)), blank_created(blocks[0]));
}
