//! [`BatchTracker`]: metrics for operations that process many items at once (imports,
//! syncs, bulk sends), where some items may fail without failing the batch.
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_instrument::batch::{BatchStatus, BatchTracker};
//!
//! let registry = Registry::new();
//! let imports = BatchTracker::builder("import_users").register_in(&registry)?;
//!
//! let rows = ["ada", "", "grace"];
//! let mut batch = imports.start();
//! batch.process(rows, |name| if name.is_empty() { Err("empty name") } else { Ok(()) });
//! assert_eq!(batch.finish(), BatchStatus::Partial);
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! records, for `operation="import_users"`:
//!
//! ```text
//! batch_operations_total{operation="import_users",status="success"} 0
//! batch_operations_total{operation="import_users",status="partial"} 1
//! batch_operations_total{operation="import_users",status="failure"} 0
//! batch_items_processed_total{operation="import_users"} 2
//! batch_items_failed_total{operation="import_users"} 1
//! batch_duration_seconds_bucket{operation="import_users",le="0.1"} 1  (and the other buckets)
//! ```
//!
//! ## Semantics
//!
//! - **Items** are counted as they are recorded, not when the batch ends, so a long batch
//!   shows its progress and the items of a batch that panics are not lost.
//!   `batch_items_processed_total` counts the items that *succeeded* (as the seed's
//!   `items_processed` does); `batch_items_failed_total` the items that failed. Items
//!   attempted = processed + failed.
//! - **The status** of a batch is recorded once, when it ends, with its duration:
//!   - `success`: no item failed (an empty batch included);
//!   - `partial`: some items failed and at least one succeeded;
//!   - `failure`: every item failed (at least one), or the batch was
//!     [aborted](Batch::abort), or it was dropped while a panic unwound, or the closure of
//!     [`BatchTracker::run`] returned `Err`.
//! - **A batch ends** at [`Batch::finish`], [`Batch::abort`], or when it is dropped. Dropped
//!   without a panic in progress, it finishes as [`finish`](Batch::finish) would (status
//!   from its items), like any guard that records on drop. So an early `return` or `?`
//!   after [`start`](BatchTracker::start) records the items so far, not a failure; where an
//!   error should fail the batch, use [`BatchTracker::run`] (an `Err` from its closure is a
//!   failure) or call [`abort`](Batch::abort). Leaked with [`std::mem::forget`], it records
//!   no status or duration.
//! - **Errors** go to the [error sink](crate::sink), if one is installed: each failed item
//!   with source = the operation and labels `operation` (those of
//!   `batch_items_failed_total`); an abort or a `run` closure's `Err` with labels
//!   `operation` and `status="failure"`. Panics are counted, not reported (see
//!   [`guard`](crate::guard#errors-panics-and-cancellation)).
//!
//! All series of an operation (the three statuses, both item counters, the duration) are
//! created at 0 when its tracker is registered, so `rate()` and `increase()` see the first
//! failure. The families are registered with
//! [`register_shared`](vitals_core::MetricBuilder::register_shared): trackers of several
//! operations share them in one registry (and must then use the same buckets).

use std::fmt::{self, Display};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vitals_core::{Counter, Histogram, Registry, Result};

use crate::guard::{report_as_ref, report_display, AsErrorRef, OnUnwind};

/// The default bucket bounds of `batch_duration_seconds`: 0.1 s to one hour, since batches
/// run from sub-second to long jobs.
pub const DEFAULT_BATCH_BUCKETS: &[f64] = &[
    0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// How a batch ended: the `status` label of `batch_operations_total`. See the
/// [module docs](self#semantics) for when each applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchStatus {
    /// No item failed.
    Success,
    /// Some items failed, at least one succeeded.
    Partial,
    /// Every item failed, or the batch aborted.
    Failure,
}

