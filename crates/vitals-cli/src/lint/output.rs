//! The two outputs of `vitals lint`: lines for people, JSON for machines.
//!
//! The JSON report (schema `vitals-lint/1`; fields are added, never renamed or removed):
//!
//! ```text
//! {
//!   "schema": "vitals-lint/1",
//!   "source": "metrics.prom",                 // the argument, or "<stdin>"
//!   "syntax": "openmetrics" | "prometheus",
//!   "syntax_chosen": "forced" | "content-type" | "detected",
//!   "valid": true,                            // no syntax error
//!   "clean": true,                            // exit code 0
//!   "parse_error": null | {"line": 3, "column": 5, "message": "..."},
//!   "families": 12,                           // families parsed (up to a syntax error)
//!   "problems": [{"rule": "counter-total", "family": "jobs", "line": 3, "message": "..."}],
//!   "cardinality": null | {                   // null with --syntax-only
//!     "max_series": 1000, "max_total_series": null | N,
//!     "total_series": 40, "total_samples": 120,
//!     "families": [{"name": "jobs", "type": "counter", "line": 1, "series": 3, "samples": 6,
//!                   "top_label": null | {"name": "queue", "values": 3}, "over_limit": false}]
//!   }
//! }
//! ```
//!
//! When the input cannot be read: `{"schema": "vitals-lint/1", "source": "...",
//! "read_error": "..."}` (exit code 2).

use serde_json::{json, Value};
use vitals::expfmt::lint::{Cardinality, Report};
use vitals::expfmt::parse::{ParseError, Syntax};

use super::input::{ReadError, Source};
use super::Outcome;

/// The `schema` field.
const SCHEMA: &str = "vitals-lint/1";

/// How many families the human cardinality table lists.
const TABLE_ROWS: usize = 10;

fn syntax_id(syntax: Syntax) -> &'static str {
    match syntax {
        Syntax::OpenMetrics => "openmetrics",
        Syntax::PrometheusText => "prometheus",
    }
}

