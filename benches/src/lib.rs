//! Benchmarks of vitals against `prometheus`, `prometheus-client`, `metrics` and `measured`; see
//! `benches/hot_path.rs`, `benches/parse.rs`, `benches/scale.rs`, `benches/instrument.rs`,
//! `src/bin/memory.rs`, `src/bin/encode_allocs.rs`, and the results in `BENCHMARKS.md`. Run with
//! `cargo bench -p vitals-bench`, or interleaved, one process per case, several rounds, with a
//! markdown table per group: `scripts/bench-report --help`.
//!
//! This library holds what the benchmarks share: the labeled-series scheme, so that every
//! library, and every benchmark, measures the same series; the histogram bounds; the rotation of
//! label sets the lookup benchmarks take; and the filled registries the encoding benchmarks
//! (`benches/scale.rs` and `src/bin/encode_allocs.rs`) encode, in [`exposition`]; and the
//! unsynchronised hash table that is the physical limit of a lookup, in [`floor`].

use prometheus_client::encoding::EncodeLabelSet;

pub mod exposition;
pub mod floor;

/// The bounds every histogram in the benchmarks is given, in every library: 12 explicit
/// bounds, 13 buckets with `+Inf`.
pub const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How many label sets [`rotation`] returns: 4 methods × 5 routes × 5 statuses.
pub const COMBINATIONS: usize = 100;

/// The [`COMBINATIONS`] label sets `label_values(0..100)` (every combination of 4 methods, 5
/// routes and 5 statuses) in a scrambled order: stride 27 through the 100, chosen so that
/// consecutive sets (the last and the first too) differ in every label. The strings are leaked
/// (once per call) so that they are `&'static str`, which `metrics`' label macros take without
/// copying.
///
/// ```
/// let sets = vitals_bench::rotation();
/// assert_eq!(sets.len(), vitals_bench::COMBINATIONS);
/// for (i, set) in sets.iter().enumerate() {
///     let next = &sets[(i + 1) % sets.len()];
///     assert!(set.iter().zip(next).all(|(a, b)| a != b));
/// }
/// ```
pub fn rotation() -> Vec<[&'static str; 3]> {
    let sets: Vec<[&'static str; 3]> = (0..COMBINATIONS)
        .map(|i| label_values(i * 27 % COMBINATIONS).map(|v| &*v.leak()))
        .collect();
    let mut distinct = sets.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), COMBINATIONS, "every combination once");
    sets
}

/// Series `i`'s histogram observation (and, in the encoders, its counter increment), so that
/// encoders see varied numbers and observations land in different buckets.
pub fn observation(i: usize) -> f64 {
    (i % 1000) as f64 / 97.0
}

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
