//! Timers that observe on drop, in-progress guards for gauges, and error counting around
//! closures and futures: Python's `with track_block(...)` context managers, as guard values
//! and closures.
//!
//! | helper | records |
//! | --- | --- |
//! | [`HistogramTimer`], [`ObserveExt::start_owned_timer`] | the seconds from start to drop (or [`stop`](HistogramTimer::stop)) into a histogram; owned, so it can be kept in a struct or across `.await` |
//! | [`InProgress`], [`InProgressGauge::track_in_progress`] | +1 on a gauge now, −1 when dropped |
//! | [`count_errors`], [`count_errors_async`] | +1 on a counter when the closure or future returns `Err` or panics |
//! | [`track_block`], [`track_block_async`] | both: the duration always, the error when there is one |
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_instrument::guard::{track_block, InProgressGauge};
//!
//! let registry = Registry::new();
//! let duration = registry
//!     .histogram("block_duration_seconds", "Time spent in a block of code.")
//!     .with_unit("seconds")
//!     .register_family(&["block"])?;
//! let errors = registry
//!     .counter("block_errors", "Blocks of code that failed.")
//!     .register_family(&["block"])?;
//! let active = registry.gauge("blocks_active", "Blocks running now.").register()?;
//!
//! let block = "data_processing";
//! let result: Result<u32, String> = track_block(
//!     block,
//!     &duration.with_labels(&[block]),
//!     &errors.with_labels(&[block]),
//!     || {
//!         let _active = active.track_in_progress(); // 1 while the block runs
//!         assert_eq!(active.get(), 1);
//!         Err("no rows".to_string())
//!     },
//! );
//! assert!(result.is_err());
//! assert_eq!(active.get(), 0);
//! assert_eq!(duration.with_labels(&[block]).count(), 1);
//! assert_eq!(errors.with_labels(&[block]).get(), 1);
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! ## Errors, panics and cancellation
//!
//! - An `Err` is counted and, when an [error sink](crate::sink) is installed, reported with
//!   the `source` the caller names and no labels (a handle does not know its series' labels;
//!   the [trackers](crate::component) report theirs). The error is reported by its `Display`
//!   text ([`ErrorRef::Message`]): the helpers accept any error type with `Display`
//!   (`anyhow::Error` and `Box<dyn Error>` included), and Rust cannot ask whether a generic
//!   type also implements [`std::error::Error`].
//! - A panic is counted as an error, without stopping it: a drop guard counts it while the
//!   stack unwinds, so the closure need not be `UnwindSafe` and the panic's payload and
//!   location reach the panic hook untouched. It is not reported to the sink: the panic hook
//!   sees every panic with its message (Sentry's panic integration reports it), and a second
//!   report without the message would only duplicate it. With `panic = "abort"` nothing runs
//!   after a panic, so nothing is counted.
//! - A future dropped before it finished (a timeout, a `select!` that took another branch) is
//!   cancelled, not failed: the error counter does not move. The duration of a cancelled
//!   [`track_block_async`] is still observed, as Python's `finally:` observes it when a task
//!   is cancelled. One inexact case: a future dropped unfinished *while the thread unwinds
//!   from an unrelated panic* counts as panicked, since that is all a drop guard can see.

use std::error::Error as StdError;
use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use vitals_core::{Counter, FloatGauge, Gauge, Histogram, Observe};

use crate::sink::{has_error_sink, report_error, ErrorEvent, ErrorRef};

/// Observes the seconds from [`start`](Self::start) to drop into a histogram (or any
/// [`Observe`] instrument, such as a [`Summary`](vitals_core::Summary)).
///
/// Unlike [`Observe::start_timer`], which borrows its histogram, this timer owns a handle
/// (a cheap `Arc` clone), so it is `Send + 'static`: it can be stored in a struct, moved to
/// another thread, or held across `.await`. It observes exactly once: when dropped (also
/// while a panic unwinds), or when [`stop`](Self::stop)ped; never after
/// [`discard`](Self::discard). A timer leaked with [`std::mem::forget`] observes nothing.
///
/// ```
/// use vitals_core::{Histogram, DEFAULT_BUCKETS};
/// use vitals_instrument::guard::{HistogramTimer, ObserveExt};
///
/// let latency = Histogram::with_buckets(DEFAULT_BUCKETS)?;
/// {
///     let _timer = HistogramTimer::start(latency.clone());
///     // ... the work being timed ...
/// } // observed here
/// let seconds = latency.start_owned_timer().stop(); // observed now
/// assert!(seconds >= 0.0);
/// latency.start_owned_timer().discard(); // not observed
/// assert_eq!(latency.count(), 2);
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[must_use = "a timer observes when dropped; binding it to `_` drops it at once"]
#[derive(Debug)]
pub struct HistogramTimer<O: Observe = Histogram> {
    /// `None` once observed or discarded, so that drop does nothing.
    target: Option<O>,
    start: Instant,
}

