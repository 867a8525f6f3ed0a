//! The cardinality limit bounds memory, measured with a counting global allocator (dhat in
//! testing mode; the workspace forbids the `unsafe impl GlobalAlloc` a hand-written one needs):
//! a million distinct label values fed into a family with the default limit leave
//! `DEFAULT_MAX_SERIES_PER_FAMILY` series, the rest counted as overflows, and the heap stops
//! growing once the limit is reached.
//!
//! Its own test binary with a single test: the allocator and its counters are process-wide.

use std::io::Write;

use vitals_core::limits::DEFAULT_MAX_SERIES_PER_FAMILY;
use vitals_core::Registry;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const VALUES: usize = 1_000_000;

/// Generous per-series budget. A series costs its `Series` entry in the family's list (hash,
/// boxed values, boxed label text, handle: ~56 bytes, in a Vec that at most doubles), its
/// values and label text (~40 bytes for `user_id="user-1234567"`), the counter's `Arc` cell
/// (under 100 bytes), and its hash-index slot (~9 bytes at most half empty): about 300 bytes
/// with growth slack. 1 KiB leaves room for allocator rounding without hiding a leak, which
/// past the limit would grow with the million values, not the 2,000 series.
const MAX_BYTES_PER_SERIES: usize = 1024;

fn live_bytes() -> usize {
    dhat::HeapStats::get().curr_bytes
}

/// Writes `user-<i>` into `buf` without allocating, so the loop's own allocations are nil
/// and every byte the heap gains is the family's.
fn value(buf: &mut [u8; 32], i: usize) -> &str {
    let len = {
        let mut cursor = &mut buf[..];
        write!(cursor, "user-{i}").expect("32 bytes hold any usize");
        32 - cursor.len()
    };
    std::str::from_utf8(&buf[..len]).expect("ASCII")
}

#[test]
fn a_million_label_values_stay_within_the_default_limit() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let r = Registry::new();
    let family = r
        .counter("requests_by_user", "Requests by user.")
        .register_family(&["user_id"])
        .unwrap();
    let mut buf = [0u8; 32];

    let before = live_bytes();
    let mut midway = 0;
    for i in 0..VALUES {
        family.with_labels(&[value(&mut buf, i)]).inc();
        if i + 1 == VALUES / 2 {
            midway = live_bytes();
        }
    }
    let after = live_bytes();

    let stats = family.stats();
    assert_eq!(stats.series, DEFAULT_MAX_SERIES_PER_FAMILY);
    assert_eq!(family.len(), DEFAULT_MAX_SERIES_PER_FAMILY);
    assert_eq!(stats.max_series, Some(DEFAULT_MAX_SERIES_PER_FAMILY));
    assert_eq!(
        stats.overflowed,
        (VALUES - DEFAULT_MAX_SERIES_PER_FAMILY) as u64
    );
    // Every increment landed somewhere: the overflow series holds the rest.
    assert_eq!(
        family.with_labels(&["one more"]).get(),
        (VALUES - DEFAULT_MAX_SERIES_PER_FAMILY) as u64
    );

    let grown = after - before;
    let bound = DEFAULT_MAX_SERIES_PER_FAMILY * MAX_BYTES_PER_SERIES;
    assert!(
        grown < bound,
        "the family holds {grown} live bytes for {} series (bound {bound}; its own estimate: {})",
        stats.series,
        stats.heap_bytes
    );
    // The family's estimate is of the same order as what the allocator saw.
    assert!(
        stats.heap_bytes <= grown * 2 && grown <= stats.heap_bytes * 3,
        "estimate {} vs measured {grown}",
        stats.heap_bytes
    );
    assert!(
        after <= midway,
        "the heap grew from {midway} to {after} bytes between the {}th and the {}th value",
        VALUES / 2,
        VALUES
    );
    eprintln!(
        "{} series: {grown} live bytes ({} per series), estimate {}",
        stats.series,
        grown / stats.series,
        stats.heap_bytes
    );
}
