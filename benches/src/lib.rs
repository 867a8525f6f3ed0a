//! Benchmarks of vitals against `prometheus`, `prometheus-client` and `metrics`; see
//! `benches/hot_path.rs`, `benches/parse.rs`, `benches/scale.rs`, `src/bin/memory.rs`, and the
//! results in `BENCHMARKS.md`. Run with `cargo bench -p vitals-bench`.
//!
//! This library holds what the benchmarks share: the labeled-series scheme, so that every
//! library, and every benchmark, measures the same series.

use prometheus_client::encoding::EncodeLabelSet;

/// The label names of every labeled series in the benchmarks.
pub const LABELS: [&str; 3] = ["method", "route", "status"];

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const STATUSES: [&str; 5] = ["200", "201", "404", "500", "503"];

/// The label values of series `i`: distinct for every `i`.
///
/// ```
/// assert_ne!(vitals_bench::label_values(0), vitals_bench::label_values(1));
/// ```
pub fn label_values(i: usize) -> [String; 3] {
    [
        METHODS[i % 4].to_owned(),
        format!("/api/v1/route/{}", i / 20),
        STATUSES[(i / 4) % 5].to_owned(),
    ]
}

/// The same series as a `prometheus-client` label set (its lookup key is an owned struct).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Labels {
    /// The HTTP method.
    pub method: String,
    /// The route template.
    pub route: String,
    /// The status code.
    pub status: String,
}

impl Labels {
    /// The label set of series `i`.
    pub fn of(i: usize) -> Self {
        let [method, route, status] = label_values(i);
        Labels {
            method,
            route,
            status,
        }
    }
}
