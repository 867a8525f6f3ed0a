//! [`ComponentTracker`]: metrics for an external dependency a service calls (Jira, a payment
//! API, a mail relay): calls by method and outcome, their latency, the time of the last
//! success, and failures to initialise the client.
//!
//! ```
//! use std::time::Duration;
//! use vitals_core::Registry;
//! use vitals_instrument::ComponentTracker;
//!
//! let registry = Registry::new();
//! let jira = ComponentTracker::builder("jira")
//!     .with_prefix("sentryhub")
//!     .register_in(&registry)?;
//!
//! let issue = jira.call("create_issue", || Ok::<_, std::io::Error>("OPS-1"));
//! assert_eq!(issue.unwrap(), "OPS-1");
//! let comment = jira.call("add_comment", || Err::<(), _>("403 Forbidden"));
//! assert!(comment.is_err());
//! jira.record_success("add_comment", Duration::from_millis(80)); // timed elsewhere
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! records (values after the calls above; the timestamp is the Unix time of the last
//! success):
//!
//! ```text
//! sentryhub_jira_api_calls_total{component="jira",method="create_issue",status="success"} 1
//! sentryhub_jira_api_calls_total{component="jira",method="create_issue",status="failure"} 0
//! sentryhub_jira_api_calls_total{component="jira",method="add_comment",status="success"} 1
//! sentryhub_jira_api_calls_total{component="jira",method="add_comment",status="failure"} 1
//! sentryhub_jira_api_call_duration_seconds_bucket{component="jira",method="create_issue",le="0.005"} 1  (...)
//! sentryhub_component_last_successful_api_call_timestamp{component="jira"} 1.7e9
//! sentryhub_component_initialization_errors_total{component="jira"} 0
//! ```
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `<prefix>_<component>_api_calls_total` | counter | `component`, `method`, `status` (`success`, `failure`) |
//! | `<prefix>_<component>_api_call_duration_seconds` | histogram | `component`, `method` |
//! | `<prefix>_component_last_successful_api_call_timestamp` | gauge (Unix seconds) | `component` |
//! | `<prefix>_component_initialization_errors_total` | counter | `component` |
//!
//! These are the names of the SentryHub document (seed 000), whose alert rules work on them
//! unchanged; `rules/seed000-jira.yml` in the repository has them, checked with `promtool
//! test rules` against this tracker's output. Unlike the seed's, the API-call counter has a
//! `component` label, which the seed's rule `rate(sentryhub_jira_api_calls_total{component="jira",
//! status="failure"}[5m]) > 0` selects. The timestamp gauge's name does not end in its unit,
//! as Prometheus' naming guide asks; [`with_timestamp_unit_suffix`](ComponentTrackerBuilder::with_timestamp_unit_suffix)
//! names it `..._timestamp_seconds` (with OpenMetrics unit `seconds`) for new deployments.
//!
//! ## Semantics
//!
//! - A call succeeds when its closure or future returns `Ok`, fails on `Err` or a panic (the
//!   panic keeps unwinding). Its duration is observed either way. A future dropped before
//!   it finished (cancelled) records nothing.
//! - The last-success timestamp moves only on a success ([`call`](ComponentTracker::call)
//!   returning `Ok`, [`record_success`](ComponentTracker::record_success),
//!   [`mark_success`](ComponentTracker::mark_success)). The series does not exist before the
//!   first success: a 0 would read as "no success since 1970" and fire a staleness alert on
//!   every restart. So `time() - ..._timestamp > 3600` cannot fire for a component that has
//!   not succeeded once since the process started; the failure-rate alert covers one that
//!   fails from the start.
//! - The first time a method is seen, both its `success` and `failure` series are created
//!   (the other at 0), so `rate(...{status="failure"}[5m])` sees the first failure. The
//!   initialisation-error counter is created at 0 with the tracker.
//! - Errors go to the [error sink](crate::sink), if one is installed: a failed call with
//!   source = the method and labels `component`, `method`, `status="failure"`; an
//!   initialisation error with source `initialization` and label `component`. The errors of
//!   [`call`](ComponentTracker::call) and [`call_async`](ComponentTracker::call_async) are
//!   reported by their `Display` text; [`record_failure`](ComponentTracker::record_failure)
//!   and [`init_failed`](ComponentTracker::init_failed) pass an error type as itself (see
//!   [`AsErrorRef`]). Panics are counted, not reported (see
//!   [`guard`](crate::guard#errors-panics-and-cancellation)).
//! - The families are registered with
//!   [`register_shared`](vitals_core::MetricBuilder::register_shared): two trackers of one
//!   component record into the same series, and trackers of several components share the
//!   `component_*` families (with the same prefix and buckets).

use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use vitals_core::{
    Counter, DynamicLabels, Family, FloatGauge, Histogram, Registry, Result, DEFAULT_BUCKETS,
};

use crate::guard::{report_as_ref, report_display, AsErrorRef, OnUnwind};

const SUCCESS: &str = "success";
const FAILURE: &str = "failure";

/// Builds a [`ComponentTracker`]. Made by [`ComponentTracker::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct ComponentTrackerBuilder {
    component: String,
    prefix: Option<String>,
    buckets: Vec<f64>,
    timestamp_unit_suffix: bool,
}

