//! [`MetricFamily`]: a family built by a [`Collector`](crate::Collector) at scrape time.

use std::collections::HashSet;

use crate::collect::{
    Counts, Descriptor, Exemplars, Flags, HistogramValue, MetricType, Number, SeriesValue,
    StateSetValue, SummaryValue,
};
use crate::error::{Error, ErrorKind, Result};
use crate::exemplar::Exemplar;
use crate::labels::push_label;
use crate::name::{validate_label_names, validate_metric_name, validate_unit};

/// A metric family with owned values, built by a [`Collector`](crate::Collector) each scrape.
///
/// Every `add_*` validates what it is given and returns an error instead of producing output
/// that a scraper would reject.
///
/// ```
/// use vitals_core::MetricFamily;
/// let mut family = MetricFamily::histogram("job_duration_seconds", "Job durations.").unwrap();
/// family
///     .add_histogram(&[("queue", "a")], &[(0.5, 2), (1.0, 3), (f64::INFINITY, 4)], 3.7)
///     .unwrap();
/// assert!(family.add_gauge(&[], 1.0).is_err()); // wrong type
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    desc: Descriptor,
    label_names: Option<Vec<String>>,
    series: Vec<OwnedSeries>,
    /// The label text of every series so far: a family may not expose one label set twice.
    seen: HashSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct OwnedSeries {
    labels: String,
    value: OwnedValue,
}

#[derive(Debug, Clone, PartialEq)]
enum OwnedValue {
    /// Boxed: most collected counters have no exemplar, and an exemplar is half a kilobyte.
    Counter(f64, Option<Box<Exemplar>>),
    Gauge(f64),
    Unknown(f64),
    Histogram {
        bounds: Vec<f64>,
        counts: Vec<u64>,
        sum: f64,
    },
    Summary {
        quantiles: Vec<(f64, f64)>,
        sum: f64,
        count: u64,
    },
    Info,
    StateSet {
        states: Vec<Box<str>>,
        flags: Vec<bool>,
    },
}

impl MetricFamily {
    /// An empty family. A counter's name may end in `_total` and an info's in `_info`; the
    /// suffix is removed from the family name and written on the samples.
    pub fn new(name: &str, help: &str, metric_type: MetricType) -> Result<Self> {
        validate_metric_name(name)?;
        let name = strip_type_suffix(name, metric_type)?;
        if metric_type == MetricType::StateSet {
            check_state_set_name(name)?;
        }
        Ok(Self {
            desc: Descriptor {
                name: name.to_owned(),
                help: help.to_owned(),
                unit: None,
                metric_type,
            },
            label_names: None,
            series: Vec::new(),
            seen: HashSet::new(),
        })
    }

    /// An empty counter family.
    pub fn counter(name: &str, help: &str) -> Result<Self> {
        Self::new(name, help, MetricType::Counter)
    }

    /// An empty gauge family.
    pub fn gauge(name: &str, help: &str) -> Result<Self> {
        Self::new(name, help, MetricType::Gauge)
    }

    /// An empty histogram family.
    pub fn histogram(name: &str, help: &str) -> Result<Self> {
        Self::new(name, help, MetricType::Histogram)
    }

    /// An empty summary family.
    pub fn summary(name: &str, help: &str) -> Result<Self> {
        Self::new(name, help, MetricType::Summary)
    }

    /// An empty info family.
    pub fn info(name: &str, help: &str) -> Result<Self> {
        Self::new(name, help, MetricType::Info)
    }

    /// An empty state set family.
    pub fn state_set(name: &str, help: &str) -> Result<Self> {
        Self::new(name, help, MetricType::StateSet)
    }

    /// An empty family of unknown type.
    pub fn unknown(name: &str, help: &str) -> Result<Self> {
        Self::new(name, help, MetricType::Unknown)
    }

    /// Declares the unit; the name must end in `_<unit>`.
    pub fn with_unit(mut self, unit: &str) -> Result<Self> {
        check_unit(&self.desc.name, self.desc.metric_type, unit)?;
        self.desc.unit = Some(unit.to_owned());
        Ok(self)
    }

    /// The family's metadata.
    pub fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    /// The label names every series carries (empty until the first series is added).
    pub fn label_names(&self) -> &[String] {
        self.label_names.as_deref().unwrap_or(&[])
    }

