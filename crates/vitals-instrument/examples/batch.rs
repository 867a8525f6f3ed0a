//! Seed 001, pattern 4 ("batch operation tracking") in Rust: Python's `BatchProcessor`
//! becomes a `BatchTracker` for the operation, and each run a `Batch` whose items succeed or
//! fail. Run with `cargo run -p vitals-instrument --example batch`.

use vitals::instrument::batch::{BatchStatus, BatchTracker};
use vitals::{encode_to_string, Format, Registry};

fn import_user(address: &str) -> Result<(), String> {
    if address.contains('@') {
        Ok(())
    } else {
        Err(format!("{address:?} is not an e-mail address"))
    }
}

fn main() -> Result<(), vitals::Error> {
    let registry = Registry::new();
    let processor = BatchTracker::builder("import_users").register_in(&registry)?;

    // processor.process_batch(user_list)
    let status = processor.process(["ada@example.com", "grace@example.com"], import_user);
    assert_eq!(status, BatchStatus::Success);
    let status = processor.process(["alan@example.com", "nobody"], import_user);
    assert_eq!(status, BatchStatus::Partial);

    // Item by item, ending the batch as a failure when the source goes away mid-way.
    let mut batch = processor.start();
    batch.run_item(|| import_user("edsger@example.com")).ok();
    let status = batch.abort("the user directory closed the connection");
    assert_eq!(status, BatchStatus::Failure);

    let text = encode_to_string(&registry, Format::PrometheusText);
    print!("{text}");
    for line in [
        "batch_operations_total{operation=\"import_users\",status=\"success\"} 1\n",
        "batch_operations_total{operation=\"import_users\",status=\"partial\"} 1\n",
        "batch_operations_total{operation=\"import_users\",status=\"failure\"} 1\n",
        "batch_items_processed_total{operation=\"import_users\"} 4\n",
        "batch_items_failed_total{operation=\"import_users\"} 1\n",
        "batch_duration_seconds_count{operation=\"import_users\"} 3\n",
    ] {
        assert!(text.contains(line), "missing {line:?}");
    }
    Ok(())
}