impl ComponentTrackerBuilder {
    /// Prefixes every metric name with `<prefix>_` (`sentryhub_jira_api_calls_total`).
    /// Default: no prefix (`jira_api_calls_total`).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_owned());
        self
    }

    /// The bucket bounds of `<component>_api_call_duration_seconds`. Default:
    /// [`DEFAULT_BUCKETS`] (5 ms to 10 s).
    pub fn with_buckets(mut self, bounds: &[f64]) -> Self {
        self.buckets = bounds.to_vec();
        self
    }

    /// Names the last-success gauge `<prefix>_component_last_successful_api_call_timestamp_seconds`
    /// (unit `seconds`), as Prometheus' naming guide asks, instead of the seed's name without
    /// the unit. Alert rules must then use that name. Default: `false` (the seed's name).
    pub fn with_timestamp_unit_suffix(mut self, suffix: bool) -> Self {
        self.timestamp_unit_suffix = suffix;
        self
    }

    /// Registers the tracker in the [current registry](vitals_core::current_registry).
    ///
    /// # Errors
    ///
    /// As [`register_in`](Self::register_in).
    pub fn register(self) -> Result<ComponentTracker> {
        self.register_in(&vitals_core::current_registry())
    }

    /// Registers the tracker's families in `registry` (or joins them, if another tracker
    /// registered them) and creates the initialisation-error series at 0.
    ///
    /// # Errors
    ///
    /// A prefix or component that makes an invalid metric name (the component is part of
    /// the API-call metrics' names, so it must be a name like `jira` or `payment_api`),
    /// invalid bucket bounds, or a family of the same name registered differently (another
    /// type, labels, help, unit or buckets).
    pub fn register_in(self, registry: &Registry) -> Result<ComponentTracker> {
        let name = |base: &str| crate::prefixed(self.prefix.as_deref(), base);
        let component = self.component.as_str();
        let calls = registry
            .counter(
                &name(&format!("{component}_api_calls")),
                &format!(
                    "Calls to the {component} API, by method and status (success or failure)."
                ),
            )
            .register_shared(&["component", "method", "status"])?;
        let duration = registry
            .histogram(
                &name(&format!("{component}_api_call_duration_seconds")),
                &format!("Duration of calls to the {component} API, by method."),
            )
            .with_unit("seconds")
            .with_buckets(&self.buckets)
            .register_shared(&["component", "method"])?;
        let last_success_help =
            "Unix time of the last successful API call to an external component.";
        let last_success = if self.timestamp_unit_suffix {
            registry
                .float_gauge(
                    &name("component_last_successful_api_call_timestamp_seconds"),
                    last_success_help,
                )
                .with_unit("seconds")
        } else {
            registry.float_gauge(
                &name("component_last_successful_api_call_timestamp"),
                last_success_help,
            )
        }
        .register_shared(&["component"])?;
        let init_errors = registry
            .counter(
                &name("component_initialization_errors"),
                "Failures to initialise or connect the client of an external component.",
            )
            .register_shared(&["component"])?;
        Ok(ComponentTracker {
            inner: Arc::new(Inner {
                init_errors: init_errors.try_with_labels(&[component])?,
                calls,
                duration,
                last_success_family: last_success,
                last_success: OnceLock::new(),
                component: self.component,
            }),
        })
    }
}

