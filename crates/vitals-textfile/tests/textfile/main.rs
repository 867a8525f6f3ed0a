//! The writer on a real file system: content, atomicity under concurrent reads, the failure
//! path (old file kept, temporary removed, failure counted), duplicate families, the
//! background writer, per-process naming.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use vitals_core::{MetricFamily, Registry, DEFAULT_BUCKETS};
use vitals_expfmt::parse::{parse, Syntax};
use vitals_textfile::{BuildErrorKind, TextfileWriter, WriteErrorKind};

/// Every sample of a 0.0.4 exposition as `name{labels}` -> value, checking on the way that
/// it parses and carries no timestamp (node_exporter rejects textfiles with timestamps).
fn samples(text: &str) -> HashMap<String, f64> {
    let families = parse(text, Syntax::PrometheusText)
        .unwrap_or_else(|e| panic!("exposition does not parse: {e}\n{text}"));
    let mut out = HashMap::new();
    for family in families {
        for sample in family.samples {
            assert!(sample.timestamp.is_none(), "timestamp in textfile: {text}");
            let labels: Vec<String> = sample
                .labels
                .iter()
                .map(|(n, v)| format!("{n}=\"{v}\""))
                .collect();
            let key = if labels.is_empty() {
                sample.name.to_owned()
            } else {
                format!("{}{{{}}}", sample.name, labels.join(","))
            };
            assert!(
                out.insert(key, sample.value.as_f64()).is_none(),
                "duplicate series"
            );
        }
    }
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A registry like the seed's metrics manager: counters and gauges with labels, a histogram.
fn service_registry() -> Registry {
    let registry = Registry::new();
    let calls = registry
        .counter("sentryhub_jira_api_calls", "Jira API calls.")
        .register_family(&["status", "method"])
        .unwrap();
    calls.with_labels(&["success", "create_issue"]).inc_by(7);
    calls.with_labels(&["failure", "add_comment"]).inc();
    registry
        .float_gauge(
            "sentryhub_component_last_successful_api_call_timestamp",
            "Unix time of the last successful API call.",
        )
        .register_family(&["component"])
        .unwrap()
        .with_labels(&["jira"])
        .set(1_700_000_000.5);
    let latency = registry
        .histogram(
            "sentryhub_jira_request_duration_seconds",
            "Jira call latency.",
        )
        .with_unit("seconds")
        .with_buckets(DEFAULT_BUCKETS)
        .register()
        .unwrap();
    latency.observe(0.2);
    registry
}

#[test]
fn writes_registries_and_self_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let registry = service_registry();
    let writer = TextfileWriter::builder(dir.path(), "sentryhub.prom")
        .with_registry(&registry)
        .with_self_metrics_prefix("sentryhub")
        .build()
        .unwrap();
    assert!(writer.last_success().is_none());
    let before = now_secs();
    writer.write_now().unwrap();
    let after = now_secs();

    let text = read(&dir.path().join("sentryhub.prom"));
    let s = samples(&text);
    assert_eq!(
        s["sentryhub_jira_api_calls_total{status=\"success\",method=\"create_issue\"}"],
        7.0
    );
    assert_eq!(
        s["sentryhub_jira_api_calls_total{status=\"failure\",method=\"add_comment\"}"],
        1.0
    );
    assert_eq!(
        s["sentryhub_component_last_successful_api_call_timestamp{component=\"jira\"}"],
        1_700_000_000.5
    );
    assert_eq!(s["sentryhub_jira_request_duration_seconds_count"], 1.0);
    assert_eq!(s["sentryhub_metrics_write_failures_total"], 0.0);
    let stamp = s["sentryhub_last_metrics_write_timestamp_seconds"];
    assert!(
        before <= stamp && stamp <= after,
        "{before} <= {stamp} <= {after}"
    );
    assert!(text.contains("# TYPE sentryhub_last_metrics_write_timestamp_seconds gauge\n"));
    assert!(text.contains("# TYPE sentryhub_metrics_write_failures_total counter\n"));
    let last = writer.last_success().unwrap();
    let last = last.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((last - stamp).abs() < 1e-3);

    // Only the target remains in the directory: the temporary file was renamed away.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["sentryhub.prom"]);
}

