//! Registration and configuration errors: one test per error kind, checking the kind and that
//! the message names the problem and says what to do. A failed registration leaves the registry
//! as it was.

use vitals_core::self_metrics::{dropped, DropReason};
use vitals_core::{Error, ErrorKind, MetricFamily, Registry, StateSetOptions, SummaryOptions};

/// Asserts the error's kind and that its message contains every fragment.
fn assert_error<T: std::fmt::Debug>(result: Result<T, Error>, kind: ErrorKind, fragments: &[&str]) {
    let err = result.expect_err("expected an error");
    assert_eq!(err.kind(), kind, "wrong kind for: {err}");
    for fragment in fragments {
        assert!(
            err.to_string().contains(fragment),
            "message {:?} lacks {fragment:?}",
            err.to_string()
        );
    }
}

#[test]
fn invalid_metric_name() {
    let r = Registry::new();
    assert_error(
        r.counter("http-requests", "h").register(),
        ErrorKind::InvalidMetricName,
        &[
            "\"http-requests\"",
            "[a-zA-Z_:][a-zA-Z0-9_:]*",
            "\"http_requests\"",
        ],
    );
    assert_error(
        r.gauge("", "h").register(),
        ErrorKind::InvalidMetricName,
        &["\"\""],
    );
    assert_error(
        r.gauge("9lives", "h").register(),
        ErrorKind::InvalidMetricName,
        &["_9lives"],
    );
    assert_error(
        r.gauge("cpu.load", "h").register(),
        ErrorKind::InvalidMetricName,
        &["cpu_load"],
    );
    assert_error(
        r.counter("_total", "h").register(),
        ErrorKind::InvalidMetricName,
        &["suffix"],
    );
    assert!(
        r.family_names().is_empty(),
        "nothing registered after errors"
    );
}

#[test]
fn invalid_label_name() {
    let r = Registry::new();
    assert_error(
        r.counter("requests", "h").register_family(&["http-method"]),
        ErrorKind::InvalidLabelName,
        &["\"http-method\"", "[a-zA-Z_][a-zA-Z0-9_]*", "http_method"],
    );
    assert_error(
        r.counter("requests", "h").register_family(&["a:b"]),
        ErrorKind::InvalidLabelName,
        &["\"a:b\""],
    );
    // The failed attempts did not claim the name.
    assert!(r
        .counter("requests", "h")
        .register_family(&["method"])
        .is_ok());
}

#[test]
fn reserved_label_names() {
    let r = Registry::new();
    assert_error(
        r.histogram("latency_seconds", "h").register_family(&["le"]),
        ErrorKind::ReservedLabelName,
        &["\"le\"", "reserved"],
    );
    assert_error(
        r.gauge("g", "h").register_family(&["quantile"]),
        ErrorKind::ReservedLabelName,
        &["\"quantile\""],
    );
    assert_error(
        r.gauge("g", "h").register_family(&["__name__"]),
        ErrorKind::ReservedLabelName,
        &["\"__name__\"", "__"],
    );
    assert_error(
        r.state_set("phase", "h", &["a"])
            .register_family(&["phase"]),
        ErrorKind::ReservedLabelName,
        &["\"phase\"", "rename the label"],
    );
    assert_error(
        Registry::builder().with_const_label("le", "x").build(),
        ErrorKind::InvalidConfig,
        &["constant label", "\"le\""],
    );
}

#[test]
fn duplicate_label_names() {
    let r = Registry::new();
    assert_error(
        r.counter("c", "h").register_family(&["a", "b", "a"]),
        ErrorKind::DuplicateLabelName,
        &["\"a\"", "twice"],
    );
    let with_const = Registry::builder()
        .with_const_label("env", "prod")
        .build()
        .unwrap();
    assert_error(
        with_const.counter("c", "h").register_family(&["env"]),
        ErrorKind::DuplicateLabelName,
        &["\"env\"", "constant labels"],
    );
    assert_error(
        Registry::builder()
            .with_const_label("env", "a")
            .with_const_label("env", "b")
            .build(),
        ErrorKind::InvalidConfig,
        &["\"env\""],
    );
}

#[test]
fn duplicate_metric() {
    let r = Registry::new();
    r.counter("requests", "h").register().unwrap();
    assert_error(
        r.counter("requests", "h").register(),
        ErrorKind::DuplicateMetric,
        &["\"requests\"", "already registered", "share the handle"],
    );
    // `_total` is the same family.
    assert_error(
        r.counter("requests_total", "h").register(),
        ErrorKind::DuplicateMetric,
        &["\"requests\""],
    );
    // Another type under the same family name.
    assert_error(
        r.gauge("requests", "h").register(),
        ErrorKind::DuplicateMetric,
        &["requests"],
    );
    // After unregistering, the name is free again.
    assert!(r.unregister("requests"));
    assert!(!r.unregister("requests"));
    assert!(r.gauge("requests", "h").register().is_ok());
}

