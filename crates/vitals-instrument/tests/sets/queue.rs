//! QueueMetrics and MeteredQueue.

use std::time::Duration;

use vitals::testing::{histogram, sample, samples, LocalRegistry};
use vitals::{ErrorKind, Registry};
use vitals_instrument::sets::{Enqueued, MeteredQueue, QueueMetrics};

const EMAIL: (&str, &str) = ("queue", "email");

#[test]
fn enqueue_and_dequeue_keep_depth_counts_and_waits() {
    let registry = Registry::new();
    let queue = QueueMetrics::builder("email")
        .register_in(&registry)
        .unwrap();
    // Resolved at construction: the series exist at zero before any item.
    assert_eq!(sample(&registry, "queue_depth", &[EMAIL]), Some(0.0));
    assert_eq!(
        sample(&registry, "queue_items_enqueued_total", &[EMAIL]),
        Some(0.0)
    );

    let a = queue.enqueued();
    let b = queue.enqueued();
    let c = queue.enqueued();
    assert_eq!(sample(&registry, "queue_depth", &[EMAIL]), Some(3.0));
    assert_eq!(
        sample(&registry, "queue_items_enqueued_total", &[EMAIL]),
        Some(3.0)
    );

    std::thread::sleep(Duration::from_millis(2));
    let wait_a = queue.dequeued(a);
    let wait_b = queue.dequeued(b);
    assert!(wait_a >= Duration::from_millis(2));
    queue.discarded(c);

    assert_eq!(sample(&registry, "queue_depth", &[EMAIL]), Some(0.0));
    assert_eq!(
        sample(&registry, "queue_items_processed_total", &[EMAIL]),
        Some(2.0)
    );
    let waits = histogram(&registry, "queue_wait_seconds", &[EMAIL]).unwrap();
    assert_eq!(waits.count, 2);
    assert_eq!(waits.sum, wait_a.as_secs_f64() + wait_b.as_secs_f64());
    assert_eq!(waits.bucket(0.001), Some(0));
}

#[test]
fn external_queue_records_polled_depth_counts_and_given_waits() {
    let registry = Registry::new();
    let queue = QueueMetrics::builder("sqs").register_in(&registry).unwrap();
    let sqs = [("queue", "sqs")];
    queue.set_depth(42);
    queue.add_enqueued(50);
    queue.add_processed(8);
    queue.observe_wait(Duration::from_millis(250));
    queue.observe_wait(Duration::from_secs(2));

    assert_eq!(sample(&registry, "queue_depth", &sqs), Some(42.0));
    assert_eq!(
        sample(&registry, "queue_items_enqueued_total", &sqs),
        Some(50.0)
    );
    assert_eq!(
        sample(&registry, "queue_items_processed_total", &sqs),
        Some(8.0)
    );
    let waits = histogram(&registry, "queue_wait_seconds", &sqs).unwrap();
    assert_eq!(waits.count, 2);
    assert_eq!(waits.sum, 2.25);
    assert_eq!(waits.bucket(0.1), Some(0));
    assert_eq!(waits.bucket(0.5), Some(1));
    assert_eq!(waits.bucket(1.0), Some(1));
    assert_eq!(waits.bucket(5.0), Some(2));
    assert_eq!(waits.bucket(f64::INFINITY), Some(2));
}

#[test]
fn an_enqueued_token_can_be_rebuilt_from_an_instant() {
    let registry = Registry::new();
    let queue = QueueMetrics::builder("jobs")
        .register_in(&registry)
        .unwrap();
    let token = queue.enqueued();
    let rebuilt = Enqueued::at(token.instant());
    assert_eq!(rebuilt, token);
    let waited = queue.dequeued(rebuilt);
    let waits = histogram(&registry, "queue_wait_seconds", &[("queue", "jobs")]).unwrap();
    assert_eq!(waits.count, 1);
    assert_eq!(waits.sum, waited.as_secs_f64());
}

