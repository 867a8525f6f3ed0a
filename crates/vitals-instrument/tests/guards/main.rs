//! Guards: owned timers, in-progress gauges, error counting around closures and futures, read
//! back from a registry's exposition.
//!
//! Tests that look at the error sink share one collecting sink per process (under
//! `cargo test` every test of this binary runs in one process) and pick out their own events
//! by a source name no other test uses.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, Once};
use std::time::Duration;

use vitals::instrument::guard::{
    count_errors, count_errors_async, track_block, track_block_async, HistogramTimer, InProgress,
    InProgressGauge, ObserveExt,
};
use vitals::instrument::sink::{set_error_sink, ErrorEvent, ErrorRef};
use vitals::testing::{assert_sample, histogram, sample};
use vitals::{Counter, Family, Histogram, Registry};

/// A histogram with a 1 ms and a 1 s bucket, and an error counter, in a fresh registry.
fn block_metrics() -> (Registry, Histogram, Counter) {
    let registry = Registry::new();
    let duration = registry
        .histogram("block_duration_seconds", "Time spent in a block.")
        .with_unit("seconds")
        .with_buckets(&[0.001, 1.0])
        .register()
        .unwrap();
    let errors = registry
        .counter("block_errors", "Blocks that failed.")
        .register()
        .unwrap();
    (registry, duration, errors)
}

fn duration_count(registry: &Registry) -> u64 {
    histogram(registry, "block_duration_seconds", &[])
        .unwrap()
        .count
}

fn errors_total(registry: &Registry) -> f64 {
    sample(registry, "block_errors_total", &[]).unwrap()
}

/// Polls `future` once with a waker that does nothing, then drops it: a cancellation.
fn poll_once_then_drop<F: std::future::Future>(future: F) {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(future.as_mut().poll(&mut cx).is_pending());
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    source: String,
    labels: Vec<(String, String)>,
    message: String,
    is_error: bool,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

/// Installs the collecting sink (once per process).
fn install_sink() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        set_error_sink(|event: &ErrorEvent<'_>| {
            SEEN.lock().unwrap().push(Seen {
                source: event.source().to_owned(),
                labels: event
                    .labels()
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                message: event.error().to_string(),
                is_error: matches!(event.error(), ErrorRef::Error(_)),
            });
        });
    });
}

/// The events the sink received from `source`.
fn seen_from(source: &str) -> Vec<Seen> {
    install_sink();
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|e| e.source == source)
        .cloned()
        .collect()
}

#[test]
fn timer_observes_elapsed_seconds_on_drop() {
    let (registry, duration, _) = block_metrics();
    {
        let _timer = HistogramTimer::start(duration.clone());
        std::thread::sleep(Duration::from_millis(5));
    }
    let snapshot = histogram(&registry, "block_duration_seconds", &[]).unwrap();
    assert_eq!(snapshot.count, 1);
    assert!(
        snapshot.sum >= 0.005,
        "slept 5 ms, observed {}",
        snapshot.sum
    );
    assert_eq!(snapshot.bucket(0.001), Some(0));
}

#[test]
fn timer_stop_observes_once_and_returns_what_it_observed() {
    let (registry, duration, _) = block_metrics();
    let timer = duration.start_owned_timer();
    std::thread::sleep(Duration::from_millis(2));
    assert!(timer.elapsed() >= Duration::from_millis(2));
    let seconds = timer.stop(); // consumed: the drop that follows must not observe again
    let snapshot = histogram(&registry, "block_duration_seconds", &[]).unwrap();
    assert_eq!(snapshot.count, 1);
    assert_eq!(snapshot.sum, seconds);
}

#[test]
fn timer_discard_observes_nothing() {
    let (registry, duration, _) = block_metrics();
    let seconds = HistogramTimer::start(duration.clone()).discard();
    assert!(seconds >= 0.0);
    assert_eq!(duration_count(&registry), 0);
    assert_sample(&registry, "block_duration_seconds_sum", &[], 0.0);
}

#[test]
fn timer_observes_when_a_panic_unwinds() {
    let (registry, duration, _) = block_metrics();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _timer = duration.start_owned_timer();
        panic!("inside the timed block");
    }));
    assert!(result.is_err());
    assert_eq!(duration_count(&registry), 1);
}

