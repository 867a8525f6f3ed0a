//! Parse throughput on a 100,000-series exposition, in both formats, reported in bytes per
//! second: the speed `vitals lint` and rule checking read a large service's output at.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vitals::expfmt::parse::{families, Syntax};
use vitals::{encode_to_string, Format, Registry};

/// About 100,000 series: 90,000 counter and gauge series over two labels (4,500 routes × 10
/// statuses × 2 families), and 1,000 histograms of 12 buckets with their sums and counts
/// (14,000 sample lines).
fn exposition(format: Format) -> String {
    // Without limits: the default (2,000 series per family) would fold 43,000 of each
    // family's 45,000 series into its overflow series.
    let registry = Registry::builder().without_series_limits().build().unwrap();
    let requests = registry
        .counter("http_requests", "Requests served, by route and status.")
        .register_family(&["route", "status"])
        .unwrap();
    let in_flight = registry
        .gauge(
            "http_in_flight_requests",
            "Requests in flight, by route and status.",
        )
        .register_family(&["route", "status"])
        .unwrap();
    for route in 0..4500 {
        let route = format!("/api/v1/resource_{route}/{{id}}");
        for status in [
            "200", "201", "204", "301", "400", "401", "403", "404", "500", "503",
        ] {
            requests
                .with_labels(&[route.as_str(), status])
                .inc_by(12_345);
            in_flight.with_labels(&[route.as_str(), status]).set(3);
        }
    }
    assert_eq!((requests.len(), in_flight.len()), (45_000, 45_000));
    let latency = registry
        .histogram("http_request_duration_seconds", "Latency, by route.")
        .register_family(&["route"])
        .unwrap();
    for route in 0..1000 {
        let h = latency.with_labels(&[&format!("/api/v1/route_{route}")]);
        for i in 0..20 {
            h.observe(f64::from(i) * 0.013);
        }
    }
    assert_eq!(latency.len(), 1000);
    encode_to_string(&registry, format)
}

fn parse_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_100k_series");
    group.sample_size(20);
    for (format, syntax, label) in [
        (
            Format::PrometheusText,
            Syntax::PrometheusText,
            "prometheus_text",
        ),
        (Format::OpenMetrics, Syntax::OpenMetrics, "openmetrics"),
    ] {
        let text = exposition(format);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut samples = 0usize;
                for family in families(black_box(&text), syntax) {
                    samples += family.unwrap().samples.len();
                }
                samples
            });
        });
    }
    group.finish();
}

criterion_group!(benches, parse_throughput);
criterion_main!(benches);
