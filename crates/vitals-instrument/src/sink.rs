//! Error sinks: where the errors that `#[instrument]` and the trackers see are reported,
//! beside being counted.
//!
//! Counting an error tells you *that* calls fail; an error tracker (Sentry, a log) tells you
//! *why*. Install one sink for the process with [`set_error_sink`]; every instrumented
//! function that returns `Err` and every tracker that records a failure then calls
//! [`ErrorSink::report`] with the error and the same labels as its metrics. With no sink
//! installed, reporting costs one relaxed load on the error path and nothing on the success
//! path.
//!
//! The `vitals-sentry` crate (facade feature `sentry`) provides a sink that forwards to Sentry;
//! [`LogSink`] writes each error as a `log::error!` record; any
//! `Fn(&ErrorEvent<'_>) + Send + Sync + 'static` closure is a sink too.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use vitals_instrument::sink::{report_error, set_error_sink, ErrorEvent, ErrorRef};
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = Arc::clone(&seen);
//! set_error_sink(move |event: &ErrorEvent<'_>| {
//!     log.lock().unwrap().push(format!("{}: {}", event.source(), event.error()));
//! });
//!
//! let error = std::io::Error::new(std::io::ErrorKind::TimedOut, "jira did not answer");
//! report_error(&ErrorEvent::new(
//!     "create_issue",
//!     &[("component", "jira")],
//!     ErrorRef::Error(&error),
//! ));
//! assert_eq!(seen.lock().unwrap()[0], "create_issue: jira did not answer");
//! # vitals_instrument::sink::clear_error_sink();
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// Receives the errors seen by `#[instrument]` and the trackers.
///
/// `report` runs on the thread that saw the error, synchronously: a sink that does I/O should
/// hand the event to a background worker (the Sentry client does). It must not panic.
pub trait ErrorSink: Send + Sync + 'static {
    /// Reports one error.
    fn report(&self, event: &ErrorEvent<'_>);
}

impl<F> ErrorSink for F
where
    F: Fn(&ErrorEvent<'_>) + Send + Sync + 'static,
{
    fn report(&self, event: &ErrorEvent<'_>) {
        self(event);
    }
}

/// The error itself: a real [`std::error::Error`] (with its `source()` chain) when the error
/// type is one, otherwise what can be said of it.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum ErrorRef<'a> {
    /// An error type implementing [`std::error::Error`] (or one that derefs to one, such as
    /// `anyhow::Error` or `Box<dyn Error + Send + Sync>`).
    Error(&'a (dyn StdError + 'static)),
    /// An error known only by its `Debug` or `Display` text (a `String`, a plain enum), or a
    /// panic or failure without an error value.
    Message(&'a dyn fmt::Display),
}

impl ErrorRef<'_> {
    /// The error as a [`std::error::Error`], when it is one.
    pub fn as_error(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            ErrorRef::Error(e) => Some(*e),
            ErrorRef::Message(_) => None,
        }
    }
}

impl fmt::Display for ErrorRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorRef::Error(e) => fmt::Display::fmt(e, f),
            ErrorRef::Message(m) => fmt::Display::fmt(m, f),
        }
    }
}

impl fmt::Debug for ErrorRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorRef::Error(e) => f.debug_tuple("Error").field(e).finish(),
            ErrorRef::Message(m) => f.debug_tuple("Message").field(&m.to_string()).finish(),
        }
    }
}

/// One error, as a sink sees it: what saw it, the labels of the metrics it was counted in, and
/// the error.
#[derive(Debug, Clone, Copy)]
pub struct ErrorEvent<'a> {
    source: &'a str,
    labels: &'a [(&'a str, &'a str)],
    error: ErrorRef<'a>,
}

impl<'a> ErrorEvent<'a> {
    /// An event: `source` names what saw the error (an instrumented function's name, a
    /// tracker's operation), `labels` are the label pairs of the series that counted it.
    pub fn new(source: &'a str, labels: &'a [(&'a str, &'a str)], error: ErrorRef<'a>) -> Self {
        Self {
            source,
            labels,
            error,
        }
    }

    /// What saw the error: the instrumented function or the tracker's operation.
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// The label pairs of the series the error was counted in (constant labels first).
    pub fn labels(&self) -> &'a [(&'a str, &'a str)] {
        self.labels
    }

    /// The value of one label, if the event has it.
    pub fn label(&self, name: &str) -> Option<&'a str> {
        self.labels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The error.
    pub fn error(&self) -> ErrorRef<'a> {
        self.error
    }
}

/// Whether a sink is installed: read on every error before taking the lock.
static INSTALLED: AtomicBool = AtomicBool::new(false);
static SINK: RwLock<Option<Arc<dyn ErrorSink>>> = RwLock::new(None);

/// Installs the process's error sink, replacing (and returning) the previous one.
pub fn set_error_sink(sink: impl ErrorSink) -> Option<Arc<dyn ErrorSink>> {
    set_shared_error_sink(Arc::new(sink))
}

/// Installs a sink already behind an `Arc` (to keep a handle to it), replacing (and
/// returning) the previous one.
pub fn set_shared_error_sink(sink: Arc<dyn ErrorSink>) -> Option<Arc<dyn ErrorSink>> {
    // Only the Option is swapped under the lock: a poisoned lock still guards a whole value.
    let previous = SINK
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .replace(sink);
    INSTALLED.store(true, Ordering::Release);
    previous
}

/// Removes the process's error sink, returning it. Errors are then only counted.
pub fn clear_error_sink() -> Option<Arc<dyn ErrorSink>> {
    INSTALLED.store(false, Ordering::Release);
    SINK.write().unwrap_or_else(PoisonError::into_inner).take()
}

/// Whether an error sink is installed. Callers that must build something costly to report
/// (a message string) check this first.
#[inline]
pub fn has_error_sink() -> bool {
    INSTALLED.load(Ordering::Acquire)
}

thread_local! {
    /// Set while this thread is inside a sink: an error the sink itself runs into (say, a
    /// failing instrumented call in its transport) is counted but not reported again, so a
    /// failing sink cannot recurse without end.
    static REPORTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Clears [`REPORTING`] when the sink returns or unwinds.
struct Reporting;

impl Drop for Reporting {
    fn drop(&mut self) {
        let _ = REPORTING.try_with(|r| r.set(false));
    }
}

/// Reports an error to the installed sink, if any. An error reported from inside a sink (on
/// the same thread) is dropped rather than sent back to the sink.
pub fn report_error(event: &ErrorEvent<'_>) {
    if !has_error_sink() {
        return;
    }
    if REPORTING.try_with(|r| r.replace(true)).unwrap_or(true) {
        return;
    }
    let _reporting = Reporting;
    let sink = SINK
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map(Arc::clone);
    // Called without the lock held: a sink may then install another sink without deadlock.
    if let Some(sink) = sink {
        sink.report(event);
    }
}

/// A sink that writes each error as one `log::error!` record (target `vitals::errors`) with
/// its source, labels and error text (and the `source()` chain of a real error).
///
/// ```
/// vitals_instrument::sink::set_error_sink(vitals_instrument::sink::LogSink);
/// # vitals_instrument::sink::clear_error_sink();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSink;

impl ErrorSink for LogSink {
    fn report(&self, event: &ErrorEvent<'_>) {
        let mut chain = String::new();
        if let Some(error) = event.error().as_error() {
            let mut source = error.source();
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
        }
        log::error!(
            target: "vitals::errors",
            "{} failed: {}{} {:?}",
            event.source(),
            event.error(),
            chain,
            event.labels()
        );
    }
}