#[test]
fn readers_only_ever_see_complete_files() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new();
    // Big enough (about 300 KB) that a non-atomic write would be caught half-done.
    let family = registry
        .gauge("atomic_test_series", "Many series.")
        .without_series_limit()
        .register_family(&["shard", "key"])
        .unwrap();
    let series = 5000;
    for i in 0..series {
        family
            .with_labels(&[&(i % 10).to_string(), &format!("key-{i:06}")])
            .set(0);
    }
    let writer = TextfileWriter::builder(dir.path(), "atomic.prom")
        .with_registry(&registry)
        .with_self_metrics_prefix("atomic")
        .build()
        .unwrap();
    writer.write_now().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, reads, path) = (stop.clone(), reads.clone(), writer.path().to_owned());
            std::thread::spawn(move || {
                let mut last_round = 0.0;
                while !stop.load(Ordering::Relaxed) {
                    // The file always exists: rename replaces it in one step, never removes it.
                    let text = read(&path);
                    let s = samples(&text);
                    // Complete: every series, the self-metrics last, and all series from one
                    // round (the writer sets them all to the round number before writing).
                    assert_eq!(s.len(), series + 2, "incomplete file");
                    let round = s["atomic_test_series{shard=\"0\",key=\"key-000000\"}"];
                    assert!(s
                        .iter()
                        .filter(|(k, _)| k.starts_with("atomic_test_series"))
                        .all(|(_, v)| *v == round));
                    assert!(round >= last_round, "went back in time");
                    last_round = round;
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    for round in 1..=60 {
        for i in 0..series {
            family
                .with_labels(&[&(i % 10).to_string(), &format!("key-{i:06}")])
                .set(round);
        }
        writer.write_now().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader
            .join()
            .expect("a reader saw a partial or invalid file");
    }
    assert!(reads.load(Ordering::Relaxed) > 10, "readers barely ran");
    assert_eq!(writer.failures(), 0);
}

#[test]
fn failed_write_keeps_previous_file_and_counts_failure() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new();
    let gauge = registry.gauge("kept_value", "A value.").register().unwrap();
    gauge.set(1);
    let writer = TextfileWriter::builder(dir.path(), "kept.prom")
        .with_registry(&registry)
        .with_self_metrics_prefix("kept")
        .build()
        .unwrap();
    writer.write_now().unwrap();
    let good = fs::read(writer.path()).unwrap();
    let good_time = writer.last_success().unwrap();

    // Tests run as root, whom a read-only directory does not stop; a directory where the
    // temporary file should go makes creating it fail for anyone.
    fs::create_dir(writer.temp_path()).unwrap();
    gauge.set(2);
    let err = writer.write_now().unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::CreateTemp);
    assert_eq!(err.path(), writer.temp_path());
    assert!(err.io_error().is_some());
    let message = err.to_string();
    assert!(
        message.contains(&writer.temp_path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("previous file was kept"), "{message}");

    assert_eq!(
        fs::read(writer.path()).unwrap(),
        good,
        "previous file changed"
    );
    assert_eq!(writer.failures(), 1);
    assert_eq!(
        writer.last_success(),
        Some(good_time),
        "timestamp moved on failure"
    );
    assert!(
        writer.temp_path().is_dir(),
        "the writer removed a directory it did not make"
    );

    // Recovery: the next file carries the new value and the count of the failure.
    fs::remove_dir(writer.temp_path()).unwrap();
    writer.write_now().unwrap();
    let s = samples(&read(writer.path()));
    assert_eq!(s["kept_value"], 2.0);
    assert_eq!(s["kept_metrics_write_failures_total"], 1.0);
    assert!(writer.last_success().unwrap() > good_time);
}

#[test]
fn failed_rename_removes_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let writer = TextfileWriter::builder(dir.path(), "blocked.prom")
        .build()
        .unwrap();
    // The target is a non-empty directory: rename cannot replace it.
    fs::create_dir(writer.path()).unwrap();
    fs::write(writer.path().join("keep"), b"x").unwrap();

    let err = writer.write_now().unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::Rename);
    assert_eq!(err.path(), writer.path());
    assert!(!writer.temp_path().exists(), "temporary file left behind");
    assert_eq!(fs::read(writer.path().join("keep")).unwrap(), b"x");
    assert_eq!(writer.failures(), 1);
    assert!(writer.last_success().is_none());
}

