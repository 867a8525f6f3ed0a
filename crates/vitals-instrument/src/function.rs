//! What `#[vitals::instrument]` expands to: one [`FunctionSite`] per instrumented function,
//! holding the handles of its series once they are resolved.
//!
//! Each call records into three families, shared by every instrumented function of a
//! registry (default names; each can be renamed per function):
//!
//! | family | type | labels |
//! | --- | --- | --- |
//! | `function_calls_total` | counter | `function`, `module`, `result`, `error_kind` |
//! | `function_call_duration_seconds` | histogram | `function`, `module` |
//! | `function_calls_in_flight` | gauge | `function`, `module` |
//!
//! Constant labels given to the function come first in each. `result` is `ok`, `error` (an
//! `Err` return, or a panic) or `cancelled` (an async call whose future was dropped before it
//! finished: a timeout, a client gone). `error_kind` is empty unless the function asks for a
//! bounded kind ([`ErrorLabel`], or a function returning `&'static str`), except for a panic,
//! whose kind is `panic`. The label is always there, so that functions with and without kinds
//! share one family; an empty label value is, to Prometheus, no label.
//!
//! The `ok` and `error` series of a function exist (at 0) from its first call, so
//! `rate(function_calls_total{result="error"}[5m])` is 0 rather than absent for a function that
//! never failed. Durations are observed for `ok` and `error` calls, not for cancelled ones
//! (the time to a cancellation says nothing about the function).
//!
//! ## Cost
//!
//! A call costs its metric operations (an in-flight increment and decrement, a histogram
//! observation, a counter increment) and two clock reads, as hand-written instrumentation
//! does; finding the handles is one load of a resolved `OnceLock` and, until some thread
//! enters a [registry scope](vitals_core::Registry::enter), one relaxed load. With metrics
//! [switched off](vitals_core::switch) a call does nothing at all.
//!
//! ## Which registry
//!
//! The [current registry](vitals_core::current_registry) of each call, unless the function
//! names one (`registry = ...`, evaluated once). The handles for the default registry (and for
//! a named one) are resolved once and kept; a call on a thread that entered another registry
//! (a test's own, with [`Registry::enter`](vitals_core::Registry::enter)) records there by a
//! slower lookup, so each test sees its own calls.
//!
//! ## When registration fails
//!
//! If a family cannot be registered (its name is taken by a family of another type, or a
//! function with other constant labels registered it first) the function runs unrecorded:
//! a warning naming the function and the reason is logged once and each call is counted in
//! `vitals_dropped_updates_total{reason="instrument_rejected"}`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use vitals_core::scope::any_scope_entered;
use vitals_core::self_metrics::{record_drop, DropReason};
use vitals_core::{
    default_registry, switch, with_current_registry, Counter, Family, Gauge, Histogram, Registry,
    Result, DEFAULT_BUCKETS,
};

use crate::sink::{has_error_sink, report_error, ErrorEvent};

/// Default name of the call counter (exposed as `function_calls_total`).
pub const DEFAULT_CALLS: &str = "function_calls";
/// Default name of the duration histogram.
pub const DEFAULT_DURATION: &str = "function_call_duration_seconds";
/// Default name of the in-flight gauge.
pub const DEFAULT_IN_FLIGHT: &str = "function_calls_in_flight";

/// The `result` label values.
const OK: &str = "ok";
const ERROR: &str = "error";
const CANCELLED: &str = "cancelled";
/// The `error_kind` of a panic.
const PANIC: &str = "panic";

/// Labels of the families, after the function's constant labels.
const CALL_LABELS: [&str; 4] = ["function", "module", "result", "error_kind"];
const SITE_LABELS: [&str; 2] = ["function", "module"];

