//! `BatchTracker`: status, item counts and duration of batches, read back from a registry's
//! exposition.
//!
//! Tests that look at the error sink share one collecting sink per process and pick out
//! their own events by an operation name no other test uses.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, Once};

use vitals::instrument::batch::{Batch, BatchStatus, BatchTracker, DEFAULT_BATCH_BUCKETS};
use vitals::instrument::sink::{set_error_sink, ErrorEvent, ErrorRef};
use vitals::testing::{histogram, sample, LocalRegistry};
use vitals::{ErrorKind, Registry};

/// Every series of `operation`: [success, partial, failure, processed, failed, durations].
fn series(registry: &Registry, operation: &str) -> [f64; 6] {
    let op = ("operation", operation);
    let status = |s: &str| sample(registry, "batch_operations_total", &[op, ("status", s)]);
    [
        status("success").unwrap(),
        status("partial").unwrap(),
        status("failure").unwrap(),
        sample(registry, "batch_items_processed_total", &[op]).unwrap(),
        sample(registry, "batch_items_failed_total", &[op]).unwrap(),
        histogram(registry, "batch_duration_seconds", &[op])
            .unwrap()
            .count as f64,
    ]
}

fn tracker(operation: &str) -> (Registry, BatchTracker) {
    let registry = Registry::new();
    let tracker = BatchTracker::builder(operation)
        .register_in(&registry)
        .unwrap();
    (registry, tracker)
}

fn check(value: &u32) -> Result<(), String> {
    if value % 2 == 0 {
        Ok(())
    } else {
        Err(format!("{value} is odd"))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    source: String,
    labels: Vec<(String, String)>,
    message: String,
    io_kind: Option<std::io::ErrorKind>,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

fn install_sink() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        set_error_sink(|event: &ErrorEvent<'_>| {
            let io_kind = match event.error() {
                ErrorRef::Error(e) => e.downcast_ref::<std::io::Error>().map(|e| e.kind()),
                _ => None,
            };
            SEEN.lock().unwrap().push(Seen {
                source: event.source().to_owned(),
                labels: event
                    .labels()
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                message: event.error().to_string(),
                io_kind,
            });
        });
    });
}

fn seen_from(source: &str) -> Vec<Seen> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|e| e.source == source)
        .cloned()
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn registering_creates_every_series_of_the_operation_at_zero() {
    let (registry, _tracker) = tracker("import_users");
    assert_eq!(series(&registry, "import_users"), [0.0; 6]);
    let buckets = histogram(
        &registry,
        "batch_duration_seconds",
        &[("operation", "import_users")],
    )
    .unwrap()
    .buckets;
    let bounds: Vec<f64> = buckets.iter().map(|(le, _)| *le).collect();
    assert_eq!(bounds[..bounds.len() - 1], *DEFAULT_BATCH_BUCKETS);
}

#[test]
fn every_item_ok_is_success() {
    let (registry, tracker) = tracker("import_users");
    let mut batch = tracker.start();
    batch.process([2, 4, 6], |n| check(&n));
    batch.items_ok(2);
    assert_eq!((batch.succeeded(), batch.failed()), (5, 0));
    assert_eq!(batch.finish(), BatchStatus::Success);
    assert_eq!(
        series(&registry, "import_users"),
        [1.0, 0.0, 0.0, 5.0, 0.0, 1.0]
    );
}

#[test]
fn some_items_failed_is_partial() {
    let (registry, tracker) = tracker("import_users");
    assert_eq!(
        tracker.process([1, 2, 3, 4], |n| check(&n)),
        BatchStatus::Partial
    );
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 1.0, 0.0, 2.0, 2.0, 1.0]
    );
}

#[test]
fn every_item_failed_is_failure() {
    let (registry, tracker) = tracker("import_users");
    let mut batch = tracker.start();
    batch.item_failed("row 1 has no id");
    batch.item_failed(&std::io::Error::other("row 2 unreadable"));
    assert_eq!(batch.status(), BatchStatus::Failure);
    assert_eq!(batch.finish(), BatchStatus::Failure);
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 0.0, 1.0, 0.0, 2.0, 1.0]
    );
}

