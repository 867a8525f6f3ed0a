//! Series counting: how many series each family has, and which label drives the count.

use std::collections::{HashMap, HashSet};

use crate::parse::{Family, FamilyType};

/// The cardinality of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FamilyCardinality {
    /// The family name.
    pub name: String,
    /// The family type.
    pub family_type: FamilyType,
    /// The 1-based line where the family starts.
    pub line: usize,
    /// Distinct label sets, not counting the labels that split one series into several
    /// samples: `le` in histograms, `quantile` in summaries, the state label of a state set.
    /// A histogram with 3 label sets is 3 series here, however many buckets it has.
    pub series: usize,
    /// Sample lines: what Prometheus stores as separate time series (each bucket, `_sum`,
    /// `_count`, `_created`).
    pub samples: usize,
    /// The label with the most distinct values, which drives the series count; `None` when
    /// the family has no labels besides the ones not counted.
    pub top_label: Option<LabelCardinality>,
    /// Whether [`series`](Self::series) is over the limit of
    /// [`LintOptions::max_series`](super::LintOptions::max_series).
    pub over_limit: bool,
}

/// A label and how many distinct values it takes in one family.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LabelCardinality {
    /// The label name.
    pub name: String,
    /// How many distinct values it has.
    pub values: usize,
}

/// The cardinality of a whole exposition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Cardinality {
    /// Each family, in input order.
    pub families: Vec<FamilyCardinality>,
    /// The sum of the families' series.
    pub total_series: usize,
    /// The sum of the families' samples.
    pub total_samples: usize,
    /// The per-family limit the families were checked against.
    pub max_series: usize,
    /// The limit on [`total_series`](Self::total_series), if one was set.
    pub max_total_series: Option<usize>,
}

impl Cardinality {
    /// The families sorted by series, most first (ties in input order).
    pub fn largest(&self) -> Vec<&FamilyCardinality> {
        let mut sorted: Vec<&FamilyCardinality> = self.families.iter().collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.series));
        sorted
    }
}

/// The label that splits one series into samples in this family, if any.
fn is_split_label(family: &Family<'_>, label: &str) -> bool {
    match family.family_type {
        FamilyType::Histogram | FamilyType::GaugeHistogram => label == "le",
        FamilyType::Summary => label == "quantile",
        FamilyType::StateSet => label == family.name,
        _ => false,
    }
}

/// Counts one family.
pub(crate) fn family(family: &Family<'_>, max_series: usize) -> FamilyCardinality {
    let mut sets: HashSet<Vec<(&str, &str)>> = HashSet::new();
    let mut values: HashMap<&str, HashSet<&str>> = HashMap::new();
    for sample in &family.samples {
        let mut set: Vec<(&str, &str)> = sample
            .labels
            .iter()
            .filter(|(name, _)| !is_split_label(family, name))
            .map(|(name, value)| (*name, &**value))
            .collect();
        for (name, value) in &set {
            values.entry(name).or_default().insert(value);
        }
        set.sort_unstable();
        sets.insert(set);
    }
    let top_label = values
        .into_iter()
        .map(|(name, v)| (name, v.len()))
        // Most values first; among equals, the first name in alphabetical order, so that the
        // answer does not depend on hashing.
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(name, values)| LabelCardinality {
            name: name.to_owned(),
            values,
        });
    let series = sets.len();
    FamilyCardinality {
        name: family.name.to_owned(),
        family_type: family.family_type,
        line: family.line,
        series,
        samples: family.samples.len(),
        top_label,
        over_limit: series > max_series,
    }
}
