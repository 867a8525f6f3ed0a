//! Seed 001's "Resource Monitoring" pattern in Rust: `memory_usage_bytes{type}` gauges updated
//! from `/proc/self/status` (Linux).
//!
//! This needs no instrument set. For real services, `vitals::process` (facade feature
//! `process`, the `vitals-process` crate) registers a collector for the standard `process_*`
//! families (`process_resident_memory_bytes`, `process_virtual_memory_bytes`,
//! `process_cpu_seconds_total`, open file descriptors, threads, start time) that Prometheus
//! dashboards already know; whole-machine memory and per-CPU usage, which the seed read with
//! psutil, are node_exporter's job. Per-CPU percentages are better derived in PromQL from
//! `rate(process_cpu_seconds_total[1m])` than sampled here.
//!
//! `/proc/self/status` rather than `/proc/self/statm`: statm counts pages, and the page size
//! (4 KiB, 16 KiB or 64 KiB depending on the machine) needs `sysconf`, while status says kB.
//!
//! Run: `cargo run -p vitals-instrument --example resource`

use vitals::{encode_to_string, Format, Gauge, Registry};

/// The `VmRSS` and `VmSize` lines of `/proc/self/status`, in bytes.
fn read_memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmSize:")?))
}

fn main() -> Result<(), vitals::Error> {
    let registry = Registry::new();
    let memory = registry
        .gauge(
            "memory_usage_bytes",
            "Memory used by this process, by type.",
        )
        .with_unit("bytes")
        .register_family(&["type"])?;
    // Handles resolved once, updated on each refresh (a timer, or a collector at scrape time).
    let resident: Gauge = memory.with_labels(&["resident"]);
    let virt: Gauge = memory.with_labels(&["virtual"]);

    let Some((rss, size)) = read_memory() else {
        println!("no /proc/self/status (not Linux): nothing to read");
        return Ok(());
    };
    resident.set(i64::try_from(rss).unwrap_or(i64::MAX));
    virt.set(i64::try_from(size).unwrap_or(i64::MAX));

    let text = encode_to_string(&registry, Format::PrometheusText);
    print!("{text}");

    assert!(text.contains("# TYPE memory_usage_bytes gauge\n"));
    assert!(text.contains(&format!("memory_usage_bytes{{type=\"resident\"}} {rss}\n")));
    assert!(text.contains(&format!("memory_usage_bytes{{type=\"virtual\"}} {size}\n")));
    assert!(rss > 0 && size >= rss, "resident {rss} > virtual {size}?");
    Ok(())
}
