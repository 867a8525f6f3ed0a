//! The parsers beyond the conformance suite: the 0.0.4 format as Prometheus reads it, error
//! positions and messages, streaming, and format detection.

use vitals_core::Number;
use vitals_expfmt::parse::{families, parse, FamilyType, Syntax};

#[test]
fn prometheus_text_as_go_reads_it() {
    let text = "\
# A free comment, ignored.

# HELP http_requests_total Requests \\\\ served\\nper route.
# TYPE http_requests_total counter
http_requests_total{method=\"GET\" , route=\"/a\",} 10 1700000000123
http_requests_total{method=\"POST\",route=\"/a\"}\t2
# TYPE latency_seconds histogram
latency_seconds_bucket{le=\"0.5\"} 1
latency_seconds_bucket{le=\"+Inf\"} 3
latency_seconds_sum 2.5
latency_seconds_count 3
legacy_counter 7
# TYPE rpc_seconds summary
rpc_seconds{quantile=\"0.5\"} 0.1
rpc_seconds_sum 1
rpc_seconds_count 10
";
    let parsed = parse(text, Syntax::PrometheusText).unwrap();
    let names: Vec<(&str, FamilyType)> = parsed.iter().map(|f| (f.name, f.family_type)).collect();
    assert_eq!(
        names,
        [
            ("http_requests", FamilyType::Counter),
            ("latency_seconds", FamilyType::Histogram),
            ("legacy_counter", FamilyType::Unknown),
            ("rpc_seconds", FamilyType::Summary),
        ]
    );
    let requests = &parsed[0];
    assert_eq!(
        requests.help.as_deref(),
        Some("Requests \\ served\nper route.")
    );
    assert_eq!(requests.samples[0].name, "http_requests_total");
    assert_eq!(requests.samples[0].label("route"), Some("/a"));
    assert_eq!(requests.samples[0].value, Number::U64(10));
    assert_eq!(requests.samples[0].timestamp, Some(1_700_000_000.123));
    assert_eq!(requests.samples[1].value, Number::U64(2));
    assert_eq!(parsed[1].samples.len(), 4);
    assert_eq!(parsed[3].samples.len(), 3);
}

#[test]
fn prometheus_text_errors_name_the_place() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("a{b=\"c\\q\"} 1\n", 1, 7, "invalid escape"),
        ("a 1 1.5\n", 1, 5, "whole milliseconds"),
        ("a{b=\"c\"}\n", 1, 9, "invalid value \"\""),
        ("a\n", 1, 2, "blank before the value"),
        // What Go's parser (promtool) rejects too.
        ("a 1 \n", 1, 5, "invalid timestamp \"\""),
        ("a 1 1000 \n", 1, 9, "after the timestamp"),
        ("a 1\nb 1\n# TYPE a gauge\n", 3, 1, "TYPE after its samples"),
        ("a 1", 1, 1, "no newline"),
        ("a{__name__=\"x\"} 1\n", 1, 1, "reserved"),
        ("# TYPE a gauge \n", 1, 15, "the line ends with the type"),
        ("a 1e400\n", 1, 3, "invalid value \"1e400\""),
        ("# TYPE a info\n", 1, 10, "OpenMetrics without its final"),
        ("# TYPE a gauge\na 1\n# TYPE a gauge\n", 3, 1, "second TYPE"),
        ("# HELP a x\n# HELP a y\n", 2, 1, "second HELP"),
        ("# TYPE a flux\n", 1, 10, "unknown type \"flux\""),
        (
            "# TYPE h histogram\nh_bucket{x=\"1\"} 1\n",
            2,
            1,
            "numeric \"le\"",
        ),
        ("a 1 2 3\n", 1, 6, "after the timestamp"),
        ("a{b=\"c\",b=\"d\"} 1\n", 1, 9, "appears twice"),
    ];
    for (input, line, column, fragment) in cases {
        let err = parse(input, Syntax::PrometheusText).unwrap_err();
        assert_eq!(
            (err.line(), err.column()),
            (*line, *column),
            "{input:?}: {err}"
        );
        assert!(err.message().contains(fragment), "{input:?}: {err}");
    }
}

#[test]
fn prometheus_text_takes_what_go_takes() {
    // No blank between `}` and the value, blanks and a trailing comma inside the braces.
    let parsed = parse("a{b=\"1\" , }0\n", Syntax::PrometheusText).unwrap();
    assert_eq!(parsed[0].samples[0].value, Number::U64(0));
    assert_eq!(parsed[0].samples[0].label("b"), Some("1"));
}

#[test]
fn openmetrics_errors_name_the_place() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("a 1\n", 1, 1, "missing \"# EOF\""),
        ("a 1\n# EOF\n\n", 3, 1, "after \"# EOF\""),
        ("a  1\n# EOF\n", 1, 3, "invalid value \"\""),
        ("a.b 1\n# EOF\n", 1, 2, "names use only"),
        (
            "# TYPE a counter\na_total 1 # {x=\"y\"} z\n# EOF\n",
            2,
            21,
            "exemplar value",
        ),
        (
            "# TYPE a gauge\na 1\n# HELP a late\n# EOF\n",
            3,
            1,
            "after its samples",
        ),
        (
            "# TYPE a counter\na 1\n# EOF\n",
            2,
            1,
            "named a_total or a_created",
        ),
        (
            "# TYPE a_total counter\na_total 1\n# EOF\n",
            2,
            1,
            "named without _total",
        ),
        ("a{__x=\"1\"} 1\n# EOF\n", 1, 3, "reserves"),
        (
            "# TYPE a histogram\na_bucket{le=\"+Inf\"} 9007199254740993\n\
             a_count 9007199254740992\na_sum 1\n# EOF\n",
            4,
            1,
            "differs from the +Inf bucket",
        ),
    ];
    for (input, line, column, fragment) in cases {
        let err = parse(input, Syntax::OpenMetrics).unwrap_err();
        assert_eq!(
            (err.line(), err.column()),
            (*line, *column),
            "{input:?}: {err}"
        );
        assert!(err.message().contains(fragment), "{input:?}: {err}");
        assert!(err
            .to_string()
            .starts_with(&format!("line {line}, column {column}: ")));
    }
}

#[test]
fn openmetrics_model() {
    let text = "\
# TYPE rpc_seconds histogram
# UNIT rpc_seconds seconds
# HELP rpc_seconds Latency \\\"quoted\\\" \\\\ \\n here.
rpc_seconds_bucket{le=\"0.5\",code=\"a\\\"b\"} 1 # {trace_id=\"4bf92f\"} 0.25 1700000000.5
rpc_seconds_bucket{le=\"+Inf\",code=\"a\\\"b\"} 2
rpc_seconds_count{code=\"a\\\"b\"} 2
rpc_seconds_sum{code=\"a\\\"b\"} 1.25
rpc_seconds_created{code=\"a\\\"b\"} 1700000000
# TYPE build info
build_info{version=\"1.0\"} 1
# EOF
";
    let parsed = parse(text, Syntax::OpenMetrics).unwrap();
    let rpc = &parsed[0];
    assert_eq!(rpc.unit, Some("seconds"));
    assert_eq!(rpc.help.as_deref(), Some("Latency \"quoted\" \\ \n here."));
    assert_eq!(rpc.samples[0].label("code"), Some("a\"b"));
    let exemplar = rpc.samples[0].exemplar.as_ref().unwrap();
    assert_eq!(exemplar.labels[0].0, "trace_id");
    assert_eq!(exemplar.labels[0].1, "4bf92f");
    assert_eq!(exemplar.value, 0.25);
    assert_eq!(exemplar.timestamp, Some(1_700_000_000.5));
    assert_eq!(rpc.samples[4].name, "rpc_seconds_created");
    assert_eq!(
        (parsed[1].name, parsed[1].family_type),
        ("build", FamilyType::Info)
    );
    assert_eq!(parsed[1].line, 9);
}

#[test]
fn families_stream_before_the_rest_is_read() {
    // The first family is complete, and yielded, before the error further on is reached.
    let text = "a 1\nb 2\nc{ 3\n# EOF\n";
    let mut iter = families(text, Syntax::OpenMetrics);
    assert_eq!(iter.next().unwrap().unwrap().name, "a");
    let err = iter.next().unwrap().unwrap_err();
    assert_eq!(err.line(), 3);
    assert!(iter.next().is_none(), "the iterator ends after an error");
}

#[test]
fn detection() {
    assert_eq!(Syntax::detect("# EOF"), Syntax::OpenMetrics);
    assert_eq!(Syntax::detect("a 1\n# EOF\n"), Syntax::OpenMetrics);
    assert_eq!(Syntax::detect("a 1\n"), Syntax::PrometheusText);
    assert_eq!(Syntax::detect(""), Syntax::PrometheusText);
    assert_eq!(Syntax::from_content_type("application/json"), None);
}
