//! Running `vitals lint` and `promtool check metrics`, and comparing what they say.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_vitals");

/// What a run of `vitals lint` gave.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The stdout as JSON (for runs with `--json`).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

fn finish(output: Output) -> Run {
    Run {
        code: output
            .status
            .code()
            .unwrap_or_else(|| panic!("vitals lint died: {}", output.status)),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `vitals lint ARGS` with no standard input.
pub(crate) fn lint(args: &[&str]) -> Run {
    let output = Command::new(BIN)
        .arg("lint")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    finish(output)
}

/// Runs `vitals lint ARGS` with `input` on standard input.
pub(crate) fn lint_stdin(args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .arg("lint")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    finish(child.wait_with_output().expect("wait for vitals lint"))
}

/// Writes `contents` to a file of its own under the test target's temporary directory.
pub(crate) fn write_temp(tag: &str, contents: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lint-{}-{tag}.txt", std::process::id()));
    std::fs::write(&path, contents).expect("write the temporary file");
    path
}

/// The rule for a missing peer: where peers are required (`CI` or `VITALS_REQUIRE_PEERS` set)
/// the test fails, since a green run that skipped its peers proves nothing; elsewhere it
/// prints one `skipping:` line and the caller returns.
pub(crate) fn missing(notice: &str) {
    for variable in ["CI", "VITALS_REQUIRE_PEERS"] {
        assert!(
            std::env::var_os(variable).is_none(),
            "{notice}, and {variable} is set: peer tests must not be skipped here"
        );
    }
    eprintln!("skipping: {notice}");
}

/// Whether `promtool` can be run; if not, after [`missing`].
pub(crate) fn have_promtool() -> bool {
    match Command::new("promtool").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        _ => {
            missing(
                "promtool not found (install the Debian package prometheus, or run scripts/test)",
            );
            false
        }
    }
}

/// What `promtool check metrics` said about a file.
#[derive(Debug)]
pub(crate) enum Promtool {
    /// It parsed the file and found these problems (metric name, text), possibly none.
    Problems(Vec<(String, String)>),
    /// It could not parse the file: its message.
    Unparsable(String),
}

/// Runs `promtool check metrics < path`. It exits 0 when clean, 3 with `NAME TEXT` lines on
/// stderr when it found problems, 1 with `error while linting: ...` when it could not parse.
pub(crate) fn promtool_check(path: &Path) -> Promtool {
    let output = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(path).expect("open the exposition"))
        .output()
        .expect("run promtool");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    match output.status.code() {
        Some(0) => Promtool::Problems(Vec::new()),
        Some(3) => Promtool::Problems(
            stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let (name, text) = l
                        .split_once(' ')
                        .unwrap_or_else(|| panic!("unexpected promtool line {l:?}"));
                    (name.to_owned(), text.to_owned())
                })
                .collect(),
        ),
        _ if stderr.contains("error while linting") => Promtool::Unparsable(stderr.trim().into()),
        _ => panic!("unexpected promtool result {}: {stderr}", output.status),
    }
}

/// promtool's problem texts (client_golang's promlint) and the rule of `vitals lint` that
/// reports the same thing. Matched by prefix, since some texts end with the unit or type.
pub(crate) const PROMTOOL_RULES: &[(&str, &str)] = &[
    ("no help text", "help-missing"),
    ("use base unit", "base-unit"),
    (
        "counter metrics should have \"_total\" suffix",
        "counter-total",
    ),
    (
        "non-counter metrics should not have \"_total\" suffix",
        "non-counter-total",
    ),
    (
        "non-histogram metrics should not have \"_bucket\" suffix",
        "reserved-suffix",
    ),
    (
        "non-histogram and non-summary metrics should not have \"_count\" suffix",
        "reserved-suffix",
    ),
    (
        "non-histogram and non-summary metrics should not have \"_sum\" suffix",
        "reserved-suffix",
    ),
    (
        "non-histogram metrics should not have \"le\" label",
        "reserved-label",
    ),
    (
        "non-summary metrics should not have \"quantile\" label",
        "reserved-label",
    ),
    ("metric name should not include type", "type-in-name"),
    ("metric names should not contain ':'", "colon-in-name"),
    (
        "metric names should be written in 'snake_case' not 'camelCase'",
        "snake-case-name",
    ),
    (
        "label names should be written in 'snake_case' not 'camelCase'",
        "snake-case-label",
    ),
    (
        "metric names should not contain abbreviated units",
        "unit-abbreviation",
    ),
    (
        "non-gauge metrics should not have \"_timestamp_seconds\" suffix",
        "timestamp-not-gauge",
    ),
];

