//! Health checks: a service's status (0 healthy, 1 degraded, 2 down), how long checking it
//! took, and when it was last checked.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `service_health_status{service}` | gauge | 0 healthy, 1 degraded, 2 down (the seed's encoding) |
//! | `service_health_check_duration_seconds{service}` | histogram | every check's duration |
//! | `service_health_last_check_timestamp_seconds{service}` | gauge | Unix time the last check finished; 0 before the first |
//!
//! A check that returns an error or panics sets 2 (down), and the error or panic message goes
//! to the [error sink](crate::sink) with the label `service`. Until its first check a
//! service is down: nothing has shown it healthy yet. Alert on staleness as well as on the
//! status, since a stuck checker leaves its last status in place:
//! `time() - service_health_last_check_timestamp_seconds > 60`.
//!
//! A check returns anything that is a [`HealthOutcome`]: a [`HealthStatus`], a `bool` (true is
//! healthy, false degraded, as in the seed), `()` (healthy), or a `Result` of one of these
//! (an error is down).
//!
//! ```
//! use std::time::Duration;
//! use vitals_core::Registry;
//! use vitals_instrument::sets::{HealthCheck, HealthStatus};
//!
//! let registry = Registry::new();
//! let database = HealthCheck::builder("database").register_in(&registry)?;
//!
//! assert_eq!(database.run_once(|| HealthStatus::Degraded), HealthStatus::Degraded);
//! let ping = || Err::<(), _>(std::io::Error::other("connection refused"));
//! assert_eq!(database.run_once(ping), HealthStatus::Down);
//!
//! // Every 10 s on a thread of its own, until stopped:
//! let checker = database.spawn(Duration::from_secs(10), || true)?;
//! checker.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Async programs run [`HealthCheck::run_forever`] as a task, giving it their runtime's sleep
//! (`tokio::time::sleep`); the library itself needs no runtime.
//!
//! Panics are caught with [`std::panic::catch_unwind`], so a program built with
//! `panic = "abort"` aborts instead of reporting down.

use std::error::Error as StdError;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::task::Poll;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use vitals_core::{current_registry, FloatGauge, Gauge, Histogram, Registry, Result};

use super::{panic_message, prefixed, report};
use crate::sink::ErrorRef;

/// Default bounds of `service_health_check_duration_seconds`: 1 ms to 10 s, since a check
/// is a ping or a trivial query, and one slower than its timeout is down anyway.
pub const HEALTH_CHECK_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What errors reported to the [error sink](crate::sink) are called (their `source`).
const SOURCE: &str = "health_check";

/// A service's health, exposed as `service_health_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HealthStatus {
    /// Working normally: 0.
    Healthy,
    /// Working, but not fully (slow, a replica missing): 1.
    Degraded,
    /// Not working, or the check failed: 2.
    Down,
}

impl HealthStatus {
    /// The gauge value: 0 healthy, 1 degraded, 2 down.
    pub fn value(self) -> i64 {
        match self {
            HealthStatus::Healthy => 0,
            HealthStatus::Degraded => 1,
            HealthStatus::Down => 2,
        }
    }

    /// The status of a gauge value, if it is 0, 1 or 2.
    pub fn from_value(value: i64) -> Option<Self> {
        match value {
            0 => Some(HealthStatus::Healthy),
            1 => Some(HealthStatus::Degraded),
            2 => Some(HealthStatus::Down),
            _ => None,
        }
    }
}

