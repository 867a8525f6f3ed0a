//! A table of expositions and the rule ids each must produce, then the cardinality report.

use super::*;
use crate::parse::{parse, Syntax};

/// Lints `text` (format detected) and returns the rule ids, sorted and deduplicated.
fn ids(text: &str, options: &LintOptions) -> Vec<&'static str> {
    let families = parse(text, Syntax::detect(text))
        .unwrap_or_else(|e| panic!("the case does not parse: {e}\n{text}"));
    let mut ids: Vec<&str> = lint(&families, options)
        .problems
        .iter()
        .map(|p| p.rule.id())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Each case: what it shows, the exposition, the rule ids expected (sorted).
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "client_golang: a gauge x and a counter x_total are two families",
        "# HELP x_bytes B.\n# TYPE x_bytes gauge\nx_bytes 1\n\
         # HELP x_bytes_total A.\n# TYPE x_bytes_total counter\nx_bytes_total 2\n",
        &[],
    ),
    (
        "client_python 0.0.4: a gauge x_created beside the counter x is its creation time",
        "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 1\n\
         # HELP jobs_created Jobs.\n# TYPE jobs_created gauge\njobs_created 1.7e9\n",
        &[],
    ),
    (
        "a gauge x_created with no family x is misnamed",
        "# HELP jobs_created Jobs.\n# TYPE jobs_created gauge\njobs_created 1.7e9\n",
        &["reserved-suffix"],
    ),
    (
        "clean 0.0.4 counter",
        "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 1\n",
        &[],
    ),
    (
        "clean OpenMetrics counter with _created",
        "# TYPE jobs counter\n# HELP jobs Jobs.\njobs_total 1\njobs_created 1.5e9\n# EOF\n",
        &[],
    ),
    (
        "0.0.4 counter without _total",
        "# HELP jobs Jobs.\n# TYPE jobs counter\njobs 1\n",
        &["counter-total"],
    ),
    (
        "no HELP",
        "# TYPE jobs_total counter\njobs_total 1\n",
        &["help-missing"],
    ),
    (
        "empty HELP",
        "# HELP temp_celsius \n# TYPE temp_celsius gauge\ntemp_celsius 1\n",
        &["help-missing"],
    ),
    (
        "untyped sample without metadata",
        "up 1\n",
        &["help-missing"],
    ),
    (
        "gauge named _total",
        "# HELP temperature_total T.\n# TYPE temperature_total gauge\ntemperature_total 1\n",
        &["non-counter-total"],
    ),
    (
        "untyped _total is left alone, as in promlint",
        "# HELP x_total X.\nx_total 1\n",
        &[],
    ),
    (
        "gauge named _count",
        "# HELP jobs_count J.\n# TYPE jobs_count gauge\njobs_count 1\n",
        &["reserved-suffix"],
    ),
    (
        "gauge named _sum",
        "# HELP jobs_sum J.\n# TYPE jobs_sum gauge\njobs_sum 1\n",
        &["reserved-suffix"],
    ),
    (
        "summary named _bucket",
        "# HELP x_bucket X.\n# TYPE x_bucket summary\nx_bucket_sum 1\nx_bucket_count 1\n",
        &["reserved-suffix"],
    ),
    (
        "gauge named _created",
        "# HELP x_created X.\n# TYPE x_created gauge\nx_created 1\n",
        &["reserved-suffix"],
    ),
    (
        "histogram named _count is allowed, as in promlint",
        "# HELP x_count X.\n# TYPE x_count histogram\nx_count_bucket{le=\"+Inf\"} 1\n\
         x_count_sum 1\nx_count_count 1\n",
        &[],
    ),
    (
        "le on a gauge",
        "# HELP x X.\n# TYPE x gauge\nx{le=\"1\"} 1\n",
        &["reserved-label"],
    ),
    (
        "quantile on a histogram",
        "# HELP x X.\n# TYPE x histogram\nx_bucket{quantile=\"1\",le=\"+Inf\"} 1\nx_sum 1\n\
         x_count 1\n",
        &["reserved-label"],
    ),
    (
        "__ label",
        "# HELP x X.\n# TYPE x gauge\nx{__mine=\"1\"} 1\n",
        &["reserved-label"],
    ),
    (
        "milliseconds",
        "# HELP latency_milliseconds L.\n# TYPE latency_milliseconds gauge\n\
         latency_milliseconds 1\n",
        &["base-unit"],
    ),
    (
        "kilobytes in a counter",
        "# HELP read_kilobytes_total R.\n# TYPE read_kilobytes_total counter\n\
         read_kilobytes_total 1\n",
        &["base-unit"],
    ),
    (
        "minutes",
        "# HELP uptime_minutes U.\n# TYPE uptime_minutes gauge\nuptime_minutes 1\n",
        &["base-unit"],
    ),
    (
        "ms",
        "# HELP rpc_ms R.\n# TYPE rpc_ms gauge\nrpc_ms 1\n",
        &["unit-abbreviation"],
    ),
    (
        "kb in the middle",
        "# HELP cache_kb_used C.\n# TYPE cache_kb_used gauge\ncache_kb_used 1\n",
        &["unit-abbreviation"],
    ),
    (
        "percent",
        "# HELP cpu_percent C.\n# TYPE cpu_percent gauge\ncpu_percent 1\n",
        &["percent"],
    ),
    (
        "type in name",
        "# HELP rpc_duration_histogram R.\n# TYPE rpc_duration_histogram histogram\n\
         rpc_duration_histogram_bucket{le=\"+Inf\"} 1\nrpc_duration_histogram_sum 1\n\
         rpc_duration_histogram_count 1\n",
        &["type-in-name"],
    ),
    (
        "counter in a counter's name",
        "# HELP hits_counter_total H.\n# TYPE hits_counter_total counter\nhits_counter_total 1\n",
        &["type-in-name"],
    ),
    (
        "colon",
        "# HELP job:errors:rate5m E.\n# TYPE job:errors:rate5m gauge\njob:errors:rate5m 1\n",
        &["colon-in-name"],
    ),
    (
        "camelCase metric",
        "# HELP queueDepth Q.\n# TYPE queueDepth gauge\nqueueDepth 1\n",
        &["snake-case-name"],
    ),
    (
        "upper-case metric",
        "# HELP HTTP_REQUESTS_total H.\n# TYPE HTTP_REQUESTS_total counter\n\
         HTTP_REQUESTS_total 1\n",
        &["snake-case-name"],
    ),
    (
        "camelCase label",
        "# HELP jobs J.\n# TYPE jobs gauge\njobs{queueName=\"a\"} 1\n",
        &["snake-case-label"],
    ),
    (
        "counter named _timestamp_seconds",
        "# HELP last_run_timestamp_seconds_total L.\n\
         # TYPE last_run_timestamp_seconds_total counter\n\
         last_run_timestamp_seconds_total 1\n",
        &["timestamp-not-gauge"],
    ),
    (
        "gauge named _timestamp_seconds is fine",
        "# HELP last_run_timestamp_seconds L.\n# TYPE last_run_timestamp_seconds gauge\n\
         last_run_timestamp_seconds 1\n",
        &[],
    ),
    (
        "a family twice in 0.0.4",
        "# HELP a A.\na{x=\"1\"} 1\n# HELP b B.\nb 1\na{x=\"2\"} 1\n",
        // The second `a` block has no HELP either.
        &["duplicate-family", "help-missing"],
    ),
    (
        "a gauge writing a histogram's _count sample",
        "# HELP rpc R.\n# TYPE rpc histogram\nrpc_bucket{le=\"+Inf\"} 1\nrpc_sum 1\n\
         rpc_count 1\n# HELP size S.\n# TYPE size gauge\nsize 1\n# HELP rpc_count C.\n\
         # TYPE rpc_count gauge\nrpc_count 1\n",
        &["name-clash", "reserved-suffix"],
    ),
    (
        "a counter foo_total and a gauge foo write different samples: no clash (promtool agrees)",
        "# HELP foo_total F.\n# TYPE foo_total counter\nfoo_total 1\n# HELP foo F.\n\
         # TYPE foo gauge\nfoo 1\n",
        &[],
    ),
    (
        "every OpenMetrics type, clean",
        "# TYPE a counter\n# HELP a A.\na_total{x=\"1\"} 1\n\
         # TYPE b_bytes gauge\n# UNIT b_bytes bytes\n# HELP b_bytes B.\nb_bytes 1\n\
         # TYPE lat_seconds histogram\n# UNIT lat_seconds seconds\n# HELP lat_seconds L.\n\
         lat_seconds_bucket{le=\"1.0\"} 0\nlat_seconds_bucket{le=\"+Inf\"} 1\n\
         lat_seconds_count 1\nlat_seconds_sum 2.0\n\
         # TYPE q gaugehistogram\n# HELP q Q.\nq_bucket{le=\"+Inf\"} 1\nq_gcount 1\nq_gsum 1\n\
         # TYPE s summary\n# HELP s S.\ns{quantile=\"0.5\"} 1\ns_count 1\ns_sum 1\n\
         # TYPE build info\n# HELP build B.\nbuild_info{version=\"1\"} 1\n\
         # TYPE mode stateset\n# HELP mode M.\nmode{mode=\"on\"} 1\nmode{mode=\"off\"} 0\n\
         # TYPE thing unknown\n# HELP thing T.\nthing 1\n# EOF\n",
        &[],
    ),
];