/// A bounded name for an error, used as the `error_kind` label of `#[instrument(error_kind)]`.
///
/// Returning `&'static str` keeps the label bounded: the kinds are strings written in the
/// program, not text built from the error. `#[derive(ErrorLabel)]` implements it for an enum:
/// each variant's name in snake_case, whatever its fields.
///
/// ```
/// use vitals_instrument::ErrorLabel;
///
/// enum FetchError { Timeout, Status(u16) }
/// impl ErrorLabel for FetchError {
///     fn error_label(&self) -> &'static str {
///         match self {
///             FetchError::Timeout => "timeout",
///             FetchError::Status(_) => "status",
///         }
///     }
/// }
/// assert_eq!(FetchError::Status(503).error_label(), "status");
/// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// assert_eq!(io.error_label(), "connection_refused");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no error kind for `#[instrument(error_kind)]`",
    label = "the error type of this function must implement `ErrorLabel`",
    note = "derive it on an error enum with `#[derive(ErrorLabel)]`, implement \
            `vitals::instrument::ErrorLabel`, or name a function: `error_kind = path::to::fn` \
            taking `&{Self}` and returning `&'static str`"
)]
pub trait ErrorLabel {
    /// The error's kind: a short snake_case name from a small fixed set.
    fn error_label(&self) -> &'static str;
}

impl<T: ErrorLabel + ?Sized> ErrorLabel for &T {
    fn error_label(&self) -> &'static str {
        (**self).error_label()
    }
}

impl<T: ErrorLabel + ?Sized> ErrorLabel for Box<T> {
    fn error_label(&self) -> &'static str {
        (**self).error_label()
    }
}

impl ErrorLabel for std::io::Error {
    /// The [`std::io::ErrorKind`] in snake_case; kinds not listed here are `other`.
    fn error_label(&self) -> &'static str {
        use std::io::ErrorKind as K;
        match self.kind() {
            K::NotFound => "not_found",
            K::PermissionDenied => "permission_denied",
            K::ConnectionRefused => "connection_refused",
            K::ConnectionReset => "connection_reset",
            K::ConnectionAborted => "connection_aborted",
            K::NotConnected => "not_connected",
            K::AddrInUse => "addr_in_use",
            K::AddrNotAvailable => "addr_not_available",
            K::BrokenPipe => "broken_pipe",
            K::AlreadyExists => "already_exists",
            K::WouldBlock => "would_block",
            K::InvalidInput => "invalid_input",
            K::InvalidData => "invalid_data",
            K::TimedOut => "timed_out",
            K::WriteZero => "write_zero",
            K::Interrupted => "interrupted",
            K::Unsupported => "unsupported",
            K::UnexpectedEof => "unexpected_eof",
            K::OutOfMemory => "out_of_memory",
            _ => "other",
        }
    }
}

/// How one instrumented function records: its label values, family names, buckets, constant
/// labels and registry. Built in a `const` context by `#[instrument]`; each `with_` method
/// documents its default.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    function: &'static str,
    module: &'static str,
    calls: &'static str,
    duration: &'static str,
    in_flight: Option<&'static str>,
    buckets: &'static [f64],
    const_labels: &'static [(&'static str, &'static str)],
    registry: Option<fn() -> Registry>,
    report_errors: bool,
}

impl FunctionSpec {
    /// A function known by these `function` and `module` label values, with every default.
    pub const fn new(function: &'static str, module: &'static str) -> Self {
        Self {
            function,
            module,
            calls: DEFAULT_CALLS,
            duration: DEFAULT_DURATION,
            in_flight: Some(DEFAULT_IN_FLIGHT),
            buckets: DEFAULT_BUCKETS,
            const_labels: &[],
            registry: None,
            report_errors: true,
        }
    }

    /// The call counter's name. Default: [`DEFAULT_CALLS`].
    pub const fn with_calls(mut self, name: &'static str) -> Self {
        self.calls = name;
        self
    }

    /// The duration histogram's name. Default: [`DEFAULT_DURATION`]. Its unit is declared as
    /// `seconds` when the name ends in `_seconds`.
    pub const fn with_duration(mut self, name: &'static str) -> Self {
        self.duration = name;
        self
    }

    /// The in-flight gauge's name. Default: [`DEFAULT_IN_FLIGHT`].
    pub const fn with_in_flight(mut self, name: &'static str) -> Self {
        self.in_flight = Some(name);
        self
    }