#[tokio::test]
async fn timer_is_send_and_static_and_lives_across_await() {
    fn send_static<T: Send + 'static>(_: &T) {}
    let (registry, duration, _) = block_metrics();
    let timer = HistogramTimer::start(duration.clone());
    send_static(&timer);
    let spawned = tokio::spawn(async move {
        let _timer = timer;
        tokio::time::sleep(Duration::from_millis(2)).await;
    });
    spawned.await.unwrap();
    let snapshot = histogram(&registry, "block_duration_seconds", &[]).unwrap();
    assert_eq!(snapshot.count, 1);
    assert!(snapshot.sum >= 0.002);
}

#[test]
fn in_progress_is_one_while_held_and_zero_after() {
    let registry = Registry::new();
    let imports: Family<vitals::Gauge> = registry
        .gauge("imports_in_progress", "Imports running now.")
        .register_family(&["source"])
        .unwrap();
    let gauge = imports.with_labels(&["csv"]);
    let first = InProgress::new(gauge.clone());
    let second = gauge.track_in_progress();
    assert_sample(&registry, "imports_in_progress", &[("source", "csv")], 2.0);
    drop(first);
    assert_sample(&registry, "imports_in_progress", &[("source", "csv")], 1.0);
    drop(second);
    assert_sample(&registry, "imports_in_progress", &[("source", "csv")], 0.0);
}

#[test]
fn in_progress_works_for_float_gauges() {
    let registry = Registry::new();
    let gauge = registry
        .float_gauge("uploads_in_progress", "Uploads running now.")
        .register()
        .unwrap();
    gauge.set(0.5);
    let guard = gauge.track_in_progress();
    assert_sample(&registry, "uploads_in_progress", &[], 1.5);
    drop(guard);
    assert_sample(&registry, "uploads_in_progress", &[], 0.5);
}

#[test]
fn in_progress_goes_back_down_when_a_panic_unwinds() {
    let registry = Registry::new();
    let gauge = registry
        .gauge("jobs_in_progress", "Jobs running now.")
        .register()
        .unwrap();
    let mut during = None;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _guard = gauge.track_in_progress();
        during = sample(&registry, "jobs_in_progress", &[]);
        panic!("job failed");
    }));
    assert!(result.is_err());
    assert_eq!(during, Some(1.0));
    assert_sample(&registry, "jobs_in_progress", &[], 0.0);
}

#[test]
fn in_progress_leaked_with_forget_leaks_its_increment() {
    let registry = Registry::new();
    let gauge = registry
        .gauge("leaks_in_progress", "Documented: forget leaks the +1.")
        .register()
        .unwrap();
    std::mem::forget(gauge.track_in_progress());
    assert_sample(&registry, "leaks_in_progress", &[], 1.0);
}

#[test]
fn count_errors_counts_err_not_ok_and_returns_the_result() {
    let (registry, _, errors) = block_metrics();
    let ok: Result<u16, _> = count_errors("parse", &errors, || "8080".parse::<u16>());
    assert_eq!(ok, Ok(8080));
    assert_eq!(errors_total(&registry), 0.0);
    let err = count_errors("parse", &errors, || "http".parse::<u16>());
    assert_eq!(
        err.unwrap_err().to_string(),
        "invalid digit found in string"
    );
    assert_eq!(errors_total(&registry), 1.0);
}

#[test]
fn count_errors_counts_a_panic_and_lets_it_unwind_with_its_payload() {
    let (registry, _, errors) = block_metrics();
    let n = std::hint::black_box(42); // a runtime value: the payload is a String
    let result = catch_unwind(AssertUnwindSafe(|| {
        count_errors("explode", &errors, || -> Result<(), String> {
            panic!("boom {n}");
        })
    }));
    let payload = result.unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom 42");
    assert_eq!(errors_total(&registry), 1.0);
}

#[tokio::test]
async fn count_errors_async_counts_err_not_ok() {
    let (registry, _, errors) = block_metrics();
    let ok = count_errors_async("fetch", &errors, async { Ok::<_, String>(1) }).await;
    assert_eq!(ok, Ok(1));
    assert_eq!(errors_total(&registry), 0.0);
    let err = count_errors_async("fetch", &errors, async { Err::<u8, _>("refused") }).await;
    assert_eq!(err, Err("refused"));
    assert_eq!(errors_total(&registry), 1.0);
}