/// The `vitals lint` rule for a promtool text; panics on a text the table lacks, so that a
/// newer promtool's new rule is noticed rather than ignored.
pub(crate) fn rule_for(text: &str) -> &'static str {
    PROMTOOL_RULES
        .iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map(|(_, rule)| *rule)
        .unwrap_or_else(|| panic!("promtool text {text:?} has no rule in PROMTOOL_RULES"))
}

/// A problem from `vitals lint --json`: (rule, family, line, message).
pub(crate) type Found = (String, String, u64, String);

/// The problems of a `--json` report.
pub(crate) fn problems(report: &Value) -> Vec<Found> {
    report["problems"]
        .as_array()
        .expect("problems is an array")
        .iter()
        .map(|p| {
            (
                p["rule"].as_str().expect("rule").to_owned(),
                p["family"].as_str().expect("family").to_owned(),
                p["line"].as_u64().expect("line"),
                p["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

/// Whether `found` reports promtool's problem (`metric`, `rule`). promtool names a 0.0.4
/// counter by its written name (`foo_total`); vitals names the family as OpenMetrics does
/// (`foo`).
pub(crate) fn reports(found: &Found, metric: &str, rule: &str) -> bool {
    found.0 == rule && (found.1 == metric || format!("{}_total", found.1) == metric)
}

/// Checks that every promtool problem has a vitals problem for the same metric and rule,
/// except those `excuse` explains (returning why). Prints the comparison, so a test log
/// shows both tools side by side. Returns the vitals problems no promtool problem matched.
pub(crate) fn assert_covers(
    peer: &str,
    promtool: &[(String, String)],
    vitals: &[Found],
    excuse: impl Fn(&str, &str) -> Option<String>,
) -> Vec<Found> {
    eprintln!("== {peer}: promtool check metrics");
    for (metric, text) in promtool {
        eprintln!("   {metric} {text}");
    }
    eprintln!("== {peer}: vitals lint");
    for (rule, family, line, message) in vitals {
        eprintln!("   line {line}: {family}: [{rule}] {message}");
    }
    let mut missed = Vec::new();
    let mut matched = vec![false; vitals.len()];
    for (metric, text) in promtool {
        let rule = rule_for(text);
        let hits: Vec<usize> = (0..vitals.len())
            .filter(|&i| reports(&vitals[i], metric, rule))
            .collect();
        if hits.is_empty() {
            match excuse(metric, text) {
                Some(why) => eprintln!("   (promtool's \"{metric} {text}\": {why})"),
                None => missed.push(format!("{metric} {text} (expected rule {rule})")),
            }
        }
        for i in hits {
            matched[i] = true;
        }
    }
    assert!(
        missed.is_empty(),
        "{peer}: vitals lint missed what promtool found:\n  {}",
        missed.join("\n  ")
    );
    vitals
        .iter()
        .zip(matched)
        .filter(|(_, m)| !m)
        .map(|(f, _)| f.clone())
        .collect()
}

/// The (rule, family) pairs of `found`, sorted.
pub(crate) fn pairs(found: &[Found]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        found.iter().map(|f| (f.0.clone(), f.1.clone())).collect();
    pairs.sort();
    pairs
}

/// `[("rule", "family")]` as owned pairs, sorted.
pub(crate) fn expected(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = list
        .iter()
        .map(|(r, f)| ((*r).to_owned(), (*f).to_owned()))
        .collect();
    pairs.sort();
    pairs
}