impl<O: Observe> HistogramTimer<O> {
    /// Starts timing now; the elapsed seconds go to `target` when the timer is dropped.
    pub fn start(target: O) -> Self {
        Self {
            target: Some(target),
            start: Instant::now(),
        }
    }

    /// The time elapsed since the start, without observing it.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Observes the elapsed seconds now, instead of at drop, and returns them.
    pub fn stop(mut self) -> f64 {
        let seconds = self.start.elapsed().as_secs_f64();
        if let Some(target) = self.target.take() {
            target.observe(seconds);
        }
        seconds
    }

    /// Drops the timer without observing (an operation that should not count, such as one
    /// that was skipped), and returns the elapsed seconds.
    pub fn discard(mut self) -> f64 {
        self.target = None;
        self.start.elapsed().as_secs_f64()
    }
}

impl<O: Observe> Drop for HistogramTimer<O> {
    fn drop(&mut self) {
        if let Some(target) = self.target.take() {
            target.observe(self.start.elapsed().as_secs_f64());
        }
    }
}

/// Starts an owned [`HistogramTimer`] from a histogram or summary handle:
/// `histogram.start_owned_timer()` beside core's borrowed `histogram.start_timer()`.
///
/// Implemented for every [`Observe`] instrument that is `Clone` ([`Histogram`] and
/// [`Summary`](vitals_core::Summary)).
///
/// ```
/// use vitals_core::{Histogram, DEFAULT_BUCKETS};
/// use vitals_instrument::guard::{HistogramTimer, ObserveExt};
///
/// struct Request {
///     timer: HistogramTimer, // observed when the request is dropped
/// }
/// let latency = Histogram::with_buckets(DEFAULT_BUCKETS)?;
/// let request = Request { timer: latency.start_owned_timer() };
/// drop(request);
/// assert_eq!(latency.count(), 1);
/// # Ok::<(), vitals_core::Error>(())
/// ```
pub trait ObserveExt: Observe + Clone {
    /// A [`HistogramTimer`] that owns a clone of this handle, started now.
    fn start_owned_timer(&self) -> HistogramTimer<Self> {
        HistogramTimer::start(self.clone())
    }
}

impl<O: Observe + Clone> ObserveExt for O {}

/// A gauge that counts things in progress: [`InProgress`] adds one when it is made and
/// subtracts one when it is dropped. Implemented for [`Gauge`] and [`FloatGauge`].
pub trait InProgressGauge: Clone {
    /// Adds one (an operation started), even with metrics switched off: it is only called
    /// when they were on a moment before.
    fn enter(&self);

    /// Subtracts one (an operation ended), even with metrics switched off: it is only called
    /// for an `enter` made while they were on.
    fn leave(&self);

    /// Adds one now and returns the guard that subtracts it when dropped.
    ///
    /// ```
    /// use vitals_core::Gauge;
    /// use vitals_instrument::guard::InProgressGauge;
    ///
    /// let in_flight = Gauge::new();
    /// {
    ///     let _guard = in_flight.track_in_progress();
    ///     assert_eq!(in_flight.get(), 1);
    /// }
    /// assert_eq!(in_flight.get(), 0);
    /// ```
    fn track_in_progress(&self) -> InProgress<Self> {
        InProgress::new(self.clone())
    }
}

impl InProgressGauge for Gauge {
    /// Whatever the switch says: [`InProgress`] reads it once and enters only when on.
    #[inline]
    fn enter(&self) {
        self.inc_after_check();
    }

    /// Whatever the switch says now: [`InProgress`] only leaves what it entered while on.
    #[inline]
    fn leave(&self) {
        self.dec_after_inc();
    }
}

impl InProgressGauge for FloatGauge {
    /// Whatever the switch says: [`InProgress`] reads it once and enters only when on.
    #[inline]
    fn enter(&self) {
        self.inc_after_check();
    }

    /// Whatever the switch says now: [`InProgress`] only leaves what it entered while on.
    #[inline]
    fn leave(&self) {
        self.dec_after_inc();
    }
}

