//! Benchmarks of vitals against `prometheus`, `prometheus-client` and `metrics`; see
//! `benches/hot_path.rs` and the results in `BENCHMARKS.md`. Run with
//! `cargo bench -p vitals-bench`.