#[test]
fn metered_queue_is_the_seed_metrics_aware_queue() {
    let registry = Registry::new();
    let queue = MeteredQueue::new(
        QueueMetrics::builder("thumbs")
            .register_in(&registry)
            .unwrap(),
    );
    let thumbs = [("queue", "thumbs")];
    queue.push(1);
    queue.push(2);
    queue.push(3);
    assert_eq!(sample(&registry, "queue_depth", &thumbs), Some(3.0));
    assert_eq!(queue.pop(), Some(1));
    assert_eq!(queue.pop(), Some(2));
    assert_eq!(queue.len(), 1);
    assert!(!queue.is_empty());
    assert_eq!(sample(&registry, "queue_depth", &thumbs), Some(1.0));
    assert_eq!(
        sample(&registry, "queue_items_enqueued_total", &thumbs),
        Some(3.0)
    );
    assert_eq!(
        sample(&registry, "queue_items_processed_total", &thumbs),
        Some(2.0)
    );
    assert_eq!(
        histogram(&registry, "queue_wait_seconds", &thumbs)
            .unwrap()
            .count,
        2
    );

    assert_eq!(queue.pop(), Some(3));
    assert_eq!(queue.pop(), None);
    assert_eq!(sample(&registry, "queue_depth", &thumbs), Some(0.0));
    assert_eq!(
        sample(&registry, "queue_items_processed_total", &thumbs),
        Some(3.0)
    );
}

#[test]
fn metered_queue_depth_is_exact_under_concurrency() {
    let registry = Registry::new();
    let queue = std::sync::Arc::new(MeteredQueue::new(
        QueueMetrics::builder("busy")
            .register_in(&registry)
            .unwrap(),
    ));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let queue = std::sync::Arc::clone(&queue);
            std::thread::spawn(move || {
                for i in 0..1000 {
                    queue.push(i);
                    if i % 2 == 0 {
                        queue.pop();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let busy = [("queue", "busy")];
    assert_eq!(queue.len(), 2000);
    assert_eq!(sample(&registry, "queue_depth", &busy), Some(2000.0));
    assert_eq!(
        sample(&registry, "queue_items_enqueued_total", &busy),
        Some(4000.0)
    );
    assert_eq!(
        sample(&registry, "queue_items_processed_total", &busy),
        Some(2000.0)
    );
}

#[test]
fn two_queues_share_families_and_differ_by_label() {
    let registry = Registry::new();
    let email = QueueMetrics::builder("email")
        .register_in(&registry)
        .unwrap();
    let sms = QueueMetrics::builder("sms").register_in(&registry).unwrap();
    let again = QueueMetrics::builder("email")
        .register_in(&registry)
        .unwrap();
    let _a = email.enqueued();
    let _b = again.enqueued();
    let _c = sms.enqueued();

    assert_eq!(
        registry.family_names(),
        [
            "queue_depth",
            "queue_items_enqueued",
            "queue_items_processed",
            "queue_wait_seconds"
        ]
    );
    // The same name is the same series.
    assert_eq!(sample(&registry, "queue_depth", &[EMAIL]), Some(2.0));
    assert_eq!(
        sample(&registry, "queue_depth", &[("queue", "sms")]),
        Some(1.0)
    );
    assert_eq!(samples(&registry, "queue_items_enqueued_total").len(), 2);
}

#[test]
fn prefix_and_current_registry() {
    let registry = LocalRegistry::new();
    let queue = QueueMetrics::builder("email")
        .with_prefix("shop")
        .register()
        .unwrap();
    queue.set_depth(7);
    assert_eq!(sample(&registry, "shop_queue_depth", &[EMAIL]), Some(7.0));
    assert_eq!(sample(&registry, "queue_depth", &[EMAIL]), None);
}

#[test]
fn registration_errors() {
    let registry = Registry::new();
    QueueMetrics::builder("email")
        .register_in(&registry)
        .unwrap();

    // Another queue with other wait buckets cannot share the histogram.
    let err = QueueMetrics::builder("sms")
        .with_wait_buckets(&[1.0, 2.0])
        .register_in(&registry)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);
    assert!(err.to_string().contains("queue_wait_seconds"), "{err}");

    // A family of the same name registered as the caller's own.
    let taken = Registry::new();
    taken
        .gauge("queue_depth", "Mine.")
        .register_family(&["queue"])
        .unwrap();
    let err = QueueMetrics::builder("email")
        .register_in(&taken)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateMetric);

    let err = QueueMetrics::builder("email")
        .with_prefix("my-app")
        .register_in(&Registry::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidMetricName);

    let err = QueueMetrics::builder("email")
        .with_wait_buckets(&[2.0, 1.0])
        .register_in(&Registry::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidBuckets);
}