#[test]
fn missing_directory_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-created");
    let writer = TextfileWriter::builder(&missing, "svc.prom")
        .build()
        .unwrap();
    let err = writer.write_now().unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::CreateTemp);
    assert_eq!(err.io_error().unwrap().kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("not-created"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(writer.failures(), 1);

    // The directory may appear later (node_exporter installed after the service): the same
    // writer then succeeds.
    fs::create_dir(&missing).unwrap();
    writer.write_now().unwrap();
    let s = samples(&read(writer.path()));
    assert_eq!(s["svc_metrics_write_failures_total"], 1.0);
}

#[test]
fn duplicate_families_are_refused_at_build() {
    let (a, b) = (Registry::new(), Registry::new());
    a.counter("jobs", "Jobs.").register().unwrap();
    b.gauge("jobs_total", "Jobs, as a gauge.")
        .register()
        .unwrap();
    let err = TextfileWriter::builder("/tmp", "dup.prom")
        .with_registry(&a)
        .with_registry(&b)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), BuildErrorKind::DuplicateFamily);
    assert!(err.to_string().contains("jobs_total"), "{err}");

    // A histogram's samples clash with a gauge of the same sample name.
    let (a, b) = (Registry::new(), Registry::new());
    a.histogram("lat", "Latency.").register().unwrap();
    b.gauge("lat_count", "Not a count.").register().unwrap();
    let err = TextfileWriter::builder("/tmp", "dup.prom")
        .with_registry(&a)
        .with_registry(&b)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), BuildErrorKind::DuplicateFamily);

    // The same registry twice would write every family twice.
    let err = TextfileWriter::builder("/tmp", "dup.prom")
        .with_registry(&a)
        .with_registry(&a)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), BuildErrorKind::DuplicateFamily);

    // A user family named like a self-metric.
    let c = Registry::new();
    c.counter("svc_metrics_write_failures", "Mine.")
        .register()
        .unwrap();
    let err = TextfileWriter::builder("/tmp", "svc.prom")
        .with_registry(&c)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), BuildErrorKind::DuplicateFamily);
    // ... which a different prefix resolves.
    TextfileWriter::builder("/tmp", "svc.prom")
        .with_registry(&c)
        .with_self_metrics_prefix("svc_textfile")
        .build()
        .unwrap();
}

#[test]
fn duplicate_family_appearing_later_fails_the_write_and_keeps_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (Registry::new(), Registry::new());
    a.gauge("queue_depth", "Jobs waiting.")
        .register()
        .unwrap()
        .set(3);
    let writer = TextfileWriter::builder(dir.path(), "late.prom")
        .with_registry(&a)
        .with_registry(&b)
        .build()
        .unwrap();
    writer.write_now().unwrap();
    let good = fs::read(writer.path()).unwrap();

    // A collector starts producing the same family in the other registry.
    b.register_collector(|out: &mut Vec<MetricFamily>| {
        let mut depth = MetricFamily::gauge("queue_depth", "Jobs waiting.").unwrap();
        depth.add_gauge(&[], 9.0).unwrap();
        out.push(depth);
    });
    let err = writer.write_now().unwrap_err();
    assert_eq!(err.kind(), WriteErrorKind::DuplicateFamily);
    assert!(err.to_string().contains("queue_depth"), "{err}");
    assert_eq!(fs::read(writer.path()).unwrap(), good);
    assert_eq!(writer.failures(), 1);
    assert!(!writer.temp_path().exists());
}

#[test]
fn invalid_configuration_is_refused() {
    for name in [
        "svc.txt",
        "svc",
        "sub/svc.prom",
        "../svc.prom",
        ".svc.prom",
        ".prom",
    ] {
        let err = TextfileWriter::builder("/tmp", name).build().unwrap_err();
        assert_eq!(err.kind(), BuildErrorKind::InvalidFileName, "{name}");
        assert!(err.to_string().contains(name), "{err}");
    }
    let err = TextfileWriter::builder("/tmp", "svc.prom")
        .with_self_metrics_prefix("bad-prefix")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), BuildErrorKind::InvalidPrefix);
    let err = TextfileWriter::builder("/tmp", "svc.prom")
        .with_interval(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), BuildErrorKind::InvalidInterval);
    // A file name that is not a metric name still gets valid self-metric names.
    let dir = tempfile::tempdir().unwrap();
    let writer = TextfileWriter::builder(dir.path(), "0-my.service.prom")
        .build()
        .unwrap();
    writer.write_now().unwrap();
    let s = samples(&read(writer.path()));
    assert!(
        s.contains_key("_0_my_metrics_write_failures_total"),
        "{s:?}"
    );
}

