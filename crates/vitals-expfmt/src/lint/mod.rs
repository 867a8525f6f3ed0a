//! Lint rules for parsed expositions: the naming rules of the Prometheus documentation and of
//! client_golang's `promlint` (what `promtool check metrics` runs), a few more, and a
//! cardinality report.
//!
//! [`lint`] reads the families that [`parse`](crate::parse) returned and never fails: every
//! finding is a [`Problem`] naming its [`Rule`] (with a stable id), the family, the line, and a
//! message that says what is wrong and what to do.
//!
//! ```
//! use vitals_expfmt::lint::{lint, LintOptions, Rule};
//! use vitals_expfmt::parse::{parse, Syntax};
//!
//! let text = "# HELP http_requests Requests served.\n# TYPE http_requests counter\n\
//!             http_requests{code=\"200\"} 1027\n";
//! let families = parse(text, Syntax::PrometheusText)?;
//! let report = lint(&families, &LintOptions::new());
//! assert_eq!(report.problems.len(), 1);
//! let problem = &report.problems[0];
//! assert_eq!(problem.rule, Rule::CounterTotal);
//! assert_eq!(problem.rule.id(), "counter-total");
//! assert_eq!(
//!     problem.to_string(),
//!     "line 3: http_requests: counter samples should end in _total (rename http_requests to \
//!      http_requests_total)"
//! );
//! assert_eq!(report.cardinality.families[0].series, 1);
//! # Ok::<(), vitals_expfmt::parse::ParseError>(())
//! ```
//!
//! | rule id | what it asks for |
//! | --- | --- |
//! | `help-missing` | every family has a HELP text |
//! | `counter-total` | counter samples end in `_total` |
//! | `non-counter-total` | only counters end in `_total` |
//! | `reserved-suffix` | only histograms and summaries end in `_bucket`, `_count`, `_sum`; no family in `_created` |
//! | `reserved-label` | `le` only in histograms, `quantile` only in summaries, no `__` label names |
//! | `name-clash` | no two families write samples of the same name |
//! | `duplicate-family` | each family appears once, its samples together |
//! | `base-unit` | base units: seconds, bytes, meters (not milliseconds, kilobytes, minutes) |
//! | `unit-abbreviation` | units spelled out: not `_ms`, `_sec`, `_kb` |
//! | `percent` | ratios from 0 to 1 (`_ratio`), not percentages |
//! | `type-in-name` | no `_counter`, `_gauge`, `_histogram`... in the name |
//! | `colon-in-name` | no colons: they are for recording rules |
//! | `snake-case-name` | metric names are snake_case |
//! | `snake-case-label` | label names are snake_case |
//! | `timestamp-not-gauge` | only gauges end in `_timestamp_seconds` |
//! | `high-cardinality` | no family over [`LintOptions::max_series`] series |
//! | `total-cardinality` | no more than [`LintOptions::max_total_series`] series in all |
//!
//! Like promlint, the type-dependent rules (`non-counter-total`, `reserved-suffix`, the `le`
//! and `quantile` part of `reserved-label`) leave untyped families alone: without a type there
//! is nothing to contradict.

mod cardinality;
mod names;
mod rule;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fmt;

pub use cardinality::{Cardinality, FamilyCardinality, LabelCardinality};
pub use rule::Rule;

use crate::parse::{Family, FamilyType};

/// The limits the report checks. `new()` gives the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintOptions {
    max_series: usize,
    max_total_series: Option<usize>,
}

impl Default for LintOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl LintOptions {
    /// The default per-family limit: a family with more series than this is a problem. A
    /// thousand series per metric is the usual ceiling for one service's metrics.
    pub const DEFAULT_MAX_SERIES: usize = 1000;

    /// The defaults: [`DEFAULT_MAX_SERIES`](Self::DEFAULT_MAX_SERIES) per family, no limit on
    /// the total.
    pub fn new() -> Self {
        Self {
            max_series: Self::DEFAULT_MAX_SERIES,
            max_total_series: None,
        }
    }

    /// The most series a family may have before [`Rule::HighCardinality`] reports it.
    /// Default: [`DEFAULT_MAX_SERIES`](Self::DEFAULT_MAX_SERIES).
    pub fn with_max_series(mut self, max: usize) -> Self {
        self.max_series = max;
        self
    }

