//! Seed 001's "Queue Monitoring" pattern in Rust: a queue that keeps `queue_depth`,
//! `queue_items_enqueued_total`, `queue_items_processed_total` and `queue_wait_seconds` up to
//! date, and a second queue sharing the families.
//!
//! Run: `cargo run -p vitals-instrument --example queue`

use vitals::{encode_to_string, Format, Registry};
use vitals_instrument::sets::{MeteredQueue, QueueMetrics};

fn main() -> Result<(), vitals::Error> {
    let registry = Registry::new();

    // The seed's MetricsAwareQueue: push and pop keep the metrics.
    let emails = MeteredQueue::new(QueueMetrics::builder("email").register_in(&registry)?);
    for to in ["ada@example.com", "grace@example.com", "alan@example.com"] {
        emails.push(to);
    }
    while emails.len() > 1 {
        if let Some(to) = emails.pop() {
            println!("sending to {to}");
        }
    }

    // A queue that lives elsewhere (a channel here): carry the enqueue token with the item.
    let sms = QueueMetrics::builder("sms").register_in(&registry)?;
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(("+15550100", sms.enqueued())).ok();
    if let Ok((number, token)) = rx.recv() {
        let waited = sms.dequeued(token);
        println!("texting {number} after {waited:?} in the queue");
    }

    let text = encode_to_string(&registry, Format::PrometheusText);
    print!("{text}");

    for line in [
        "queue_depth{queue=\"email\"} 1\n",
        "queue_items_enqueued_total{queue=\"email\"} 3\n",
        "queue_items_processed_total{queue=\"email\"} 2\n",
        "queue_wait_seconds_count{queue=\"email\"} 2\n",
        "queue_depth{queue=\"sms\"} 0\n",
        "queue_items_processed_total{queue=\"sms\"} 1\n",
        "queue_wait_seconds_count{queue=\"sms\"} 1\n",
    ] {
        assert!(text.contains(line), "missing {line:?}");
    }
    Ok(())
}