#[test]
fn name_clashes_with_suffixes() {
    let r = Registry::new();
    r.counter("foo", "h").register().unwrap();
    r.histogram("lat", "h").register().unwrap();
    r.summary("size", "h").register().unwrap();
    r.info("build", "h").register().unwrap();
    let cases: &[(&str, &str)] = &[
        ("foo_total", "foo"),
        ("foo_created", "foo"),
        ("lat_bucket", "lat"),
        ("lat_count", "lat"),
        ("lat_sum", "lat"),
        ("lat_created", "lat"),
        ("size_count", "size"),
        ("size_sum", "size"),
        ("build_info", "build"),
    ];
    for (gauge, owner) in cases {
        assert_error(
            r.gauge(gauge, "h").register(),
            ErrorKind::NameClash,
            &[&format!("{gauge:?}"), &format!("{owner:?}"), "rename"],
        );
    }
    // The other direction: the new family's samples collide with an existing name.
    r.gauge("bar_total", "h").register().unwrap();
    assert_error(
        r.counter("bar", "h").register(),
        ErrorKind::NameClash,
        &["\"bar\"", "\"bar_total\""],
    );
    r.gauge("hist_bucket", "h").register().unwrap();
    assert_error(
        r.histogram("hist", "h").register(),
        ErrorKind::NameClash,
        &["hist_bucket"],
    );
}

#[test]
fn label_count_mismatch() {
    let r = Registry::new();
    let family = r.counter("c", "h").register_family(&["a", "b"]).unwrap();
    assert_error(
        family.try_with_labels(&["only-one"]),
        ErrorKind::LabelMismatch,
        &["\"c\"", "2 label(s) (a, b)", "1 value(s)"],
    );
    // The panic-free path: a detached handle, counted, and nothing exposed.
    let before = dropped(DropReason::LabelCountMismatch);
    family.with_labels(&["x", "y", "z"]).inc();
    assert!(dropped(DropReason::LabelCountMismatch) > before);
    assert!(family.is_empty());
}

#[test]
fn invalid_buckets() {
    let r = Registry::new();
    assert_error(
        r.histogram("h_seconds", "h")
            .with_buckets(&[0.1, 0.5, 0.5])
            .register(),
        ErrorKind::InvalidBuckets,
        &["strictly increasing", "0.5 follows 0.5", "sort them"],
    );
    assert_error(
        r.histogram("h_seconds", "h")
            .with_buckets(&[1.0, f64::NAN])
            .register(),
        ErrorKind::InvalidBuckets,
        &["NaN", "not finite"],
    );
    assert!(r
        .histogram("h_seconds", "h")
        .with_buckets(&[0.1, 1.0])
        .register()
        .is_ok());
}

#[test]
fn invalid_quantiles() {
    assert_error(
        SummaryOptions::new().with_quantiles(&[0.5, 1.5]),
        ErrorKind::InvalidQuantiles,
        &["1.5", "[0, 1]"],
    );
    assert_error(
        SummaryOptions::new().with_quantiles(&[0.9, 0.9]),
        ErrorKind::InvalidQuantiles,
        &["twice"],
    );
}

#[test]
fn invalid_unit() {
    let r = Registry::new();
    assert_error(
        r.histogram("latency", "h").with_unit("seconds").register(),
        ErrorKind::InvalidUnit,
        &["\"seconds\"", "\"latency\"", "latency_seconds"],
    );
    assert_error(
        r.counter("cost_total", "h").with_unit("dollars").register(),
        ErrorKind::InvalidUnit,
        &["\"cost\""],
    );
    assert_error(
        r.info("build", "h").with_unit("build").register(),
        ErrorKind::InvalidUnit,
        &["info", "cannot have a unit"],
    );
    assert_error(
        r.state_set("x_u", "h", &["a"]).with_unit("u").register(),
        ErrorKind::InvalidUnit,
        &["stateset"],
    );
    assert_error(
        r.gauge("a_b", "h").with_unit("").register(),
        ErrorKind::InvalidUnit,
        &["non-empty"],
    );
    // A counter's unit precedes `_total`.
    assert!(r
        .counter("cost_dollars_total", "h")
        .with_unit("dollars")
        .register()
        .is_ok());
}

