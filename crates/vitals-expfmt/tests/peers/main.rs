//! The encoders' output, checked by the reference implementations: `promtool check metrics`
//! (Debian package `prometheus`) for Prometheus text 0.0.4, and the Python parsers of
//! `prometheus_client` for both text formats, with every value read back compared to what was
//! recorded.
//!
//! A missing peer skips a test with a one-line notice, or fails it when `CI` is set;
//! `scripts/test` installs both peers.

mod fixture;
mod model;
mod peer;

use std::path::Path;
use std::process::Output;

use vitals_core::Registry;
use vitals_expfmt::{encode_to_string, Format};

use fixture::{Fam, Fixture};
use model::{differences, Family, Labels};
use peer::Parser;

/// promtool's complaints: it prints lint problems and parse errors on stdout or stderr.
fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn fixture_records_what_it_says() {
    Fixture::new().assert_recorded();
}

#[test]
fn promtool_accepts_prometheus_text() {
    let Some(promtool) = peer::promtool() else {
        return;
    };
    // A control: promtool must object to a counter without `_total`, or its silence below
    // would prove nothing.
    let control = peer::promtool_check(
        &promtool,
        "# HELP bad A counter without its suffix.\n# TYPE bad counter\nbad 1\n",
        "control",
    );
    assert!(
        !control.status.success() && !printed(&control).trim().is_empty(),
        "promtool accepted a counter without _total: {control:?}"
    );

    let fixture = Fixture::new();
    let text = encode_to_string(&fixture.registry, Format::PrometheusText);
    let output = peer::promtool_check(&promtool, &text, "fixture");
    let problems = printed(&output);
    assert!(
        output.status.success() && problems.trim().is_empty(),
        "promtool check metrics: {}\n{problems}\n--- exposition ---\n{text}",
        output.status
    );
}

/// Encodes the fixture, has `parser` read it back and compares everything it read with what
/// was recorded. Returns the exposition and the parsed families.
fn read_back(python: &Path, parser: Parser) -> (String, Vec<Family>) {
    let format = match parser {
        Parser::Text => Format::PrometheusText,
        Parser::OpenMetrics => Format::OpenMetrics,
    };
    let fixture = Fixture::new();
    let exposition = encode_to_string(&fixture.registry, format);
    let parsed = peer::python_parse(python, parser, &exposition)
        .unwrap_or_else(|e| panic!("{e}\n--- exposition ---\n{exposition}"));
    let problems = differences(&fixture.expected(parser), &parsed);
    assert!(
        problems.is_empty(),
        "{parser:?} parser read back something else than was recorded:\n{}\n--- exposition ---\n{exposition}",
        problems.join("\n")
    );
    (exposition, parsed)
}

#[test]
fn python_text_parser_reads_back_recorded_values() {
    let Some(python) = peer::python() else {
        return;
    };
    let (text, parsed) = read_back(&python, Parser::Text);
    assert!(
        !text.contains("# EOF") && !text.contains("_created"),
        "0.0.4 has no # EOF and no _created samples:\n{text}"
    );
    // 0.0.4 has no info type: the info family is the gauge `<name>_info`.
    let info = parsed.iter().find(|f| f.name == "peer_build_info");
    assert_eq!(info.map(|f| f.typ.as_str()), Some("gauge"), "{parsed:#?}");
}

#[test]
fn python_openmetrics_parser_reads_back_recorded_values() {
    let Some(python) = peer::python() else {
        return;
    };
    // A control: the parser must reject an exposition without `# EOF`.
    assert!(
        peer::python_parse(&python, Parser::OpenMetrics, "# TYPE a gauge\na 1\n").is_err(),
        "the OpenMetrics parser accepted an exposition without # EOF"
    );

    let (om, parsed) = read_back(&python, Parser::OpenMetrics);
    assert!(
        om.ends_with("# EOF\n")
            && om.lines().filter(|l| *l == "# EOF").count() == 1
            && !om.ends_with("\n\n# EOF\n"),
        "the output must end with exactly one \"# EOF\\n\":\n{om}"
    );
    for family in &parsed {
        // Registered counters, histograms and summaries know their creation time; collected
        // families do not (their exact samples are compared with the expectation above).
        if family.name.starts_with("collected_") {
            continue;
        }
        let count = |suffix: &str| {
            let name = format!("{}{suffix}", family.name);
            family.samples.iter().filter(|s| s.name == name).count()
        };
        let series = match family.typ.as_str() {
            "counter" => count("_total"),
            "histogram" | "summary" => count("_count"),
            _ => continue,
        };
        assert!(
            series > 0 && count("_created") == series,
            "{}: {series} series but {} _created samples",
            family.name,
            count("_created")
        );
    }
    let types: Vec<(&str, &str, &str)> = parsed
        .iter()
        .map(|f| (f.name.as_str(), f.typ.as_str(), f.unit.as_str()))
        .collect();
    for want in [
        ("peer_http_requests", "counter", ""),
        ("peer_cpu_time_seconds", "counter", "seconds"),
        ("peer_build", "info", ""),
        ("peer_worker_phase", "stateset", ""),
        ("peer_legacy_value", "unknown", ""),
    ] {
        assert!(types.contains(&want), "no family {want:?} in {types:?}");
    }
}

/// OpenMetrics forbids `_sum` beside a negative bucket bound and a negative `_sum` (it is
/// counter-like), and `_count` goes with `_sum`: the parser must accept what the encoder writes
/// instead, and read back the buckets.
#[test]
fn openmetrics_negative_buckets_accepted() {
    let Some(python) = peer::python() else {
        return;
    };
    let registry = Registry::new();
    let none = Labels::new();
    let mut families = Vec::new();
    for (name, bounds, observations, counts) in [
        (
            "temperature_change_celsius",
            &[-1.0, 0.0, 1.0][..],
            &[-2.0, -1.0, -0.5, 0.0, 0.5, 3.0][..],
            &[2, 4, 5, 6][..],
        ),
        // Non-negative bounds, but a negative sum.
        (
            "balance_change",
            &[0.5, 1.0][..],
            &[-5.0, 0.2][..],
            &[2, 2, 2][..],
        ),
    ] {
        let help = format!("{name} help.");
        let h = registry
            .histogram(name, &help)
            .with_buckets(bounds)
            .register()
            .expect("register a histogram with negative values");
        for v in observations {
            h.observe(*v);
        }
        assert_eq!(h.cumulative_counts(), counts, "{name}");
        families.push(fixture::histogram(
            &Fam::new(name, help, None, &none).single(&h),
            Parser::OpenMetrics,
        ));
    }

    let om = encode_to_string(&registry, Format::OpenMetrics);
    assert!(
        !om.contains("_sum") && !om.contains("_count"),
        "OpenMetrics: no _sum (nor _count) with negative buckets or a negative sum:\n{om}"
    );
    let parsed = peer::python_parse(&python, Parser::OpenMetrics, &om)
        .unwrap_or_else(|e| panic!("{e}\n--- exposition ---\n{om}"));
    let problems = differences(&families, &parsed);
    assert!(
        problems.is_empty(),
        "{}\n--- exposition ---\n{om}",
        problems.join("\n")
    );
}