fn syntax_name(syntax: Syntax) -> &'static str {
    match syntax {
        Syntax::OpenMetrics => "OpenMetrics 1.0.0",
        Syntax::PrometheusText => "Prometheus text 0.0.4",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn parse_error_line(err: &ParseError) -> String {
    format!(
        "line {}, column {}: syntax error: {}",
        err.line(),
        err.column(),
        err.message()
    )
}

/// The report for people.
pub(crate) fn human(outcome: &Outcome<'_>) -> String {
    let mut out = String::new();
    let format = syntax_name(outcome.syntax);
    let source = outcome.source;
    let Some(report) = &outcome.report else {
        // --syntax-only
        match &outcome.parse_error {
            None => out.push_str(&format!(
                "{source}: valid {format} ({})\n",
                plural(outcome.families.len(), "family", "families")
            )),
            Some(err) => out.push_str(&format!("{source}: {}\n", parse_error_line(err))),
        }
        return out;
    };

    // Problems and the syntax error in line order; whole-exposition problems last.
    let error_line = outcome.parse_error.as_ref().map(ParseError::line);
    let mut error_written = false;
    for problem in &report.problems {
        if let Some(line) = error_line {
            if !error_written && (problem.line > line || problem.line == 0) {
                out.push_str(&error_text(outcome));
                error_written = true;
            }
        }
        out.push_str(&format!("{problem}\n"));
    }
    if !error_written && error_line.is_some() {
        out.push_str(&error_text(outcome));
    }
    if !report.problems.is_empty() || error_line.is_some() {
        out.push('\n');
    }

    cardinality_table(&report.cardinality, &mut out);

    let mut verdict = Vec::new();
    if outcome.parse_error.is_some() {
        verdict.push("a syntax error".to_owned());
    }
    if !report.problems.is_empty() {
        verdict.push(plural(report.problems.len(), "problem", "problems"));
    }
    if verdict.is_empty() {
        verdict.push("no problems".to_owned());
    }
    out.push_str(&format!("{source} ({format}): {}\n", verdict.join(" and ")));
    out
}

fn error_text(outcome: &Outcome<'_>) -> String {
    match &outcome.parse_error {
        Some(err) => format!(
            "{}\n  (what follows it was not checked)\n",
            parse_error_line(err)
        ),
        None => String::new(),
    }
}

fn cardinality_table(cardinality: &Cardinality, out: &mut String) {
    let limit = match cardinality.max_total_series {
        Some(total) => format!(
            "limits: {} series per family, {total} in all",
            cardinality.max_series
        ),
        None => format!("limit: {} series per family", cardinality.max_series),
    };
    out.push_str(&format!(
        "cardinality: {}, {}, {} ({limit})\n",
        plural(cardinality.families.len(), "family", "families"),
        plural(cardinality.total_series, "series", "series"),
        plural(cardinality.total_samples, "sample", "samples"),
    ));
    if cardinality.families.is_empty() {
        return;
    }
    let largest = cardinality.largest();
    let rows = &largest[..largest.len().min(TABLE_ROWS)];
    let width = rows.iter().map(|f| f.name.len()).max().unwrap_or(0).max(6);
    out.push_str(&format!(
        "  {:>7}  {:>7}  {:<width$}  most distinct values\n",
        "series", "samples", "family"
    ));
    for family in rows {
        let top = match &family.top_label {
            Some(label) => format!("{} ({})", label.name, label.values),
            None => "-".to_owned(),
        };
        let flag = if family.over_limit {
            "  OVER THE LIMIT"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {:>7}  {:>7}  {:<width$}  {top}{flag}\n",
            family.series, family.samples, family.name
        ));
    }
    if largest.len() > rows.len() {
        let more = largest.len() - rows.len();
        let noun = if more == 1 { "family" } else { "families" };
        out.push_str(&format!("  ... and {more} more {noun}\n"));
    }
    out.push('\n');
}

/// The report for machines.
pub(crate) fn json(outcome: &Outcome<'_>) -> String {
    let parse_error = outcome.parse_error.as_ref().map(|e| {
        json!({
            "line": e.line(),
            "column": e.column(),
            "message": e.message(),
        })
    });
    let problems: Vec<Value> = outcome
        .report
        .as_ref()
        .map(|r| r.problems.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|p| {
            json!({
                "rule": p.rule.id(),
                "family": p.family,
                "line": p.line,
                "message": p.message,
            })
        })
        .collect();
    let value = json!({
        "schema": SCHEMA,
        "source": outcome.source.to_string(),
        "syntax": syntax_id(outcome.syntax),
        "syntax_chosen": outcome.chosen.as_str(),
        "valid": outcome.parse_error.is_none(),
        "clean": outcome.is_clean(),
        "parse_error": parse_error,
        "families": outcome.families.len(),
        "problems": problems,
        "cardinality": outcome.report.as_ref().map(cardinality_json),
    });
    format!("{value:#}\n")
}

fn cardinality_json(report: &Report) -> Value {
    let c = &report.cardinality;
    let families: Vec<Value> = c
        .families
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "type": f.family_type.as_str(),
                "line": f.line,
                "series": f.series,
                "samples": f.samples,
                "top_label": f.top_label.as_ref().map(|l| json!({"name": l.name, "values": l.values})),
                "over_limit": f.over_limit,
            })
        })
        .collect();
    json!({
        "max_series": c.max_series,
        "max_total_series": c.max_total_series,
        "total_series": c.total_series,
        "total_samples": c.total_samples,
        "families": families,
    })
}

/// The JSON written when the input cannot be read.
pub(crate) fn json_read_error(source: &Source, err: &ReadError) -> String {
    let value = json!({
        "schema": SCHEMA,
        "source": source.to_string(),
        "read_error": err.to_string(),
    });
    format!("{value:#}\n")
}
