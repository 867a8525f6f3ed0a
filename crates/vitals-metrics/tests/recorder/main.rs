//! The recorder end to end: `metrics` macros in, vitals exposition out.

use std::sync::{Mutex, OnceLock};

use metrics::Unit;
use vitals_core::self_metrics::{dropped, DropReason};
use vitals_core::{ErrorKind, Registry};
use vitals_expfmt::parse::{parse, Syntax};
use vitals_expfmt::{encode_to_string, Format};
use vitals_metrics::{Matcher, VitalsRecorder};

fn text(registry: &Registry) -> String {
    encode_to_string(registry, Format::PrometheusText)
}

fn openmetrics(registry: &Registry) -> String {
    encode_to_string(registry, Format::OpenMetrics)
}

/// The lines of `text` that belong to family `name`: its HELP, TYPE and UNIT lines and its
/// samples (`name`, `name_total`, `name_bucket`, ...), `_created` samples left out since their
/// values are timestamps.
fn family(text: &str, name: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let token = match line.strip_prefix("# ") {
            Some(comment) => comment.split(' ').nth(1).unwrap_or(""),
            None => line.split(['{', ' ']).next().unwrap_or(""),
        };
        let suffix = token.strip_prefix(name);
        let ours = matches!(suffix, Some("" | "_total" | "_bucket" | "_sum" | "_count"));
        if ours {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn recorder(registry: &Registry) -> VitalsRecorder {
    VitalsRecorder::new(registry.clone())
}

#[test]
fn counter_totals_are_exact_and_label_order_does_not_matter() {
    let registry = Registry::new();
    metrics::with_local_recorder(&recorder(&registry), || {
        metrics::counter!("http.requests", "method" => "GET").increment(3);
        metrics::counter!("http.requests", "method" => "GET").increment(4);
        metrics::counter!("http.requests", "method" => "POST").increment(1);
        let kept = metrics::counter!("jobs", "queue" => "mail", "prio" => "high");
        kept.increment(2);
        metrics::counter!("jobs", "prio" => "high", "queue" => "mail").increment(5);
        kept.increment(1);
    });
    let out = text(&registry);
    assert_eq!(
        family(&out, "http_requests"),
        "# TYPE http_requests_total counter\n\
         http_requests_total{method=\"GET\"} 7\n\
         http_requests_total{method=\"POST\"} 1\n",
        "{out}"
    );
    assert_eq!(
        family(&out, "jobs"),
        "# TYPE jobs_total counter\n\
         jobs_total{queue=\"mail\",prio=\"high\"} 8\n",
        "{out}"
    );
}

#[test]
fn absolute_never_lowers_a_counter() {
    let registry = Registry::new();
    metrics::with_local_recorder(&recorder(&registry), || {
        let mirrored = metrics::counter!("upstream.bytes.total");
        mirrored.absolute(10);
        mirrored.absolute(4);
        assert_eq!(
            registry
                .dynamic_counter("upstream_bytes", &[])
                .unwrap()
                .get(),
            10.0
        );
        mirrored.increment(1);
        mirrored.absolute(20);
        mirrored.absolute(19);
    });
    assert_eq!(
        family(&text(&registry), "upstream_bytes"),
        "# TYPE upstream_bytes_total counter\nupstream_bytes_total 20\n"
    );
}

#[test]
fn gauges_set_increment_decrement() {
    let registry = Registry::new();
    metrics::with_local_recorder(&recorder(&registry), || {
        let depth = metrics::gauge!("queue.depth", "queue" => "mail");
        depth.set(5.0);
        depth.increment(2.0);
        depth.decrement(0.5);
        metrics::gauge!("queue.depth", "queue" => "sms").decrement(3.0);
        metrics::gauge!("temperature").set(-1.25);
    });
    let out = text(&registry);
    assert_eq!(
        family(&out, "queue_depth"),
        "# TYPE queue_depth gauge\n\
         queue_depth{queue=\"mail\"} 6.5\n\
         queue_depth{queue=\"sms\"} -3\n",
        "{out}"
    );
    assert_eq!(
        family(&out, "temperature"),
        "# TYPE temperature gauge\ntemperature -1.25\n"
    );
}

#[test]
fn histograms_get_the_first_matching_buckets() {
    let registry = Registry::new();
    let recorder = VitalsRecorder::builder(registry.clone())
        // Given with the `metrics` spelling: sanitized like the names.
        .with_buckets(Matcher::Full("db.query.seconds".into()), &[0.01, 0.1])
        .with_buckets(Matcher::Prefix("http_".into()), &[1.0, 2.0])
        // Never wins for `http_special`: the prefix matcher comes first.
        .with_buckets(Matcher::Full("http_special".into()), &[100.0])
        .with_buckets(Matcher::Suffix(".bytes".into()), &[100.0, 1000.0])
        .with_default_buckets(&[5.0, 10.0])
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        metrics::histogram!("db.query.seconds").record(0.005);
        metrics::histogram!("db.query.seconds").record(0.05);
        let special = metrics::histogram!("http.special");
        special.record(0.5);
        special.record(1.5);
        special.record(3.0);
        metrics::histogram!("response.bytes", "route" => "/").record(500.0);
        metrics::histogram!("other").record(7.0);
    });
    let out = text(&registry);
    assert_eq!(
        family(&out, "db_query_seconds"),
        "# TYPE db_query_seconds histogram\n\
         db_query_seconds_bucket{le=\"0.01\"} 1\n\
         db_query_seconds_bucket{le=\"0.1\"} 2\n\
         db_query_seconds_bucket{le=\"+Inf\"} 2\n\
         db_query_seconds_sum 0.055\n\
         db_query_seconds_count 2\n",
        "{out}"
    );
    assert_eq!(
        family(&out, "http_special"),
        "# TYPE http_special histogram\n\
         http_special_bucket{le=\"1\"} 1\n\
         http_special_bucket{le=\"2\"} 2\n\
         http_special_bucket{le=\"+Inf\"} 3\n\
         http_special_sum 5\n\
         http_special_count 3\n",
        "{out}"
    );
    assert_eq!(
        family(&out, "response_bytes"),
        "# TYPE response_bytes histogram\n\
         response_bytes_bucket{route=\"/\",le=\"100\"} 0\n\
         response_bytes_bucket{route=\"/\",le=\"1000\"} 1\n\
         response_bytes_bucket{route=\"/\",le=\"+Inf\"} 1\n\
         response_bytes_sum{route=\"/\"} 500\n\
         response_bytes_count{route=\"/\"} 1\n",
        "{out}"
    );
    assert_eq!(
        family(&out, "other"),
        "# TYPE other histogram\n\
         other_bucket{le=\"5\"} 0\n\
         other_bucket{le=\"10\"} 1\n\
         other_bucket{le=\"+Inf\"} 1\n\
         other_sum 7\n\
         other_count 1\n",
        "{out}"
    );
}

