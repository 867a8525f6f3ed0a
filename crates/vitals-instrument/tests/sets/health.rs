//! HealthCheck: 0/1/2, errors and panics are down, duration and last-check time, the thread
//! and async loops, the error sink.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use vitals::testing::{histogram, sample};
use vitals::{ErrorKind, Registry};
use vitals_instrument::sets::{HealthCheck, HealthStatus};

use crate::Capture;

fn status(registry: &Registry, service: &str) -> Option<f64> {
    sample(registry, "service_health_status", &[("service", service)])
}

fn checks(registry: &Registry, service: &str) -> u64 {
    histogram(
        registry,
        "service_health_check_duration_seconds",
        &[("service", service)],
    )
    .map_or(0, |h| h.count)
}

#[test]
fn statuses_are_zero_one_two_and_errors_and_panics_are_down() {
    let registry = Registry::new();
    let db = HealthCheck::builder("database")
        .register_in(&registry)
        .unwrap();
    // Down until a check shows otherwise; never checked: timestamp 0.
    assert_eq!(status(&registry, "database"), Some(2.0));
    assert_eq!(
        sample(
            &registry,
            "service_health_last_check_timestamp_seconds",
            &[("service", "database")]
        ),
        Some(0.0)
    );

    assert_eq!(db.run_once(|| HealthStatus::Healthy), HealthStatus::Healthy);
    assert_eq!(status(&registry, "database"), Some(0.0));
    assert_eq!(
        db.run_once(|| HealthStatus::Degraded),
        HealthStatus::Degraded
    );
    assert_eq!(status(&registry, "database"), Some(1.0));
    assert_eq!(db.run_once(|| true), HealthStatus::Healthy);
    assert_eq!(status(&registry, "database"), Some(0.0));
    assert_eq!(db.run_once(|| false), HealthStatus::Degraded);
    assert_eq!(status(&registry, "database"), Some(1.0));
    assert_eq!(
        db.run_once(|| Ok::<(), io::Error>(())),
        HealthStatus::Healthy
    );
    assert_eq!(
        db.run_once(|| Ok::<_, io::Error>(HealthStatus::Degraded)),
        HealthStatus::Degraded
    );
    assert_eq!(
        db.run_once(|| Err::<bool, _>(io::Error::other("refused"))),
        HealthStatus::Down
    );
    assert_eq!(status(&registry, "database"), Some(2.0));
    db.run_once(|| HealthStatus::Healthy);
    assert_eq!(
        db.run_once(|| -> HealthStatus { panic!("check bug") }),
        HealthStatus::Down
    );
    assert_eq!(status(&registry, "database"), Some(2.0));
    assert_eq!(db.status(), HealthStatus::Down);

    assert_eq!(checks(&registry, "database"), 9);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let last = sample(
        &registry,
        "service_health_last_check_timestamp_seconds",
        &[("service", "database")],
    )
    .unwrap();
    assert!(last <= now && now - last < 60.0, "{last} vs {now}");
}

#[test]
fn durations_are_observed() {
    let registry = Registry::new();
    let slow = HealthCheck::builder("slow").register_in(&registry).unwrap();
    slow.run_once(|| std::thread::sleep(Duration::from_millis(20)));
    let snapshot = histogram(
        &registry,
        "service_health_check_duration_seconds",
        &[("service", "slow")],
    )
    .unwrap();
    assert_eq!(snapshot.count, 1);
    assert!(snapshot.sum >= 0.02, "{}", snapshot.sum);
    assert_eq!(snapshot.bucket(0.01), Some(0));
    assert_eq!(snapshot.bucket(10.0), Some(1));
}

#[test]
fn set_status_and_values() {
    let registry = Registry::new();
    let cache = HealthCheck::builder("cache")
        .register_in(&registry)
        .unwrap();
    cache.set_status(HealthStatus::Degraded);
    assert_eq!(status(&registry, "cache"), Some(1.0));
    assert_eq!(checks(&registry, "cache"), 0);
    for s in [
        HealthStatus::Healthy,
        HealthStatus::Degraded,
        HealthStatus::Down,
    ] {
        assert_eq!(HealthStatus::from_value(s.value()), Some(s));
    }
    assert_eq!(HealthStatus::from_value(3), None);
}

