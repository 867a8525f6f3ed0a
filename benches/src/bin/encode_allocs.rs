//! Heap allocations of one text (0.0.4) encode, in vitals and each peer: for 10,000 labeled
//! counter series, 1,000 labeled histograms of 12 bounds and 100,000 labeled counter series
//! (the registries of `benches/scale.rs`'s `encode_*` groups, from `vitals_bench::exposition`),
//! after one warm-up encode, so that buffers kept from scrape to scrape have grown already.
//! Counted by dhat's global allocator. Run once, not under criterion:
//! `cargo run --release -p vitals-bench --bin encode_allocs`.
//!
//! Per encode it prints the allocations (dhat counts a `realloc` as one), the bytes they asked
//! for (a `realloc` counts its new size) and the bytes of output. What it shows: whether a
//! library's allocations per encode grow with the number of series. vitals encodes into one
//! reused `Vec<u8>`, writing each series' label text from its interned values into one reused
//! buffer, so its count should stay the same from 1,000 to 100,000 series.

use vitals_bench::exposition::{self, Shape};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Encodes measured per library and size, after the warm-up encode.
const ENCODES: usize = 3;

/// The sizes of `benches/scale.rs`'s `encode_*` groups.
const SIZES: [(Shape, usize); 3] = [
    (Shape::Counters, 10_000),
    (Shape::Histograms, 1_000),
    (Shape::Counters, 100_000),
];

/// What one encode did.
struct Encode {
    allocations: u64,
    bytes: u64,
    output: usize,
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();

    println!(
        "heap allocations per text (0.0.4) encode, after one warm-up encode \
         ({ENCODES} encodes each; a realloc counts as an allocation):\n"
    );
    println!(
        "| series | library | encode | allocations | bytes allocated | output bytes | allocations per 1,000 series |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    let mut vitals = Vec::new();
    for (shape, series) in SIZES {
        // Fills every library's registry and checks each encodes exactly these series.
        for (name, mut library) in exposition::libraries(shape, series) {
            library.encode_len();
            for run in 1..=ENCODES {
                let before = dhat::HeapStats::get();
                let output = library.encode_len();
                let after = dhat::HeapStats::get();
                let encode = Encode {
                    allocations: after.total_blocks - before.total_blocks,
                    bytes: after.total_bytes - before.total_bytes,
                    output,
                };
                assert!(encode.output > series * 20, "{name} wrote every series");
                println!(
                    "| {series} {} | {name} | {run} | {} | {} | {} | {:.2} |",
                    shape.name(),
                    encode.allocations,
                    encode.bytes,
                    encode.output,
                    encode.allocations as f64 * 1000.0 / series as f64,
                );
                if name == "vitals" {
                    vitals.push((shape, series, encode));
                }
            }
        }
    }

    // The claim, checked: vitals' allocations per encode do not grow with the series.
    let most = vitals
        .iter()
        .map(|(_, _, e)| e.allocations)
        .max()
        .unwrap_or(0);
    let counters = |n: usize| {
        vitals
            .iter()
            .filter(|(shape, series, _)| *shape == Shape::Counters && *series == n)
            .map(|(_, _, e)| e.allocations)
            .max()
            .unwrap_or(0)
    };
    println!(
        "\nvitals: at most {most} allocations per encode; counters: {} at 10,000 series, {} at \
         100,000",
        counters(10_000),
        counters(100_000),
    );
    assert!(
        counters(100_000) <= counters(10_000),
        "vitals' allocations per encode grew with the number of series"
    );
}