#[test]
fn an_empty_batch_is_success() {
    let (registry, tracker) = tracker("import_users");
    assert_eq!(tracker.start().finish(), BatchStatus::Success);
    assert_eq!(
        series(&registry, "import_users"),
        [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn items_are_counted_as_they_are_recorded() {
    let (registry, tracker) = tracker("import_users");
    let mut batch = tracker.start();
    batch.item_ok();
    batch.item_failed("bad row");
    // Progress is visible before the batch ends; its status is not.
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    );
    assert_eq!(batch.finish(), BatchStatus::Partial);
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    );
}

#[test]
fn abort_is_failure_whatever_the_items() {
    let (registry, tracker) = tracker("import_users");
    let mut batch = tracker.start();
    batch.items_ok(3);
    assert_eq!(batch.abort("lost the database"), BatchStatus::Failure);
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 0.0, 1.0, 3.0, 0.0, 1.0]
    );
}

#[test]
fn run_finishes_on_ok_and_fails_on_err() {
    let (registry, tracker) = tracker("import_users");
    let ok: Result<u64, String> = tracker.run(|batch| {
        batch.process([2, 3], |n| check(&n));
        Ok(batch.succeeded())
    });
    assert_eq!(ok, Ok(1));
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    );

    let err: Result<(), String> = tracker.run(|batch| {
        batch.item_ok();
        Err("connection reset".to_string())
    });
    assert_eq!(err, Err("connection reset".to_string()));
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 1.0, 1.0, 2.0, 1.0, 2.0]
    );
}

#[test]
fn dropped_without_finish_records_the_status_of_its_items() {
    let (registry, tracker) = tracker("import_users");
    {
        let mut batch = tracker.start();
        batch.item_ok();
        batch.item_failed("bad row");
    }
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    );
}

#[test]
fn dropped_while_a_panic_unwinds_is_failure() {
    let (registry, tracker) = tracker("import_users");
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut batch = tracker.start();
        batch.items_ok(2);
        panic!("the importer crashed");
    }));
    assert!(result.is_err());
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 0.0, 1.0, 2.0, 0.0, 1.0]
    );
}

#[test]
fn a_panicking_item_is_a_failed_item_and_fails_the_batch() {
    let (registry, tracker) = tracker("import_users");
    let result = catch_unwind(AssertUnwindSafe(|| {
        tracker.process([2, 4, 5], |n| {
            assert!(n < 5, "item {n} crashed");
            Ok::<_, String>(())
        })
    }));
    assert!(result.is_err());
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 0.0, 1.0, 2.0, 1.0, 1.0]
    );
}