    /// The number of series added.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Whether no series were added.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    fn push(
        &mut self,
        metric_type: MetricType,
        labels: &[(&str, &str)],
        value: OwnedValue,
    ) -> Result<&mut Self> {
        if metric_type != self.desc.metric_type {
            return Err(Error::new(
                ErrorKind::TypeMismatch,
                format!(
                    "family {:?} is a {}, not a {}; add values of its own type",
                    self.desc.name,
                    self.desc.metric_type.openmetrics_name(),
                    metric_type.openmetrics_name()
                ),
            ));
        }
        let names: Vec<&str> = labels.iter().map(|(n, _)| *n).collect();
        match &self.label_names {
            Some(known) if known.iter().map(String::as_str).ne(names.iter().copied()) => {
                return Err(Error::new(
                    ErrorKind::LabelMismatch,
                    format!(
                        "family {:?} has labels [{}], but a series came with [{}]; every series \
                         of a family carries the same label names in the same order",
                        self.desc.name,
                        known.join(", "),
                        names.join(", ")
                    ),
                ));
            }
            Some(_) => {}
            None => {
                let reserved_state: &[&str] = if metric_type == MetricType::StateSet {
                    &[self.desc.name.as_str()]
                } else {
                    &[]
                };
                validate_label_names(&names, reserved_state)?;
                self.label_names = Some(names.iter().map(|n| (*n).to_owned()).collect());
            }
        }
        let mut text = String::new();
        for (name, value) in labels {
            push_label(&mut text, name, value);
        }
        if !self.seen.insert(text.clone()) {
            return Err(Error::new(
                ErrorKind::DuplicateSeries,
                format!(
                    "family {:?} already has a series with labels {{{text}}}; add each label set \
                     once (sum the values first if they come from several sources)",
                    self.desc.name
                ),
            ));
        }
        self.series.push(OwnedSeries {
            labels: text,
            value,
        });
        Ok(self)
    }

    /// Adds a counter series. The value must be finite and not negative.
    pub fn add_counter(&mut self, labels: &[(&str, &str)], value: f64) -> Result<&mut Self> {
        self.add_counter_inner(labels, value, None)
    }

    /// Adds a counter series with its latest [exemplar](crate::exemplar), which OpenMetrics
    /// writes after the `_total` sample. The value must be finite and not negative.
    ///
    /// ```
    /// use vitals_core::{Exemplar, MetricFamily};
    /// let mut jobs = MetricFamily::counter("jobs_total", "Jobs run.")?;
    /// let exemplar = Exemplar::new(&[("trace_id", "abc")], 1.0)?.with_timestamp(1520879607.789)?;
    /// jobs.add_counter_with_exemplar(&[("queue", "emails")], 12.0, exemplar)?;
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn add_counter_with_exemplar(
        &mut self,
        labels: &[(&str, &str)],
        value: f64,
        exemplar: Exemplar,
    ) -> Result<&mut Self> {
        self.add_counter_inner(labels, value, Some(Box::new(exemplar)))
    }

    fn add_counter_inner(
        &mut self,
        labels: &[(&str, &str)],
        value: f64,
        exemplar: Option<Box<Exemplar>>,
    ) -> Result<&mut Self> {
        if value.is_nan() || value < 0.0 || value.is_infinite() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "counter value {value} for {:?} must be finite and >= 0",
                    self.desc.name
                ),
            ));
        }
        self.push(
            MetricType::Counter,
            labels,
            OwnedValue::Counter(value, exemplar),
        )
    }

    /// Adds a gauge series.
    pub fn add_gauge(&mut self, labels: &[(&str, &str)], value: f64) -> Result<&mut Self> {
        self.push(MetricType::Gauge, labels, OwnedValue::Gauge(value))
    }

    /// Adds a series of unknown type.
    pub fn add_unknown(&mut self, labels: &[(&str, &str)], value: f64) -> Result<&mut Self> {
        self.push(MetricType::Unknown, labels, OwnedValue::Unknown(value))
    }

    /// Adds an info series (value 1); the labels are the information.
    pub fn add_info(&mut self, labels: &[(&str, &str)]) -> Result<&mut Self> {
        self.push(MetricType::Info, labels, OwnedValue::Info)
    }

    /// Adds a histogram series from `(upper_bound, cumulative_count)` pairs, bounds strictly
    /// increasing and the last one `+Inf`, counts not decreasing.
    pub fn add_histogram(
        &mut self,
        labels: &[(&str, &str)],
        buckets: &[(f64, u64)],
        sum: f64,
    ) -> Result<&mut Self> {
        let invalid = |why: &str| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("histogram {:?}: {why}", self.desc.name),
            )
        };
        let Some(((last_bound, _), finite)) = buckets.split_last() else {
            return Err(invalid("needs at least the +Inf bucket"));
        };
        if *last_bound != f64::INFINITY {
            return Err(invalid("the last bucket must have the bound +Inf"));
        }
        let mut bounds = Vec::with_capacity(finite.len());
        let mut counts = Vec::with_capacity(buckets.len());
        let mut previous: Option<(f64, u64)> = None;
        for &(bound, cumulative) in buckets {
            if let Some((prev_bound, prev_count)) = previous {
                if bound.is_nan() || bound <= prev_bound {
                    return Err(invalid("bucket bounds must be strictly increasing"));
                }
                if cumulative < prev_count {
                    return Err(invalid("bucket counts must be cumulative (not decreasing)"));
                }
            }
            if bound.is_nan() || (bound.is_infinite() && bound < 0.0) {
                return Err(invalid("bucket bounds must be numbers below +Inf"));
            }
            counts.push(cumulative - previous.map_or(0, |p| p.1));
            if bound.is_finite() {
                bounds.push(bound);
            }
            previous = Some((bound, cumulative));
        }
        self.push(
            MetricType::Histogram,
            labels,
            OwnedValue::Histogram {
                bounds,
                counts,
                sum,
            },
        )
    }

    /// Adds a summary series from `(quantile, value)` pairs, quantiles in `[0, 1]`.
    pub fn add_summary(
        &mut self,
        labels: &[(&str, &str)],
        quantiles: &[(f64, f64)],
        sum: f64,
        count: u64,
    ) -> Result<&mut Self> {
        let listed: Vec<f64> = quantiles.iter().map(|(q, _)| *q).collect();
        crate::SummaryOptions::new()
            .with_quantiles(&listed)
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidQuantiles,
                    format!("summary {:?}: {}", self.desc.name, e.message()),
                )
            })?;
        self.push(
            MetricType::Summary,
            labels,
            OwnedValue::Summary {
                quantiles: quantiles.to_vec(),
                sum,
                count,
            },
        )
    }

    /// Adds a state set series from `(state, on)` pairs; states must be distinct.
    pub fn add_state_set(
        &mut self,
        labels: &[(&str, &str)],
        states: &[(&str, bool)],
    ) -> Result<&mut Self> {
        let names: Vec<&str> = states.iter().map(|(s, _)| *s).collect();
        let options = crate::StateSetOptions::new(&names)?;
        self.push(
            MetricType::StateSet,
            labels,
            OwnedValue::StateSet {
                states: options.states().to_vec(),
                flags: states.iter().map(|(_, on)| *on).collect(),
            },
        )
    }

    /// Reports each series to `f` with its label text (without constant labels).
    pub(crate) fn for_each_series(&self, mut f: impl FnMut(&str, &SeriesValue<'_>)) {
        for series in &self.series {
            let value = match &series.value {
                OwnedValue::Counter(v, exemplar) => SeriesValue::Counter {
                    value: Number::F64(*v),
                    created: None,
                    exemplar: exemplar.as_deref(),
                },
                OwnedValue::Gauge(v) => SeriesValue::Gauge(Number::F64(*v)),
                OwnedValue::Unknown(v) => SeriesValue::Unknown(Number::F64(*v)),
                OwnedValue::Histogram {
                    bounds,
                    counts,
                    sum,
                } => SeriesValue::Histogram(HistogramValue {
                    bounds,
                    counts: Counts::plain(counts),
                    sum: *sum,
                    created: None,
                    // A collector reports no history; the encoder's own checks on the
                    // bounds and the sum decide what OpenMetrics can carry.
                    negative_observed: false,
                    exemplars: Exemplars::none(),
                }),
                OwnedValue::Summary {
                    quantiles,
                    sum,
                    count,
                } => SeriesValue::Summary(SummaryValue {
                    quantiles,
                    sum: *sum,
                    count: *count,
                    created: None,
                    negative_observed: false,
                }),
                OwnedValue::Info => SeriesValue::Info,
                OwnedValue::StateSet { states, flags } => SeriesValue::StateSet(StateSetValue {
                    states,
                    flags: Flags::plain(flags),
                }),
            };
            f(&series.labels, &value);
        }
    }
}

