//! What `#[vitals::instrument]` costs beside the same recording written by hand.
//!
//! Each case runs the same trivial body (so the instrumentation is all there is to measure)
//! and records the same three things: a call counter by result, a duration histogram, an
//! in-flight gauge.
//!
//! - `bare`: the body, unrecorded.
//! - `vitals_hand_written`: the best a user can write with vitals: handles resolved once,
//!   then `inc`, `Instant::now`, `observe`, `dec` per call.
//! - `vitals_instrument`: `#[vitals::instrument]` on the same body.
//! - `prometheus_hand_written`: seed 001/004's pattern with the `prometheus` crate, handles
//!   resolved once as above (its cheapest form).
//! - `prometheus_seed_pattern`: the seeds' literal pattern, `with_label_values` on every call.
//! - `vitals_instrument_in_a_scope`: `#[instrument]` on a thread that entered another
//!   registry (as tests do): its handles are found by name on each call.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};

#[inline(never)]
fn body(x: u64) -> Result<u64, std::io::Error> {
    if x == u64::MAX {
        return Err(std::io::Error::other("never"));
    }
    Ok(x.wrapping_mul(3))
}

#[vitals::instrument]
#[inline(never)]
fn instrumented(x: u64) -> Result<u64, std::io::Error> {
    body(x)
}

/// The hand-written equivalent's handles, resolved once.
struct HandWritten {
    ok: vitals::Counter,
    error: vitals::Counter,
    duration: vitals::Histogram,
    in_flight: vitals::Gauge,
}

impl HandWritten {
    fn new(registry: &vitals::Registry) -> Self {
        let calls = registry
            .counter("hand_calls", "Calls.")
            .register_family(&["function", "module", "result"])
            .unwrap();
        let duration = registry
            .histogram("hand_call_duration_seconds", "Durations.")
            .register_family(&["function", "module"])
            .unwrap();
        let in_flight = registry
            .gauge("hand_calls_in_flight", "In flight.")
            .register_family(&["function", "module"])
            .unwrap();
        Self {
            ok: calls.with_labels(&["hand", "bench", "ok"]),
            error: calls.with_labels(&["hand", "bench", "error"]),
            duration: duration.with_labels(&["hand", "bench"]),
            in_flight: in_flight.with_labels(&["hand", "bench"]),
        }
    }

    #[inline(never)]
    fn call(&self, x: u64) -> Result<u64, std::io::Error> {
        self.in_flight.inc();
        let start = Instant::now();
        let result = body(x);
        self.duration.observe(start.elapsed().as_secs_f64());
        self.in_flight.dec();
        match &result {
            Ok(_) => self.ok.inc(),
            Err(_) => self.error.inc(),
        }
        result
    }
}

struct Prometheus {
    calls: prometheus::IntCounterVec,
    duration: prometheus::HistogramVec,
    in_flight: prometheus::IntGaugeVec,
}

impl Prometheus {
    fn new() -> Self {
        let calls = prometheus::IntCounterVec::new(
            prometheus::Opts::new("calls_total", "Calls."),
            &["function", "module", "result"],
        )
        .unwrap();
        let duration = prometheus::HistogramVec::new(
            prometheus::HistogramOpts::new("call_duration_seconds", "Durations.")
                .buckets(vitals::DEFAULT_BUCKETS.to_vec()),
            &["function", "module"],
        )
        .unwrap();
        let in_flight = prometheus::IntGaugeVec::new(
            prometheus::Opts::new("calls_in_flight", "In flight."),
            &["function", "module"],
        )
        .unwrap();
        Self {
            calls,
            duration,
            in_flight,
        }
    }

    /// Seeds 001 and 004: labels looked up on every call.
    #[inline(never)]
    fn call_seed_pattern(&self, x: u64) -> Result<u64, std::io::Error> {
        let in_flight = self.in_flight.with_label_values(&["seed", "bench"]);
        in_flight.inc();
        let start = Instant::now();
        let result = body(x);
        self.duration
            .with_label_values(&["seed", "bench"])
            .observe(start.elapsed().as_secs_f64());
        in_flight.dec();
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.calls
            .with_label_values(&["seed", "bench", outcome])
            .inc();
        result
    }
}

struct PrometheusResolved {
    ok: prometheus::IntCounter,
    error: prometheus::IntCounter,
    duration: prometheus::Histogram,
    in_flight: prometheus::IntGauge,
}

impl PrometheusResolved {
    fn new(p: &Prometheus) -> Self {
        Self {
            ok: p.calls.with_label_values(&["hand", "bench", "ok"]),
            error: p.calls.with_label_values(&["hand", "bench", "error"]),
            duration: p.duration.with_label_values(&["hand", "bench"]),
            in_flight: p.in_flight.with_label_values(&["hand", "bench"]),
        }
    }

    #[inline(never)]
    fn call(&self, x: u64) -> Result<u64, std::io::Error> {
        self.in_flight.inc();
        let start = Instant::now();
        let result = body(x);
        self.duration.observe(start.elapsed().as_secs_f64());
        self.in_flight.dec();
        match &result {
            Ok(_) => self.ok.inc(),
            Err(_) => self.error.inc(),
        }
        result
    }
}

fn instrument(c: &mut Criterion) {
    let mut group = c.benchmark_group("instrument_call");
    let mut x = 0u64;
    group.bench_function("bare", |b| {
        b.iter(|| {
            x = x.wrapping_add(1);
            body(black_box(x))
        })
    });

    // The default registry, as a program without scopes uses it.
    let hand = HandWritten::new(vitals::default_registry());
    group.bench_function("vitals_hand_written", |b| {
        b.iter(|| {
            x = x.wrapping_add(1);
            hand.call(black_box(x))
        })
    });

    instrumented(0).unwrap();
    group.bench_function("vitals_instrument", |b| {
        b.iter(|| {
            x = x.wrapping_add(1);
            instrumented(black_box(x))
        })
    });

    let prometheus = Prometheus::new();
    let resolved = PrometheusResolved::new(&prometheus);
    group.bench_function("prometheus_hand_written", |b| {
        b.iter(|| {
            x = x.wrapping_add(1);
            resolved.call(black_box(x))
        })
    });
    group.bench_function("prometheus_seed_pattern", |b| {
        b.iter(|| {
            x = x.wrapping_add(1);
            prometheus.call_seed_pattern(black_box(x))
        })
    });
    // Last, since entering a scope sends every later call through the scope check: a thread
    // inside a registry scope (a test's registry) finds its handles by name on each call.
    let scoped = vitals::Registry::new();
    let scope = scoped.enter();
    instrumented(0).unwrap();
    group.bench_function("vitals_instrument_in_a_scope", |b| {
        b.iter(|| {
            x = x.wrapping_add(1);
            instrumented(black_box(x))
        })
    });
    drop(scope);
    group.finish();

    // The instrumented calls above were recorded: the comparison is of working code.
    let recorded = vitals::testing::sample(
        vitals::default_registry(),
        "function_calls_total",
        &[
            ("function", "instrumented"),
            ("module", module_path!()),
            ("result", "ok"),
            ("error_kind", ""),
        ],
    );
    assert!(recorded.is_some_and(|n| n >= 1.0), "{recorded:?}");
}

criterion_group!(benches, instrument);
criterion_main!(benches);
