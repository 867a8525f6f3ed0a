//! # vitals-instrument
//!
//! Instrumentation that writes itself, for the [vitals](https://github.com/vitals-rs/vitals)
//! Prometheus metrics framework: the runtime behind `#[vitals::instrument]`, timers and guards
//! for blocks of code, trackers for external components and batches, ready-made instrument
//! sets for queues, pools, caches, databases, LLM calls and health checks, and error sinks
//! that send the errors these see to an error tracker.
//!
//! Most programs use it through the `vitals` facade (`vitals::instrument`, feature
//! `instrument`, on by default).
//!
//! | module | what is in it |
//! | --- | --- |
//! | [`function`] | what `#[instrument]` expands to: [`FunctionSite`], one per instrumented function |
//! | [`guard`] | timers that observe on drop, in-progress guards for gauges, error counting around closures and futures |
//! | [`batch`] | [`BatchTracker`]: items processed, failures, success or partial status per batch |
//! | [`component`] | [`ComponentTracker`]: API calls, last success, initialisation errors and latency of an external dependency |
//! | [`sets`] | instrument sets: queue, connection pool, cache, database queries, LLM/API cost, health-check loop |
//! | [`sink`] | [`ErrorSink`]: where errors go beside being counted; [`LogSink`] |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod batch;
pub mod component;
pub mod function;
pub mod guard;
pub mod sets;
pub mod sink;

pub use batch::BatchTracker;
pub use component::ComponentTracker;
pub use function::{ErrorLabel, FunctionSite, FunctionSpec};
pub use sink::{ErrorEvent, ErrorRef, ErrorSink, LogSink};
/// `#[derive(ErrorLabel)]`: a derive macro and a trait live in different namespaces, so
/// `use vitals::instrument::ErrorLabel;` brings both.
pub use vitals_derive::ErrorLabel;

/// `prefix_base`, or `base` without a prefix: the metric names of the trackers and sets.
pub(crate) fn prefixed(prefix: Option<&str>, base: &str) -> String {
    match prefix {
        Some(prefix) => format!("{prefix}_{base}"),
        None => base.to_owned(),
    }
}

/// What `#[instrument]`'s expansion calls; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::function::private::*;
}
