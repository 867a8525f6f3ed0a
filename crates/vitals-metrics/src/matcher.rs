//! [`Matcher`]: which histograms get which buckets.

use crate::sanitize::{sanitize_metric_name, sanitize_name_part};

/// Selects histograms by name, for
/// [`VitalsRecorderBuilder::with_buckets`](crate::VitalsRecorderBuilder::with_buckets), as
/// `metrics-exporter-prometheus`'s `Matcher` does.
///
/// The recorder compares matchers with the *sanitized* name (`http.latency` is compared as
/// `http_latency`), and sanitizes the matcher's text the same way when it is built, so either
/// spelling works: `Matcher::Full("http.latency".into())` and
/// `Matcher::Full("http_latency".into())` both select `histogram!("http.latency")`. A `Suffix`
/// text keeps a leading digit (`Suffix("5xx")`), since it does not start a name.
///
/// ```
/// use vitals_metrics::Matcher;
///
/// assert!(Matcher::Full("db_query_seconds".into()).matches("db_query_seconds"));
/// assert!(Matcher::Prefix("http_".into()).matches("http_latency_seconds"));
/// assert!(Matcher::Suffix("_bytes".into()).matches("response_size_bytes"));
/// assert!(!Matcher::Full("db_query".into()).matches("db_query_seconds"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Matcher {
    /// The whole name.
    Full(String),
    /// The beginning of the name.
    Prefix(String),
    /// The end of the name.
    Suffix(String),
}

impl Matcher {
    /// Whether `name` matches, compared as given (the recorder passes sanitized names and has
    /// sanitized the matcher's text).
    ///
    /// ```
    /// use vitals_metrics::Matcher;
    /// assert!(Matcher::Suffix("_seconds".into()).matches("job_duration_seconds"));
    /// assert!(!Matcher::Prefix("job".into()).matches("a_job"));
    /// ```
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Full(full) => name == full,
            Matcher::Prefix(prefix) => name.starts_with(prefix.as_str()),
            Matcher::Suffix(suffix) => name.ends_with(suffix.as_str()),
        }
    }

    /// This matcher with its text in the form of sanitized names.
    pub(crate) fn sanitized(self) -> Self {
        match self {
            Matcher::Full(full) => Matcher::Full(sanitize_metric_name(&full).into_owned()),
            Matcher::Prefix(prefix) => Matcher::Prefix(sanitize_metric_name(&prefix).into_owned()),
            Matcher::Suffix(suffix) => Matcher::Suffix(sanitize_name_part(&suffix).into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitized_text() {
        assert_eq!(
            Matcher::Full("http.latency".into()).sanitized(),
            Matcher::Full("http_latency".into())
        );
        assert_eq!(
            Matcher::Prefix("1x.".into()).sanitized(),
            Matcher::Prefix("_x_".into())
        );
        assert_eq!(
            Matcher::Suffix("5xx.count".into()).sanitized(),
            Matcher::Suffix("5xx_count".into())
        );
    }
}