#[test]
fn invalid_states() {
    let r = Registry::new();
    assert_error(
        r.state_set("phase", "h", &[] as &[&str]).register(),
        ErrorKind::InvalidStates,
        &["at least one state"],
    );
    assert_error(
        StateSetOptions::new(&["a", "b", "a"]),
        ErrorKind::InvalidStates,
        &["\"a\"", "twice"],
    );
    assert_error(
        r.state_set("ns:phase", "h", &["a"]).register(),
        ErrorKind::InvalidMetricName,
        &["valid label name"],
    );
}

#[test]
fn invalid_namespace() {
    assert_error(
        Registry::builder().with_namespace("my-app").build(),
        ErrorKind::InvalidConfig,
        &["namespace", "\"my-app\""],
    );
    let r = Registry::builder().with_namespace("app").build().unwrap();
    r.counter("requests", "h").register().unwrap();
    assert_eq!(r.family_names(), ["app_requests"]);
    // The namespace is part of the name the clash rules see.
    assert_error(
        r.gauge("requests_total", "h").register(),
        ErrorKind::NameClash,
        &["app_requests"],
    );
}

#[test]
fn collected_family_errors() {
    let mut family = MetricFamily::counter("jobs_total", "h").unwrap();
    assert_error(
        family.add_gauge(&[], 1.0).map(|_| ()),
        ErrorKind::TypeMismatch,
        &["counter", "gauge"],
    );
    assert_error(
        family.add_counter(&[], -1.0).map(|_| ()),
        ErrorKind::InvalidValue,
        &["-1"],
    );
    assert_error(
        family.add_counter(&[], f64::NAN).map(|_| ()),
        ErrorKind::InvalidValue,
        &["NaN"],
    );
    family.add_counter(&[("queue", "a")], 1.0).unwrap();
    assert_error(
        family.add_counter(&[("other", "a")], 1.0).map(|_| ()),
        ErrorKind::LabelMismatch,
        &["[queue]", "[other]"],
    );
    assert_error(
        family.add_counter(&[("queue", "a")], 2.0).map(|_| ()),
        ErrorKind::DuplicateSeries,
        &["queue=\"a\"", "once"],
    );
    family.add_counter(&[("queue", "b")], 2.0).unwrap();
    assert_eq!(family.len(), 2);
    let mut hist = MetricFamily::histogram("h", "h").unwrap();
    assert_error(
        hist.add_histogram(&[], &[(1.0, 1)], 1.0).map(|_| ()),
        ErrorKind::InvalidValue,
        &["+Inf"],
    );
    assert_error(
        hist.add_histogram(&[], &[(1.0, 5), (f64::INFINITY, 4)], 1.0)
            .map(|_| ()),
        ErrorKind::InvalidValue,
        &["cumulative"],
    );
    assert_error(
        MetricFamily::gauge("g", "h").unwrap().with_unit("seconds"),
        ErrorKind::InvalidUnit,
        &["g_seconds"],
    );
}

#[test]
fn collector_clash_is_dropped_and_counted() {
    struct Recorder(Vec<String>);
    impl vitals_core::Visitor for Recorder {
        fn family(&mut self, desc: &vitals_core::Descriptor) {
            self.0.push(desc.name().to_owned());
        }
        fn series(&mut self, _: &vitals_core::LabelText<'_>, _: &vitals_core::SeriesValue<'_>) {}
    }

    let r = Registry::new();
    r.counter("jobs", "h").register().unwrap();
    r.register_collector(|out: &mut Vec<MetricFamily>| {
        out.push(MetricFamily::gauge("jobs_total", "clashes with the counter").unwrap());
        out.push(MetricFamily::gauge("depth", "fine").unwrap());
        out.push(MetricFamily::gauge("depth", "repeated in one scrape").unwrap());
    });
    let before = dropped(DropReason::CollectorClash);
    let mut seen = Recorder(Vec::new());
    r.visit(&mut seen);
    assert_eq!(seen.0, ["jobs", "depth"]);
    assert!(dropped(DropReason::CollectorClash) >= before + 2);
}

#[test]
fn collected_labels_may_not_repeat_constant_labels() {
    let r = Registry::builder()
        .with_const_label("host", "a")
        .build()
        .unwrap();
    r.register_collector(|out: &mut Vec<MetricFamily>| {
        let mut depth = MetricFamily::gauge("queue_depth", "h").unwrap();
        depth.add_gauge(&[("host", "b")], 1.0).unwrap();
        out.push(depth);
        let mut host = MetricFamily::state_set("host", "named like the constant label").unwrap();
        host.add_state_set(&[], &[("up", true)]).unwrap();
        out.push(host);
        let mut fine = MetricFamily::gauge("fine", "h").unwrap();
        fine.add_gauge(&[("queue", "q")], 1.0).unwrap();
        out.push(fine);
    });
    let before = dropped(DropReason::CollectorLabelClash);
    let text = family_names(&r);
    assert_eq!(text, ["fine"]);
    assert_eq!(dropped(DropReason::CollectorLabelClash), before + 2);
}