impl BatchStatus {
    /// The label value: `success`, `partial` or `failure`.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Success => "success",
            BatchStatus::Partial => "partial",
            BatchStatus::Failure => "failure",
        }
    }

    fn from_counts(succeeded: u64, failed: u64) -> Self {
        match (succeeded, failed) {
            (_, 0) => BatchStatus::Success,
            (0, _) => BatchStatus::Failure,
            _ => BatchStatus::Partial,
        }
    }
}

impl Display for BatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds a [`BatchTracker`]. Made by [`BatchTracker::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct BatchTrackerBuilder {
    operation: String,
    prefix: Option<String>,
    buckets: Vec<f64>,
}

impl BatchTrackerBuilder {
    /// Prefixes every metric name with `<prefix>_` (`myapp_batch_operations_total`).
    /// Default: no prefix (a registry [namespace](vitals_core::RegistryBuilder::with_namespace)
    /// also prefixes every name).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_owned());
        self
    }

    /// The bucket bounds of `batch_duration_seconds`. Default: [`DEFAULT_BATCH_BUCKETS`].
    /// Every tracker of one registry must use the same bounds, since they share the family.
    pub fn with_buckets(mut self, bounds: &[f64]) -> Self {
        self.buckets = bounds.to_vec();
        self
    }

    /// Registers the tracker in the [current registry](vitals_core::current_registry).
    ///
    /// # Errors
    ///
    /// As [`register_in`](Self::register_in).
    pub fn register(self) -> Result<BatchTracker> {
        self.register_in(&vitals_core::current_registry())
    }

    /// Registers the tracker's families in `registry` (or joins them, if another tracker
    /// registered them) and creates the operation's series at 0.
    ///
    /// # Errors
    ///
    /// An invalid prefix or bucket bounds, or a family of the same name registered
    /// differently (another type, labels, help or buckets).
    pub fn register_in(self, registry: &Registry) -> Result<BatchTracker> {
        let name = |base: &str| crate::prefixed(self.prefix.as_deref(), base);
        let operations = registry
            .counter(
                &name("batch_operations"),
                "Batches finished, by operation and status (success: no item failed; partial: \
                 some items failed; failure: every item failed or the batch aborted).",
            )
            .register_shared(&["operation", "status"])?;
        let processed = registry
            .counter(
                &name("batch_items_processed"),
                "Batch items processed successfully, by operation.",
            )
            .register_shared(&["operation"])?;
        let failed = registry
            .counter(
                &name("batch_items_failed"),
                "Batch items that failed, by operation.",
            )
            .register_shared(&["operation"])?;
        let duration = registry
            .histogram(
                &name("batch_duration_seconds"),
                "Time from a batch's start to its end, by operation.",
            )
            .with_unit("seconds")
            .with_buckets(&self.buckets)
            .register_shared(&["operation"])?;
        let op = self.operation.as_str();
        let status = |s: BatchStatus| operations.try_with_labels(&[op, s.as_str()]);
        Ok(BatchTracker {
            inner: Arc::new(Inner {
                success: status(BatchStatus::Success)?,
                partial: status(BatchStatus::Partial)?,
                failure: status(BatchStatus::Failure)?,
                processed: processed.try_with_labels(&[op])?,
                failed: failed.try_with_labels(&[op])?,
                duration: duration.try_with_labels(&[op])?,
                operation: self.operation,
            }),
        })
    }
}

/// Metrics for one batch operation: how many batches succeeded, partly failed or failed,
/// how many items were processed and failed, and how long batches took. See the
/// [module docs](self) for the metric names and their semantics.
///
/// A tracker is a cheap clone (an `Arc`); create it once per operation and start a
/// [`Batch`] for each run.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_instrument::batch::{BatchStatus, BatchTracker};
///
/// let registry = Registry::new();
/// let sync = BatchTracker::builder("sync_tickets").register_in(&registry)?;
///
/// let status = sync.process(["a", "b"], |ticket| Ok::<_, std::io::Error>(ticket.len()));
/// assert_eq!(status, BatchStatus::Success);
///
/// // An error that ends the batch early makes it a failure:
/// let result: Result<(), String> = sync.run(|batch| {
///     batch.item_ok();
///     Err("lost the connection".to_string())
/// });
/// assert!(result.is_err());
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchTracker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    operation: String,
    success: Counter,
    partial: Counter,
    failure: Counter,
    processed: Counter,
    failed: Counter,
    duration: Histogram,
}

impl Inner {
    fn status_counter(&self, status: BatchStatus) -> &Counter {
        match status {
            BatchStatus::Success => &self.success,
            BatchStatus::Partial => &self.partial,
            BatchStatus::Failure => &self.failure,
        }
    }
}

impl BatchTracker {
    /// A tracker for `operation` with the default names and buckets, in the
    /// [current registry](vitals_core::current_registry).
    ///
    /// # Errors
    ///
    /// As [`BatchTrackerBuilder::register_in`].
    pub fn new(operation: &str) -> Result<Self> {
        Self::builder(operation).register()
    }

    /// A builder for a tracker of `operation` (the `operation` label's value). Defaults: no
    /// prefix, [`DEFAULT_BATCH_BUCKETS`].
    pub fn builder(operation: &str) -> BatchTrackerBuilder {
        BatchTrackerBuilder {
            operation: operation.to_owned(),
            prefix: None,
            buckets: DEFAULT_BATCH_BUCKETS.to_vec(),
        }
    }

    /// The operation this tracker records (the `operation` label's value).
    pub fn operation(&self) -> &str {
        &self.inner.operation
    }

    /// Starts a batch now. It records its status and duration when it ends (see the
    /// [module docs](self#semantics)). The batch owns a handle to the tracker, so it is
    /// `Send + 'static`.
    pub fn start(&self) -> Batch {
        Batch {
            inner: Arc::clone(&self.inner),
            start: Instant::now(),
            succeeded: 0,
            failed: 0,
            ended: false,
        }
    }

    /// Runs one batch in `f`: an `Ok` finishes it (status from its items), an `Err` aborts it
    /// (status `failure`, the error reported to the sink), a panic fails it. Returns what `f`
    /// returned.
    ///
    /// # Errors
    ///
    /// Returns `f`'s error unchanged.
    pub fn run<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut Batch) -> std::result::Result<T, E>,
        E: Display,
    {
        let mut batch = self.start();
        let result = f(&mut batch);
        match &result {
            Ok(_) => {
                batch.finish();
            }
            Err(error) => {
                batch.end(BatchStatus::Failure);
                let operation = self.operation();
                let labels = [
                    ("operation", operation),
                    ("status", BatchStatus::Failure.as_str()),
                ];
                report_display(operation, &labels, error);
            }
        }
        result
    }

    /// Runs one batch over `items`, calling `f` on each (an `Err` counts the item as
    /// failed), and finishes it: the seed's `process_batch(items)`.
    pub fn process<I, T, E, F>(&self, items: I, f: F) -> BatchStatus
    where
        I: IntoIterator,
        F: FnMut(I::Item) -> std::result::Result<T, E>,
        E: Display,
    {
        let mut batch = self.start();
        batch.process(items, f);
        batch.finish()
    }
}