#[test]
fn histograms_default_to_vitals_default_buckets() {
    let registry = Registry::new();
    metrics::with_local_recorder(&recorder(&registry), || {
        metrics::histogram!("latency").record(0.3);
    });
    let out = text(&registry);
    let bounds: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("latency_bucket{le=\""))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert_eq!(
        bounds,
        ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"],
        "{out}"
    );
    assert!(out.contains("latency_bucket{le=\"0.25\"} 0\n"), "{out}");
    assert!(out.contains("latency_bucket{le=\"0.5\"} 1\n"), "{out}");
    assert!(!out.contains("summary"), "{out}");
}

#[test]
fn record_many_observes_count_times() {
    let registry = Registry::new();
    let recorder = VitalsRecorder::builder(registry.clone())
        .with_default_buckets(&[1.0])
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        let sizes = metrics::histogram!("batch.size");
        sizes.record_many(0.5, 3);
        sizes.record_many(2.0, 0);
        sizes.record(4.0);
    });
    assert_eq!(
        family(&text(&registry), "batch_size"),
        "# TYPE batch_size histogram\n\
         batch_size_bucket{le=\"1\"} 3\n\
         batch_size_bucket{le=\"+Inf\"} 4\n\
         batch_size_sum 5.5\n\
         batch_size_count 4\n"
    );
}

