//! An error sink for vitals that forwards to [Sentry](https://sentry.io) the errors that
//! `#[vitals::instrument]` and the trackers count.
//!
//! A counter tells you *that* calls fail; Sentry tells you *why*. Install [`SentrySink`] as the
//! process's [error sink](vitals_instrument::sink) and every error that instrumentation counts is
//! also captured as a Sentry event, tagged with the labels of the series that counted it:
//!
//! - an error implementing [`std::error::Error`] becomes an exception event, as
//!   [`sentry::capture_error`] makes it: one exception per error of the `source()` chain, with
//!   its type and message;
//! - an error known only by its text becomes a message event at level `error`;
//! - the labels become tags `vitals.<label>` (the prefix is configurable), what saw the error
//!   becomes the tag `vitals.source`, and both go into a `vitals` context block;
//! - all of it is set in a scope pushed for the one event, on the current [`sentry::Hub`]: your
//!   own scope (tags, user, transaction) applies to the event and is left as it was.
//!
//! The sink sends through whatever client your program bound with `sentry::init`, so its DSN,
//! `environment`, `release`, `sample_rate`, `before_send` and transport apply. Without a bound
//! client, reporting costs one thread-local lookup and sends nothing.
//!
//! # Example
//!
//! ```
//! use vitals_instrument::sink::{report_error, set_error_sink, ErrorEvent, ErrorRef};
//! use vitals_sentry::SentrySink;
//!
//! // In a program: `let _guard = sentry::init((dsn, sentry::ClientOptions { .. }));`
//! // Here, the SDK's test transport records the events instead of sending them.
//! let options = sentry::ClientOptions::new()
//!     .environment("production")
//!     .release("jira-sync@1.4.0");
//! let events = sentry::test::with_captured_events_options(
//!     || {
//!         set_error_sink(SentrySink::new().with_tag("service", "jira-sync"));
//!
//!         // What `#[vitals::instrument]` does when `create_issue` returns this error.
//!         let error = std::io::Error::new(std::io::ErrorKind::TimedOut, "jira did not answer");
//!         report_error(&ErrorEvent::new(
//!             "create_issue",
//!             &[("function", "create_issue"), ("error_kind", "timeout")],
//!             ErrorRef::Error(&error),
//!         ));
//!     },
//!     options,
//! );
//!
//! let event = &events[0];
//! assert_eq!(event.exception[0].ty, "std::io::Error");
//! assert_eq!(event.exception[0].value.as_deref(), Some("jira did not answer"));
//! assert_eq!(event.tags["vitals.source"], "create_issue");
//! assert_eq!(event.tags["vitals.error_kind"], "timeout");
//! assert_eq!(event.tags["service"], "jira-sync");
//! assert_eq!(event.environment.as_deref(), Some("production"));
//! assert_eq!(event.release.as_deref(), Some("jira-sync@1.4.0"));
//! # vitals_instrument::sink::clear_error_sink();
//! ```
//!
//! # The `sentry` dependency
//!
//! This crate depends on `sentry` 0.49 with `default-features = false`: it needs the Hub, scopes
//! and the event protocol, nothing else. The transport (`reqwest`, `ureq`, `curl`, TLS) and the
//! integrations (panics, contexts, backtraces) are your program's choice, in its own `sentry`
//! dependency; cargo merges the features. Your program must use the same `sentry` 0.49: another
//! minor version is another crate with its own Hub, and events would go nowhere. The re-export
//! [`vitals_sentry::sentry`](crate::sentry) names the version this crate was built with.
//!
//! It needs Rust 1.89 (sentry 0.49's minimum), above the rest of vitals.

#![forbid(unsafe_code)]

mod event;
mod sink;

pub use sink::SentrySink;

/// The `sentry` crate this sink reports through (version 0.49, without default features): use
/// it, or a `sentry` dependency of the same version, for `sentry::init`.
pub use sentry;

use std::sync::Arc;
use vitals_instrument::sink::{set_error_sink, ErrorSink};

/// Installs [`SentrySink::default()`] as the process's error sink, returning the sink it
/// replaces.
///
/// The same as `vitals_instrument::sink::set_error_sink(SentrySink::default())`; call
/// `set_error_sink` with a configured [`SentrySink`] to change the defaults. Install it once, at
/// start-up, beside `sentry::init`.
///
/// ```
/// let events = sentry::test::with_captured_events(|| {
///     vitals_sentry::install();
///     let error = "NaN".parse::<u32>().unwrap_err();
///     vitals_instrument::sink::report_error(&vitals_instrument::sink::ErrorEvent::new(
///         "parse_limit",
///         &[],
///         vitals_instrument::sink::ErrorRef::Error(&error),
///     ));
/// });
/// assert_eq!(events[0].exception[0].ty, "ParseIntError");
/// # vitals_instrument::sink::clear_error_sink();
/// ```
pub fn install() -> Option<Arc<dyn ErrorSink>> {
    set_error_sink(SentrySink::default())
}
