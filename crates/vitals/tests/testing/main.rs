//! `vitals::testing`: reading values, the scoped local registry, and the assertions' messages,
//! each against real registries.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use vitals::testing::{
    assert_no_series, assert_sample, histogram, sample, samples, HistogramSnapshot, LocalRegistry,
};
use vitals::{current_registry, default_registry, MetricFamily, Registry, SummaryOptions};

type Owned = Vec<(String, String)>;

fn owned(labels: &[(&str, &str)]) -> Owned {
    labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|m| (*m).to_owned())
            .expect("a string panic message"),
    }
}

fn requests(registry: &Registry) -> vitals::Family<vitals::Counter> {
    let family = registry
        .counter("http_requests", "HTTP requests served.")
        .register_family(&["method", "status"])
        .unwrap();
    family.with_labels(&["GET", "200"]).inc_by(2);
    family.with_labels(&["GET", "500"]).inc();
    family.with_labels(&["POST", "200"]).inc_by(7);
    family
}

// ---------------------------------------------------------------- reading values

#[test]
fn counter_samples_match_exact_label_sets_in_any_order() {
    let registry = Registry::new();
    requests(&registry);

    let get_200 = [("method", "GET"), ("status", "200")];
    assert_eq!(
        sample(&registry, "http_requests_total", &get_200),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &registry,
            "http_requests_total",
            &[("status", "200"), ("method", "GET")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &registry,
            "http_requests_total",
            &[("method", "POST"), ("status", "200")]
        ),
        Some(7.0)
    );
    // A subset, a superset, or another value does not match.
    assert_eq!(
        sample(&registry, "http_requests_total", &[("method", "GET")]),
        None
    );
    assert_eq!(
        sample(
            &registry,
            "http_requests_total",
            &[("method", "GET"), ("status", "200"), ("x", "y")]
        ),
        None
    );
    assert_eq!(
        sample(
            &registry,
            "http_requests_total",
            &[("method", "PUT"), ("status", "200")]
        ),
        None
    );
    // A repeated label is not a stand-in for a missing one.
    assert_eq!(
        sample(
            &registry,
            "http_requests_total",
            &[("method", "GET"), ("method", "GET")]
        ),
        None
    );
    let single = registry
        .counter("single", "One label.")
        .register_family(&["queue"])
        .unwrap();
    single.with_labels(&["a"]).inc();
    assert_eq!(
        sample(&registry, "single_total", &[("queue", "a")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&registry, "single_total", &[("queue", "a"), ("queue", "a")]),
        None,
        "a label list with a repeated name is not the series' label set"
    );
    // The sample name, not the family name.
    assert_eq!(sample(&registry, "http_requests", &get_200), None);
}

#[test]
fn samples_lists_every_series_of_a_sample_or_counter_family_name() {
    let registry = Registry::new();
    requests(&registry);
    let expected = vec![
        (owned(&[("method", "GET"), ("status", "200")]), 2.0),
        (owned(&[("method", "GET"), ("status", "500")]), 1.0),
        (owned(&[("method", "POST"), ("status", "200")]), 7.0),
    ];
    assert_eq!(samples(&registry, "http_requests_total"), expected);
    assert_eq!(samples(&registry, "http_requests"), expected);
    assert_eq!(samples(&registry, "http_request"), Vec::new());
}

#[test]
fn gauges_and_unknowns_read_back_exactly() {
    let registry = Registry::new();
    registry
        .gauge("queue_depth", "Jobs.")
        .register()
        .unwrap()
        .set(-42);
    let temperature = registry
        .float_gauge("temperature_celsius", "T.")
        .register()
        .unwrap();
    temperature.set(0.1 + 0.2);
    let big = registry.gauge("big", "Big.").register().unwrap();
    big.set(1 << 53);
    registry
        .unknown("mystery", "M.")
        .register()
        .unwrap()
        .set(-1.5e-7);

    assert_eq!(sample(&registry, "queue_depth", &[]), Some(-42.0));
    assert_eq!(
        sample(&registry, "temperature_celsius", &[]),
        Some(0.1 + 0.2)
    );
    assert_ne!(sample(&registry, "temperature_celsius", &[]), Some(0.3));
    assert_eq!(sample(&registry, "big", &[]), Some(9_007_199_254_740_992.0));
    assert_eq!(sample(&registry, "mystery", &[]), Some(-1.5e-7));
    assert_sample(&registry, "mystery", &[], -1.5e-7);
}

#[test]
fn histogram_buckets_sum_and_count() {
    let registry = Registry::new();
    let latency = registry
        .histogram("latency_seconds", "Latency.")
        .with_buckets(&[0.005, 0.25, 1.0, 1e6])
        .register_family(&["route"])
        .unwrap();
    let root = latency.with_labels(&["/"]);
    for v in [0.001, 0.2, 0.2, 0.9, 5.0, 2e6] {
        root.observe(v);
    }
    latency.with_labels(&["/admin"]).observe(0.5);

    let route = ("route", "/");
    let bucket = |le: &str| sample(&registry, "latency_seconds_bucket", &[route, ("le", le)]);
    // 0.0.4 writes `le` as Go's %g (`0.005`, `1`, `1e+06`); numbers compare as numbers.
    assert_eq!(bucket("0.005"), Some(1.0));
    assert_eq!(bucket("0.25"), Some(3.0));
    assert_eq!(bucket("1"), Some(4.0));
    assert_eq!(bucket("1.0"), Some(4.0));
    assert_eq!(bucket("1e+06"), Some(5.0));
    assert_eq!(bucket("1000000.0"), Some(5.0));
    assert_eq!(bucket("+Inf"), Some(6.0));
    assert_eq!(bucket("0.5"), None);
    assert_eq!(
        sample(&registry, "latency_seconds_count", &[route]),
        Some(6.0)
    );
    assert_eq!(
        sample(&registry, "latency_seconds_sum", &[route]),
        Some(0.001 + 0.2 + 0.2 + 0.9 + 5.0 + 2e6)
    );
    // `le` is a label of buckets only.
    assert_eq!(
        sample(&registry, "latency_seconds_count", &[route, ("le", "+Inf")]),
        None
    );

    let snapshot: HistogramSnapshot = histogram(&registry, "latency_seconds", &[route]).unwrap();
    assert_eq!(snapshot.count, 6);
    assert_eq!(snapshot.sum, 0.001 + 0.2 + 0.2 + 0.9 + 5.0 + 2e6);
    assert_eq!(
        snapshot.buckets,
        [
            (0.005, 1),
            (0.25, 3),
            (1.0, 4),
            (1e6, 5),
            (f64::INFINITY, 6)
        ]
    );
    assert_eq!(snapshot.bucket(1.0), Some(4));
    assert_eq!(snapshot.bucket(0.5), None);

    let admin = histogram(&registry, "latency_seconds", &[("route", "/admin")]).unwrap();
    assert_eq!(admin.count, 1);
    assert_eq!(admin.buckets[2], (1.0, 1));
    assert_eq!(histogram(&registry, "latency_seconds", &[]), None);
    assert_eq!(
        histogram(&registry, "latency_seconds", &[("route", "/x")]),
        None
    );
    assert_eq!(
        histogram(&registry, "latency_seconds_bucket", &[route]),
        None
    );

    // A histogram's family name is not a sample name.
    assert!(samples(&registry, "latency_seconds").is_empty());
    assert_eq!(samples(&registry, "latency_seconds_count").len(), 2);
    assert_eq!(samples(&registry, "latency_seconds_bucket").len(), 10);
}

#[test]
fn histogram_helper_reads_collector_histograms() {
    let registry = Registry::new();
    registry.register_collector(|out: &mut Vec<MetricFamily>| {
        let mut sizes = MetricFamily::histogram("sizes_bytes", "Sizes.").unwrap();
        sizes
            .add_histogram(
                &[("kind", "a")],
                &[(10.0, 1), (100.0, 3), (f64::INFINITY, 4)],
                512.0,
            )
            .unwrap();
        out.push(sizes);
    });
    let snapshot = histogram(&registry, "sizes_bytes", &[("kind", "a")]).unwrap();
    assert_eq!(snapshot.count, 4);
    assert_eq!(snapshot.sum, 512.0);
    assert_eq!(
        snapshot.buckets,
        [(10.0, 1), (100.0, 3), (f64::INFINITY, 4)]
    );
}

#[test]
fn summary_quantiles_sum_and_count_and_nan_for_an_empty_window() {
    let registry = Registry::new();
    let sizes = registry
        .summary("payload_bytes", "Payload sizes.")
        .with_summary_options(SummaryOptions::new().with_quantiles(&[0.5, 0.99]).unwrap())
        .register_family(&["kind"])
        .unwrap();
    let json = sizes.with_labels(&["json"]);
    json.observe(100.0);
    json.observe(300.0);
    let _idle = sizes.with_labels(&["idle"]);

    assert_eq!(
        sample(&registry, "payload_bytes_count", &[("kind", "json")]),
        Some(2.0)
    );
    assert_eq!(
        sample(&registry, "payload_bytes_sum", &[("kind", "json")]),
        Some(400.0)
    );
    let median = sample(
        &registry,
        "payload_bytes",
        &[("kind", "json"), ("quantile", "0.5")],
    )
    .expect("a median sample");
    assert!((95.0..=305.0).contains(&median), "median {median}");
    assert!(sample(
        &registry,
        "payload_bytes",
        &[("quantile", "0.99"), ("kind", "json")]
    )
    .is_some());
    assert_eq!(
        sample(
            &registry,
            "payload_bytes",
            &[("kind", "json"), ("quantile", "0.9")]
        ),
        None
    );

    // No observations: the quantiles are NaN, and NaN equals NaN for assert_sample.
    let idle_median = sample(
        &registry,
        "payload_bytes",
        &[("kind", "idle"), ("quantile", "0.5")],
    );
    assert!(idle_median.unwrap().is_nan());
    assert_sample(
        &registry,
        "payload_bytes",
        &[("kind", "idle"), ("quantile", "0.5")],
        f64::NAN,
    );
    vitals::assert_sample!(registry, "payload_bytes", {"kind" = "idle", "quantile" = "0.99"}, f64::NAN);
    let message = panic_message(|| {
        assert_sample(
            &registry,
            "payload_bytes",
            &[("kind", "idle"), ("quantile", "0.5")],
            0.0,
        );
    });
    assert!(message.contains("expected: 0\n"), "{message}");
    assert!(message.contains("found: NaN\n"), "{message}");
    assert_eq!(samples(&registry, "payload_bytes").len(), 4);
}

#[test]
fn info_samples_end_in_info_with_value_one() {
    let registry = Registry::new();
    registry
        .info("build", "Build information.")
        .register_with(&[("version", "1.2.3"), ("commit", "abc")])
        .unwrap();
    let labels = [("commit", "abc"), ("version", "1.2.3")];
    assert_eq!(sample(&registry, "build_info", &labels), Some(1.0));
    assert_eq!(sample(&registry, "build", &labels), None);
    assert_eq!(
        samples(&registry, "build"),
        vec![(owned(&[("version", "1.2.3"), ("commit", "abc")]), 1.0)]
    );
    vitals::assert_sample!(registry, "build_info", {"version" = "1.2.3", "commit" = "abc"}, 1.0);
}

#[test]
fn state_set_samples_carry_the_family_name_as_label() {
    let registry = Registry::new();
    let mode = registry
        .state_set(
            "mode",
            "Operating mode.",
            &["starting", "serving", "draining"],
        )
        .register_family(&["instance"])
        .unwrap();
    mode.with_labels(&["a"]).set_only("serving");

    let state = |s: &str| sample(&registry, "mode", &[("instance", "a"), ("mode", s)]);
    assert_eq!(state("starting"), Some(0.0));
    assert_eq!(state("serving"), Some(1.0));
    assert_eq!(state("draining"), Some(0.0));
    assert_eq!(state("stopped"), None);
    assert_eq!(samples(&registry, "mode").len(), 3);
    assert_no_series(&registry, "mode", &[("instance", "a"), ("mode", "stopped")]);
}

#[test]
fn constant_labels_are_part_of_every_series() {
    let registry = Registry::builder()
        .with_namespace("shop")
        .with_const_label("region", "eu-west")
        .build()
        .unwrap();
    let orders = registry
        .counter("orders", "Orders.")
        .register_family(&["kind"])
        .unwrap();
    orders.with_labels(&["gift"]).inc();

    assert_eq!(
        sample(
            &registry,
            "shop_orders_total",
            &[("kind", "gift"), ("region", "eu-west")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&registry, "shop_orders_total", &[("kind", "gift")]),
        None
    );
    assert_eq!(
        samples(&registry, "shop_orders"),
        vec![(owned(&[("region", "eu-west"), ("kind", "gift")]), 1.0)]
    );
    let message =
        panic_message(|| assert_sample(&registry, "shop_orders_total", &[("kind", "gift")], 1.0));
    assert!(message.contains("found: no such series\n"), "{message}");
    assert!(
        message.contains("extra label region=\"eu-west\""),
        "{message}"
    );
}

#[test]
fn label_values_with_quotes_backslashes_newlines_and_unicode() {
    let registry = Registry::new();
    let paths = registry
        .counter("paths", "Paths.")
        .register_family(&["path"])
        .unwrap();
    let nasty = "C:\\dir \"quoted\"\nline two – ünïcødé ☃";
    paths.with_labels(&[nasty]).inc_by(5);
    paths.with_labels(&["plain"]).inc();

    assert_eq!(
        sample(&registry, "paths_total", &[("path", nasty)]),
        Some(5.0)
    );
    assert_eq!(
        sample(
            &registry,
            "paths_total",
            &[("path", "C:\\dir \"quoted\"\\nline two – ünïcødé ☃")]
        ),
        None,
        "the escaped form is not the value"
    );
    assert_eq!(
        samples(&registry, "paths_total"),
        vec![
            (owned(&[("path", nasty)]), 5.0),
            (owned(&[("path", "plain")]), 1.0)
        ]
    );
    assert_sample(&registry, "paths_total", &[("path", nasty)], 5.0);

    // Messages show values escaped as in the exposition, so they stay on one line.
    let message =
        panic_message(|| assert_sample(&registry, "paths_total", &[("path", nasty)], 6.0));
    let escaped = "C:\\\\dir \\\"quoted\\\"\\nline two – ünïcødé ☃";
    assert!(
        message.starts_with(&format!(
            "assert_sample failed for paths_total{{path=\"{escaped}\"}}\n"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("  paths_total{{path=\"{escaped}\"}} 5\n")),
        "{message}"
    );
}

#[test]
fn collectors_are_read_like_registered_families() {
    let registry = Registry::new();
    registry.register_collector(|out: &mut Vec<MetricFamily>| {
        let mut depth = MetricFamily::gauge("queue_depth", "Jobs waiting.").unwrap();
        depth.add_gauge(&[("queue", "emails")], 3.0).unwrap();
        out.push(depth);
    });
    assert_eq!(
        sample(&registry, "queue_depth", &[("queue", "emails")]),
        Some(3.0)
    );
}

// ---------------------------------------------------------------- assertions

#[test]
fn assert_sample_passes_on_the_exact_value_only() {
    let registry = Registry::new();
    requests(&registry);
    assert_sample(
        &registry,
        "http_requests_total",
        &[("method", "GET"), ("status", "200")],
        2.0,
    );
    vitals::assert_sample!(registry, "http_requests_total", {"method" = "GET", "status" = "200"}, 2.0);
    vitals::assert_sample!(&registry, "http_requests_total", {"status" = "500", "method" = "GET",}, 1.0,);

    let gauge = registry.float_gauge("ratio", "R.").register().unwrap();
    gauge.set(0.1 + 0.2);
    let message = panic_message(|| assert_sample(&registry, "ratio", &[], 0.3));
    assert!(message.contains("expected: 0.3\n"), "{message}");
    assert!(
        message.contains("found: 0.30000000000000004\n"),
        "{message}"
    );
    gauge.set(-0.0);
    assert_sample(&registry, "ratio", &[], 0.0);
}

#[test]
fn a_wrong_value_shows_expected_found_other_series_and_the_family() {
    let registry = Registry::new();
    requests(&registry);
    registry
        .gauge("unrelated", "Other.")
        .register()
        .unwrap()
        .set(1);

    let message = panic_message(|| {
        vitals::assert_sample!(registry, "http_requests_total", {"method" = "GET", "status" = "200"}, 3.0);
    });
    let expected = "\
assert_sample failed for http_requests_total{method=\"GET\",status=\"200\"}
  expected: 3
     found: 2
series named http_requests_total with other labels:
  http_requests_total{method=\"GET\",status=\"500\"} 1    (status=\"500\", not \"200\")
  http_requests_total{method=\"POST\",status=\"200\"} 7    (method=\"POST\", not \"GET\")
family http_requests as exposed in Prometheus text 0.0.4:
  # HELP http_requests_total HTTP requests served.
  # TYPE http_requests_total counter
  http_requests_total{method=\"GET\",status=\"200\"} 2
  http_requests_total{method=\"GET\",status=\"500\"} 1
  http_requests_total{method=\"POST\",status=\"200\"} 7
";
    assert_eq!(message, expected);
    assert!(!message.contains("unrelated"));
}

#[test]
fn a_missing_series_lists_close_matches_closest_first() {
    let registry = Registry::new();
    requests(&registry);

    let message = panic_message(|| {
        assert_sample(
            &registry,
            "http_requests_total",
            &[("method", "PUT"), ("status", "500")],
            1.0,
        );
    });
    assert!(
        message.contains("  expected: 1\n     found: no such series\n"),
        "{message}"
    );
    let close = message
        .lines()
        .skip_while(|l| !l.starts_with("series named http_requests_total with other labels:"))
        .skip(1)
        .take(3)
        .collect::<Vec<_>>();
    assert_eq!(
        close,
        [
            "  http_requests_total{method=\"GET\",status=\"500\"} 1    (method=\"GET\", not \"PUT\")",
            "  http_requests_total{method=\"GET\",status=\"200\"} 2    (method=\"GET\", not \"PUT\"; status=\"200\", not \"500\")",
            "  http_requests_total{method=\"POST\",status=\"200\"} 7    (method=\"POST\", not \"PUT\"; status=\"200\", not \"500\")",
        ]
    );
    assert!(
        message.contains("  # TYPE http_requests_total counter\n"),
        "{message}"
    );

    let message = panic_message(|| {
        assert_sample(&registry, "http_requests_total", &[("method", "GET")], 2.0);
    });
    assert!(
        message.contains(
            "  http_requests_total{method=\"GET\",status=\"200\"} 2    (extra label status=\"200\")\n"
        ),
        "{message}"
    );
}

#[test]
fn a_family_name_in_place_of_a_sample_name_is_explained() {
    let registry = Registry::new();
    requests(&registry);
    let message = panic_message(|| {
        assert_sample(
            &registry,
            "http_requests",
            &[("method", "GET"), ("status", "200")],
            2.0,
        );
    });
    assert!(message.contains("found: no such series\n"), "{message}");
    assert!(
        message.contains(
            "no sample is named http_requests: http_requests is the name of a counter family; \
             its samples are named http_requests_total\n"
        ),
        "{message}"
    );
    assert!(
        message.contains("  http_requests_total{method=\"POST\",status=\"200\"} 7\n"),
        "{message}"
    );

    let latency = registry
        .histogram("latency_seconds", "L.")
        .with_buckets(&[1.0])
        .register()
        .unwrap();
    latency.observe(0.5);
    let message = panic_message(|| assert_sample(&registry, "latency_seconds", &[], 1.0));
    assert!(
        message.contains(
            "latency_seconds is the name of a histogram family; its samples are named \
             latency_seconds_bucket, latency_seconds_sum, latency_seconds_count\n"
        ),
        "{message}"
    );
    assert!(
        message.contains("  latency_seconds_bucket{le=\"+Inf\"} 1\n"),
        "{message}"
    );

    registry
        .info("build", "B.")
        .register_with(&[("version", "1")])
        .unwrap();
    let message = panic_message(|| assert_sample(&registry, "build", &[("version", "1")], 1.0));
    assert!(
        message.contains("build is the name of an info family; its samples are named build_info"),
        "{message}"
    );
}

#[test]
fn an_unknown_name_suggests_similar_names_and_lists_families() {
    let registry = Registry::new();
    requests(&registry);
    registry.gauge("queue_depth", "Q.").register().unwrap();

    let message = panic_message(|| assert_sample(&registry, "http_request_total", &[], 1.0));
    assert!(
        message
            .contains("no sample is named http_request_total; similar names: http_requests_total"),
        "{message}"
    );
    assert!(
        message.contains("the registry's families: http_requests, queue_depth\n"),
        "{message}"
    );
    assert!(!message.contains("# TYPE"), "no family to show: {message}");

    let message = panic_message(|| assert_sample(&Registry::new(), "anything", &[], 1.0));
    assert!(
        message.contains("the registry has no families\n"),
        "{message}"
    );
}

#[test]
fn assert_no_series_passes_when_absent_and_explains_when_present() {
    let registry = Registry::new();
    requests(&registry);
    assert_no_series(
        &registry,
        "http_requests_total",
        &[("method", "DELETE"), ("status", "200")],
    );
    assert_no_series(&registry, "http_requests_total", &[("method", "GET")]);
    assert_no_series(&registry, "nothing_total", &[]);

    let message = panic_message(|| {
        assert_no_series(
            &registry,
            "http_requests_total",
            &[("status", "500"), ("method", "GET")],
        );
    });
    assert!(
        message.starts_with(
            "assert_no_series failed: http_requests_total{status=\"500\",method=\"GET\"} exists\n  \
             expected: no such series\n     found: 1\n"
        ),
        "{message}"
    );
    assert!(
        message.contains("  http_requests_total{method=\"GET\",status=\"200\"} 2\n"),
        "{message}"
    );
}

// ---------------------------------------------------------------- LocalRegistry

/// Code under test: records through the dynamic manager into whatever registry is current.
fn record_job(queue: &str) {
    current_registry()
        .inc_counter("local_jobs_total", &[("queue", queue)], 1.0)
        .unwrap();
}

#[test]
fn local_registries_of_two_threads_see_only_their_own_series() {
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        for queue in ["left", "right"] {
            let barrier = &barrier;
            scope.spawn(move || {
                let registry = LocalRegistry::new();
                barrier.wait(); // both local registries exist before either records
                for _ in 0..3 {
                    record_job(queue);
                }
                barrier.wait(); // both have recorded before either reads
                assert_eq!(
                    samples(&registry, "local_jobs_total"),
                    vec![(owned(&[("queue", queue)]), 3.0)]
                );
            });
        }
    });
    assert!(!default_registry()
        .family_names()
        .contains(&"local_jobs".to_string()));
}

#[test]
fn local_registries_nest_and_the_default_is_current_again_after_drop() {
    let outer = LocalRegistry::new();
    record_job("outer");
    {
        let inner = LocalRegistry::new();
        record_job("inner");
        assert_eq!(samples(&inner, "local_jobs").len(), 1);
        assert_sample(&inner, "local_jobs_total", &[("queue", "inner")], 1.0);
    }
    record_job("outer");
    assert_eq!(
        samples(&outer, "local_jobs"),
        vec![(owned(&[("queue", "outer")]), 2.0)]
    );
    drop(outer);

    // Nothing entered: code records into the default registry again.
    let name = "testing_after_drop_marker";
    current_registry()
        .gauge(name, "Marker.")
        .register()
        .unwrap()
        .set(7);
    assert_eq!(sample(default_registry(), name, &[]), Some(7.0));
    assert!(default_registry().unregister(name));
}

#[test]
fn local_registry_derefs_and_enters_a_given_registry() {
    let built = Registry::builder()
        .with_const_label("env", "test")
        .build()
        .unwrap();
    let local = LocalRegistry::enter(built.clone());
    current_registry()
        .gauge("ready", "Ready.")
        .register()
        .unwrap()
        .set(1);
    // Same registry: what was recorded through the scope is in `built`.
    assert_eq!(sample(&built, "ready", &[("env", "test")]), Some(1.0));
    let as_registry: &Registry = &local;
    assert_eq!(as_registry.family_names(), ["ready"]);
    assert_eq!(
        LocalRegistry::default().family_names(),
        Vec::<String>::new()
    );
}

#[test]
fn another_thread_does_not_see_this_threads_local_registry() {
    let local = LocalRegistry::new();
    let name = "testing_other_thread_marker";
    std::thread::spawn(move || {
        current_registry()
            .gauge(name, "Marker.")
            .register()
            .unwrap()
            .set(1);
    })
    .join()
    .unwrap();
    assert_eq!(sample(&local, name, &[]), None);
    assert_eq!(sample(default_registry(), name, &[]), Some(1.0));
    assert!(default_registry().unregister(name));
}

#[tokio::test]
async fn tokio_test_tasks_on_the_current_thread_runtime_see_the_local_registry() {
    let registry = LocalRegistry::new();
    tokio::spawn(async { record_job("spawned") }).await.unwrap();
    tokio::task::yield_now().await;
    record_job("body");
    assert_sample(&registry, "local_jobs_total", &[("queue", "spawned")], 1.0);
    assert_sample(&registry, "local_jobs_total", &[("queue", "body")], 1.0);

    // spawn_blocking runs on another thread, as documented: it records elsewhere.
    let name = "testing_spawn_blocking_marker";
    tokio::task::spawn_blocking(move || {
        current_registry()
            .gauge(name, "Marker.")
            .register()
            .unwrap()
            .set(1);
    })
    .await
    .unwrap();
    assert_no_series(&registry, name, &[]);
    assert!(default_registry().unregister(name));
}

#[test]
fn failures_name_missing_labels_and_point_at_the_callers_line() {
    let registry = Registry::new();
    requests(&registry);
    let message = panic_message(|| {
        assert_sample(
            &registry,
            "http_requests_total",
            &[("method", "GET"), ("status", "200"), ("region", "eu")],
            2.0,
        );
    });
    assert!(
        message.contains(
            "  http_requests_total{method=\"GET\",status=\"200\"} 2    (no label region)\n"
        ),
        "{message}"
    );

    // #[track_caller]: the panic is reported at the assertion in the test, not in vitals.
    let this_thread = std::thread::current().id();
    let locations = Arc::new(Mutex::new(Vec::new()));
    let previous = Arc::new(std::panic::take_hook());
    {
        let locations = Arc::clone(&locations);
        let previous = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == this_thread {
                if let Some(l) = info.location() {
                    locations
                        .lock()
                        .unwrap()
                        .push((l.file().to_owned(), l.line()));
                }
            } else {
                previous(info);
            }
        }));
    }
    let function_line = line!() + 1;
    let function = catch_unwind(|| assert_sample(&registry, "http_requests_total", &[], 1.0));
    let macro_line = line!() + 1;
    let from_macro = catch_unwind(|| vitals::assert_sample!(registry, "nothing", {}, 1.0));
    std::panic::set_hook(Box::new(move |info| previous(info)));
    assert!(function.is_err() && from_macro.is_err());
    assert_eq!(
        *locations.lock().unwrap(),
        [
            (file!().to_owned(), function_line),
            (file!().to_owned(), macro_line)
        ]
    );
}