#[test]
fn collected_state_set_and_summary_rules() {
    assert_error(
        MetricFamily::state_set("ns:phase", "h"),
        ErrorKind::InvalidMetricName,
        &["valid label name"],
    );
    let mut rpc = MetricFamily::summary("rpc_seconds", "h").unwrap();
    assert_error(
        rpc.add_summary(&[], &[(0.5, 1.0), (0.5, 2.0)], 3.0, 2)
            .map(|_| ()),
        ErrorKind::InvalidQuantiles,
        &["\"rpc_seconds\"", "twice"],
    );
    assert!(rpc
        .add_summary(&[], &[(0.5, 1.0), (0.9, 2.0)], 3.0, 2)
        .is_ok());
}

#[test]
fn namespace_can_make_a_name_valid() {
    let r = Registry::builder().with_namespace("http").build().unwrap();
    r.counter("2xx_responses", "h").register().unwrap();
    assert_eq!(r.family_names(), ["http_2xx_responses"]);
}

#[test]
fn self_metrics_name_is_reserved() {
    let r = Registry::new();
    r.register_self_metrics();
    assert_error(
        r.counter("vitals_dropped_updates_total", "h").register(),
        ErrorKind::DuplicateMetric,
        &["vitals_dropped_updates"],
    );
    assert_error(
        vitals_core::default_registry()
            .gauge("vitals_dropped_updates", "h")
            .register(),
        ErrorKind::DuplicateMetric,
        &["vitals_dropped_updates"],
    );
    for (name, owner) in [
        ("vitals_series_overflow_total", "vitals_series_overflow"),
        ("vitals_series_expired", "vitals_series_expired"),
    ] {
        assert_error(
            r.counter(name, "h").register(),
            ErrorKind::DuplicateMetric,
            &[owner],
        );
    }
    // Without overflow or expiry, their families have no series and are not written.
    assert_eq!(family_names(&r), ["vitals_dropped_updates"]);
}

#[test]
fn unregister_accepts_sample_names_of_counters_and_infos_only() {
    let r = Registry::new();
    r.counter("requests", "h").register().unwrap();
    r.info("build", "h").register().unwrap();
    r.histogram("lat", "h").register().unwrap();
    assert!(
        !r.unregister("lat_bucket"),
        "a histogram's sample name is not its name"
    );
    assert!(r.unregister("requests_total"));
    assert!(r.unregister("build_info"));
    assert!(r.unregister("lat"));
    assert!(r.family_names().is_empty());
}

/// The families a scrape would expose, collectors' included.
fn family_names(r: &Registry) -> Vec<String> {
    struct Names(Vec<String>);
    impl vitals_core::Visitor for Names {
        fn family(&mut self, desc: &vitals_core::Descriptor) {
            self.0.push(desc.name().to_owned());
        }
        fn series(&mut self, _: &vitals_core::LabelText<'_>, _: &vitals_core::SeriesValue<'_>) {}
    }
    let mut names = Names(Vec::new());
    r.visit(&mut names);
    names.0
}

/// A family of the user's that already has a self-metric's name keeps it: the self-metric is
/// not exposed beside it, and registering the self-metrics twice changes nothing.
#[test]
fn self_metrics_yield_to_existing_families_and_register_once() {
    let r = Registry::new();
    r.counter("vitals_series_overflow", "mine")
        .register()
        .unwrap()
        .inc();
    r.register_self_metrics();
    r.register_self_metrics();
    r.register_stats_metrics();
    r.register_stats_metrics();
    let family = r
        .counter("capped", "h")
        .with_max_series(1)
        .register_family(&["k"])
        .unwrap();
    family.with_labels(&["a"]).inc();
    family.with_labels(&["b"]).inc();
    let names = family_names(&r);
    let count = |n: &str| names.iter().filter(|f| f.as_str() == n).count();
    assert_eq!(count("vitals_series_overflow"), 1, "{names:?}");
    assert_eq!(count("vitals_dropped_updates"), 1, "{names:?}");
    assert_eq!(count("vitals_registry_series"), 1, "{names:?}");
}