#[test]
fn each_rule_fires_where_it_should_and_nowhere_else() {
    let mut failures = Vec::new();
    for (what, text, expected) in CASES {
        let got = ids(text, &LintOptions::new());
        if got != *expected {
            failures.push(format!("{what}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case_or_a_test() {
    let mut covered: HashSet<&str> = CASES
        .iter()
        .flat_map(|(_, _, ids)| ids.iter().copied())
        .collect();
    covered.extend(["high-cardinality", "total-cardinality"]); // tested below
    for rule in Rule::ALL {
        assert!(covered.contains(rule.id()), "no case for {}", rule.id());
        assert_eq!(Rule::from_id(rule.id()), Some(*rule));
        assert!(!rule.description().is_empty());
    }
}

#[test]
fn problems_name_family_line_and_remedy() {
    let text = "# HELP jobs Jobs.\n# TYPE jobs counter\njobs{q=\"a\"} 1\njobs{q=\"b\"} 1\n\
                # HELP queueDepth Q.\n# TYPE queueDepth gauge\nqueueDepth 1\n";
    let families = parse(text, Syntax::PrometheusText).unwrap();
    let report = lint(&families, &LintOptions::new());
    let lines: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "line 3: jobs: counter samples should end in _total (rename jobs to jobs_total)",
            "line 5: queueDepth: metric names are snake_case, not camelCase or upper case: \
             rename it to queue_depth",
        ]
    );
}

#[test]
fn units_messages_say_what_to_use() {
    let text = "# HELP latency_milliseconds L.\n# TYPE latency_milliseconds gauge\n\
                latency_milliseconds 1\n";
    let families = parse(text, Syntax::PrometheusText).unwrap();
    let report = lint(&families, &LintOptions::new());
    assert_eq!(
        report.problems[0].message,
        "unit \"milliseconds\" is not a base unit: use seconds and scale the values (rename to \
         latency_seconds)"
    );
}

/// A family `requests` with `n` values of `path` and 2 of `method`.
fn wide(n: usize) -> String {
    let mut text = String::from("# HELP requests_total R.\n# TYPE requests_total counter\n");
    for i in 0..n {
        for method in ["GET", "POST"] {
            text.push_str(&format!(
                "requests_total{{path=\"/item/{i}\",method=\"{method}\"}} 1\n"
            ));
        }
    }
    text
}

#[test]
fn cardinality_counts_label_sets_and_names_the_driver() {
    let text = wide(30);
    let families = parse(&text, Syntax::PrometheusText).unwrap();
    let report = lint(&families, &LintOptions::new());
    assert!(report.is_clean(), "{:?}", report.problems);
    let family = &report.cardinality.families[0];
    assert_eq!((family.series, family.samples), (60, 60));
    let top = family.top_label.as_ref().unwrap();
    assert_eq!((top.name.as_str(), top.values), ("path", 30));
    assert!(!family.over_limit);
    assert_eq!(report.cardinality.total_series, 60);
}

#[test]
fn histogram_buckets_and_summary_quantiles_are_one_series() {
    let text = "# HELP lat_seconds L.\n# TYPE lat_seconds histogram\n\
                lat_seconds_bucket{code=\"200\",le=\"1\"} 1\n\
                lat_seconds_bucket{code=\"200\",le=\"+Inf\"} 1\n\
                lat_seconds_sum{code=\"200\"} 1\nlat_seconds_count{code=\"200\"} 1\n\
                lat_seconds_bucket{code=\"500\",le=\"1\"} 1\n\
                lat_seconds_bucket{code=\"500\",le=\"+Inf\"} 1\n\
                lat_seconds_sum{code=\"500\"} 1\nlat_seconds_count{code=\"500\"} 1\n\
                # HELP size_bytes S.\n# TYPE size_bytes summary\n\
                size_bytes{quantile=\"0.5\"} 1\nsize_bytes{quantile=\"0.9\"} 1\n\
                size_bytes_sum 1\nsize_bytes_count 1\n";
    let families = parse(text, Syntax::PrometheusText).unwrap();
    let report = lint(&families, &LintOptions::new());
    let counts: Vec<(usize, usize)> = report
        .cardinality
        .families
        .iter()
        .map(|f| (f.series, f.samples))
        .collect();
    assert_eq!(counts, [(2, 8), (1, 4)]);
    assert_eq!(
        report.cardinality.families[0].top_label,
        Some(LabelCardinality {
            name: "code".into(),
            values: 2
        })
    );
    assert_eq!(report.cardinality.families[1].top_label, None);
}

#[test]
fn over_the_limit_is_a_problem_that_names_the_label() {
    let text = wide(30);
    let families = parse(&text, Syntax::PrometheusText).unwrap();
    let options = LintOptions::new().with_max_series(50);
    let report = lint(&families, &options);
    assert_eq!(report.problems.len(), 1);
    let problem = &report.problems[0];
    assert_eq!(problem.rule, Rule::HighCardinality);
    assert!(
        problem
            .message
            .starts_with("60 series, over the limit of 50; label \"path\" has 30 distinct values"),
        "{}",
        problem.message
    );
    assert!(report.cardinality.families[0].over_limit);
}

#[test]
fn the_total_limit_is_checked_when_set() {
    let text = wide(30);
    let families = parse(&text, Syntax::PrometheusText).unwrap();
    assert!(lint(&families, &LintOptions::new()).is_clean());
    let report = lint(&families, &LintOptions::new().with_max_total_series(59));
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].rule, Rule::TotalCardinality);
    assert_eq!(
        report.problems[0].to_string(),
        "total: 60 series in all, over the limit of 59; the largest families: requests (60)"
    );
}

