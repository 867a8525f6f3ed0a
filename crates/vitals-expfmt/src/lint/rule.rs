//! The rules, each with a stable id.

use std::fmt;

/// A lint rule. Each has a stable kebab-case [`id`](Rule::id), which is what machines should
/// match on (`vitals lint --json` writes it); new rules may be added in any release.
///
/// The naming rules follow the Prometheus documentation ("Metric and label naming") and
/// client_golang's `promlint`, which `promtool check metrics` runs; every problem promlint
/// reports has a rule here, and a few more are added (percentages, name clashes, duplicate
/// families, cardinality).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// `help-missing`: the family has no HELP text, or an empty one.
    HelpMissing,
    /// `counter-total`: a counter sample whose name does not end in `_total`.
    CounterTotal,
    /// `non-counter-total`: a gauge, histogram or other non-counter named `*_total`.
    NonCounterTotal,
    /// `reserved-suffix`: a family name ending in a suffix that other types give their
    /// samples: `_bucket` (histograms), `_count` and `_sum` (histograms, summaries), `_gcount`
    /// and `_gsum` (gauge histograms), `_created`.
    ReservedSuffix,
    /// `reserved-label`: `le` outside a histogram, `quantile` outside a summary, or a label
    /// name starting with `__`.
    ReservedLabel,
    /// `name-clash`: two families write samples of the same name, or have the same name with
    /// different types.
    NameClash,
    /// `duplicate-family`: the same family appears twice (its samples are not together).
    DuplicateFamily,
    /// `base-unit`: a unit that is not a base unit (`milliseconds`, `kilobytes`, `minutes`,
    /// `bits`...).
    BaseUnit,
    /// `unit-abbreviation`: an abbreviated unit (`_ms`, `_us`, `_sec`, `_kb`...).
    UnitAbbreviation,
    /// `percent`: a percentage (`_percent`) where a ratio from 0 to 1 (`_ratio`) belongs.
    Percent,
    /// `type-in-name`: the metric type in the name (`_counter`, `_gauge`, `_histogram`...).
    TypeInName,
    /// `colon-in-name`: a colon in the name; colons are for recording rules.
    ColonInName,
    /// `snake-case-name`: a metric name with upper-case letters.
    SnakeCaseName,
    /// `snake-case-label`: a label name with upper-case letters.
    SnakeCaseLabel,
    /// `timestamp-not-gauge`: a non-gauge named `*_timestamp_seconds`.
    TimestampNotGauge,
    /// `high-cardinality`: a family with more series than the limit.
    HighCardinality,
    /// `total-cardinality`: more series in the whole exposition than the limit.
    TotalCardinality,
}

impl Rule {
    /// Every rule, in the order problems of one line are reported.
    pub const ALL: &'static [Rule] = &[
        Rule::HelpMissing,
        Rule::CounterTotal,
        Rule::NonCounterTotal,
        Rule::ReservedSuffix,
        Rule::ReservedLabel,
        Rule::NameClash,
        Rule::DuplicateFamily,
        Rule::BaseUnit,
        Rule::UnitAbbreviation,
        Rule::Percent,
        Rule::TypeInName,
        Rule::ColonInName,
        Rule::SnakeCaseName,
        Rule::SnakeCaseLabel,
        Rule::TimestampNotGauge,
        Rule::HighCardinality,
        Rule::TotalCardinality,
    ];

    /// The stable kebab-case id.
    ///
    /// ```
    /// use vitals_expfmt::lint::Rule;
    /// assert_eq!(Rule::CounterTotal.id(), "counter-total");
    /// assert_eq!(Rule::from_id("counter-total"), Some(Rule::CounterTotal));
    /// ```
    pub fn id(self) -> &'static str {
        match self {
            Rule::HelpMissing => "help-missing",
            Rule::CounterTotal => "counter-total",
            Rule::NonCounterTotal => "non-counter-total",
            Rule::ReservedSuffix => "reserved-suffix",
            Rule::ReservedLabel => "reserved-label",
            Rule::NameClash => "name-clash",
            Rule::DuplicateFamily => "duplicate-family",
            Rule::BaseUnit => "base-unit",
            Rule::UnitAbbreviation => "unit-abbreviation",
            Rule::Percent => "percent",
            Rule::TypeInName => "type-in-name",
            Rule::ColonInName => "colon-in-name",
            Rule::SnakeCaseName => "snake-case-name",
            Rule::SnakeCaseLabel => "snake-case-label",
            Rule::TimestampNotGauge => "timestamp-not-gauge",
            Rule::HighCardinality => "high-cardinality",
            Rule::TotalCardinality => "total-cardinality",
        }
    }

    /// The rule with this id, if there is one.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// What the rule asks for, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Rule::HelpMissing => "every family has a HELP text",
            Rule::CounterTotal => "counter samples end in _total",
            Rule::NonCounterTotal => "only counters end in _total",
            Rule::ReservedSuffix => {
                "only histograms and summaries end in _bucket, _count, _sum (and no family in \
                 _created)"
            }
            Rule::ReservedLabel => {
                "le only in histograms, quantile only in summaries, no label names starting \
                 with __"
            }
            Rule::NameClash => "no two families write samples of the same name",
            Rule::DuplicateFamily => "each family appears once, its samples together",
            Rule::BaseUnit => "units are base units: seconds, bytes, meters, grams...",
            Rule::UnitAbbreviation => "units are spelled out: seconds, not s, sec or ms",
            Rule::Percent => "ratios from 0 to 1 (_ratio), not percentages",
            Rule::TypeInName => "the metric type is not part of the name",
            Rule::ColonInName => "no colons in exported names: they are for recording rules",
            Rule::SnakeCaseName => "metric names are snake_case",
            Rule::SnakeCaseLabel => "label names are snake_case",
            Rule::TimestampNotGauge => "only gauges end in _timestamp_seconds",
            Rule::HighCardinality => "no family has more series than the limit",
            Rule::TotalCardinality => "the exposition has no more series than the limit",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