#[test]
fn the_thread_loop_checks_periodically_until_stopped() {
    let registry = Registry::new();
    let api = HealthCheck::builder("api").register_in(&registry).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let checker = api
        .spawn(Duration::from_millis(5), move || {
            // Every third check panics; the loop goes on.
            match counter.fetch_add(1, Ordering::SeqCst) % 3 {
                2 => panic!("flaky check"),
                _ => HealthStatus::Healthy,
            }
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while runs.load(Ordering::SeqCst) < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    checker.stop();
    let after_stop = runs.load(Ordering::SeqCst);
    assert!(after_stop >= 4, "{after_stop} checks");
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(runs.load(Ordering::SeqCst), after_stop, "checks after stop");
    assert_eq!(checks(&registry, "api"), after_stop as u64);
}

#[test]
fn dropping_the_loop_stops_its_thread() {
    let registry = Registry::new();
    let api = HealthCheck::builder("api").register_in(&registry).unwrap();
    let checker = api.spawn(Duration::from_secs(3600), || true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while checks(&registry, "api") < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!checker.is_finished(), "waiting an hour for the next check");
    drop(checker);
    // The hour-long wait ended at the drop: one check only.
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(checks(&registry, "api"), 1);
    assert_eq!(status(&registry, "api"), Some(0.0));
}

#[tokio::test]
async fn async_checks_and_the_async_loop() {
    let registry = Registry::new();
    let search = HealthCheck::builder("search")
        .register_in(&registry)
        .unwrap();

    let checked = search
        .run_once_async(async {
            tokio::time::sleep(Duration::from_millis(2)).await;
            Ok::<_, io::Error>(false)
        })
        .await;
    assert_eq!(checked, HealthStatus::Degraded);
    assert_eq!(status(&registry, "search"), Some(1.0));

    let panicked = search
        .run_once_async(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if checked == HealthStatus::Degraded {
                panic!("async check bug");
            }
            HealthStatus::Healthy
        })
        .await;
    assert_eq!(panicked, HealthStatus::Down);
    assert_eq!(status(&registry, "search"), Some(2.0));

    // The seed's loop as a task, stopped by aborting the task (dropping the future).
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let forever = search.run_forever(
        Duration::from_millis(5),
        move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                HealthStatus::Healthy
            }
        },
        tokio::time::sleep,
    );
    // Spawnable: 'static and Send.
    let task = tokio::spawn(forever);
    tokio::time::sleep(Duration::from_millis(60)).await;
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let looped = runs.load(Ordering::SeqCst);
    assert!(looped >= 2, "{looped} checks");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        looped,
        "checks after the abort"
    );
    assert_eq!(status(&registry, "search"), Some(0.0));
}

#[test]
fn errors_and_panics_go_to_the_error_sink() {
    let capture = Capture::install();
    let registry = Registry::new();
    let check = HealthCheck::builder("sink-test-service")
        .register_in(&registry)
        .unwrap();
    check.run_once(|| Err::<(), _>(io::Error::other("connection refused")));
    check.run_once(|| -> bool { panic!("check bug") });
    check.run_once(|| false); // degraded: not an error

    let events = capture.with_label(("service", "sink-test-service"));
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].source, "health_check");
    assert_eq!(
        events[0].labels,
        [("service".to_owned(), "sink-test-service".to_owned())]
    );
    assert_eq!(events[0].message, "connection refused");
    assert!(events[0].is_error);
    assert_eq!(events[1].message, "health check panicked: check bug");
    assert!(!events[1].is_error);
}

#[test]
fn two_services_share_families_and_conflicts_are_errors() {
    let registry = Registry::new();
    let a = HealthCheck::builder("a").register_in(&registry).unwrap();
    let b = HealthCheck::builder("b").register_in(&registry).unwrap();
    a.run_once(|| HealthStatus::Healthy);
    b.run_once(|| HealthStatus::Degraded);
    assert_eq!(status(&registry, "a"), Some(0.0));
    assert_eq!(status(&registry, "b"), Some(1.0));
    assert_eq!(registry.family_names().len(), 3);

    let err = HealthCheck::builder("c")
        .with_buckets(&[1.0])
        .register_in(&registry)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);
    let err = HealthCheck::builder("c")
        .with_prefix("9lives")
        .register_in(&Registry::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidMetricName);
}