#[test]
fn a_panic_inside_run_fails_the_batch() {
    let (registry, tracker) = tracker("import_users");
    let result = catch_unwind(AssertUnwindSafe(|| {
        tracker.run(|batch| -> Result<(), String> {
            batch.item_ok();
            panic!("bug");
        })
    }));
    assert!(result.is_err());
    assert_eq!(
        series(&registry, "import_users"),
        [0.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    );
}

#[test]
fn run_item_returns_the_closure_result() {
    let (_registry, tracker) = tracker("import_users");
    let mut batch = tracker.start();
    assert_eq!(batch.run_item(|| Ok::<_, String>(7)), Ok(7));
    assert_eq!(batch.run_item(|| Err::<u8, _>("no")), Err("no"));
    assert_eq!(batch.finish(), BatchStatus::Partial);
}

#[test]
fn operations_share_the_families_and_keep_their_own_series() {
    let registry = Registry::new();
    let users = BatchTracker::builder("import_users")
        .register_in(&registry)
        .unwrap();
    let tickets = BatchTracker::builder("sync_tickets")
        .register_in(&registry)
        .unwrap();
    let users_again = BatchTracker::builder("import_users")
        .register_in(&registry)
        .unwrap();
    users.process([2], |n| check(&n));
    users_again.process([1], |n| check(&n));
    tickets.process([1, 2], |n| check(&n));
    assert_eq!(
        series(&registry, "import_users"),
        [1.0, 0.0, 1.0, 1.0, 1.0, 2.0]
    );
    assert_eq!(
        series(&registry, "sync_tickets"),
        [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    );
    assert_eq!(users.operation(), "import_users");
}

#[test]
fn prefix_and_buckets_are_configurable_and_must_agree_within_a_registry() {
    let registry = Registry::new();
    let tracker = BatchTracker::builder("nightly")
        .with_prefix("myapp")
        .with_buckets(&[1.0, 60.0])
        .register_in(&registry)
        .unwrap();
    tracker.process([2], |n| check(&n));
    let op = ("operation", "nightly");
    assert_eq!(
        sample(
            &registry,
            "myapp_batch_operations_total",
            &[op, ("status", "success")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&registry, "myapp_batch_items_processed_total", &[op]),
        Some(1.0)
    );
    let snapshot = histogram(&registry, "myapp_batch_duration_seconds", &[op]).unwrap();
    assert_eq!(snapshot.buckets, [(1.0, 1), (60.0, 1), (f64::INFINITY, 1)]);

    let other = BatchTracker::builder("hourly")
        .with_prefix("myapp")
        .register_in(&registry);
    assert_eq!(other.unwrap_err().kind(), ErrorKind::DuplicateMetric);
}

#[test]
fn new_registers_in_the_current_registry() {
    let registry = LocalRegistry::new();
    let tracker = BatchTracker::new("local_op").unwrap();
    tracker.process([2, 4], |n| check(&n));
    assert_eq!(
        series(&registry, "local_op"),
        [1.0, 0.0, 0.0, 2.0, 0.0, 1.0]
    );
}

#[tokio::test]
async fn a_batch_is_send_and_lives_across_await() {
    fn send_static<T: Send + 'static>(_: &T) {}
    let (registry, tracker) = tracker("async_import");
    let mut batch: Batch = tracker.start();
    send_static(&batch);
    let status = tokio::spawn(async move {
        for n in [2u32, 3] {
            tokio::task::yield_now().await;
            let _ = batch.run_item(|| check(&n));
        }
        batch.finish()
    })
    .await
    .unwrap();
    assert_eq!(status, BatchStatus::Partial);
    assert_eq!(
        series(&registry, "async_import"),
        [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    );
}

#[test]
fn errors_reach_the_sink_with_the_labels_of_the_series_that_counted_them() {
    install_sink();
    let operation = "batch_sink_test_operation";
    let (_registry, tracker) = tracker(operation);
    let mut batch = tracker.start();
    batch.item_failed(&std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "no such user",
    ));
    let _ = batch.run_item(|| check(&3));
    batch.item_failed("row 9 is empty");
    let _ = batch.abort(&*Box::<dyn std::error::Error + Send + Sync>::from(
        "gave up",
    ));
    let _: Result<(), String> = tracker.run(|_| Err("timed out".to_string()));

    let item = labels(&[("operation", operation)]);
    let batch_failure = labels(&[("operation", operation), ("status", "failure")]);
    let seen = |labels: &Vec<(String, String)>, message: &str, io_kind| Seen {
        source: operation.to_owned(),
        labels: labels.clone(),
        message: message.to_owned(),
        io_kind,
    };
    assert_eq!(
        seen_from(operation),
        [
            seen(&item, "no such user", Some(std::io::ErrorKind::NotFound)),
            seen(&item, "3 is odd", None),
            seen(&item, "row 9 is empty", None),
            seen(&batch_failure, "gave up", None),
            seen(&batch_failure, "timed out", None),
        ]
    );
}