/// One run of a batch operation, started by [`BatchTracker::start`]: record each item's
/// outcome, then [`finish`](Self::finish) (or drop) it.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_instrument::batch::{BatchStatus, BatchTracker};
///
/// let registry = Registry::new();
/// let sends = BatchTracker::builder("send_digest").register_in(&registry)?;
///
/// let mut batch = sends.start();
/// for address in ["a@example.com", "not an address"] {
///     let sent = batch.run_item(|| {
///         if address.contains('@') { Ok(()) } else { Err(format!("bad address {address:?}")) }
///     });
///     if let Err(error) = sent {
///         eprintln!("skipped: {error}");
///     }
/// }
/// assert_eq!((batch.succeeded(), batch.failed()), (1, 1));
/// assert_eq!(batch.finish(), BatchStatus::Partial);
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a batch records its status when it ends; dropping it at once records an empty batch"]
pub struct Batch {
    inner: Arc<Inner>,
    start: Instant,
    succeeded: u64,
    failed: u64,
    /// Set when the status has been recorded, so that drop records nothing.
    ended: bool,
}

impl Batch {
    /// Records one item that succeeded.
    pub fn item_ok(&mut self) {
        self.items_ok(1);
    }

    /// Records `n` items that succeeded.
    pub fn items_ok(&mut self, n: u64) {
        self.succeeded = self.succeeded.saturating_add(n);
        self.inner.processed.inc_by(n);
    }