#[test]
fn descriptions_give_help_and_fitting_units() {
    let registry = Registry::new();
    let recorder = VitalsRecorder::builder(registry.clone())
        .with_buckets(Matcher::Suffix("_seconds".into()), &[0.5, 1.0])
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_histogram!("job.duration.seconds", Unit::Seconds, "Time a job took.");
        // The first description wins.
        metrics::describe_histogram!("job.duration.seconds", "Overwritten?");
        metrics::describe_counter!("sent.bytes.total", Unit::Bytes, "Bytes sent.");
        // No `_bytes` suffix: the unit is left out, the help kept.
        metrics::describe_gauge!("memory.used", Unit::Bytes, "Memory in use.");
        // No Prometheus word for milliseconds.
        metrics::describe_gauge!("lag.milliseconds", Unit::Milliseconds, "Replica lag.");

        metrics::histogram!("job.duration.seconds").record(0.7);
        metrics::counter!("sent.bytes.total").increment(1500);
        metrics::gauge!("memory.used").set(2048.0);
        metrics::gauge!("lag.milliseconds").set(3.0);

        // After first use the help is fixed: ignored, no panic, the metric keeps working.
        metrics::counter!("late").increment(1);
        metrics::describe_counter!("late", "Described too late.");
        metrics::counter!("late").increment(1);
    });

    let om = openmetrics(&registry);
    assert_eq!(
        family(&om, "job_duration_seconds"),
        "# TYPE job_duration_seconds histogram\n\
         # UNIT job_duration_seconds seconds\n\
         # HELP job_duration_seconds Time a job took.\n\
         job_duration_seconds_bucket{le=\"0.5\"} 0\n\
         job_duration_seconds_bucket{le=\"1.0\"} 1\n\
         job_duration_seconds_bucket{le=\"+Inf\"} 1\n\
         job_duration_seconds_count 1\n\
         job_duration_seconds_sum 0.7\n",
        "{om}"
    );
    assert!(om.contains("# UNIT sent_bytes bytes\n"), "{om}");
    assert!(om.contains("# HELP sent_bytes Bytes sent.\n"), "{om}");
    assert!(om.contains("sent_bytes_total 1500\n"), "{om}");
    assert!(om.contains("# HELP memory_used Memory in use.\n"), "{om}");
    assert!(!om.contains("# UNIT memory_used"), "{om}");
    assert!(
        om.contains("# HELP lag_milliseconds Replica lag.\n"),
        "{om}"
    );
    assert!(!om.contains("# UNIT lag_milliseconds"), "{om}");
    assert!(!om.contains("Described too late"), "{om}");
    assert!(om.contains("late_total 2\n"), "{om}");

    let prom = text(&registry);
    assert!(
        prom.contains("# HELP job_duration_seconds Time a job took.\n"),
        "{prom}"
    );
    assert!(
        prom.contains("# HELP sent_bytes_total Bytes sent.\n"),
        "{prom}"
    );
}

#[test]
fn names_and_label_keys_are_sanitized() {
    let registry = Registry::new();
    metrics::with_local_recorder(&recorder(&registry), || {
        metrics::counter!("api.requests-v2", "http.method" => "GET", "2xx:ok" => "yes")
            .increment(1);
        metrics::gauge!("9lives", "a-b" => "x").set(9.0);
        metrics::histogram!("cache:lookup.seconds").record(0.001);
    });
    let out = text(&registry);
    assert!(
        out.contains("api_requests_v2_total{http_method=\"GET\",_xx_ok=\"yes\"} 1\n"),
        "{out}"
    );
    assert!(out.contains("_lives{a_b=\"x\"} 9\n"), "{out}");
    assert!(
        out.contains("# TYPE cache:lookup_seconds histogram\n"),
        "{out}"
    );
    assert!(out.contains("cache:lookup_seconds_count 1\n"), "{out}");
}

/// Every warning logged in this test binary.
fn warnings() -> &'static Mutex<Vec<String>> {
    static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    struct Capture;
    impl log::Log for Capture {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.level() <= log::Level::Warn
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                WARNINGS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(record.args().to_string());
            }
        }
        fn flush(&self) {}
    }
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        static CAPTURE: Capture = Capture;
        log::set_logger(&CAPTURE).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
    &WARNINGS
}

fn warnings_about(name: &str) -> usize {
    let quoted = format!("{name:?}");
    warnings()
        .lock()
        .unwrap()
        .iter()
        .filter(|w| w.contains(&quoted))
        .count()
}

#[test]
fn refused_registrations_are_noops_counted_and_logged_once() {
    warnings();
    let registry = Registry::new();
    metrics::with_local_recorder(&recorder(&registry), || {
        metrics::counter!("orders", "shop" => "a").increment(1);

        let before = dropped(DropReason::DynamicRejected);
        let other_labels = metrics::counter!("orders", "region" => "eu");
        assert!(dropped(DropReason::DynamicRejected) > before);
        other_labels.increment(5);

        let before = dropped(DropReason::DynamicRejected);
        let fewer_labels = metrics::counter!("orders");
        fewer_labels.absolute(100);
        let other_type = metrics::gauge!("orders", "shop" => "a");
        other_type.set(7.0);
        let reserved = metrics::histogram!("orders.seconds", "le" => "1");
        reserved.record(1.0);
        assert!(dropped(DropReason::DynamicRejected) >= before + 3);

        // The family keeps working through its own label names.
        metrics::counter!("orders", "shop" => "a").increment(1);
    });
    let out = text(&registry);
    assert_eq!(
        family(&out, "orders"),
        "# TYPE orders_total counter\norders_total{shop=\"a\"} 2\n",
        "{out}"
    );
    assert!(!out.contains("orders_seconds"), "{out}");
    assert_eq!(
        warnings_about("orders"),
        1,
        "{:?}",
        warnings().lock().unwrap()
    );
    assert_eq!(warnings_about("orders_seconds"), 1);
    let warning = warnings()
        .lock()
        .unwrap()
        .iter()
        .find(|w| w.contains("\"orders\""))
        .cloned()
        .unwrap();
    assert!(warning.contains("dynamic_rejected"), "{warning}");
    assert!(warning.contains("region"), "{warning}");
}

