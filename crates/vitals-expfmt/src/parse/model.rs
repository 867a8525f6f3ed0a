//! What a parsed exposition is made of. Strings borrow from the input where they can (a label
//! value is copied only when it contained an escape), so parsing allocates little.

use std::borrow::Cow;

use vitals_core::Number;

/// A label: its name and its unescaped value.
pub type Label<'a> = (&'a str, Cow<'a, str>);

/// The type of a parsed family: OpenMetrics' types (0.0.4's `untyped` reads as `Unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FamilyType {
    /// `counter`
    Counter,
    /// `gauge`
    Gauge,
    /// `histogram`
    Histogram,
    /// `gaugehistogram` (OpenMetrics only)
    GaugeHistogram,
    /// `summary`
    Summary,
    /// `info` (OpenMetrics only)
    Info,
    /// `stateset` (OpenMetrics only)
    StateSet,
    /// `unknown` in OpenMetrics, `untyped` in 0.0.4, or no TYPE line at all
    Unknown,
}

impl FamilyType {
    /// Reads an OpenMetrics `# TYPE` word.
    pub fn from_openmetrics(word: &str) -> Option<Self> {
        Some(match word {
            "counter" => Self::Counter,
            "gauge" => Self::Gauge,
            "histogram" => Self::Histogram,
            "gaugehistogram" => Self::GaugeHistogram,
            "summary" => Self::Summary,
            "info" => Self::Info,
            "stateset" => Self::StateSet,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }

    /// The OpenMetrics `# TYPE` word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::GaugeHistogram => "gaugehistogram",
            Self::Summary => "summary",
            Self::Info => "info",
            Self::StateSet => "stateset",
            Self::Unknown => "unknown",
        }
    }

    /// The suffixes of the sample names a family of this type may have (`""` for the family's
    /// own name), in OpenMetrics.
    pub fn openmetrics_suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Counter => &["_total", "_created"],
            Self::Histogram => &["_bucket", "_count", "_sum", "_created"],
            Self::GaugeHistogram => &["_bucket", "_gcount", "_gsum"],
            Self::Summary => &["", "_count", "_sum", "_created"],
            Self::Info => &["_info"],
            Self::Gauge | Self::StateSet | Self::Unknown => &[""],
        }
    }
}

/// One metric family: its metadata and its samples, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Family<'a> {
    /// The family name. For a 0.0.4 counter declared as `foo_total`, this is `foo`, as
    /// OpenMetrics names it, so that both formats read back to the same model.
    pub name: &'a str,
    /// The declared type; [`FamilyType::Unknown`] when there was no TYPE line.
    pub family_type: FamilyType,
    /// The HELP text, unescaped; `None` when there was no HELP line.
    pub help: Option<Cow<'a, str>>,
    /// The UNIT (OpenMetrics only); `None` when absent or empty.
    pub unit: Option<&'a str>,
    /// The samples, in input order.
    pub samples: Vec<Sample<'a>>,
    /// The 1-based line where the family starts.
    pub line: usize,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// The full sample name, suffix included (`foo_total`, `foo_bucket`).
    pub name: &'a str,
    /// The labels, in input order, values unescaped.
    pub labels: Vec<Label<'a>>,
    /// The value; integers that fit stay exact.
    pub value: Number,
    /// The timestamp in seconds since the epoch (0.0.4's milliseconds are converted).
    pub timestamp: Option<f64>,
    /// The exemplar (OpenMetrics only).
    pub exemplar: Option<Exemplar<'a>>,
    /// The 1-based line of the sample.
    pub line: usize,
}

impl Sample<'_> {
    /// The value of the label `name`, if present.
    ///
    /// ```
    /// let families = vitals_expfmt::parse::parse(
    ///     "a_total{code=\"200\"} 1\n# EOF\n",
    ///     vitals_expfmt::parse::Syntax::OpenMetrics,
    /// ).unwrap();
    /// assert_eq!(families[0].samples[0].label("code"), Some("200"));
    /// ```
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| &**v)
    }
}

/// An exemplar attached to a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'a> {
    /// The exemplar's labels (a trace id, typically).
    pub labels: Vec<Label<'a>>,
    /// The exemplar's value.
    pub value: f64,
    /// When it was recorded, in seconds since the epoch.
    pub timestamp: Option<f64>,
}