    /// Records one item that failed, reporting `error` to the sink. `error` is an
    /// [`AsErrorRef`]: an error (`&io_error`, `&*boxed`), or a message (`"no id"`).
    pub fn item_failed<E: AsErrorRef + ?Sized>(&mut self, error: &E) {
        self.count_failed();
        let operation = self.inner.operation.as_str();
        report_as_ref(operation, &[("operation", operation)], error);
    }

    /// Runs one item: `Ok` counts it as processed, `Err` (reported to the sink) or a panic
    /// as failed. Returns what `f` returned.
    ///
    /// # Errors
    ///
    /// Returns `f`'s error unchanged.
    pub fn run_item<T, E, F>(&mut self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce() -> std::result::Result<T, E>,
        E: Display,
    {
        let result = {
            let failed = &self.inner.failed;
            let on_panic = OnUnwind::new(|| failed.inc());
            let result = f();
            on_panic.disarm();
            result
        };
        match &result {
            Ok(_) => self.item_ok(),
            Err(error) => {
                self.count_failed();
                let operation = self.inner.operation.as_str();
                report_display(operation, &[("operation", operation)], error);
            }
        }
        result
    }

    /// Runs [`run_item`](Self::run_item) on each of `items`, discarding the results (each
    /// error is counted and reported to the sink).
    pub fn process<I, T, E, F>(&mut self, items: I, mut f: F)
    where
        I: IntoIterator,
        F: FnMut(I::Item) -> std::result::Result<T, E>,
        E: Display,
    {
        for item in items {
            // Counted and reported inside: the value and the error are not needed here.
            let _ = self.run_item(|| f(item));
        }
    }

    /// The items recorded as succeeded so far.
    pub fn succeeded(&self) -> u64 {
        self.succeeded
    }

    /// The items recorded as failed so far.
    pub fn failed(&self) -> u64 {
        self.failed
    }

    /// The time since the batch started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The status [`finish`](Self::finish) would record now.
    pub fn status(&self) -> BatchStatus {
        BatchStatus::from_counts(self.succeeded, self.failed)
    }

    /// Ends the batch: records its status (from its items) and duration, and returns the
    /// status.
    pub fn finish(mut self) -> BatchStatus {
        let status = self.status();
        self.end(status);
        status
    }

    /// Ends the batch as a failure, whatever its items, reporting `error` to the sink
    /// (labels `operation`, `status="failure"`). Returns [`BatchStatus::Failure`].
    pub fn abort<E: AsErrorRef + ?Sized>(mut self, error: &E) -> BatchStatus {
        self.end(BatchStatus::Failure);
        let operation = self.inner.operation.as_str();
        report_as_ref(
            operation,
            &[
                ("operation", operation),
                ("status", BatchStatus::Failure.as_str()),
            ],
            error,
        );
        BatchStatus::Failure
    }

    fn count_failed(&mut self) {
        self.failed = self.failed.saturating_add(1);
        self.inner.failed.inc();
    }

    fn end(&mut self, status: BatchStatus) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        self.inner.status_counter(status).inc();
        self.inner
            .duration
            .observe(self.start.elapsed().as_secs_f64());
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let status = if std::thread::panicking() {
            BatchStatus::Failure
        } else {
            self.status()
        };
        self.end(status);
    }
}