/// Removes `_total` from a counter's name and `_info` from an info's, which the encoders add
/// back on the samples.
pub(crate) fn strip_type_suffix(name: &str, metric_type: MetricType) -> Result<&str> {
    let suffix = match metric_type {
        MetricType::Counter => "_total",
        MetricType::Info => "_info",
        _ => return Ok(name),
    };
    match name.strip_suffix(suffix) {
        Some("") => Err(Error::new(
            ErrorKind::InvalidMetricName,
            format!("metric name {name:?} is only the suffix {suffix:?}; put a name before it"),
        )),
        Some(stripped) => Ok(stripped),
        None => Ok(name),
    }
}

/// A state set writes its states in a label named after it, so its name must also be a valid
/// label name (no `:`).
pub(crate) fn check_state_set_name(name: &str) -> Result<()> {
    crate::name::validate_label_name(name).map_err(|_| {
        Error::new(
            ErrorKind::InvalidMetricName,
            format!(
                "state set name {name:?} must also be a valid label name (no ':'), since its \
                 states are written in a label of that name"
            ),
        )
    })
}

/// Checks a unit against the type and the family name.
pub(crate) fn check_unit(name: &str, metric_type: MetricType, unit: &str) -> Result<()> {
    if !metric_type.allows_unit() {
        return Err(Error::new(
            ErrorKind::InvalidUnit,
            format!(
                "a {} metric cannot have a unit (OpenMetrics forbids it); drop the unit of {name:?}",
                metric_type.openmetrics_name()
            ),
        ));
    }
    validate_unit(name, unit)
}