#[test]
fn vitals_own_output_is_clean_in_both_formats() {
    let registry = vitals_core::Registry::new();
    registry
        .counter("jobs_total", "Jobs run.")
        .register_family(&["queue"])
        .unwrap()
        .with_labels(&["mail"])
        .inc();
    registry
        .histogram("latency_seconds", "Latency.")
        .with_unit("seconds")
        .register()
        .unwrap()
        .observe(0.2);
    registry
        .summary("size_bytes", "Sizes.")
        .register()
        .unwrap()
        .observe(3.0);
    registry
        .gauge("temperature_celsius", "Temperature.")
        .register()
        .unwrap()
        .set(3);
    registry
        .info("build", "Build.")
        .register_with(&[("version", "1.0")])
        .unwrap();
    registry
        .state_set("mode", "Mode.", &["on", "off"])
        .register()
        .unwrap();
    registry.unknown("thing", "Thing.").register().unwrap();
    registry.register_self_metrics();
    for format in [crate::Format::PrometheusText, crate::Format::OpenMetrics] {
        let text = crate::encode_to_string(&registry, format);
        let families = parse(&text, Syntax::detect(&text)).unwrap();
        let report = lint(&families, &LintOptions::new());
        assert!(
            report.is_clean(),
            "{format:?}: {:?}\n{text}",
            report.problems
        );
    }
}