#[test]
fn count_errors_async_dropped_before_finishing_is_not_an_error() {
    let (registry, _, errors) = block_metrics();
    poll_once_then_drop(count_errors_async(
        "never",
        &errors,
        std::future::pending::<Result<(), String>>(),
    ));
    assert_eq!(errors_total(&registry), 0.0);
}

#[tokio::test]
async fn count_errors_async_counts_a_panic_while_polled() {
    let (registry, _, errors) = block_metrics();
    let future = count_errors_async("explode_async", &errors, async {
        tokio::task::yield_now().await;
        if std::hint::black_box(true) {
            panic!("inside the future");
        }
        Ok::<(), String>(())
    });
    // Spawned with a literal source and an owned counter clone: the future is 'static.
    let joined = tokio::spawn(future).await;
    assert!(joined.unwrap_err().is_panic());
    assert_eq!(errors_total(&registry), 1.0);
}

#[test]
fn track_block_observes_every_outcome_and_counts_errors_and_panics() {
    let (registry, duration, errors) = block_metrics();
    let ok = track_block("block", &duration, &errors, || Ok::<_, String>("rows"));
    assert_eq!(ok.unwrap(), "rows");
    assert_eq!(
        (duration_count(&registry), errors_total(&registry)),
        (1, 0.0)
    );

    let err = track_block("block", &duration, &errors, || Err::<(), _>("bad row"));
    assert!(err.is_err());
    assert_eq!(
        (duration_count(&registry), errors_total(&registry)),
        (2, 1.0)
    );

    let panicked = catch_unwind(AssertUnwindSafe(|| {
        track_block("block", &duration, &errors, || -> Result<(), String> {
            panic!("block panicked")
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(
        (duration_count(&registry), errors_total(&registry)),
        (3, 2.0)
    );
}

#[tokio::test]
async fn track_block_async_observes_and_counts() {
    let (registry, duration, errors) = block_metrics();
    let ok = track_block_async("load", &duration, &errors, async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok::<_, String>(3)
    })
    .await;
    assert_eq!(ok, Ok(3));
    let err = track_block_async("load", &duration, &errors, async { Err::<(), _>("gone") }).await;
    assert!(err.is_err());
    let snapshot = histogram(&registry, "block_duration_seconds", &[]).unwrap();
    assert_eq!(snapshot.count, 2);
    assert!(snapshot.sum >= 0.002);
    assert_eq!(errors_total(&registry), 1.0);
}

#[test]
fn track_block_async_cancelled_observes_the_duration_but_counts_no_error() {
    let (registry, duration, errors) = block_metrics();
    poll_once_then_drop(track_block_async(
        "cancelled",
        &duration,
        &errors,
        std::future::pending::<Result<(), String>>(),
    ));
    assert_eq!(duration_count(&registry), 1);
    assert_eq!(errors_total(&registry), 0.0);
}

#[test]
fn errors_reach_the_sink_by_their_text_with_the_given_source_and_panics_do_not() {
    let (_registry, duration, errors) = block_metrics();
    install_sink();
    let source = "guards_sink_test_count_errors";
    let _ = count_errors(source, &errors, || Err::<(), _>("disk full"));
    let _ = track_block(source, &duration, &errors, || {
        Err::<(), _>(std::io::Error::other("read-only file system"))
    });
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        count_errors(source, &errors, || -> Result<(), String> {
            panic!("not reported")
        })
    }));
    assert!(panicked.is_err());

    let seen = seen_from(source);
    let expected = |message: &str| Seen {
        source: source.to_owned(),
        labels: Vec::new(),
        message: message.to_owned(),
        is_error: false,
    };
    assert_eq!(
        seen,
        [expected("disk full"), expected("read-only file system")]
    );
    assert_eq!(errors.get(), 3);
}

#[test]
fn ok_and_cancelled_calls_reach_no_sink() {
    let (_registry, _, errors) = block_metrics();
    install_sink();
    let source = "guards_sink_test_quiet";
    let _ = count_errors(source, &errors, || Ok::<_, String>(()));
    poll_once_then_drop(count_errors_async(
        source,
        &errors,
        std::future::pending::<Result<(), String>>(),
    ));
    assert!(seen_from(source).is_empty());
}
