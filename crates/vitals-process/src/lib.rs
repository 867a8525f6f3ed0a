//! # vitals-process
//!
//! The standard `process_*` metrics for [vitals](https://github.com/vitals-rs/vitals), with the
//! names, types and help texts of client_golang's process collector, so that existing
//! dashboards and alerts work unchanged:
//!
//! | metric | type | what |
//! | --- | --- | --- |
//! | `process_cpu_seconds_total` | counter | user plus system CPU time |
//! | `process_resident_memory_bytes` | gauge | resident set size |
//! | `process_virtual_memory_bytes` | gauge | virtual memory size |
//! | `process_virtual_memory_max_bytes` | gauge | address-space limit (`RLIMIT_AS`, soft) |
//! | `process_open_fds` | gauge | open file descriptors |
//! | `process_max_fds` | gauge | file-descriptor limit (`RLIMIT_NOFILE`, soft) |
//! | `process_start_time_seconds` | gauge | start time, seconds since the Unix epoch |
//! | `process_threads` | gauge | OS threads of the process |
//!
//! The values are read from `/proc` at each scrape on Linux. Elsewhere the collector is a
//! no-op: it exposes nothing and never fails ([`ProcessCollector::is_supported`] says which).
//!
//! ```
//! use vitals_core::Registry;
//!
//! let registry = Registry::new();
//! vitals_process::register(&registry);
//! // Or, with a namespace (`myapp_process_cpu_seconds_total`, ...):
//! let other = Registry::new();
//! other.register_collector(vitals_process::ProcessCollector::new().with_namespace("myapp")?);
//! # Ok::<(), vitals_core::Error>(())
//! ```

mod collector;
#[cfg(target_os = "linux")]
mod linux;

pub use collector::{register, ProcessCollector};