#[test]
fn background_writer_writes_repeatedly_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new();
    let ticks = registry.counter("bg_ticks", "Ticks.").register().unwrap();
    let writer = TextfileWriter::builder(dir.path(), "bg.prom")
        .with_registry(&registry)
        .with_interval(Duration::from_millis(20))
        .build()
        .unwrap();
    let handle = writer.start();

    // Watch the timestamp self-metric change: each change is one more write.
    let mut stamps = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while stamps.len() < 5 && Instant::now() < deadline {
        if let Ok(text) = fs::read_to_string(writer.path()) {
            let stamp = samples(&text)["bg_last_metrics_write_timestamp_seconds"];
            if stamps.last() != Some(&stamp) {
                stamps.push(stamp);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(stamps.len() >= 5, "only {} writes seen", stamps.len());
    assert!(stamps.windows(2).all(|w| w[0] < w[1]));

    // The final write on stop carries values set just before it.
    ticks.inc_by(42);
    handle.stop().unwrap();
    let text = read(writer.path());
    assert_eq!(samples(&text)["bg_ticks_total"], 42.0);
    // Stopped: nothing rewrites the file any more.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(read(writer.path()), text);
}

#[test]
fn dropping_the_handle_makes_a_final_write() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new();
    let gauge = registry.gauge("drop_value", "A value.").register().unwrap();
    let writer = TextfileWriter::builder(dir.path(), "drop.prom")
        .with_registry(&registry)
        .with_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let handle = writer.start();
    let deadline = Instant::now() + Duration::from_secs(10);
    while writer.last_success().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(samples(&read(writer.path()))["drop_value"], 0.0);
    gauge.set(5);
    let started = Instant::now();
    drop(handle); // must not wait for the hour-long interval
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(samples(&read(writer.path()))["drop_value"], 5.0);
}

#[test]
fn background_failures_go_to_the_error_handler() {
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let writer = TextfileWriter::builder(dir.path().join("missing"), "err.prom")
        .with_interval(Duration::from_millis(10))
        .with_error_handler(move |err| sink.lock().unwrap().push(err.kind()))
        .build()
        .unwrap();
    let handle = writer.start();
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // The final write's error is returned by `stop`, not passed to the handler as well.
    let handled = {
        let err = handle.stop().unwrap_err();
        assert_eq!(err.kind(), WriteErrorKind::CreateTemp);
        seen.lock().unwrap().len()
    };
    assert!(handled >= 3);
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|k| *k == WriteErrorKind::CreateTemp));
    assert_eq!(writer.failures(), handled as u64 + 1);
}

#[test]
fn write_now_works_beside_the_background_writer() {
    let dir = tempfile::tempdir().unwrap();
    let writer = TextfileWriter::builder(dir.path(), "both.prom")
        .with_interval(Duration::from_millis(1))
        .build()
        .unwrap();
    let handle = writer.start();
    for _ in 0..200 {
        writer.write_now().unwrap();
    }
    handle.stop().unwrap();
    assert_eq!(writer.failures(), 0);
    samples(&read(writer.path()));
}

#[test]
fn per_process_file_names_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let registry = Registry::builder()
        .with_const_label("pid", pid.to_string())
        .build()
        .unwrap();
    registry
        .gauge("worker_busy", "Busy.")
        .register()
        .unwrap()
        .set(1);
    let writer = TextfileWriter::builder(dir.path(), "worker.prom")
        .with_registry(&registry)
        .with_per_process_file(true)
        .build()
        .unwrap();
    assert_eq!(writer.path(), dir.path().join(format!("worker.{pid}.prom")));
    writer.write_now().unwrap();
    let s = samples(&read(writer.path()));
    assert_eq!(s[&format!("worker_busy{{pid=\"{pid}\"}}")], 1.0);
    assert_eq!(
        s[&format!("worker_metrics_write_failures_total{{pid=\"{pid}\"}}")],
        0.0
    );
    writer.remove_file().unwrap();
    assert!(!writer.path().exists());
    writer.remove_file().unwrap(); // already gone: fine
}

#[test]
fn self_metrics_can_be_turned_off_and_exposed_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let writer = TextfileWriter::builder(dir.path(), "off.prom")
        .with_self_metrics(false)
        .build()
        .unwrap();
    assert!(writer.self_metrics_registry().is_none());
    writer.write_now().unwrap();
    assert_eq!(read(writer.path()), "");

    let writer = TextfileWriter::builder(dir.path(), "on.prom")
        .build()
        .unwrap();
    writer.write_now().unwrap();
    let exposed = vitals_expfmt::encode_to_string(
        writer.self_metrics_registry().unwrap(),
        vitals_expfmt::Format::PrometheusText,
    );
    assert_eq!(exposed, read(writer.path()));
}

/// Someone who can write to the directory plants a symlink at the temporary file's name: the
/// writer unlinks it instead of writing through it, and the link's target is untouched.
#[test]
fn a_symlink_at_the_temporary_name_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "precious\n").unwrap();
    let writer = TextfileWriter::builder(dir.path(), "svc.prom")
        .with_registry(&service_registry())
        .build()
        .unwrap();
    std::os::unix::fs::symlink(&victim, writer.temp_path()).unwrap();

    writer.write_now().unwrap();

    assert_eq!(
        read(&victim),
        "precious\n",
        "the symlink's target was overwritten"
    );
    let text = read(writer.path());
    parse(&text, Syntax::PrometheusText).expect("the real file was written");
    assert!(
        !writer.temp_path().exists(),
        "no temporary file left behind"
    );
}