/// Metrics for one external component: API calls by method and status, their duration, the
/// time of the last success, and initialisation errors. See the [module docs](self) for the
/// names and semantics.
///
/// A tracker is a cheap clone (an `Arc`); create it where the component's client is created
/// and keep it beside the client.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_instrument::ComponentTracker;
///
/// struct JiraService {
///     client: Option<String>, // the real client, in a real service
///     metrics: ComponentTracker,
/// }
///
/// impl JiraService {
///     fn new(registry: &Registry, url: &str) -> Result<Self, vitals_core::Error> {
///         let metrics = ComponentTracker::builder("jira").with_prefix("sentryhub").register_in(registry)?;
///         let client = match url.parse::<std::net::SocketAddr>() {
///             Ok(addr) => Some(addr.to_string()),
///             Err(error) => {
///                 metrics.init_failed(&error);
///                 None
///             }
///         };
///         Ok(Self { client, metrics })
///     }
/// }
///
/// let registry = Registry::new();
/// let service = JiraService::new(&registry, "not an address")?;
/// assert!(service.client.is_none());
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ComponentTracker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    component: String,
    calls: Family<Counter, DynamicLabels>,
    duration: Family<Histogram, DynamicLabels>,
    last_success_family: Family<FloatGauge, DynamicLabels>,
    /// The component's series, created by the first success (see the module docs).
    last_success: OnceLock<FloatGauge>,
    init_errors: Counter,
}

/// One method's series, looked up per call: three lock-free lookups that also create the
/// method's `success` and `failure` series together the first time.
struct MethodSeries {
    success: Counter,
    failure: Counter,
    duration: Histogram,
}

impl ComponentTracker {
    /// A tracker for `component` with the default names (no prefix) and buckets, in the
    /// [current registry](vitals_core::current_registry).
    ///
    /// # Errors
    ///
    /// As [`ComponentTrackerBuilder::register_in`].
    pub fn new(component: &str) -> Result<Self> {
        Self::builder(component).register()
    }

    /// A builder for a tracker of `component` (the `component` label's value, and part of
    /// the API-call metrics' names). Defaults: no prefix, [`DEFAULT_BUCKETS`], the seed's
    /// timestamp name.
    pub fn builder(component: &str) -> ComponentTrackerBuilder {
        ComponentTrackerBuilder {
            component: component.to_owned(),
            prefix: None,
            buckets: DEFAULT_BUCKETS.to_vec(),
            timestamp_unit_suffix: false,
        }
    }

    /// The component this tracker records (the `component` label's value).
    pub fn component(&self) -> &str {
        &self.inner.component
    }

