//! The process collector against `/proc` read independently, and its output against
//! `promtool check metrics` and vitals' own parser.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use vitals_core::Registry;
use vitals_expfmt::parse::{parse, FamilyType, Syntax};
use vitals_expfmt::{encode_to_string, Format};
use vitals_process::ProcessCollector;

/// Open fds and threads are process-wide: tests that measure them must not run beside each
/// other.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Scrapes `registry` and returns each family's type, help and single value.
fn scrape(registry: &Registry) -> BTreeMap<String, (FamilyType, String, f64)> {
    let text = encode_to_string(registry, Format::PrometheusText);
    let families = parse(&text, Syntax::PrometheusText).expect("the exposition parses");
    families
        .into_iter()
        .map(|f| {
            assert_eq!(f.samples.len(), 1, "{} has one series", f.name);
            let sample = &f.samples[0];
            assert!(sample.labels.is_empty(), "{} has no labels", f.name);
            (
                sample.name.to_owned(),
                (
                    f.family_type,
                    f.help.map(|h| h.into_owned()).unwrap_or_default(),
                    sample.value.as_f64(),
                ),
            )
        })
        .collect()
}

fn value(registry: &Registry, name: &str) -> f64 {
    scrape(registry)
        .get(name)
        .unwrap_or_else(|| panic!("{name} is exposed"))
        .2
}

fn registry() -> Registry {
    let registry = Registry::new();
    vitals_process::register(&registry);
    registry
}

/// A field of /proc/self/status, such as `VmRSS` (in kB) or `Threads`.
fn status_field(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn names_types_and_help_are_client_golangs() {
    let _serial = serial();
    let families = scrape(&registry());
    let expected = [
        (
            "process_cpu_seconds_total",
            FamilyType::Counter,
            "Total user and system CPU time spent in seconds.",
        ),
        (
            "process_open_fds",
            FamilyType::Gauge,
            "Number of open file descriptors.",
        ),
        (
            "process_max_fds",
            FamilyType::Gauge,
            "Maximum number of open file descriptors.",
        ),
        (
            "process_virtual_memory_bytes",
            FamilyType::Gauge,
            "Virtual memory size in bytes.",
        ),
        (
            "process_virtual_memory_max_bytes",
            FamilyType::Gauge,
            "Maximum amount of virtual memory available in bytes.",
        ),
        (
            "process_resident_memory_bytes",
            FamilyType::Gauge,
            "Resident memory size in bytes.",
        ),
        (
            "process_start_time_seconds",
            FamilyType::Gauge,
            "Start time of the process since unix epoch in seconds.",
        ),
        (
            "process_threads",
            FamilyType::Gauge,
            "Number of OS threads in the process.",
        ),
    ];
    assert_eq!(families.len(), expected.len(), "{families:?}");
    for (name, family_type, help) in expected {
        let (t, h, v) = &families[name];
        assert_eq!((*t, h.as_str()), (family_type, help), "{name}");
        assert!(v.is_finite() && *v >= 0.0, "{name} = {v}");
    }
    // The OpenMetrics exposition is valid too (strict parser).
    let om = encode_to_string(&registry(), Format::OpenMetrics);
    let parsed = parse(&om, Syntax::OpenMetrics).expect("OpenMetrics parses");
    assert!(parsed.iter().any(|f| f.name == "process_cpu_seconds"));
}

#[test]
fn open_fds_rise_with_open_files_and_match_proc() {
    let _serial = serial();
    let registry = registry();
    let before = value(&registry, "process_open_fds");
    let files: Vec<_> = (0..10)
        .map(|_| std::fs::File::open("/proc/self/stat").unwrap())
        .collect();
    let during = value(&registry, "process_open_fds");
    drop(files);
    let after = value(&registry, "process_open_fds");
    assert!(
        during - before >= 10.0,
        "before {before}, with 10 more files {during}"
    );
    assert!(
        during - before <= 12.0,
        "before {before}, with 10 more files {during}"
    );
    assert!(
        after <= during - 10.0,
        "closing 10 files: {during} -> {after}"
    );

    let listed = std::fs::read_dir("/proc/self/fd").unwrap().count() as f64;
    // read_dir holds one fd of its own while listing.
    assert!(
        (listed - after).abs() <= 2.0,
        "/proc/self/fd has {listed}, collector {after}"
    );
}

#[test]
fn max_fds_and_virtual_max_match_limits() {
    let _serial = serial();
    let registry = registry();
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let soft = |prefix: &str| -> f64 {
        let line = limits.lines().find(|l| l.starts_with(prefix)).unwrap();
        match line[prefix.len()..].split_whitespace().next().unwrap() {
            "unlimited" => u64::MAX as f64,
            n => n.parse().unwrap(),
        }
    };
    assert_eq!(value(&registry, "process_max_fds"), soft("Max open files"));
    assert_eq!(
        value(&registry, "process_virtual_memory_max_bytes"),
        soft("Max address space")
    );
}

#[test]
fn cpu_seconds_grow_with_busy_work() {
    let _serial = serial();
    let registry = registry();
    let before = value(&registry, "process_cpu_seconds_total");
    // Spin until the collector reports 0.1 s more CPU, or give up after 10 s of wall time: on
    // a machine shared with other work, wall time says little about the CPU time we get.
    let start = Instant::now();
    let mut x = 0u64;
    let mut after = before;
    while after - before < 0.1 && start.elapsed() < Duration::from_secs(10) {
        let burst = Instant::now();
        while burst.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        after = value(&registry, "process_cpu_seconds_total");
    }
    assert!(after - before >= 0.1, "cpu seconds {before} -> {after}");
    assert!(after >= before);
}

#[test]
fn memory_matches_proc_status() {
    let _serial = serial();
    let registry = registry();
    let rss = value(&registry, "process_resident_memory_bytes");
    let status_rss = status_field("VmRSS") * 1024.0;
    assert!(
        (rss - status_rss).abs() < 16.0 * 1024.0 * 1024.0,
        "collector {rss}, VmRSS {status_rss}"
    );
    let vsize = value(&registry, "process_virtual_memory_bytes");
    let status_vsize = status_field("VmSize") * 1024.0;
    assert!(
        (vsize - status_vsize).abs() < 64.0 * 1024.0 * 1024.0,
        "collector {vsize}, VmSize {status_vsize}"
    );

    // Touching 64 MiB raises the resident size by about that much.
    let block = vec![1u8; 64 << 20];
    let grown = value(&registry, "process_resident_memory_bytes");
    assert!(grown - rss >= 48.0 * 1024.0 * 1024.0, "{rss} -> {grown}");
    drop(std::hint::black_box(block));
}

#[test]
fn threads_rise_with_spawned_threads() {
    let _serial = serial();
    let registry = registry();
    let before = value(&registry, "process_threads");
    assert!((before - status_field("Threads")).abs() <= 2.0);
    let barrier = Arc::new(Barrier::new(9));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let b = Arc::clone(&barrier);
            std::thread::spawn(move || {
                b.wait();
            })
        })
        .collect();
    let during = value(&registry, "process_threads");
    barrier.wait();
    for h in handles {
        h.join().unwrap();
    }
    // Other tests' threads may end meanwhile (at most the harness's few): allow for that.
    assert!(
        during - before >= 5.0,
        "threads {before} -> {during} with 8 more"
    );
}

