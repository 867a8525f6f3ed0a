//! # vitals-textfile
//!
//! node_exporter textfile writer for vitals: atomic, periodic.
//!
//! For programs that node_exporter's
//! [textfile collector](https://github.com/prometheus/node_exporter#textfile-collector)
//! should expose instead of an HTTP endpoint of their own (batch jobs, services behind a
//! firewall, the seed's "metrics manager"). A [`TextfileWriter`] renders one or more
//! [`Registry`](vitals_core::Registry)s as Prometheus text 0.0.4 into `<dir>/<name>.prom`:
//!
//! - **atomically**: into a hidden temporary file in the same directory, fsynced, then renamed
//!   over the target, so node_exporter never reads half a file;
//! - **on demand** ([`TextfileWriter::write_now`]) and **periodically** on a background thread
//!   ([`TextfileWriter::start`]; the [`WriterHandle`] stops it on drop after a final write);
//! - **with self-metrics** in the same file: `<prefix>_last_metrics_write_timestamp_seconds`
//!   (the Unix time of the write) and `<prefix>_metrics_write_failures_total`;
//! - **failing safely**: a failed write keeps the previous file byte for byte, removes the
//!   temporary file, counts the failure and returns a [`WriteError`] that names the path, the
//!   OS error and what to check.
//!
//! ```
//! use std::time::Duration;
//! use vitals_core::Registry;
//! use vitals_textfile::TextfileWriter;
//!
//! let registry = Registry::new();
//! let calls = registry
//!     .counter("sentryhub_jira_api_calls", "Jira API calls.")
//!     .register_family(&["status", "method"])?;
//! calls.with_labels(&["success", "create_issue"]).inc();
//!
//! let dir = tempfile::tempdir()?; // on Debian: /var/lib/prometheus/node-exporter
//! let writer = TextfileWriter::builder(dir.path(), "sentryhub.prom")
//!     .with_registry(&registry)
//!     .with_interval(Duration::from_secs(15))
//!     .with_self_metrics_prefix("sentryhub")
//!     .build()?;
//! let handle = writer.start(); // writes now, then every 15 s
//! // ... the service runs; drop or stop the handle at shutdown ...
//! handle.stop()?; // final write
//!
//! let text = std::fs::read_to_string(writer.path())?;
//! assert!(text.contains(
//!     "sentryhub_jira_api_calls_total{status=\"success\",method=\"create_issue\"} 1\n"
//! ));
//! assert!(text.contains("sentryhub_last_metrics_write_timestamp_seconds "));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Alert on a writer that fails or stopped with
//! `time() - sentryhub_last_metrics_write_timestamp_seconds > 300`, and on failures with
//! `increase(sentryhub_metrics_write_failures_total[15m]) > 0`. node_exporter itself reports a
//! file it cannot parse as `node_textfile_scrape_error 1`; the writer never produces one (it
//! refuses a family declared twice, and 0.0.4 output carries no timestamps, which the
//! collector would reject).
//!
//! ## Several processes of one service
//!
//! node_exporter reads every `*.prom` file of its directory and merges them, but refuses the
//! same series (name and labels) in two files. So:
//!
//! - **One file per process (recommended).**
//!   [`with_per_process_file(true)`](TextfileWriterBuilder::with_per_process_file) names the
//!   file `<name>.<pid>.prom` and labels the self-metrics `pid="<pid>"`; give the registries
//!   a distinguishing constant label too, e.g.
//!   `Registry::builder().with_const_label("pid", std::process::id().to_string())` (or a
//!   stable worker index, which keeps series across restarts). Every process writes without
//!   coordination, and a crash of one never blocks another. Keep HELP texts identical across
//!   processes, and aggregate in PromQL (`sum without (pid) (...)`). The cost: a process that
//!   exits leaves its file behind, still served with its last values, so call
//!   [`TextfileWriter::remove_file`] at clean shutdown and have the deployment delete
//!   `<name>.*.prom` at start; alert on the age of the timestamp to catch the rest.
//! - **One merged file under a lock: not provided.** It would need every process to read the
//!   others' values (a shared file or memory), a lock that a crashed holder can leave behind,
//!   and a rule for series of dead processes; node_exporter already merges files, with none
//!   of these problems. A service that wants one file should have one process own the
//!   registries and write it.
//!
//! Two writers must not write the same file name: each replaces the other's content.
//!
//! | item | what it is |
//! | --- | --- |
//! | [`TextfileWriter`] | the writer: `write_now`, `start`, `remove_file`, self-metric values |
//! | [`TextfileWriterBuilder`] | registries, interval, self-metrics prefix, per-process naming, error handler |
//! | [`WriterHandle`] | the background writer; stops on drop after a final write |
//! | [`WriteError`], [`WriteErrorKind`] | a write that did not replace the file |
//! | [`BuildError`], [`BuildErrorKind`] | a configuration the builder refuses |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod check;
mod error;
mod periodic;
mod writer;

pub use error::{BuildError, BuildErrorKind, WriteError, WriteErrorKind};
pub use periodic::WriterHandle;
pub use writer::{TextfileWriter, TextfileWriterBuilder, DEFAULT_INTERVAL};