/// `register_shared`: the same definition from two call sites is one family; anything else
/// is refused, saying what differs.
#[test]
fn shared_registration_returns_the_same_family_or_says_what_differs() {
    let registry = Registry::new();
    let first = registry
        .histogram("job_duration_seconds", "Jobs.")
        .with_unit("seconds")
        .with_buckets(&[0.1, 1.0])
        .register_shared(&["queue"])
        .unwrap();
    let again = registry
        .histogram("job_duration_seconds", "Jobs.")
        .with_unit("seconds")
        .with_buckets(&[0.1, 1.0])
        .register_shared(&["queue"])
        .unwrap();
    first.with_labels(&["mail"]).observe(0.5);
    again.with_labels(&["mail"]).observe(2.0);
    assert_eq!(first.with_labels(&["mail"]).count(), 2);
    assert_eq!(registry.family_names(), ["job_duration_seconds"]);

    let differs = |result: vitals_core::Result<vitals_core::Family<vitals_core::Histogram>>,
                   what: &str| {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::DuplicateMetric, "{error}");
        assert!(error.to_string().contains(what), "{what:?} not in: {error}");
    };
    let histogram = || {
        registry
            .histogram("job_duration_seconds", "Jobs.")
            .with_unit("seconds")
    };
    differs(
        histogram()
            .with_buckets(&[0.1, 1.0])
            .register_shared(&["kind"]),
        "the labels [queue]",
    );
    differs(
        histogram()
            .with_buckets(&[0.5, 1.0])
            .register_shared(&["queue"]),
        "other options",
    );
    differs(
        registry
            .histogram("job_duration_seconds", "Other help.")
            .with_unit("seconds")
            .with_buckets(&[0.1, 1.0])
            .register_shared(&["queue"]),
        "the help text",
    );
    differs(
        registry
            .histogram("job_duration_seconds", "Jobs.")
            .with_buckets(&[0.1, 1.0])
            .register_shared(&["queue"]),
        "the unit",
    );
    // Another instrument type under the same name.
    let gauge = registry
        .gauge("job_duration_seconds", "Jobs.")
        .with_unit("seconds")
        .register_shared(&["queue"])
        .unwrap_err();
    assert_eq!(gauge.kind(), ErrorKind::DuplicateMetric);
    assert!(
        gauge.to_string().contains("another instrument type"),
        "{gauge}"
    );
}

#[test]
fn shared_and_exclusive_registrations_do_not_mix() {
    let registry = Registry::new();
    // A family registered as its own is not shared later ...
    registry
        .counter("exclusive", "E.")
        .register_family(&["a"])
        .unwrap();
    let error = registry
        .counter("exclusive", "E.")
        .register_shared(&["a"])
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::DuplicateMetric);
    assert!(error.to_string().contains("a family of its own"), "{error}");
    // ... and a shared one cannot be taken as one's own.
    registry
        .counter("shared", "S.")
        .register_shared(&["a"])
        .unwrap();
    let error = registry
        .counter("shared", "S.")
        .register_family(&["a"])
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::DuplicateMetric);
    assert!(error.to_string().contains("a shared family"), "{error}");
    // Counter names with or without `_total` are one family.
    let total = registry
        .counter("shared_total", "S.")
        .register_shared(&["a"])
        .unwrap();
    total.with_labels(&["x"]).inc();
    assert_eq!(
        registry
            .counter("shared", "S.")
            .register_shared(&["a"])
            .unwrap()
            .with_labels(&["x"])
            .get(),
        1
    );
}

#[test]
fn unregistering_a_shared_family_lets_it_be_registered_anew() {
    let registry = Registry::new();
    let old = registry.counter("jobs", "J.").register_shared(&[]).unwrap();
    old.with_labels(&[]).inc();
    assert!(registry.unregister("jobs"));
    // A new definition is accepted: the old one is gone with its family.
    let new = registry
        .counter("jobs", "Jobs, counted again.")
        .register_shared(&["queue"])
        .unwrap();
    assert_eq!(new.with_labels(&["mail"]).get(), 0);
    old.with_labels(&[]).inc();
    assert_eq!(
        new.with_labels(&["mail"]).get(),
        0,
        "the old handle is not the new family's"
    );
    let text = format!("{:?}", registry.family_names());
    assert_eq!(text, "[\"jobs\"]");
}

#[test]
fn shared_registration_in_a_namespace_uses_the_full_name() {
    let registry = Registry::builder().with_namespace("shop").build().unwrap();
    let a = registry
        .counter("orders", "O.")
        .register_shared(&[])
        .unwrap();
    let b = registry
        .counter("orders", "O.")
        .register_shared(&[])
        .unwrap();
    a.with_labels(&[]).inc();
    assert_eq!(b.with_labels(&[]).get(), 1);
    assert_eq!(registry.family_names(), ["shop_orders"]);
}