#[test]
fn start_time_is_now_minus_the_process_age() {
    let _serial = serial();
    let start = value(&registry(), "process_start_time_seconds");
    // Independently of the collector: now - (uptime - start ticks / CLK_TCK).
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command (which may hold spaces) start at field 3; starttime is field 22.
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let ticks: f64 = after_comm
        .split_whitespace()
        .nth(22 - 3)
        .unwrap()
        .parse()
        .unwrap();
    let clk_tck: f64 = String::from_utf8(
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let age = uptime - ticks / clk_tck;
    let expected = now() - age;
    // The boot time in /proc/stat is whole seconds: allow a little more than one.
    assert!(
        (start - expected).abs() < 2.5,
        "collector {start}, expected {expected}"
    );
    assert!(
        start <= now() && now() - start < 3600.0,
        "the test process is young: {start}"
    );
}

#[test]
fn namespace_prefixes_every_name() {
    let _serial = serial();
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new().with_namespace("myapp").unwrap());
    let families = scrape(&registry);
    assert_eq!(families.len(), 8);
    assert!(
        families.keys().all(|n| n.starts_with("myapp_process_")),
        "{families:?}"
    );
    assert!(families.contains_key("myapp_process_cpu_seconds_total"));

    let err = ProcessCollector::new()
        .with_namespace("my app")
        .unwrap_err();
    assert_eq!(err.kind(), vitals_core::ErrorKind::InvalidMetricName);
    // An empty namespace is none.
    let plain = Registry::new();
    plain.register_collector(ProcessCollector::new().with_namespace("").unwrap());
    assert!(scrape(&plain).contains_key("process_open_fds"));
}

#[test]
fn another_process_by_pid_and_a_missing_one() {
    let _serial = serial();
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new().with_pid(child.id()));
    let families = scrape(&registry);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(families["process_threads"].2, 1.0, "sleep has one thread");
    let start = families["process_start_time_seconds"].2;
    assert!(
        (now() - start).abs() < 5.0,
        "sleep started just now: {start}"
    );

    // A pid that names no process: nothing exposed, no panic.
    let gone = Registry::new();
    gone.register_collector(ProcessCollector::new().with_pid(u32::MAX));
    assert!(encode_to_string(&gone, Format::PrometheusText).is_empty());
}

#[test]
fn promtool_accepts_the_exposition() {
    let _serial = serial();
    let Some(promtool) = peer("promtool") else {
        return;
    };
    for registry in [registry(), {
        let r = Registry::new();
        r.register_collector(ProcessCollector::new().with_namespace("myapp").unwrap());
        r
    }] {
        let text = encode_to_string(&registry, Format::PrometheusText);
        let mut child = Command::new(&promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "promtool check metrics failed:\n{}{}\n--- input ---\n{text}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The path of a peer program, or `None` after one `skipping:` line when it is missing and
/// neither `CI` nor `VITALS_REQUIRE_PEERS` is set (then a missing peer fails the test).
fn peer(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty())
            || std::env::var_os("VITALS_REQUIRE_PEERS").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "{name} is not installed (apt-get install prometheus)"
        );
        println!("skipping: {name} is not installed (apt-get install prometheus)");
    }
    found
}