/// Counts one operation in progress on a gauge: +1 when made, −1 exactly once when dropped
/// (also while a panic unwinds, and when a future holding it is cancelled).
///
/// It owns a handle to the gauge, so it is `Send + 'static` and can be held across `.await`.
/// Leaking it with [`std::mem::forget`] (or in an `Rc` cycle) leaks its +1: the gauge then
/// stays one too high. With `panic = "abort"`, a panic ends the process before the −1,
/// which no scrape can see anyway.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_instrument::guard::InProgress;
///
/// let registry = Registry::new();
/// let imports = registry.gauge("imports_in_progress", "Imports running now.").register()?;
/// let guard = InProgress::new(imports.clone());
/// assert_eq!(imports.get(), 1);
/// drop(guard);
/// assert_eq!(imports.get(), 0);
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[must_use = "the gauge goes back down when the guard is dropped; binding it to `_` drops it at once"]
#[derive(Debug)]
pub struct InProgress<G: InProgressGauge = Gauge> {
    gauge: G,
    /// Whether the +1 was applied (metrics were on): only then is there a −1 to make, even
    /// if metrics are switched off or on in between, so the gauge never drifts.
    entered: bool,
}

impl<G: InProgressGauge> InProgress<G> {
    /// Adds one to `gauge` now; the guard subtracts it when dropped.
    pub fn new(gauge: G) -> Self {
        // One reading of the switch decides both halves.
        let entered = vitals_core::switch::enabled();
        if entered {
            gauge.enter();
        }
        Self { gauge, entered }
    }
}

impl<G: InProgressGauge> Drop for InProgress<G> {
    fn drop(&mut self) {
        if self.entered {
            self.gauge.leave();
        }
    }
}

/// Runs `f` and adds one to `errors` if it returns `Err` or panics; returns what `f`
/// returned (a panic keeps unwinding after being counted).
///
/// An `Err` is reported to the [error sink](crate::sink), if one is installed, with source
/// `source` and no labels, by its `Display` text. See the [module docs](self) for panics.
///
/// ```
/// use vitals_core::Counter;
/// use vitals_instrument::guard::count_errors;
///
/// let errors = Counter::new();
/// let parsed: Result<u16, _> = count_errors("parse_port", &errors, || "80".parse::<u16>());
/// assert_eq!(parsed, Ok(80));
/// let parsed = count_errors("parse_port", &errors, || "eighty".parse::<u16>());
/// assert!(parsed.is_err());
/// assert_eq!(errors.get(), 1);
/// ```
pub fn count_errors<T, E, F>(source: &str, errors: &Counter, f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E>,
    E: Display,
{
    let on_panic = OnUnwind::new(|| errors.inc());
    let result = f();
    on_panic.disarm();
    if let Err(error) = &result {
        errors.inc();
        report_display(source, &[], error);
    }
    result
}

/// Awaits `future` and adds one to `errors` if it resolves to `Err` or panics while polled;
/// resolves to what `future` resolved to.
///
/// A future dropped before it finished is cancelled, not failed: nothing is counted. The
/// returned future owns a clone of `errors` and borrows only `source`, so with a `'static`
/// source (a literal) and a `'static` future it can be spawned. No runtime is needed.
///
/// ```
/// use vitals_core::Counter;
/// use vitals_instrument::guard::count_errors_async;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let errors = Counter::new();
/// let fetch = async { Err::<String, _>("connection refused") };
/// let result = count_errors_async("fetch_issue", &errors, fetch).await;
/// assert!(result.is_err());
/// assert_eq!(errors.get(), 1);
/// # }
/// ```
pub fn count_errors_async<'s, T, E, F>(
    source: &'s str,
    errors: &Counter,
    future: F,
) -> impl Future<Output = Result<T, E>> + 's
where
    F: Future<Output = Result<T, E>> + 's,
    E: Display + 's,
    T: 's,
{
    let errors = errors.clone();
    async move {
        // Dropped armed while not panicking means cancelled: the guard then does nothing.
        let on_panic = OnUnwind::new(|| errors.inc());
        let result = future.await;
        on_panic.disarm();
        if let Err(error) = &result {
            errors.inc();
            report_display(source, &[], error);
        }
        result
    }
}

/// Runs `f`, observing its duration in seconds into `duration` always (returned, `Err` or
/// panicked) and adding one to `errors` when it returns `Err` or panics: Python's
/// `with track_block(name):` context manager.
///
/// `source` names the block for the [error sink](crate::sink); usually the value of the
/// series' `block` label. See the [module example](self).
pub fn track_block<T, E, F>(
    source: &str,
    duration: &Histogram,
    errors: &Counter,
    f: F,
) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E>,
    E: Display,
{
    // Dropped after count_errors returns or unwinds: the duration is observed either way.
    let _timer = duration.start_timer();
    count_errors(source, errors, f)
}

