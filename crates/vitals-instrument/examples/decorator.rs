//! Seed 001, pattern 1 (decorator-based instrumentation), in Rust: `#[vitals::instrument]`
//! instead of a `track_function` decorator written by hand.
//!
//! The Python decorator counts calls by status and observes durations; the attribute does the
//! same, plus calls in flight, panics and (for async functions) cancellations, and reports
//! errors to the error sink if one is installed.
//!
//! Run: `cargo run -p vitals-instrument --example decorator`

use vitals::instrument::ErrorLabel;
use vitals::testing::sample;
use vitals::{encode_to_string, Format, Registry};

/// Why processing failed: the variant names become the bounded `error_kind` label.
#[derive(Debug, ErrorLabel)]
enum ProcessError {
    Empty,
    TooLarge { size: usize },
}

impl std::fmt::Display for ProcessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessError::Empty => write!(f, "no data"),
            ProcessError::TooLarge { size } => write!(f, "{size} bytes is too large"),
        }
    }
}

impl std::error::Error for ProcessError {}

/// `@track_function('process_data')`, with the error kind as a label.
#[vitals::instrument(error_kind)]
fn process_data(data: &[u8]) -> Result<usize, ProcessError> {
    match data.len() {
        0 => Err(ProcessError::Empty),
        n if n > 1024 => Err(ProcessError::TooLarge { size: n }),
        n => Ok(n),
    }
}

fn main() {
    // A registry of its own, current on this thread, so the example shows only its series.
    let registry = Registry::new();
    let _scope = registry.enter();

    for data in [&b"abc"[..], b"", &[0; 2048], b"de"] {
        let _ = process_data(data);
    }

    let text = encode_to_string(&registry, Format::PrometheusText);
    println!("{text}");

    let module = module_path!();
    let calls = |result, kind| {
        let labels = [
            ("function", "process_data"),
            ("module", module),
            ("result", result),
            ("error_kind", kind),
        ];
        sample(&registry, "function_calls_total", &labels)
    };
    assert_eq!(calls("ok", ""), Some(2.0));
    assert_eq!(calls("error", "empty"), Some(1.0));
    assert_eq!(calls("error", "too_large"), Some(1.0));
    assert!(text.contains("function_call_duration_seconds_count{function=\"process_data\""));
}