    /// Records no in-flight gauge. Default: recorded.
    pub const fn without_in_flight(mut self) -> Self {
        self.in_flight = None;
        self
    }

    /// The duration histogram's bucket bounds. Default: [`DEFAULT_BUCKETS`]. Functions sharing
    /// a histogram must use the same bounds.
    pub const fn with_buckets(mut self, bounds: &'static [f64]) -> Self {
        self.buckets = bounds;
        self
    }

    /// Constant labels added to every series of the function, before the others. Functions
    /// sharing a family must use the same constant label names. Default: none.
    pub const fn with_const_labels(
        mut self,
        labels: &'static [(&'static str, &'static str)],
    ) -> Self {
        self.const_labels = labels;
        self
    }

    /// The registry to record into, called once at the first call. Default: the current
    /// registry (see the [module docs](self)).
    pub const fn with_registry(mut self, registry: fn() -> Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Does not report the function's errors to the [error sink](crate::sink). Default:
    /// reported when a sink is installed.
    pub const fn without_error_reports(mut self) -> Self {
        self.report_errors = false;
        self
    }

    /// The `function` label value.
    pub const fn function(&self) -> &'static str {
        self.function
    }

    /// The `module` label value.
    pub const fn module(&self) -> &'static str {
        self.module
    }
}

/// One instrumented function: its [`FunctionSpec`] and, once resolved, the handles of its
/// series. `#[instrument]` puts one in a `static` inside the function.
///
/// ```
/// use vitals_instrument::{FunctionSite, FunctionSpec};
/// use vitals_instrument::__private::Outcome;
///
/// static SITE: FunctionSite = FunctionSite::new(FunctionSpec::new("resize", module_path!()));
///
/// let registry = vitals_core::Registry::new();
/// let _scope = registry.enter();
/// let mut call = SITE.start();
/// // ... the function's work ...
/// call.finish(Outcome::Ok, None);
/// assert_eq!(
///     vitals::testing::sample(
///         &registry,
///         "function_calls_total",
///         &[("function", "resize"), ("module", module_path!()), ("result", "ok"), ("error_kind", "")],
///     ),
///     Some(1.0)
/// );
/// ```
#[derive(Debug)]
pub struct FunctionSite {
    spec: FunctionSpec,
    /// The handles in the default registry (or the function's own registry), or `None` when
    /// they could not be registered there.
    cache: OnceLock<Resolved>,
    warned: AtomicBool,
}

/// A site's handles in one registry, or `None` when they could not be registered there.
type Resolved = Option<Handles>;

/// The series of one function in one registry.
#[derive(Debug)]
struct Handles {
    /// For the series with an error kind, looked up when such an error happens.
    calls: Family<Counter>,
    ok: Counter,
    error: Counter,
    duration: Histogram,
    in_flight: Option<Gauge>,
}

impl FunctionSite {
    /// A site for this function; nothing is registered before its first call.
    pub const fn new(spec: FunctionSpec) -> Self {
        Self {
            spec,
            cache: OnceLock::new(),
            warned: AtomicBool::new(false),
        }
    }

    /// The function's spec.
    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// Starts recording one call: counts it in flight and starts its clock. Finish it with
    /// [`Call::finish`]; dropped unfinished, it records a panic (when the thread is
    /// panicking) or a cancellation.
    #[inline]
    pub fn start(&'static self) -> Call {
        if !switch::enabled() {
            return Call::inert(self);
        }
        let handles = self.handles();
        // The switch was read once, above: the +1 is made on that answer, and the −1 in
        // `finish` whenever there are handles, so the pair cannot come apart.
        if let Some(gauge) = handles.as_ref().and_then(|h| h.get().in_flight.as_ref()) {
            gauge.inc_after_check();
        }
        Call {
            site: self,
            handles,
            start: Some(Instant::now()),
        }
    }

