//! Seed 001, pattern 2 ("context manager instrumentation") in Rust: Python's
//!
//! ```python
//! with track_block('data_processing'):
//!     result = process_data()
//!     analyze_results(result)
//! ```
//!
//! becomes a closure run by `track_block`, which observes the block's duration always and
//! counts an error when the block returns `Err` or panics. Run with
//! `cargo run -p vitals-instrument --example context_manager`.

use std::fmt::Display;

use vitals::instrument::guard::{track_block, InProgressGauge};
use vitals::{encode_to_string, Counter, Family, Format, Gauge, Histogram, Registry};

/// The seed's two families, labelled by block, and a gauge of blocks running now.
struct BlockMetrics {
    duration: Family<Histogram>,
    errors: Family<Counter>,
    active: Gauge,
}

impl BlockMetrics {
    fn register(registry: &Registry) -> Result<Self, vitals::Error> {
        Ok(Self {
            duration: registry
                .histogram("block_duration_seconds", "Time spent in a block of code.")
                .with_unit("seconds")
                .with_buckets(&[0.1, 0.5, 1.0, 5.0, 10.0])
                .register_family(&["block"])?,
            errors: registry
                .counter("block_errors", "Blocks of code that failed.")
                .register_family(&["block"])?,
            active: registry
                .gauge("blocks_in_progress", "Blocks of code running now.")
                .register()?,
        })
    }

    /// `with track_block(block): ...`
    fn track<T, E: Display>(&self, block: &str, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let _active = self.active.track_in_progress(); // -1 when the block ends, however
        let duration = self.duration.with_labels(&[block]);
        let errors = self.errors.with_labels(&[block]);
        track_block(block, &duration, &errors, f)
    }
}

fn process_data() -> Result<Vec<u32>, String> {
    Ok(vec![3, 1, 2])
}

fn analyze_results(result: &[u32]) -> Result<u32, String> {
    result
        .iter()
        .max()
        .copied()
        .ok_or_else(|| "no data".to_string())
}

fn main() -> Result<(), vitals::Error> {
    let registry = Registry::new();
    let blocks = BlockMetrics::register(&registry)?;

    let max = blocks.track("data_processing", || {
        let result = process_data()?;
        analyze_results(&result)
    });
    assert_eq!(max, Ok(3));

    let config = blocks.track("load_config", || "port=eighty".parse::<u16>());
    assert!(config.is_err());

    let text = encode_to_string(&registry, Format::PrometheusText);
    print!("{text}");
    for line in [
        "block_duration_seconds_count{block=\"data_processing\"} 1\n",
        "block_duration_seconds_count{block=\"load_config\"} 1\n",
        "block_errors_total{block=\"data_processing\"} 0\n",
        "block_errors_total{block=\"load_config\"} 1\n",
        "blocks_in_progress 0\n",
    ] {
        assert!(text.contains(line), "missing {line:?}");
    }
    Ok(())
}
