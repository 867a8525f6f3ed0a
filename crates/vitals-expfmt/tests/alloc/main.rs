//! The hot-path promises, checked by counting heap allocations (dhat in testing mode):
//! updating a resolved handle and looking up an existing series allocate nothing, recording an
//! exemplar allocates nothing once its series (or bucket) has had one, and encoding allocates the
//! same small amount whatever the number of series, exemplars included (nothing at all with a
//! kept `Encoder`).
//!
//! dhat's counters are process-wide, so this binary holds a single test that runs its checks
//! one after another. Even so, the test harness's own thread may allocate during a measured
//! window; each window is therefore measured several times and the minimum kept. Noise does not
//! repeat in every window, while an allocation made by the code under test does (10,000 times
//! per window for the loops below).

use vitals_core::{Observe, Registry};
use vitals_expfmt::{encode, Encoder, Format};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const ATTEMPTS: usize = 5;

fn allocations_during(mut f: impl FnMut()) -> u64 {
    (0..ATTEMPTS)
        .map(|_| {
            let before = dhat::HeapStats::get().total_blocks;
            f();
            dhat::HeapStats::get().total_blocks - before
        })
        .min()
        .unwrap_or(u64::MAX)
}

/// A registry with `n` series in each of a labeled counter, gauge and histogram family.
fn registry_with(n: usize) -> Registry {
    let r = Registry::builder()
        .with_const_label("env", "prod")
        .build()
        .unwrap();
    let c = r.counter("c", "C.").register_family(&["k"]).unwrap();
    let g = r.float_gauge("g", "G.").register_family(&["k"]).unwrap();
    let h = r
        .histogram("h_seconds", "H.")
        .register_family(&["k"])
        .unwrap();
    for i in 0..n {
        let k = format!("series-{i}");
        c.with_labels(&[&k]).inc_by(i as u64);
        g.with_labels(&[&k]).set(i as f64 / 3.0);
        h.with_labels(&[&k]).observe(i as f64 / 100.0);
        if i % 2 == 0 {
            c.with_labels(&[&k]).inc_with_exemplar(&[("trace_id", i)]);
            h.with_labels(&[&k])
                .observe_with_exemplar(i as f64 / 200.0, &[("trace_id", i)]);
        }
    }
    r.info("build", "B.")
        .register_with(&[("version", "1")])
        .unwrap();
    r.state_set("phase", "P.", &["a", "b"])
        .register()
        .unwrap()
        .set("a", true);
    r
}

#[test]
fn hot_path_and_encoding_allocations() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // The counter works: one boxed value is one allocation.
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(Box::new(7u64)))),
        1
    );

    let r = Registry::new();
    let counter = r.counter("requests", "R.").register().unwrap();
    let sharded = r.sharded_counter("sharded", "S.").register().unwrap();
    sharded.inc(); // the thread's shard is assigned on first use
    let float = r.float_counter("cost", "C.").register().unwrap();
    let gauge = r.gauge("in_flight", "I.").register().unwrap();
    let histogram = r.histogram("latency_seconds", "L.").register().unwrap();
    let family = r
        .counter("by_route", "B.")
        .register_family(&["method", "route"])
        .unwrap();
    family.with_labels(&["GET", "/users/{id}"]).inc();

    let updates = allocations_during(|| {
        for i in 0..10_000u32 {
            counter.inc();
            counter.inc_by(2);
            sharded.inc();
            float.inc_by(0.5);
            gauge.add(1);
            gauge.set(i64::from(i));
            histogram.observe(f64::from(i) / 1000.0);
            drop(histogram.start_timer());
        }
    });
    assert_eq!(
        updates, 0,
        "updating resolved handles allocated {updates} times"
    );

    // Exemplars: the first one of a series (or bucket) allocates its slot; later ones, with
    // labels of any length up to the limit, formatted from any `Display`, allocate nothing.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let warm = "x".repeat(120);
    counter.inc_with_exemplar(&[("trace_id", &warm)]);
    float.inc_with_exemplar(&[("trace_id", &warm)]);
    for i in 0..10_000u32 {
        histogram.observe_with_exemplar(f64::from(i) / 1000.0, &[("trace_id", &warm)]);
    }
    let exemplars = allocations_during(|| {
        for i in 0..10_000u32 {
            counter.inc_with_exemplar(&[("trace_id", trace_id)]);
            counter.inc_by_with_exemplar(2, &[("trace_id", i)]);
            float.inc_by_with_exemplar(
                0.5,
                &[("trace_id", trace_id), ("span_id", "00f067aa0ba902b7")],
            );
            histogram.observe_with_exemplar(f64::from(i) / 1000.0, &[("trace_id", trace_id)]);
            counter.inc_with_exemplar(&[("trace id", trace_id)]); // invalid: dropped, counted
        }
    });
    assert_eq!(
        exemplars, 0,
        "recording exemplars allocated {exemplars} times"
    );

    let lookups = allocations_during(|| {
        for _ in 0..10_000 {
            family.with_labels(&["GET", "/users/{id}"]).inc();
        }
    });
    assert_eq!(
        lookups, 0,
        "looking up an existing series allocated {lookups} times"
    );
    let lookups_made = 10_000 * ATTEMPTS as u64;
    assert_eq!(
        family.with_labels(&["GET", "/users/{id}"]).get(),
        1 + lookups_made
    );

    // Encoding: the same number of allocations for 10 series as for 1000, in both formats,
    // once the output buffer is warm.
    for format in [Format::PrometheusText, Format::OpenMetrics, Format::Json] {
        let mut counts = Vec::new();
        for n in [10, 1000] {
            let registry = registry_with(n);
            let mut out = Vec::new();
            encode(&registry, format, &mut out); // warm the buffer
            counts.push(allocations_during(|| {
                out.clear();
                encode(&registry, format, &mut out);
            }));
        }
        assert_eq!(
            counts[0], counts[1],
            "{format:?}: encoding allocations grow with the series count: {counts:?}"
        );
        assert!(
            counts[0] <= 8,
            "{format:?}: {} allocations per encode",
            counts[0]
        );
    }

    // A kept `Encoder` and a reused buffer: nothing at all, scrape after scrape.
    for format in [Format::PrometheusText, Format::OpenMetrics, Format::Json] {
        let registry = registry_with(1000);
        let mut encoder = Encoder::new(format);
        let mut out = Vec::new();
        encoder.encode(&registry, &mut out); // warm the buffer and the encoder
        let first = out.clone();
        let kept = allocations_during(|| {
            out.clear();
            encoder.encode(&registry, &mut out);
        });
        assert_eq!(kept, 0, "{format:?}: a kept encoder allocated {kept} times");
        assert_eq!(out, first, "{format:?}: the same exposition each time");
        let mut fresh = Vec::new();
        encode(&registry, format, &mut fresh);
        assert_eq!(
            out, fresh,
            "{format:?}: a kept encoder writes what `encode` writes"
        );
    }
}