    /// Calls `f` as the API method `method`, recording its outcome and duration; returns
    /// what `f` returned. `Err` and panics are failures; see the [module docs](self#semantics).
    ///
    /// ```
    /// # let registry = vitals_core::Registry::new();
    /// # let jira = vitals_instrument::ComponentTracker::builder("jira").register_in(&registry)?;
    /// let result = jira.call("add_comment", || Err::<(), _>("issue OPS-1 is closed"));
    /// assert!(result.is_err());
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns `f`'s error unchanged.
    pub fn call<T, E, F>(&self, method: &str, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce() -> std::result::Result<T, E>,
        E: Display,
    {
        let series = self.inner.series(method);
        let start = Instant::now();
        let on_panic = OnUnwind::new(|| series.fail(start.elapsed()));
        let result = f();
        on_panic.disarm();
        self.inner
            .outcome(method, &series, start.elapsed(), &result);
        result
    }

    /// Awaits `future` as the API method `method`, recording its outcome and duration (timed
    /// from the first poll); resolves to what `future` resolved to. A future dropped before
    /// it finished records nothing. The returned future owns a clone of the tracker and
    /// borrows only `method`, so with a literal method and a `'static` future it can be
    /// spawned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), vitals_core::Error> {
    /// # let registry = vitals_core::Registry::new();
    /// # let jira = vitals_instrument::ComponentTracker::builder("jira").register_in(&registry)?;
    /// let issue = jira
    ///     .call_async("create_issue", async { Ok::<_, std::io::Error>("OPS-2") })
    ///     .await;
    /// assert_eq!(issue.unwrap(), "OPS-2");
    /// # Ok(())
    /// # }
    /// ```
    pub fn call_async<'m, T, E, F>(
        &self,
        method: &'m str,
        future: F,
    ) -> impl Future<Output = std::result::Result<T, E>> + 'm
    where
        F: Future<Output = std::result::Result<T, E>> + 'm,
        E: Display + 'm,
        T: 'm,
    {
        let inner = Arc::clone(&self.inner);
        async move {
            let series = inner.series(method);
            let start = Instant::now();
            // Dropped armed without a panic (cancelled): records nothing.
            let on_panic = OnUnwind::new(|| series.fail(start.elapsed()));
            let result = future.await;
            on_panic.disarm();
            inner.outcome(method, &series, start.elapsed(), &result);
            result
        }
    }

    /// Records a successful call of `method` that took `duration`, timed by the caller.
    pub fn record_success(&self, method: &str, duration: Duration) {
        let series = self.inner.series(method);
        series.success.inc();
        series.duration.observe(duration.as_secs_f64());
        self.mark_success();
    }

    /// Records a failed call of `method` that took `duration`, and reports `error` to the
    /// sink. `error` is an [`AsErrorRef`]: an error (`&error`, `&*boxed`) or a message.
    pub fn record_failure<E: AsErrorRef + ?Sized>(
        &self,
        method: &str,
        duration: Duration,
        error: &E,
    ) {
        self.inner.series(method).fail(duration);
        let labels = self.inner.failure_labels(method);
        report_as_ref(method, &labels, error);
    }

    /// Records a failure to initialise or connect the component's client, and reports
    /// `error` to the sink (source `initialization`, label `component`).
    pub fn init_failed<E: AsErrorRef + ?Sized>(&self, error: &E) {
        self.inner.init_errors.inc();
        let component = self.component();
        report_as_ref("initialization", &[("component", component)], error);
    }

    /// Sets the last-success timestamp to now without counting a call: for a successful
    /// health check or connection test.
    pub fn mark_success(&self) {
        self.inner.mark_success();
    }
}

impl Inner {
    fn series(&self, method: &str) -> MethodSeries {
        let component = self.component.as_str();
        MethodSeries {
            success: self.calls.with_labels(&[component, method, SUCCESS]),
            failure: self.calls.with_labels(&[component, method, FAILURE]),
            duration: self.duration.with_labels(&[component, method]),
        }
    }

    fn failure_labels<'a>(&'a self, method: &'a str) -> [(&'a str, &'a str); 3] {
        [
            ("component", self.component.as_str()),
            ("method", method),
            ("status", FAILURE),
        ]
    }

    fn mark_success(&self) {
        self.last_success
            .get_or_init(|| self.last_success_family.with_labels(&[&self.component]))
            .set_to_current_time();
    }

    fn outcome<T, E: Display>(
        &self,
        method: &str,
        series: &MethodSeries,
        elapsed: Duration,
        result: &std::result::Result<T, E>,
    ) {
        match result {
            Ok(_) => {
                series.success.inc();
                series.duration.observe(elapsed.as_secs_f64());
                self.mark_success();
            }
            Err(error) => {
                series.fail(elapsed);
                report_display(method, &self.failure_labels(method), error);
            }
        }
    }
}

impl MethodSeries {
    fn fail(&self, elapsed: Duration) {
        self.failure.inc();
        self.duration.observe(elapsed.as_secs_f64());
    }
}