    /// The handles for the current (or the function's own) registry.
    #[inline]
    fn handles(&'static self) -> Option<HandlesRef> {
        // The usual case, kept small enough to inline: no registry named, no scope ever
        // entered (so the current registry is the default one), handles already resolved.
        if self.spec.registry.is_none() && !any_scope_entered() {
            if let Some(resolved) = self.cache.get() {
                return self.usable(resolved);
            }
        }
        self.handles_slow()
    }

    /// Everything else: the first call, a named registry, a thread inside a scope.
    #[cold]
    #[inline(never)]
    fn handles_slow(&'static self) -> Option<HandlesRef> {
        if let Some(registry) = self.spec.registry {
            let resolved = self.cache.get_or_init(|| self.resolve(&registry()));
            return self.usable(resolved);
        }
        with_current_registry(|current| {
            // Only the default registry's handles are cached: a scope's registry (a test's)
            // is usually short-lived, and caching it would send every later call in the
            // default registry down this slow path.
            if current.ptr_eq(default_registry()) {
                let resolved = self.cache.get_or_init(|| self.resolve(current));
                return self.usable(resolved);
            }
            // Another registry, entered with a scope: registered (or found) on each call.
            match self.resolve(current) {
                Some(h) => Some(HandlesRef::Owned(Box::new(h))),
                None => {
                    record_drop(DropReason::InstrumentRejected);
                    None
                }
            }
        })
    }

    #[inline]
    fn usable(&'static self, resolved: &'static Resolved) -> Option<HandlesRef> {
        match resolved {
            Some(h) => Some(HandlesRef::Cached(h)),
            None => {
                record_drop(DropReason::InstrumentRejected);
                None
            }
        }
    }

