//! Validation of metric names, label names and units.
//!
//! vitals accepts the classic Prometheus character sets only. Prometheus 3 can carry UTF-8 names
//! in quoted form, but the 0.0.4 text format and most of the ecosystem cannot, so a name outside
//! the classic set is rejected with a message that suggests the snake_case spelling.

use crate::error::{Error, ErrorKind, Result};

/// Label names no user may declare: they are written by the encoders themselves.
pub const RESERVED_LABEL_NAMES: &[&str] = &["le", "quantile"];

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
///
/// ```
/// assert!(vitals_core::name::validate_metric_name("http_requests_total").is_ok());
/// assert!(vitals_core::name::validate_metric_name("http-requests").is_err());
/// ```
pub fn validate_metric_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || b == b'_' || b == b':' || (i > 0 && b.is_ascii_digit())
        });
    if valid {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidMetricName,
            format!(
                "invalid metric name {name:?}: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*; \
                 use snake_case ASCII such as {:?}",
                suggest(name, true)
            ),
        ))
    }
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*` and the reserved names
/// (`le`, `quantile`, and anything starting with `__`).
///
/// ```
/// use vitals_core::{name::validate_label_name, ErrorKind};
/// assert!(validate_label_name("method").is_ok());
/// assert_eq!(validate_label_name("le").unwrap_err().kind(), ErrorKind::ReservedLabelName);
/// ```
pub fn validate_label_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_alphabetic() || b == b'_' || (i > 0 && b.is_ascii_digit()));
    if !valid {
        return Err(Error::new(
            ErrorKind::InvalidLabelName,
            format!(
                "invalid label name {name:?}: a label name must match [a-zA-Z_][a-zA-Z0-9_]*; \
                 use snake_case ASCII such as {:?}",
                suggest(name, false)
            ),
        ));
    }
    if name.starts_with("__") {
        return Err(Error::new(
            ErrorKind::ReservedLabelName,
            format!(
                "label name {name:?} is reserved: names starting with \"__\" belong to Prometheus; \
                 drop the leading underscores"
            ),
        ));
    }
    if RESERVED_LABEL_NAMES.contains(&name) {
        return Err(Error::new(
            ErrorKind::ReservedLabelName,
            format!(
                "label name {name:?} is reserved: the encoders write \"le\" for histogram buckets \
                 and \"quantile\" for summaries; choose another name"
            ),
        ));
    }
    Ok(())
}

/// Checks a list of label names: each valid, none repeated, none among `taken` (constant labels).
pub(crate) fn validate_label_names<S: AsRef<str>>(names: &[S], taken: &[&str]) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        let name = name.as_ref();
        validate_label_name(name)?;
        let repeated = names[..i].iter().any(|n| n.as_ref() == name);
        if repeated || taken.contains(&name) {
            return Err(Error::new(
                ErrorKind::DuplicateLabelName,
                format!(
                    "label name {name:?} appears twice (constant labels count too); \
                     each label name may be used once per metric"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that `unit` is well formed and that `name` ends in `_<unit>`, as OpenMetrics requires.
pub(crate) fn validate_unit(name: &str, unit: &str) -> Result<()> {
    let well_formed = !unit.is_empty()
        && unit
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
    if !well_formed {
        return Err(Error::new(
            ErrorKind::InvalidUnit,
            format!(
                "invalid unit {unit:?}: a unit is a non-empty word of [a-zA-Z0-9_:], \
                 such as \"seconds\" or \"bytes\""
            ),
        ));
    }
    let suffixed = name.len() > unit.len() + 1
        && name.ends_with(unit)
        && name.as_bytes()[name.len() - unit.len() - 1] == b'_';
    if !suffixed {
        return Err(Error::new(
            ErrorKind::InvalidUnit,
            format!(
                "unit {unit:?} is not a suffix of metric name {name:?}: OpenMetrics requires the \
                 name to end in \"_{unit}\"; rename the metric to \"{name}_{unit}\" or drop the unit"
            ),
        ));
    }
    Ok(())
}

/// A best-effort snake_case spelling of an invalid name, for error messages.
fn suggest(name: &str, metric: bool) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.chars().enumerate() {
        let keep = c.is_ascii_alphanumeric() || c == '_' || (metric && c == ':');
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if keep {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        for ok in ["a", "_a", ":a", "a:b_c9", "A1"] {
            assert!(validate_metric_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "é", "a.b"] {
            let err = validate_metric_name(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidMetricName, "{bad}");
        }
    }

    #[test]
    fn label_names() {
        for ok in ["a", "_a", "a9", "method"] {
            assert!(validate_label_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1a", "a:b", "a-b"] {
            assert_eq!(
                validate_label_name(bad).unwrap_err().kind(),
                ErrorKind::InvalidLabelName
            );
        }
        for reserved in ["le", "quantile", "__name__", "__x"] {
            assert_eq!(
                validate_label_name(reserved).unwrap_err().kind(),
                ErrorKind::ReservedLabelName
            );
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("httpRequests-total", true), "http_requests_total");
        assert_eq!(suggest("9lives", false), "_9lives");
    }

    #[test]
    fn units() {
        assert!(validate_unit("latency_seconds", "seconds").is_ok());
        assert_eq!(
            validate_unit("latency", "seconds").unwrap_err().kind(),
            ErrorKind::InvalidUnit
        );
        assert!(validate_unit("seconds", "seconds").is_err());
        assert!(validate_unit("xseconds", "seconds").is_err());
        assert!(validate_unit("a_b", "").is_err());
    }
}
