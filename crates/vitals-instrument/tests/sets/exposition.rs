//! Every set together in one registry: the exposition passes vitals' lint (promlint's rules
//! and more) in both text formats, and `promtool check metrics` when it is installed.

use std::process::{Command, Stdio};
use std::time::Duration;

use vitals::expfmt::lint::{lint, LintOptions};
use vitals::expfmt::parse::{parse, Syntax};
use vitals::{encode_to_string, Format, Registry};
use vitals_instrument::sets::{
    CacheMetrics, DbMetrics, HealthCheck, HealthStatus, LlmMetrics, LlmOutcome, PoolMetrics,
    QueueMetrics,
};

fn every_set() -> Registry {
    let registry = Registry::new();
    let queue = QueueMetrics::builder("email")
        .register_in(&registry)
        .unwrap();
    let token = queue.enqueued();
    queue.dequeued(token);
    let pool = PoolMetrics::builder("primary")
        .with_max_connections(4)
        .register_in(&registry)
        .unwrap();
    pool.connection_opened();
    drop(pool.checkout());
    pool.start_wait().timed_out();
    let cache = CacheMetrics::builder("users")
        .register_in(&registry)
        .unwrap();
    cache.hit();
    cache.set_entries(3);
    let db = DbMetrics::builder().register_in(&registry).unwrap();
    let _ = db.query("select", || Err::<(), _>(std::io::Error::other("x")));
    let llm = LlmMetrics::builder().register_in(&registry).unwrap();
    llm.record(
        "openai",
        "gpt-4",
        &LlmOutcome::success()
            .with_tokens(10, 5)
            .with_cost_usd(0.01)
            .with_duration(Duration::from_secs(1)),
    );
    let _model = llm.model("openai", "gpt-4o");
    let health = HealthCheck::builder("database")
        .register_in(&registry)
        .unwrap();
    health.run_once(|| HealthStatus::Healthy);
    registry
}

#[test]
fn the_exposition_is_lint_clean_in_both_formats() {
    let registry = every_set();
    for (format, syntax) in [
        (Format::PrometheusText, Syntax::PrometheusText),
        (Format::OpenMetrics, Syntax::OpenMetrics),
    ] {
        let text = encode_to_string(&registry, format);
        let families = parse(&text, syntax).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(families.len(), 22, "{text}");
        let report = lint(&families, &LintOptions::new());
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert!(report.is_clean(), "{format:?}: {problems:#?}");
    }
}

#[test]
fn promtool_accepts_the_exposition() {
    let promtool = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !promtool {
        for variable in ["CI", "VITALS_REQUIRE_PEERS"] {
            assert!(
                std::env::var_os(variable).is_none(),
                "promtool not found, and {variable} is set: peer tests must not be skipped"
            );
        }
        eprintln!("skipping: promtool not found (install the Debian package prometheus)");
        return;
    }
    let text = encode_to_string(&every_set(), Format::PrometheusText);
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