    #[cold]
    fn resolve(&self, registry: &Registry) -> Resolved {
        let handles = match self.register(registry) {
            Ok(h) => Some(h),
            Err(e) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    log::warn!(
                        "#[instrument] on {}::{} records nothing: {e}",
                        self.spec.module,
                        self.spec.function
                    );
                }
                None
            }
        };
        handles
    }

    fn register(&self, registry: &Registry) -> Result<Handles> {
        let spec = &self.spec;
        let names = |rest: &[&'static str]| -> Vec<&'static str> {
            spec.const_labels
                .iter()
                .map(|(n, _)| *n)
                .chain(rest.iter().copied())
                .collect()
        };
        let values = |rest: &[&'static str]| -> Vec<&'static str> {
            spec.const_labels
                .iter()
                .map(|(_, v)| *v)
                .chain(rest.iter().copied())
                .collect()
        };
        // Every family first, then the series: a function that cannot have all three
        // families leaves no zero-valued series behind.
        let calls = registry
            .counter(spec.calls, "Calls of instrumented functions, by result.")
            .register_shared(&names(&CALL_LABELS))?;
        let duration = registry.histogram(
            spec.duration,
            "Time taken by calls of instrumented functions.",
        );
        let duration = if spec.duration.ends_with("_seconds") {
            duration.with_unit("seconds")
        } else {
            duration
        };
        let duration = duration
            .with_buckets(spec.buckets)
            .register_shared(&names(&SITE_LABELS))?;
        let in_flight = match spec.in_flight {
            Some(name) => Some(
                registry
                    .gauge(name, "Calls of instrumented functions in progress.")
                    .register_shared(&names(&SITE_LABELS))?,
            ),
            None => None,
        };
        let site = values(&[spec.function, spec.module]);
        let ok = calls.try_with_labels(&values(&[spec.function, spec.module, OK, ""]))?;
        let error = calls.try_with_labels(&values(&[spec.function, spec.module, ERROR, ""]))?;
        let duration = duration.try_with_labels(&site)?;
        let in_flight = match in_flight {
            Some(family) => Some(family.try_with_labels(&site)?),
            None => None,
        };
        Ok(Handles {
            calls,
            ok,
            error,
            duration,
            in_flight,
        })
    }
}

/// The handles a call records into: the site's cached ones, or (a test's registry) its own.
#[derive(Debug)]
enum HandlesRef {
    Cached(&'static Handles),
    Owned(Box<Handles>),
}

impl HandlesRef {
    #[inline]
    fn get(&self) -> &Handles {
        match self {
            HandlesRef::Cached(h) => h,
            HandlesRef::Owned(h) => h,
        }
    }
}

/// One call in progress, made by [`FunctionSite::start`].
#[derive(Debug)]
#[must_use = "a call records when finished or dropped"]
pub struct Call {
    site: &'static FunctionSite,
    /// `None`: metrics are off, the site's families could not be registered, or the call is
    /// recorded.
    handles: Option<HandlesRef>,
    /// `None` when metrics are off.
    start: Option<Instant>,
}

impl Call {
    fn inert(site: &'static FunctionSite) -> Self {
        Self {
            site,
            handles: None,
            start: None,
        }
    }

    /// Records the call's end: its duration, its result and (for an error with `kind`) its
    /// error kind; reports an error to the [error sink](crate::sink).
    #[inline]
    pub fn finish(&mut self, outcome: private::Outcome<'_>, kind: Option<&'static str>) {
        // By reference, and the start read in place: moving the call (or its start) copies it
        // with 16-byte loads of what was stored in smaller parts, a store-forwarding stall
        // measurable beside the clock reads. Taking the handles marks the call finished.
        let Some(handles) = self.handles.take() else {
            return;
        };
        let Some(start) = &self.start else {
            return;
        };
        let handles = handles.get();
        // A call has handles only if it started with metrics on, when its +1 was applied: the
        // −1 is made whatever the switch says now, so the gauge cannot drift.
        if let Some(gauge) = &handles.in_flight {
            gauge.dec_after_inc();
        }
        handles.duration.observe(start.elapsed().as_secs_f64());
        match outcome {
            private::Outcome::Ok => handles.ok.inc(),
            private::Outcome::Err(error) => self.failed(handles, kind, Some(error)),
        }
    }

    /// Counts an error (or a panic: `error` is `None`), and reports a real error.
    #[cold]
    fn failed(
        &self,
        handles: &Handles,
        kind: Option<&'static str>,
        error: Option<private::ErrorOf<'_>>,
    ) {
        let spec = &self.site.spec;
        match kind {
            None => handles.error.inc(),
            Some(kind) => {
                let values: Vec<&str> = spec
                    .const_labels
                    .iter()
                    .map(|(_, v)| *v)
                    .chain([spec.function, spec.module, ERROR, kind])
                    .collect();
                handles.calls.with_labels(&values).inc();
            }
        }
        let Some(error) = error else { return };
        if !spec.report_errors || !has_error_sink() {
            return;
        }
        let labels: Vec<(&str, &str)> = spec
            .const_labels
            .iter()
            .copied()
            .chain([
                ("function", spec.function),
                ("module", spec.module),
                ("result", ERROR),
                ("error_kind", kind.unwrap_or("")),
            ])
            .collect();
        error.with_ref(|error| report_error(&ErrorEvent::new(spec.function, &labels, error)));
    }
}

impl Drop for Call {
    #[inline]
    fn drop(&mut self) {
        // Finished calls (the usual case) have taken their handles: nothing left to do.
        if self.handles.is_some() {
            self.unfinished();
        }
    }
}

impl Call {
    /// A call dropped before it finished: a panic unwinding through it, or its future dropped.
    #[cold]
    fn unfinished(&mut self) {
        let (Some(handles), Some(start)) = (self.handles.take(), self.start) else {
            return;
        };
        let handles = handles.get();
        if let Some(gauge) = &handles.in_flight {
            gauge.dec_after_inc();
        }
        if std::thread::panicking() {
            handles.duration.observe(start.elapsed().as_secs_f64());
            self.failed(handles, Some(PANIC), None);
        } else {
            let spec = &self.site.spec;
            let values: Vec<&str> = spec
                .const_labels
                .iter()
                .map(|(_, v)| *v)
                .chain([spec.function, spec.module, CANCELLED, ""])
                .collect();
            handles.calls.with_labels(&values).inc();
        }
    }
}

/// The pieces `#[instrument]`'s expansion uses. Public for the macro only: not a stable API.
#[doc(hidden)]
pub mod private {
    use std::error::Error as StdError;
    use std::fmt;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::{Call, FunctionSite};
    use crate::sink::ErrorRef;

    /// How a call ended, as the expansion classifies its return value.
    #[derive(Debug)]
    pub enum Outcome<'a> {
        /// Not an `Err`.
        Ok,
        /// An `Err`, with what can be said of the error.
        Err(ErrorOf<'a>),
    }

    /// An error value, by what its type allows: a real error, text, or only its type.
    #[derive(Clone, Copy)]
    pub enum ErrorOf<'a> {
        /// A [`std::error::Error`].
        Error(&'a (dyn StdError + 'static)),
        /// A type with `Display` but no `Error` impl (a `String`).
        Display(&'a dyn fmt::Display),
        /// A type with only `Debug`.
        Debug(&'a dyn fmt::Debug),
        /// A type with neither: its name.
        Opaque(&'static str),
    }

    impl fmt::Debug for ErrorOf<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                ErrorOf::Error(e) => fmt::Debug::fmt(e, f),
                ErrorOf::Display(e) => write!(f, "{e}"),
                ErrorOf::Debug(e) => fmt::Debug::fmt(e, f),
                ErrorOf::Opaque(name) => write!(f, "an error of type {name}"),
            }
        }
    }

    /// Writes a `Debug`-only error or a type name as a message.
    struct AsMessage<'a>(ErrorOf<'a>);

    impl fmt::Display for AsMessage<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&self.0, f)
        }
    }

    impl ErrorOf<'_> {
        /// Calls `f` with the error as a sink sees it.
        pub(crate) fn with_ref(self, f: impl FnOnce(ErrorRef<'_>)) {
            match self {
                ErrorOf::Error(e) => f(ErrorRef::Error(e)),
                ErrorOf::Display(e) => f(ErrorRef::Message(e)),
                other => f(ErrorRef::Message(&AsMessage(other))),
            }
        }
    }

    /// Calls `f` once. The expansion passes the function's body as `f`: a closure given
    /// where `FnOnce` is expected is compiled as `FnOnce`, so a body may return a borrow of
    /// a captured `&mut self`.
    #[inline(always)]
    pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    // Classifying a return value by what its type implements: autoref specialization. The
    // expansion calls `(&&&&&&&Probe(&value)).outcome()`; method lookup tries the impl with
    // the most references first, and skips impls whose bounds the type does not meet. In a
    // generic function only the bounds the function declares are known.

    /// A return value being classified.
    pub struct Probe<'a, T>(pub &'a T);

    /// An `Err` whose type is a [`std::error::Error`].
    pub trait ProbeError<'a> {
        /// How the call ended.
        fn outcome(&self) -> Outcome<'a>;
    }
    impl<'a, T, E: StdError + 'static> ProbeError<'a> for &&&&&&Probe<'a, Result<T, E>> {
        fn outcome(&self) -> Outcome<'a> {
            match self.0 {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Err(ErrorOf::Error(e)),
            }
        }
    }

    /// An `Err` that holds a `dyn Error + Send + Sync` (`anyhow::Error`,
    /// `Box<dyn Error + Send + Sync>`).
    pub trait ProbeSendError<'a> {
        /// How the call ended.
        fn outcome(&self) -> Outcome<'a>;
    }
    impl<'a, T, E: AsRef<dyn StdError + Send + Sync + 'static>> ProbeSendError<'a>
        for &&&&&Probe<'a, Result<T, E>>
    {
        fn outcome(&self) -> Outcome<'a> {
            match self.0 {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Err(ErrorOf::Error(e.as_ref())),
            }
        }
    }

    /// An `Err` that holds a `dyn Error` (`Box<dyn Error>`).
    pub trait ProbeDynError<'a> {
        /// How the call ended.
        fn outcome(&self) -> Outcome<'a>;
    }
    impl<'a, T, E: AsRef<dyn StdError + 'static>> ProbeDynError<'a> for &&&&Probe<'a, Result<T, E>> {
        fn outcome(&self) -> Outcome<'a> {
            match self.0 {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Err(ErrorOf::Error(e.as_ref())),
            }
        }
    }

    /// An `Err` with `Display` (a `String`).
    pub trait ProbeDisplay<'a> {
        /// How the call ended.
        fn outcome(&self) -> Outcome<'a>;
    }
    impl<'a, T, E: fmt::Display> ProbeDisplay<'a> for &&&Probe<'a, Result<T, E>> {
        fn outcome(&self) -> Outcome<'a> {
            match self.0 {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Err(ErrorOf::Display(e)),
            }
        }
    }

    /// An `Err` with `Debug` only.
    pub trait ProbeDebug<'a> {
        /// How the call ended.
        fn outcome(&self) -> Outcome<'a>;
    }
    impl<'a, T, E: fmt::Debug> ProbeDebug<'a> for &&Probe<'a, Result<T, E>> {
        fn outcome(&self) -> Outcome<'a> {
            match self.0 {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Err(ErrorOf::Debug(e)),
            }
        }
    }

    /// Any other `Err`.
    pub trait ProbeResult<'a> {
        /// How the call ended.
        fn outcome(&self) -> Outcome<'a>;
    }
    impl<'a, T, E> ProbeResult<'a> for &Probe<'a, Result<T, E>> {
        fn outcome(&self) -> Outcome<'a> {
            match self.0 {
                Ok(_) => Outcome::Ok,
                Err(_) => Outcome::Err(ErrorOf::Opaque(std::any::type_name::<E>())),
            }
        }
    }

    /// Not a `Result`: every call is `ok`.
    pub trait ProbeValue<'a> {
        /// How the call ended.
        fn outcome(&self) -> Outcome<'a>;
    }
    impl<'a, T> ProbeValue<'a> for Probe<'a, T> {
        fn outcome(&self) -> Outcome<'a> {
            Outcome::Ok
        }
    }

    /// The error kind of an `Err` (by [`ErrorLabel`](super::ErrorLabel) or the function's
    /// own kind function), for `#[instrument(error_kind)]`; `None` for `Ok`.
    #[inline]
    pub fn error_kind<T, E>(
        value: &Result<T, E>,
        kind: impl FnOnce(&E) -> &'static str,
    ) -> Option<&'static str> {
        value.as_ref().err().map(kind)
    }

    pin_project_lite::pin_project! {
        /// A future recorded as one call of `site`: started at its first poll, finished when
        /// it completes, cancelled if dropped before.
        pub struct Instrumented<F, C> {
            #[pin]
            inner: F,
            site: &'static FunctionSite,
            call: Option<Call>,
            classify: Option<C>,
        }
    }

    impl<F, C> Instrumented<F, C>
    where
        F: Future,
        C: FnOnce(&F::Output) -> (Outcome<'_>, Option<&'static str>),
    {
        /// Wraps `inner`; `classify` says how a given output ended the call.
        pub fn new(site: &'static FunctionSite, inner: F, classify: C) -> Self {
            Self {
                inner,
                site,
                call: None,
                classify: Some(classify),
            }
        }
    }

    impl<F, C> Future for Instrumented<F, C>
    where
        F: Future,
        C: FnOnce(&F::Output) -> (Outcome<'_>, Option<&'static str>),
    {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let this = self.project();
            if this.call.is_none() && this.classify.is_some() {
                *this.call = Some(this.site.start());
            }
            let output = match this.inner.poll(cx) {
                Poll::Ready(output) => output,
                Poll::Pending => return Poll::Pending,
            };
            if let (Some(call), Some(classify)) = (this.call.as_mut(), this.classify.take()) {
                let (outcome, kind) = classify(&output);
                call.finish(outcome, kind);
            }
            Poll::Ready(output)
        }
    }
}