/// [`track_block`] for a future: the duration is observed when the future finishes, panics
/// or is dropped (cancelled); the error is counted on `Err` or panic, not on cancellation.
///
/// ```
/// use vitals_core::{Counter, Histogram, DEFAULT_BUCKETS};
/// use vitals_instrument::guard::track_block_async;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), vitals_core::Error> {
/// let duration = Histogram::with_buckets(DEFAULT_BUCKETS)?;
/// let errors = Counter::new();
/// let rows = track_block_async("load_rows", &duration, &errors, async {
///     Ok::<_, std::io::Error>(vec![1, 2, 3])
/// })
/// .await;
/// assert_eq!(rows.unwrap().len(), 3);
/// assert_eq!((duration.count(), errors.get()), (1, 0));
/// # Ok(())
/// # }
/// ```
pub fn track_block_async<'s, T, E, F>(
    source: &'s str,
    duration: &Histogram,
    errors: &Counter,
    future: F,
) -> impl Future<Output = Result<T, E>> + 's
where
    F: Future<Output = Result<T, E>> + 's,
    E: Display + 's,
    T: 's,
{
    let duration = duration.clone();
    let counted = count_errors_async(source, errors, future);
    async move {
        // Started at the first poll, as the other async helpers time: the wait before it is
        // the executor's, and a future dropped unpolled observes nothing. Observed when the
        // future completes, unwinds or is dropped after starting.
        let _timer = duration.start_owned_timer();
        counted.await
    }
}

/// An error value that can be given to a sink as itself ([`ErrorRef::Error`], with its type
/// and `source()` chain) or as text ([`ErrorRef::Message`]).
///
/// The trackers' explicit failure methods ([`Batch::item_failed`](crate::batch::Batch::item_failed),
/// [`ComponentTracker::record_failure`](crate::ComponentTracker::record_failure), ...) take
/// `&E` for any `E: AsErrorRef + ?Sized`. Implemented for:
///
/// - every sized [`std::error::Error`] type: `&io_error`, `&my_error`;
/// - `dyn Error` (plain, `+ Send`, `+ Send + Sync`): `&*boxed_error`, `&*anyhow_error`
///   (both deref to one);
/// - `str`: `"row 7 has no id"`, `&*message` for a `String`.
///
/// (A `String` or `Box<dyn Error>` itself cannot implement it beside the blanket
/// implementation for errors: Rust reserves the standard library's right to make them
/// errors. Dereference them as above.)
pub trait AsErrorRef {
    /// Calls `report` with the error as a sink receives it. (A callback rather than a return
    /// value, so that a `str` can lend a `&dyn Display` of itself for the call.)
    fn with_error_ref(&self, report: &mut dyn FnMut(ErrorRef<'_>));
}

impl<E: StdError + 'static> AsErrorRef for E {
    fn with_error_ref(&self, report: &mut dyn FnMut(ErrorRef<'_>)) {
        report(ErrorRef::Error(self));
    }
}

impl AsErrorRef for dyn StdError + 'static {
    fn with_error_ref(&self, report: &mut dyn FnMut(ErrorRef<'_>)) {
        report(ErrorRef::Error(self));
    }
}

impl AsErrorRef for dyn StdError + Send + 'static {
    fn with_error_ref(&self, report: &mut dyn FnMut(ErrorRef<'_>)) {
        report(ErrorRef::Error(self));
    }
}

impl AsErrorRef for dyn StdError + Send + Sync + 'static {
    fn with_error_ref(&self, report: &mut dyn FnMut(ErrorRef<'_>)) {
        report(ErrorRef::Error(self));
    }
}

impl AsErrorRef for str {
    fn with_error_ref(&self, report: &mut dyn FnMut(ErrorRef<'_>)) {
        report(ErrorRef::Message(&self));
    }
}

/// Reports an error known by its `Display` text, if a sink is installed.
pub(crate) fn report_display(source: &str, labels: &[(&str, &str)], error: &dyn Display) {
    if has_error_sink() {
        report_error(&ErrorEvent::new(source, labels, ErrorRef::Message(error)));
    }
}

/// Reports an error given as [`AsErrorRef`], if a sink is installed.
pub(crate) fn report_as_ref<E: AsErrorRef + ?Sized>(
    source: &str,
    labels: &[(&str, &str)],
    error: &E,
) {
    if has_error_sink() {
        error.with_error_ref(&mut |error| {
            report_error(&ErrorEvent::new(source, labels, error));
        });
    }
}

/// Runs its action if dropped while the thread panics, unless disarmed first: how the
/// helpers count a panic without `catch_unwind`. Dropped armed while *not* panicking (a
/// future cancelled mid-`.await`), it does nothing.
pub(crate) struct OnUnwind<F: FnOnce()> {
    action: Option<F>,
}

impl<F: FnOnce()> OnUnwind<F> {
    pub(crate) fn new(action: F) -> Self {
        Self {
            action: Some(action),
        }
    }

    /// The guarded code returned: the action will not run.
    pub(crate) fn disarm(mut self) {
        self.action = None;
    }
}

impl<F: FnOnce()> Drop for OnUnwind<F> {
    fn drop(&mut self) {
        if let Some(action) = self.action.take() {
            if std::thread::panicking() {
                action();
            }
        }
    }
}
