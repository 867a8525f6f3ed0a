//! Benchmarks of vitals against `prometheus`, `prometheus-client`, `metrics` and `measured`; see
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

pub use measured_labels::{MeasuredLabels, MeasuredLabelsSet};

// `measured`'s derive generates the set `MeasuredLabelsSet` with public, undocumented fields.
#[allow(missing_docs)]
mod measured_labels {
    /// The same series as a `measured` label group. `measured` keys a series by integers, so each
    /// string label needs a label set that interns its values. For values not known up front, as
    /// here and in every peer, it offers `paracord::ParaCord` (feature `paracord`, what its own
    /// benchmarks use) and `lasso::ThreadedRodeo` (feature `lasso`, the one its docs show): we
    /// take `ParaCord`, the faster (a lookup of two labels plus increment took about 60 ns against
    /// 100 ns with `ThreadedRodeo`; memory per series the same, 58 against 59 bytes).
    /// `RodeoReader` and `IndexSet` need every value before the first update, which no other
    /// library here asks for.
    #[derive(Clone, Copy, Debug, measured::LabelGroup)]
    #[label(set = MeasuredLabelsSet)]
    pub struct MeasuredLabels<'a> {
        /// The HTTP method.
        #[label(dynamic_with = paracord::ParaCord, default)]
        pub method: &'a str,
        /// The route template.
        #[label(dynamic_with = paracord::ParaCord, default)]
        pub route: &'a str,
        /// The status code.
        #[label(dynamic_with = paracord::ParaCord, default)]
        pub status: &'a str,
    }

    impl<'a> MeasuredLabels<'a> {
        /// The label group of the values [`label_values`](crate::label_values) returns.
        pub fn of(values: &'a [String; 3]) -> Self {
            let [method, route, status] = values;
            MeasuredLabels {
                method,
                route,
                status,
            }
        }
    }
}
