//! Reading one process's numbers from `/proc` (Linux only).

use procfs::process::{LimitValue, Process};

/// One reading; `None` where that value could not be read.
pub(crate) struct Sample {
    pub(crate) cpu_seconds: Option<f64>,
    pub(crate) resident_bytes: Option<f64>,
    pub(crate) virtual_bytes: Option<f64>,
    pub(crate) virtual_max_bytes: Option<f64>,
    pub(crate) open_fds: Option<f64>,
    pub(crate) max_fds: Option<f64>,
    pub(crate) threads: Option<f64>,
    /// Clock ticks from boot to the process's start, for [`start_time`].
    pub(crate) start_ticks: Option<u64>,
}

/// Reads the process `pid` (`None`: this one). `None` when the process cannot be opened at
/// all.
#[allow(clippy::cast_precision_loss)] // exposition values are f64; counts this large do not occur
pub(crate) fn read(pid: Option<i32>) -> Option<Sample> {
    let process = match pid {
        Some(pid) => Process::new(pid),
        None => Process::myself(),
    }
    .ok()?;
    let stat = process.stat().ok();
    let limits = process.limits().ok();
    let ticks = procfs::ticks_per_second() as f64;
    Some(Sample {
        cpu_seconds: stat
            .as_ref()
            .map(|s| (s.utime.saturating_add(s.stime)) as f64 / ticks),
        resident_bytes: stat
            .as_ref()
            .map(|s| s.rss.saturating_mul(procfs::page_size()) as f64),
        virtual_bytes: stat.as_ref().map(|s| s.vsize as f64),
        virtual_max_bytes: limits
            .as_ref()
            .map(|l| limit(&l.max_address_space.soft_limit)),
        open_fds: process.fd_count().ok().map(|n| n as f64),
        max_fds: limits.as_ref().map(|l| limit(&l.max_open_files.soft_limit)),
        threads: stat.as_ref().map(|s| s.num_threads as f64),
        start_ticks: stat.as_ref().map(|s| s.starttime),
    })
}

/// A limit as client_golang exposes it: "unlimited" is the largest u64 (as Go's procfs reads
/// it), so dashboards that compare against it behave the same.
#[allow(clippy::cast_precision_loss)] // the value is exposed as f64 either way
fn limit(value: &LimitValue) -> f64 {
    match value {
        LimitValue::Unlimited => u64::MAX as f64,
        LimitValue::Value(v) => *v as f64,
    }
}

/// The start time in seconds since the Unix epoch: boot time plus the ticks from boot to the
/// start. `None` if either is unknown.
#[allow(clippy::cast_precision_loss)] // seconds since the epoch fit f64 exactly enough
pub(crate) fn start_time(start_ticks: Option<u64>) -> Option<f64> {
    let boot = procfs::boot_time_secs().ok()?;
    Some(boot as f64 + start_ticks? as f64 / procfs::ticks_per_second() as f64)
}