#[test]
fn a_family_registered_directly_is_not_taken_over() {
    warnings();
    let registry = Registry::new();
    let direct = registry.counter("direct_jobs", "Jobs.").register().unwrap();
    direct.inc();
    metrics::with_local_recorder(&recorder(&registry), || {
        metrics::counter!("direct.jobs").increment(10);
    });
    assert!(text(&registry).contains("direct_jobs_total 1\n"));
    assert_eq!(warnings_about("direct_jobs"), 1);
}

#[test]
fn concurrent_increments_give_one_exact_series() {
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 10_000;
    let registry = Registry::new();
    let recorder = recorder(&registry);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                metrics::with_local_recorder(&recorder, || {
                    for i in 0..PER_THREAD {
                        metrics::counter!("hits", "path" => "/").increment(1);
                        metrics::histogram!("hit.size").record((i % 4) as f64);
                    }
                });
            });
        }
    });
    let out = text(&registry);
    assert_eq!(
        family(&out, "hits"),
        format!(
            "# TYPE hits_total counter\nhits_total{{path=\"/\"}} {}\n",
            THREADS * PER_THREAD
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!("hit_size_count {}\n", THREADS * PER_THREAD)),
        "{out}"
    );
    assert!(
        out.contains(&format!("hit_size_sum {}\n", THREADS * PER_THREAD * 6 / 4)),
        "{out}"
    );
}

#[test]
fn output_passes_the_strict_parsers() {
    let registry = Registry::new();
    let recorder = VitalsRecorder::builder(registry.clone())
        .with_buckets(Matcher::Prefix("rpc".into()), &[0.1, 1.0])
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_counter!("rpc.calls", Unit::Count, "Calls \"made\"\nby \\ us.");
        metrics::describe_histogram!("rpc.latency.seconds", Unit::Seconds, "Latency.");
        metrics::counter!("rpc.calls", "method" => "Get \"x\"\n\\").increment(2);
        metrics::counter!("rpc.calls", "method" => "Put").absolute(9);
        metrics::gauge!("rpc.inflight").increment(3.0);
        metrics::histogram!("rpc.latency.seconds", "method" => "Get").record(0.05);
        metrics::histogram!("rpc.latency.seconds", "method" => "Get").record_many(2.0, 2);
        metrics::histogram!("9.odd-name", "x.y" => "z").record(0.2);
    });
    let om = openmetrics(&registry);
    let families = parse(&om, Syntax::OpenMetrics).unwrap_or_else(|e| panic!("{e}\n{om}"));
    assert_eq!(families.len(), 4, "{om}");
    let prom = text(&registry);
    let families = parse(&prom, Syntax::PrometheusText).unwrap_or_else(|e| panic!("{e}\n{prom}"));
    assert_eq!(families.len(), 4, "{prom}");
}

#[test]
fn invalid_buckets_fail_the_build_with_the_core_error() {
    let err = VitalsRecorder::builder(Registry::new())
        .with_buckets(Matcher::Full("a".into()), &[2.0, 1.0])
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidBuckets);
    let err = VitalsRecorder::builder(Registry::new())
        .with_default_buckets(&[f64::NAN])
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidBuckets);
    assert!(VitalsRecorder::builder(Registry::new())
        .with_default_buckets(&[1.0, f64::INFINITY])
        .build()
        .is_ok());
}

#[test]
fn a_description_before_use_keeps_the_matched_buckets() {
    let registry = Registry::new();
    let recorder = VitalsRecorder::builder(registry.clone())
        .with_buckets(Matcher::Full("upload.bytes".into()), &[10.0])
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        metrics::histogram!("upload.bytes").record(5.0);
        // Described after first use: ignored, the buckets stay.
        metrics::describe_histogram!("upload.bytes", Unit::Bytes, "Upload sizes.");
        metrics::describe_histogram!("download.bytes", Unit::Bytes, "Download sizes.");
        metrics::histogram!("download.bytes").record(5.0);
    });
    let om = openmetrics(&registry);
    assert!(om.contains("upload_bytes_bucket{le=\"10.0\"} 1\n"), "{om}");
    assert!(!om.contains("Upload sizes"), "{om}");
    assert!(
        om.contains("# HELP download_bytes Download sizes.\n"),
        "{om}"
    );
    assert!(om.contains("# UNIT download_bytes bytes\n"), "{om}");
    assert!(
        om.contains("download_bytes_bucket{le=\"0.005\"} 0\n"),
        "{om}"
    );
}