/// What a health check returns: something that resolves to a [`HealthStatus`], reporting the
/// error it carries, if any, to `on_error` (which sends it to the error sink).
pub trait HealthOutcome {
    /// The status, calling `on_error` with the error that made it down, if there is one.
    fn resolve(self, on_error: &mut dyn FnMut(ErrorRef<'_>)) -> HealthStatus;
}

impl HealthOutcome for HealthStatus {
    fn resolve(self, _: &mut dyn FnMut(ErrorRef<'_>)) -> HealthStatus {
        self
    }
}

/// `true` is healthy and `false` degraded, as in the seed: a check that answers "not healthy"
/// has reached the service, which is not down.
impl HealthOutcome for bool {
    fn resolve(self, _: &mut dyn FnMut(ErrorRef<'_>)) -> HealthStatus {
        if self {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded
        }
    }
}

/// Healthy: for checks such as `|| db.ping()` whose success carries nothing.
impl HealthOutcome for () {
    fn resolve(self, _: &mut dyn FnMut(ErrorRef<'_>)) -> HealthStatus {
        HealthStatus::Healthy
    }
}

/// The `Ok` value's status, or down for an error (which is reported).
impl<S, E> HealthOutcome for std::result::Result<S, E>
where
    S: HealthOutcome,
    E: StdError + 'static,
{
    fn resolve(self, on_error: &mut dyn FnMut(ErrorRef<'_>)) -> HealthStatus {
        match self {
            Ok(outcome) => outcome.resolve(on_error),
            Err(error) => {
                on_error(ErrorRef::Error(&error));
                HealthStatus::Down
            }
        }
    }
}

/// Configures and registers a [`HealthCheck`]; made by [`HealthCheck::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct HealthCheckBuilder {
    service: String,
    prefix: Option<String>,
    buckets: Vec<f64>,
}

impl HealthCheckBuilder {
    /// Prepends `prefix_` to every metric name (`shop` gives `shop_service_health_status`).
    /// Default: no prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The bucket bounds of `service_health_check_duration_seconds`, in seconds. Default:
    /// [`HEALTH_CHECK_BUCKETS`]. Every check of one registry must use the same bounds.
    pub fn with_buckets(mut self, bounds: &[f64]) -> Self {
        self.buckets = bounds.to_vec();
        self
    }

    /// Registers in the [current registry](vitals_core::current_registry).
    pub fn register(self) -> Result<HealthCheck> {
        self.register_in(&current_registry())
    }

    /// Registers in `registry`: the families are created, or shared with the checks already
    /// registered there, and this service's series are resolved, its status set to down.
    pub fn register_in(self, registry: &Registry) -> Result<HealthCheck> {
        let prefix = self.prefix.as_deref();
        let status = registry
            .gauge(
                &prefixed(prefix, "service_health_status"),
                "Service health: 0 healthy, 1 degraded, 2 down.",
            )
            .register_shared(&["service"])?;
        let duration = registry
            .histogram(
                &prefixed(prefix, "service_health_check_duration_seconds"),
                "Duration of health checks.",
            )
            .with_unit("seconds")
            .with_buckets(&self.buckets)
            .register_shared(&["service"])?;
        let last = registry
            .float_gauge(
                &prefixed(prefix, "service_health_last_check_timestamp_seconds"),
                "Unix time the last health check finished.",
            )
            .with_unit("seconds")
            .register_shared(&["service"])?;
        let service = [self.service.as_str()];
        let check = HealthCheck {
            inner: Arc::new(HealthInner {
                status: status.with_labels(&service),
                duration: duration.with_labels(&service),
                last: last.with_labels(&service),
                service: self.service.into(),
            }),
        };
        check.set_status(HealthStatus::Down);
        Ok(check)
    }
}

/// The health of one named service (see the [module docs](self)). Cloning is cheap and shares
/// the series.
#[derive(Debug, Clone)]
pub struct HealthCheck {
    inner: Arc<HealthInner>,
}

#[derive(Debug)]
struct HealthInner {
    status: Gauge,
    duration: Histogram,
    last: FloatGauge,
    service: Box<str>,
}

impl HealthCheck {
    /// A builder for the service named `service` (the value of the `service` label).
    /// Defaults: no prefix, buckets [`HEALTH_CHECK_BUCKETS`].
    pub fn builder(service: impl Into<String>) -> HealthCheckBuilder {
        HealthCheckBuilder {
            service: service.into(),
            prefix: None,
            buckets: HEALTH_CHECK_BUCKETS.to_vec(),
        }
    }

    /// The service label value.
    pub fn service(&self) -> &str {
        &self.inner.service
    }

    /// The status last recorded.
    pub fn status(&self) -> HealthStatus {
        HealthStatus::from_value(self.inner.status.get()).unwrap_or(HealthStatus::Down)
    }

    /// Sets the status without running a check (for a status learnt some other way). The
    /// duration and the last-check time are left alone.
    pub fn set_status(&self, status: HealthStatus) {
        self.inner.status.set(status.value());
    }

    /// Runs one check now and records its status, duration and finishing time. A check that
    /// returns an error or panics is down; its error or panic message is reported to the error
    /// sink.
    pub fn run_once<R: HealthOutcome>(&self, check: impl FnOnce() -> R) -> HealthStatus {
        let start = Instant::now();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            check().resolve(&mut |e| self.report(e))
        }));
        let status = caught.unwrap_or_else(|payload| self.panicked(&*payload));
        self.record(status, start.elapsed())
    }

    /// Awaits one check future and records it like [`run_once`](Self::run_once), timed from
    /// its first poll; a panic while polling it is caught and makes the service down.
    pub fn run_once_async<F>(&self, check: F) -> impl Future<Output = HealthStatus>
    where
        F: Future,
        F::Output: HealthOutcome,
    {
        let health = self.clone();
        async move { health.check_async(move || check).await }
    }

    /// Checks now and then every `interval` (after each check ends) on a thread of its own,
    /// until [`HealthLoop::stop`]. The thread keeps running after a check panics: the next
    /// check runs as usual. Fails only if the thread cannot be spawned.
    pub fn spawn<C, R>(&self, interval: Duration, mut check: C) -> std::io::Result<HealthLoop>
    where
        C: FnMut() -> R + Send + 'static,
        R: HealthOutcome,
    {
        let (stop, stopped) = mpsc::channel::<()>();
        let health = self.clone();
        // A fixed name: the service name could hold a NUL, which a thread name cannot.
        let thread = std::thread::Builder::new()
            .name("vitals-health".to_owned())
            .spawn(move || loop {
                health.run_once(&mut check);
                // Waiting on the channel rather than sleeping lets `stop` end the wait early.
                match stopped.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                }
            })?;
        Ok(HealthLoop {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Checks now and then every `interval` (after each check ends), forever: the seed's
    /// `health_check_loop`. `check` makes each check's future; `sleep` is the runtime's sleep
    /// (`tokio::time::sleep`, `async_std::task::sleep`), so no runtime is tied in. Stop it by
    /// dropping the future (aborting its task).
    ///
    /// The returned future owns what it needs: it is `'static` (and `Send`) when `check`,
    /// `sleep` and their futures are, ready for `tokio::spawn`.
    pub fn run_forever<C, F, S, SF>(
        &self,
        interval: Duration,
        mut check: C,
        mut sleep: S,
    ) -> impl Future<Output = ()>
    where
        C: FnMut() -> F,
        F: Future,
        F::Output: HealthOutcome,
        S: FnMut(Duration) -> SF,
        SF: Future<Output = ()>,
    {
        let health = self.clone();
        async move {
            loop {
                health.check_async(&mut check).await;
                sleep(interval).await;
            }
        }
    }

    /// Makes the check's future with `make` and awaits it, catching panics in both.
    async fn check_async<F>(&self, make: impl FnOnce() -> F) -> HealthStatus
    where
        F: Future,
        F::Output: HealthOutcome,
    {
        let start = Instant::now();
        let status = match catch_unwind(AssertUnwindSafe(make)) {
            Ok(check) => {
                // Pinned on the heap to be polled inside `catch_unwind` without unsafe
                // pinning; one allocation per check is nothing at a check's rate.
                let mut check: Pin<Box<F>> = Box::pin(check);
                let caught = std::future::poll_fn(|cx| {
                    match catch_unwind(AssertUnwindSafe(|| check.as_mut().poll(cx))) {
                        Ok(Poll::Pending) => Poll::Pending,
                        Ok(Poll::Ready(outcome)) => Poll::Ready(Ok(outcome)),
                        Err(payload) => Poll::Ready(Err(payload)),
                    }
                })
                .await;
                match caught {
                    Ok(outcome) => catch_unwind(AssertUnwindSafe(|| {
                        outcome.resolve(&mut |e| self.report(e))
                    }))
                    .unwrap_or_else(|payload| self.panicked(&*payload)),
                    Err(payload) => self.panicked(&*payload),
                }
            }
            Err(payload) => self.panicked(&*payload),
        };
        self.record(status, start.elapsed())
    }

    fn record(&self, status: HealthStatus, elapsed: Duration) -> HealthStatus {
        self.inner.duration.observe(elapsed.as_secs_f64());
        self.inner.status.set(status.value());
        self.inner.last.set_to_current_time();
        status
    }

    fn report(&self, error: ErrorRef<'_>) {
        report(SOURCE, &[("service", &self.inner.service)], error);
    }

    fn panicked(&self, payload: &(dyn std::any::Any + Send)) -> HealthStatus {
        let message = format!("health check panicked: {}", panic_message(payload));
        self.report(ErrorRef::Message(&message));
        HealthStatus::Down
    }
}

/// A health check running on its own thread; made by [`HealthCheck::spawn`].
///
/// Dropping it stops the loop without waiting: the thread ends after its current check.
#[derive(Debug)]
#[must_use = "dropping the loop stops it"]
pub struct HealthLoop {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HealthLoop {
    /// Stops the loop and waits for its thread to end (at most one check's duration).
    pub fn stop(mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            // The loop catches the checks' panics, so the thread cannot have panicked; if it
            // did, there is nothing to add to the panic message it already printed.
            let _ = thread.join();
        }
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for HealthLoop {
    fn drop(&mut self) {
        // Dropping the sender disconnects the channel, which ends the thread's wait.
        self.stop.take();
    }
}
