//! DbMetrics: durations by query type, bounded error types, async and cancelled queries, the
//! error sink.

use std::io;
use std::time::Duration;

use vitals::testing::{histogram, sample, samples};
use vitals::{ErrorKind, Registry};
use vitals_instrument::sets::DbMetrics;
use vitals_instrument::sink::ErrorRef;

use crate::{expect_panic, Capture};

fn classify(error: &(dyn std::error::Error + 'static)) -> &'static str {
    match error.downcast_ref::<io::Error>().map(io::Error::kind) {
        Some(io::ErrorKind::TimedOut) => "timeout",
        Some(io::ErrorKind::NotFound) => "not_found",
        _ => "other",
    }
}

fn errors(registry: &Registry, query_type: &str, error_type: &str) -> Option<f64> {
    sample(
        registry,
        "db_query_errors_total",
        &[("query_type", query_type), ("error_type", error_type)],
    )
}

#[test]
fn queries_are_timed_and_errors_counted_by_classified_type() {
    let registry = Registry::new();
    let db = DbMetrics::builder()
        .with_error_classifier(classify)
        .register_in(&registry)
        .unwrap();

    assert_eq!(db.query("select", || Ok::<_, io::Error>(3)).unwrap(), 3);
    assert_eq!(db.query("select", || Ok::<_, io::Error>(4)).unwrap(), 4);
    let timeout = db.query("insert", || {
        Err::<(), _>(io::Error::new(io::ErrorKind::TimedOut, "lock wait timeout"))
    });
    assert_eq!(timeout.unwrap_err().kind(), io::ErrorKind::TimedOut);
    let _ = db.query("insert", || Err::<(), _>(io::Error::other("duplicate key")));
    let _ = db.query("insert", || Err::<(), _>(io::Error::other("duplicate key")));

    let select = histogram(
        &registry,
        "db_query_duration_seconds",
        &[("query_type", "select")],
    );
    assert_eq!(select.unwrap().count, 2);
    let insert = histogram(
        &registry,
        "db_query_duration_seconds",
        &[("query_type", "insert")],
    );
    assert_eq!(insert.unwrap().count, 3, "failed queries are timed too");
    assert_eq!(errors(&registry, "insert", "timeout"), Some(1.0));
    assert_eq!(errors(&registry, "insert", "other"), Some(2.0));
    // Successful queries create no error series; error types are only the classifier's.
    assert_eq!(samples(&registry, "db_query_errors_total").len(), 2);
}

#[test]
fn the_default_classifier_says_error() {
    let registry = Registry::new();
    let db = DbMetrics::builder().register_in(&registry).unwrap();
    let _ = db.query("update", || Err::<(), _>(io::Error::other("boom")));
    assert_eq!(errors(&registry, "update", "error"), Some(1.0));
}

#[test]
fn a_resolved_query_type_and_a_hand_timer_record_exact_durations() {
    let registry = Registry::new();
    let db = DbMetrics::builder().register_in(&registry).unwrap();
    let select = db.query_type("select");
    assert_eq!(select.query_type(), "select");

    let first = select.start().success();
    let second = select
        .start()
        .failure("deadlock", ErrorRef::Message(&"deadlock detected"));
    select.run(|| Ok::<_, io::Error>(())).unwrap();

    let snapshot = histogram(
        &registry,
        "db_query_duration_seconds",
        &[("query_type", "select")],
    )
    .unwrap();
    assert_eq!(snapshot.count, 3);
    assert!(snapshot.sum >= first.as_secs_f64() + second.as_secs_f64());
    assert_eq!(errors(&registry, "select", "deadlock"), Some(1.0));
}

#[test]
fn a_panicking_query_counts_as_panic() {
    let registry = Registry::new();
    let db = DbMetrics::builder().register_in(&registry).unwrap();
    expect_panic(|| {
        db.query("delete", || -> Result<(), io::Error> {
            panic!("driver bug")
        })
    });
    assert_eq!(errors(&registry, "delete", "panic"), Some(1.0));
    let delete = histogram(
        &registry,
        "db_query_duration_seconds",
        &[("query_type", "delete")],
    );
    assert_eq!(delete.unwrap().count, 1);
}

#[tokio::test]
async fn async_queries_and_cancelled_ones() {
    let registry = Registry::new();
    let db = DbMetrics::builder()
        .with_error_classifier(classify)
        .register_in(&registry)
        .unwrap();

    let rows = db
        .query_async("select", async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok::<_, io::Error>(vec![1, 2])
        })
        .await
        .unwrap();
    assert_eq!(rows, [1, 2]);
    let missing = db
        .query_async("select", async {
            Err::<(), _>(io::Error::new(io::ErrorKind::NotFound, "no such table"))
        })
        .await;
    assert!(missing.is_err());

    // A query cut short by a timeout: its future is dropped before it completes.
    let slow = db.query_async("select", std::future::pending::<Result<(), io::Error>>());
    assert!(tokio::time::timeout(Duration::from_millis(5), slow)
        .await
        .is_err());

    // A future never polled is not a query: nothing observed (the series exists, at 0).
    drop(db.query_async("insert", async { Ok::<_, io::Error>(()) }));

    let select = histogram(
        &registry,
        "db_query_duration_seconds",
        &[("query_type", "select")],
    )
    .unwrap();
    assert_eq!(select.count, 3);
    assert!(select.sum >= 0.005);
    assert_eq!(errors(&registry, "select", "not_found"), Some(1.0));
    assert_eq!(errors(&registry, "select", "cancelled"), Some(1.0));
    let insert = histogram(
        &registry,
        "db_query_duration_seconds",
        &[("query_type", "insert")],
    )
    .unwrap();
    assert_eq!(insert.count, 0);
    assert_eq!(errors(&registry, "insert", "cancelled"), None);
}

#[tokio::test]
async fn the_async_wrapper_is_static_and_send() {
    let registry = Registry::new();
    let db = DbMetrics::builder().register_in(&registry).unwrap();
    let query_type = String::from("select");
    let future = db.query_async(&query_type, async { Ok::<_, io::Error>(1) });
    drop(query_type);
    // `tokio::spawn` needs `'static + Send`.
    assert_eq!(tokio::spawn(future).await.unwrap().unwrap(), 1);
    assert_eq!(
        histogram(
            &registry,
            "db_query_duration_seconds",
            &[("query_type", "select")]
        )
        .unwrap()
        .count,
        1
    );
}

#[test]
fn failures_go_to_the_error_sink_with_the_series_labels() {
    let capture = Capture::install();
    let registry = Registry::new();
    let db = DbMetrics::builder()
        .with_error_classifier(classify)
        .register_in(&registry)
        .unwrap();
    let _ = db.query("sink_test_insert", || {
        Err::<(), _>(io::Error::new(io::ErrorKind::TimedOut, "lock wait timeout"))
    });
    let _ = db.query("sink_test_insert", || Ok::<_, io::Error>(()));

    let events = capture.with_label(("query_type", "sink_test_insert"));
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.source, "db_query");
    assert_eq!(
        event.labels,
        [
            ("query_type".to_owned(), "sink_test_insert".to_owned()),
            ("error_type".to_owned(), "timeout".to_owned())
        ]
    );
    assert_eq!(event.message, "lock wait timeout");
    assert!(event.is_error);
}

#[test]
fn registration_errors() {
    let registry = Registry::new();
    DbMetrics::builder().register_in(&registry).unwrap();
    // Sharing with the same definition works...
    DbMetrics::builder().register_in(&registry).unwrap();
    // ...another bucket layout does not.
    let err = DbMetrics::builder()
        .with_buckets(&[0.1, 1.0])
        .register_in(&registry)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);
    assert!(
        err.to_string().contains("db_query_duration_seconds"),
        "{err}"
    );
}