    /// The most series the whole exposition may have before [`Rule::TotalCardinality`]
    /// reports it. Default: no limit.
    pub fn with_max_total_series(mut self, max: usize) -> Self {
        self.max_total_series = Some(max);
        self
    }

    /// The per-family limit.
    pub fn max_series(&self) -> usize {
        self.max_series
    }

    /// The limit on the total, if any.
    pub fn max_total_series(&self) -> Option<usize> {
        self.max_total_series
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The rule broken.
    pub rule: Rule,
    /// The family it concerns, as the parser named it (a counter without its `_total`);
    /// empty for a problem of the whole exposition ([`Rule::TotalCardinality`]).
    pub family: String,
    /// The 1-based line it was found on: the sample at fault, else the family's first line;
    /// 0 for a problem of the whole exposition.
    pub line: usize,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Problem {
    fn new(rule: Rule, family: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            rule,
            family: family.to_owned(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    /// `line 12: http_requests: counter samples should end in _total (...)`; problems of the
    /// whole exposition read `total: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.family.is_empty() {
            write!(f, "total: {}", self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.family, self.message)
        }
    }
}

/// What [`lint`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Report {
    /// The problems, by line.
    pub problems: Vec<Problem>,
    /// Series per family.
    pub cardinality: Cardinality,
}

impl Report {
    /// Whether no rule was broken.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks `families` against every [`Rule`].
pub fn lint(families: &[Family<'_>], options: &LintOptions) -> Report {
    let mut problems = Vec::new();
    // client_python writes a gauge `x_created` beside each counter, histogram and summary `x`
    // in 0.0.4 (which has no place for creation times): that is no misnamed gauge.
    let created_owners: HashSet<&str> = families
        .iter()
        .filter(|f| {
            matches!(
                f.family_type,
                FamilyType::Counter | FamilyType::Histogram | FamilyType::Summary
            )
        })
        .map(|f| f.name)
        .collect();
    for family in families {
        lint_family(family, &created_owners, &mut problems);
    }
    lint_between(families, &mut problems);

    let mut cardinality = Cardinality {
        max_series: options.max_series,
        max_total_series: options.max_total_series,
        ..Cardinality::default()
    };
    for family in families {
        let counted = cardinality::family(family, options.max_series);
        if counted.over_limit {
            let driver = match &counted.top_label {
                Some(label) => format!(
                    "; label \"{}\" has {} distinct values: drop it, or bound its values (a \
                     route template rather than the raw path, a status class rather than an \
                     id)",
                    label.name, label.values
                ),
                None => String::new(),
            };
            problems.push(Problem::new(
                Rule::HighCardinality,
                family.name,
                family.line,
                format!(
                    "{} series, over the limit of {}{driver}",
                    counted.series, options.max_series
                ),
            ));
        }
        cardinality.total_series += counted.series;
        cardinality.total_samples += counted.samples;
        cardinality.families.push(counted);
    }
    if let Some(max) = options.max_total_series {
        if cardinality.total_series > max {
            let largest: Vec<String> = cardinality
                .largest()
                .iter()
                .take(3)
                .map(|f| format!("{} ({})", f.name, f.series))
                .collect();
            problems.push(Problem::new(
                Rule::TotalCardinality,
                "",
                0,
                format!(
                    "{} series in all, over the limit of {max}; the largest families: {}",
                    cardinality.total_series,
                    largest.join(", ")
                ),
            ));
        }
    }

    // By line, then in the order of `Rule::ALL`; whole-exposition problems last.
    problems.sort_by_key(|p| (p.line == 0, p.line, p.rule));
    Report {
        problems,
        cardinality,
    }
}

/// A rule that reads only the name: its message, or `None`.
type NameRule = fn(&str) -> Option<String>;

/// The rules that look at one family.
fn lint_family(family: &Family<'_>, created_owners: &HashSet<&str>, problems: &mut Vec<Problem>) {
    let name = family.name;
    let line = family.line;
    let kind = family.family_type;
    let typed = kind != FamilyType::Unknown;
    let mut push = |rule: Rule, line: usize, message: String| {
        problems.push(Problem::new(rule, name, line, message));
    };

    match family.help.as_deref() {
        None => push(
            Rule::HelpMissing,
            line,
            "no HELP text: add a # HELP line that says what the metric measures, and in which \
             unit"
                .into(),
        ),
        Some(help) if help.trim().is_empty() => push(
            Rule::HelpMissing,
            line,
            "the HELP text is empty: say what the metric measures, and in which unit".into(),
        ),
        Some(_) => {}
    }

    if kind == FamilyType::Counter {
        let created = format!("{name}_created");
        if let Some(sample) = family
            .samples
            .iter()
            .find(|s| !s.name.ends_with("_total") && s.name != created)
        {
            push(
                Rule::CounterTotal,
                sample.line,
                format!(
                    "counter samples should end in _total (rename {0} to {0}_total)",
                    sample.name
                ),
            );
        }
    } else if typed {
        if let Some(stem) = name.strip_suffix("_total") {
            push(
                Rule::NonCounterTotal,
                line,
                format!(
                    "a {} named with _total, the suffix of counters: drop the suffix ({stem}), \
                     or make it a counter if it only ever goes up",
                    kind.as_str()
                ),
            );
        }
    }

    if typed {
        let creation_time_of_another = name
            .strip_suffix("_created")
            .is_some_and(|owner| created_owners.contains(owner));
        if let Some(message) = reserved_suffix(name, kind).filter(|_| !creation_time_of_another) {
            push(Rule::ReservedSuffix, line, message);
        }
        if kind != FamilyType::Gauge {
            if let Some(stem) = name.strip_suffix("_timestamp_seconds") {
                push(
                    Rule::TimestampNotGauge,
                    line,
                    format!(
                        "a {} named *_timestamp_seconds: a point in time is a gauge; make it \
                         a gauge, or rename it (for example {stem}_seconds)",
                        kind.as_str()
                    ),
                );
            }
        }
    }

    let name_rules: [(Rule, NameRule); 5] = [
        (Rule::BaseUnit, names::base_unit),
        (Rule::UnitAbbreviation, names::unit_abbreviation),
        (Rule::Percent, names::percent),
        (Rule::TypeInName, names::type_in_name),
        (Rule::ColonInName, names::colon_in_name),
    ];
    for (rule, check) in name_rules {
        if let Some(message) = check(name) {
            push(rule, line, message);
        }
    }
    if let Some(snake) = names::not_snake_case(name) {
        push(
            Rule::SnakeCaseName,
            line,
            format!(
                "metric names are snake_case, not camelCase or upper case: rename it to {snake}"
            ),
        );
    }

    // Label rules, once per label name, at the first sample that has it.
    let mut seen: HashSet<&str> = HashSet::new();
    for sample in &family.samples {
        for (label, _) in &sample.labels {
            if !seen.insert(label) {
                continue;
            }
            if let Some(message) = reserved_label(family, label) {
                push(Rule::ReservedLabel, sample.line, message);
            }
            if let Some(snake) = names::not_snake_case(label) {
                push(
                    Rule::SnakeCaseLabel,
                    sample.line,
                    format!(
                        "label name \"{label}\" is not snake_case: label names are snake_case, \
                         not camelCase or upper case; rename it to {snake}"
                    ),
                );
            }
        }
    }
}

/// `reserved-suffix`: the family name ends in a suffix that other types give their samples.
fn reserved_suffix(name: &str, kind: FamilyType) -> Option<String> {
    use FamilyType::{GaugeHistogram, Histogram, Summary};
    let (suffix, owner, allowed) = if name.ends_with("_bucket") {
        (
            "_bucket",
            "the buckets of a histogram",
            matches!(kind, Histogram | GaugeHistogram),
        )
    } else if name.ends_with("_count") {
        (
            "_count",
            "the observation count of a histogram or summary",
            matches!(kind, Histogram | Summary),
        )
    } else if name.ends_with("_sum") {
        (
            "_sum",
            "the sum of a histogram or summary",
            matches!(kind, Histogram | Summary),
        )
    } else if name.ends_with("_gcount") {
        (
            "_gcount",
            "the count of a gauge histogram",
            kind == GaugeHistogram,
        )
    } else if name.ends_with("_gsum") {
        (
            "_gsum",
            "the sum of a gauge histogram",
            kind == GaugeHistogram,
        )
    } else if name.ends_with("_created") {
        (
            "_created",
            "the creation time of a counter, histogram or summary",
            false,
        )
    } else {
        return None;
    };
    if allowed {
        return None;
    }
    let stem = &name[..name.len() - suffix.len()];
    Some(format!(
        "a {} named *{suffix}, the suffix reserved for {owner} ({name} reads as that of a \
         family {stem}): rename it so that it does not end in {suffix}",
        kind.as_str()
    ))
}

/// `reserved-label`: `le` outside histograms, `quantile` outside summaries (typed families
/// only, as in promlint), `__` names anywhere.
fn reserved_label(family: &Family<'_>, label: &str) -> Option<String> {
    let kind = family.family_type;
    let typed = kind != FamilyType::Unknown;
    if label.starts_with("__") {
        return Some(format!(
            "label name \"{label}\" starts with __, which Prometheus reserves for its own use: \
             rename it"
        ));
    }
    if typed && label == "le" && !matches!(kind, FamilyType::Histogram | FamilyType::GaugeHistogram)
    {
        return Some(format!(
            "a {} with an \"le\" label, the bucket bound of histograms: rename the label",
            kind.as_str()
        ));
    }
    if typed && label == "quantile" && kind != FamilyType::Summary {
        return Some(format!(
            "a {} with a \"quantile\" label, the quantile of summaries: rename the label",
            kind.as_str()
        ));
    }
    None
}

/// The distinct sample names of a family (a handful: `_bucket`, `_sum`, `_count`...).
fn sample_names<'a>(family: &Family<'a>) -> Vec<&'a str> {
    let mut names: Vec<&'a str> = Vec::new();
    for sample in &family.samples {
        if !names.contains(&sample.name) {
            names.push(sample.name);
        }
    }
    names
}

/// The rules between families: the same family twice, two families with one sample name.
fn lint_between(families: &[Family<'_>], problems: &mut Vec<Problem>) {
    let mut by_name: HashMap<&str, &Family<'_>> = HashMap::new();
    let mut by_sample: HashMap<&str, &Family<'_>> = HashMap::new();
    for family in families {
        // In 0.0.4 a gauge `x` and a counter written `x_total` are both named `x` in the model
        // (client_golang's go_memstats_alloc_bytes and ..._total): only families that write a
        // common sample name, or two empty declarations, are the same family.
        let same = |first: &Family<'_>| {
            let theirs = sample_names(first);
            let ours = sample_names(family);
            (theirs.is_empty() && ours.is_empty()) || ours.iter().any(|n| theirs.contains(n))
        };
        if let Some(first) = by_name.get(family.name).filter(|first| same(first)) {
            let (rule, message) = if first.family_type == family.family_type {
                (
                    Rule::DuplicateFamily,
                    format!(
                        "the family appears again (first at line {}): write all of a family's \
                         samples together, under one HELP and one TYPE",
                        first.line
                    ),
                )
            } else {
                (
                    Rule::NameClash,
                    format!(
                        "a {} with the name of the {} at line {}: rename one of them",
                        family.family_type.as_str(),
                        first.family_type.as_str(),
                        first.line
                    ),
                )
            };
            problems.push(Problem::new(rule, family.name, family.line, message));
            continue;
        }
        by_name.insert(family.name, family);

        let mut reported: HashSet<&str> = HashSet::new();
        for sample in &family.samples {
            match by_sample.get(sample.name) {
                Some(owner) if owner.name != family.name => {
                    if reported.insert(owner.name) {
                        problems.push(Problem::new(
                            Rule::NameClash,
                            family.name,
                            sample.line,
                            format!(
                                "sample {} is also a sample of the {} {} (line {}): Prometheus \
                                 would mix their series; rename one of the families",
                                sample.name,
                                owner.family_type.as_str(),
                                owner.name,
                                owner.line
                            ),
                        ));
                    }
                }
                Some(_) => {}
                None => {
                    by_sample.insert(sample.name, family);
                }
            }
        }
    }
}
