//! [`ProcessCollector`]: the `process_*` families, built at each scrape.

use std::sync::OnceLock;

use vitals_core::{Collector, MetricFamily, Registry};

/// Collects the `process_*` metrics of one process (this one unless told otherwise).
///
/// Each scrape reads `/proc/<pid>/stat`, `/proc/<pid>/limits` and counts `/proc/<pid>/fd`. A
/// value that cannot be read (the process is gone, `/proc` is not mounted, the fd directory is
/// not readable for another user's process) is left out of that scrape rather than exposed as
/// a made-up number; the other values are still exposed.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_process::ProcessCollector;
///
/// let registry = Registry::new();
/// registry.register_collector(ProcessCollector::new());
/// let text = vitals_expfmt::encode_to_string(&registry, vitals_expfmt::Format::PrometheusText);
/// if ProcessCollector::is_supported() {
///     assert!(text.contains("# TYPE process_cpu_seconds_total counter\n"));
/// } else {
///     assert!(text.is_empty());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ProcessCollector {
    /// The prefix of every name, `_`-joined; empty for none.
    prefix: String,
    /// `None` for the calling process (`/proc/self`).
    pid: Option<i32>,
    /// The start time never changes for one pid, and computing it reads `/proc/stat` for the
    /// boot time: done once.
    start_time: OnceLock<Option<f64>>,
}

impl Default for ProcessCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessCollector {
    /// A collector for the calling process, with no namespace.
    pub fn new() -> Self {
        Self {
            prefix: String::new(),
            pid: None,
            start_time: OnceLock::new(),
        }
    }

    /// Prefixes every name with `namespace_` (`myapp_process_open_fds`), as client_golang's
    /// `ProcessCollectorOpts.Namespace` does. Default: no namespace. An empty namespace means
    /// none.
    ///
    /// Fails with [`ErrorKind::InvalidMetricName`](vitals_core::ErrorKind::InvalidMetricName)
    /// when the namespace would make invalid metric names.
    ///
    /// ```
    /// use vitals_process::ProcessCollector;
    /// assert!(ProcessCollector::new().with_namespace("myapp").is_ok());
    /// assert!(ProcessCollector::new().with_namespace("my-app").is_err());
    /// ```
    pub fn with_namespace(mut self, namespace: &str) -> vitals_core::Result<Self> {
        if namespace.is_empty() {
            self.prefix.clear();
            return Ok(self);
        }
        vitals_core::name::validate_metric_name(&format!("{namespace}_process_open_fds"))?;
        self.prefix = format!("{namespace}_");
        Ok(self)
    }

    /// Collects the metrics of the process `pid` instead of the calling one (a child or a
    /// sidecar's main process, say). Default: the calling process. Reading another user's
    /// process needs the permissions `/proc` asks for; values it refuses are left out.
    pub fn with_pid(mut self, pid: u32) -> Self {
        // Linux pids fit in i32 (PID_MAX_LIMIT is 2^22); a larger one cannot exist, and
        // i32::MAX names no process, so every read fails and the scrape exposes nothing.
        self.pid = Some(i32::try_from(pid).unwrap_or(i32::MAX));
        self.start_time = OnceLock::new();
        self
    }

    /// Whether this platform is supported: true on Linux. Elsewhere the collector exposes
    /// nothing.
    pub const fn is_supported() -> bool {
        cfg!(target_os = "linux")
    }

    /// Appends a one-series family, unless `value` is `None` or the family cannot be built.
    fn family(
        &self,
        out: &mut Vec<MetricFamily>,
        kind: Kind,
        name: &str,
        help: &str,
        value: Option<f64>,
    ) {
        let Some(value) = value else { return };
        let name = format!("{}{name}", self.prefix);
        // The names are fixed and the namespace was validated, so building cannot fail; a
        // counter value is never negative or NaN as it is computed from unsigned ticks.
        // Should it ever fail, leaving the family out is the documented behaviour.
        let family = match kind {
            Kind::Counter => MetricFamily::counter(&name, help).and_then(|mut f| {
                f.add_counter(&[], value)?;
                Ok(f)
            }),
            Kind::Gauge => MetricFamily::gauge(&name, help).and_then(|mut f| {
                f.add_gauge(&[], value)?;
                Ok(f)
            }),
        };
        if let Ok(family) = family {
            out.push(family);
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}

impl Collector for ProcessCollector {
    #[cfg(target_os = "linux")]
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let Some(sample) = crate::linux::read(self.pid) else {
            return;
        };
        let start_time = *self
            .start_time
            .get_or_init(|| crate::linux::start_time(sample.start_ticks));
        // Order and help texts as client_golang writes them.
        self.family(
            out,
            Kind::Counter,
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            sample.cpu_seconds,
        );
        self.family(
            out,
            Kind::Gauge,
            "process_open_fds",
            "Number of open file descriptors.",
            sample.open_fds,
        );
        self.family(
            out,
            Kind::Gauge,
            "process_max_fds",
            "Maximum number of open file descriptors.",
            sample.max_fds,
        );
        self.family(
            out,
            Kind::Gauge,
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            sample.virtual_bytes,
        );
        self.family(
            out,
            Kind::Gauge,
            "process_virtual_memory_max_bytes",
            "Maximum amount of virtual memory available in bytes.",
            sample.virtual_max_bytes,
        );
        self.family(
            out,
            Kind::Gauge,
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            sample.resident_bytes,
        );
        self.family(
            out,
            Kind::Gauge,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            start_time,
        );
        self.family(
            out,
            Kind::Gauge,
            "process_threads",
            "Number of OS threads in the process.",
            sample.threads,
        );
    }

    #[cfg(not(target_os = "linux"))]
    fn collect(&self, _out: &mut Vec<MetricFamily>) {
        // No portable source for these values: expose nothing rather than zeros that would
        // look like real readings.
    }
}

/// Registers a [`ProcessCollector`] for the calling process, with no namespace, on
/// `registry`. Register it once per registry: a second one's families clash with the first's
/// and are dropped at each scrape (and counted in `vitals_dropped_updates_total`).
///
/// ```
/// let registry = vitals_core::Registry::new();
/// vitals_process::register(&registry);
/// ```
pub fn register(registry: &Registry) {
    registry.register_collector(ProcessCollector::new());
}
