//! The typed error returned by registration and configuration.

use std::fmt;

/// What went wrong when registering a metric or configuring a registry.
///
/// Match on [`Error::kind`]; the [`Display`](fmt::Display) text says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The kind of an [`Error`]. New kinds may be added, so a `match` needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName,
    /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*`.
    InvalidLabelName,
    /// A label name is reserved: `le`, `quantile`, anything starting with `__`, or (for a
    /// state set) the metric's own name.
    ReservedLabelName,
    /// The same label name appears twice in one family (constant labels included).
    DuplicateLabelName,
    /// A metric family of this name is already registered.
    DuplicateMetric,
    /// The name would produce a sample name that another family already produces, such as a
    /// gauge `foo_total` beside a counter `foo`, or a gauge `foo_bucket` beside a histogram `foo`.
    NameClash,
    /// The label names given for a lookup differ from the family's (wrong count).
    LabelMismatch,
    /// Histogram bucket bounds are not strictly increasing, or one is NaN.
    InvalidBuckets,
    /// A summary quantile is outside `[0, 1]` or repeated, or its window is zero.
    InvalidQuantiles,
    /// The unit is not a suffix of the metric name, is malformed, or is not allowed for the type.
    InvalidUnit,
    /// A state set has no states or a repeated state.
    InvalidStates,
    /// A collected series was added to a [`MetricFamily`](crate::MetricFamily) of another type.
    TypeMismatch,
    /// A value cannot be exposed or recorded: a negative or NaN collected counter, histogram
    /// buckets that are not cumulative or lack `+Inf`, or an increment or observation given to
    /// a `try_*_with_exemplar` method that the plain method would drop.
    InvalidValue,
    /// A namespace or constant label given to a registry builder is invalid.
    InvalidConfig,
    /// A collected family was given the same label set twice.
    DuplicateSeries,
    /// An exemplar's labels break the OpenMetrics rules: a name that is invalid, starts with
    /// `__` or is repeated, or more than 128 characters of names and values together (see
    /// [`Exemplar`](crate::Exemplar)). Also a timestamp that is not finite.
    InvalidExemplar,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The kind of error, for matching.
    ///
    /// ```
    /// use vitals_core::{ErrorKind, Registry};
    /// let registry = Registry::new();
    /// let err = registry.counter("bad-name", "help").register().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidMetricName);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message, the same text as [`Display`](fmt::Display).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
