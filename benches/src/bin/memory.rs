//! Live heap bytes per series for 100,000 labeled counter series (three labels), in vitals and
//! each peer, counted by dhat's global allocator. Run once, not under criterion:
//! `cargo run --release -p vitals-bench --bin memory`.

use vitals_bench::exposition::{self, Shape};
use vitals_bench::{label_values, Labels, MeasuredLabels, MeasuredLabelsSet, LABELS};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const SERIES: usize = 100_000;

fn live_bytes() -> usize {
    dhat::HeapStats::get().curr_bytes
}

/// Live bytes per series held by what `build` returns, which is kept alive while measured.
fn per_series<T>(build: impl FnOnce() -> T) -> f64 {
    let before = live_bytes();
    let kept = build();
    let after = live_bytes();
    drop(kept);
    (after.saturating_sub(before)) as f64 / SERIES as f64
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();

    let vitals = per_series(|| exposition::vitals_registry(Shape::Counters, SERIES));
    // The same after one scrape: whatever an encode leaves behind (per-thread buffers, side
    // data allocated on a read) counts too. The exposition itself is dropped before measuring.
    let vitals_scraped = per_series(|| {
        let registry = exposition::vitals_registry(Shape::Counters, SERIES);
        let text = vitals::encode_to_string(&registry, vitals::Format::PrometheusText);
        assert!(text.lines().count() > SERIES);
        registry
    });

    let prometheus = per_series(|| {
        let registry = prometheus::Registry::new();
        let vec = prometheus::IntCounterVec::new(prometheus::Opts::new("requests", "R."), &LABELS)
            .expect("valid vec");
        registry
            .register(Box::new(vec.clone()))
            .expect("registered");
        for i in 0..SERIES {
            let [m, r, s] = label_values(i);
            vec.with_label_values(&[&m, &r, &s]).inc();
        }
        drop(vec);
        registry
    });

    let client = per_series(|| {
        let mut registry = prometheus_client::registry::Registry::default();
        let family = prometheus_client::metrics::family::Family::<
            Labels,
            prometheus_client::metrics::counter::Counter,
        >::default();
        registry.register("requests", "R.", family.clone());
        for i in 0..SERIES {
            family.get_or_create(&Labels::of(i)).inc();
        }
        drop(family);
        registry
    });

    let metrics = per_series(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        metrics::with_local_recorder(&recorder, || {
            for i in 0..SERIES {
                let [m, r, s] = label_values(i);
                metrics::counter!("requests", "method" => m, "route" => r, "status" => s)
                    .increment(1);
            }
        });
        recorder
    });

    // `measured` keeps the label values interned, one copy of each distinct string, and keys a
    // series by their integers.
    let measured = per_series(|| {
        let family = measured::CounterVec::with_label_set(MeasuredLabelsSet::default());
        for i in 0..SERIES {
            let values = label_values(i);
            family.inc(MeasuredLabels::of(&values));
        }
        assert_eq!(family.get_cardinality().0, SERIES);
        family
    });

    println!("live heap bytes per series, {SERIES} labeled counter series (3 labels):");
    for (name, bytes) in [
        ("vitals", vitals),
        ("vitals, scraped", vitals_scraped),
        ("prometheus", prometheus),
        ("prometheus-client", client),
        ("metrics", metrics),
        ("measured", measured),
    ] {
        println!("{name:>18}: {bytes:8.1}");
    }
}
