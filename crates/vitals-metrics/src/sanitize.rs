//! How `metrics` names, label keys and units become Prometheus ones.
//!
//! The name and label-key rules are those of `metrics-exporter-prometheus` 0.18, so a program
//! that moves from that exporter to vitals keeps its series names (and its dashboards).

use std::borrow::Cow;

use metrics::Unit;

/// The Prometheus metric name for a `metrics` name: each character outside `[a-zA-Z0-9_:]`
/// becomes one `_`, and so does a first character that is a digit (it is replaced, not
/// prefixed, as `metrics-exporter-prometheus` does). Valid names are borrowed, not copied.
///
/// | `metrics` name | Prometheus name |
/// | --- | --- |
/// | `http.requests` | `http_requests` |
/// | `requests-total` | `requests_total` |
/// | `9lives` | `_lives` |
/// | `cache:hits` | `cache:hits` |
/// | `größe` | `gr__e` |
///
/// ```
/// use vitals_metrics::sanitize_metric_name;
///
/// assert_eq!(sanitize_metric_name("http.requests"), "http_requests");
/// assert_eq!(sanitize_metric_name("9lives"), "_lives");
/// assert_eq!(sanitize_metric_name("cache:hits"), "cache:hits");
/// ```
pub fn sanitize_metric_name(name: &str) -> Cow<'_, str> {
    sanitize(name, metric_name_start, metric_name_char)
}

/// The Prometheus label name for a `metrics` label key: each character outside
/// `[a-zA-Z0-9_]` becomes one `_` (a `:` too: label names may not contain it), and so does a
/// first character that is a digit. Label values are kept as they are; the encoders escape them.
///
/// A key that sanitizes to a reserved name (`le` or `quantile` on a histogram, anything starting
/// with `__`) is still refused by the registry, which makes the metric a no-op (see the
/// [crate docs](crate#when-the-registry-refuses-a-metric)).
///
/// ```
/// use vitals_metrics::sanitize_label_key;
///
/// assert_eq!(sanitize_label_key("http.method"), "http_method");
/// assert_eq!(sanitize_label_key("2xx:ok"), "_xx_ok");
/// assert_eq!(sanitize_label_key("method"), "method");
/// ```
pub fn sanitize_label_key(key: &str) -> Cow<'_, str> {
    sanitize(key, label_key_start, label_key_char)
}

/// The OpenMetrics unit word for a `metrics` [`Unit`], where Prometheus has a convention: its
/// base units [`Unit::Seconds`] → `seconds` and [`Unit::Bytes`] → `bytes`. Every other unit
/// (milliseconds, kibibytes, percent, count, rates) has none, and is not declared.
///
/// ```
/// use metrics::Unit;
/// use vitals_metrics::unit_name;
///
/// assert_eq!(unit_name(Unit::Seconds), Some("seconds"));
/// assert_eq!(unit_name(Unit::Bytes), Some("bytes"));
/// assert_eq!(unit_name(Unit::Milliseconds), None);
/// ```
pub fn unit_name(unit: Unit) -> Option<&'static str> {
    match unit {
        Unit::Seconds => Some("seconds"),
        Unit::Bytes => Some("bytes"),
        _ => None,
    }
}

/// Whether the registry would accept `unit` for the (sanitized) `name`: the name must end in
/// `_<unit>`, before `_total` for a counter, with something before that.
pub(crate) fn unit_fits(name: &str, unit: &str, counter: bool) -> bool {
    let name = if counter {
        name.strip_suffix("_total").unwrap_or(name)
    } else {
        name
    };
    name.strip_suffix(unit)
        .and_then(|rest| rest.strip_suffix('_'))
        .is_some_and(|rest| !rest.is_empty())
}

/// A matcher's text in the form of the names it is compared with: a `Full` or `Prefix` text
/// starts a name, so it follows the name rules; a `Suffix` does not, so its first character
/// is only checked like the others (`Suffix("5xx")` stays `5xx`).
pub(crate) fn sanitize_name_part(part: &str) -> Cow<'_, str> {
    sanitize(part, metric_name_char, metric_name_char)
}

fn sanitize(s: &str, start: fn(char) -> bool, rest: fn(char) -> bool) -> Cow<'_, str> {
    let valid = |i: usize, c: char| if i == 0 { start(c) } else { rest(c) };
    if s.chars().enumerate().all(|(i, c)| valid(i, c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .enumerate()
            .map(|(i, c)| if valid(i, c) { c } else { '_' })
            .collect(),
    )
}

fn metric_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn metric_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

fn label_key_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn label_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `key` needs no sanitizing, so that it can be passed on without copying. (An empty
/// key needs none, and the registry refuses it.)
pub(crate) fn is_sanitized_label_key(key: &str) -> bool {
    matches!(sanitize_label_key(key), Cow::Borrowed(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_known_cases() {
        // The first seven are metrics-exporter-prometheus 0.18's own table.
        let cases = [
            ("*", "_"),
            ("\"", "_"),
            ("foo_bar", "foo_bar"),
            ("foo1_bar", "foo1_bar"),
            ("1foobar", "_foobar"),
            ("foo1:bar2", "foo1:bar2"),
            ("123", "_23"),
            ("http.requests", "http_requests"),
            ("requests-total", "requests_total"),
            (":x", ":x"),
            ("größe", "gr__e"),
            ("a b\tc", "a_b_c"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize_metric_name(input), want, "{input:?}");
        }
    }

    #[test]
    fn label_keys_known_cases() {
        let cases = [
            ("*", "_"),
            ("foo_bar", "foo_bar"),
            ("1foobar", "_foobar"),
            ("foo1:bar2", "foo1_bar2"),
            ("123", "_23"),
            (":a", "_a"),
            ("http.method", "http_method"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize_label_key(input), want, "{input:?}");
        }
    }

    #[test]
    fn valid_input_is_borrowed() {
        assert!(matches!(sanitize_metric_name("a:b_1"), Cow::Borrowed(_)));
        assert!(matches!(sanitize_label_key("a_b1"), Cow::Borrowed(_)));
        assert!(is_sanitized_label_key("method"));
        assert!(!is_sanitized_label_key("a:b"));
        assert!(!is_sanitized_label_key("1a"));
    }

    #[test]
    fn sanitized_names_pass_core_validation() {
        for input in ["*", "1foobar", "http.requests", "größe", "a:b", "::", "_1"] {
            let name = sanitize_metric_name(input);
            assert!(
                vitals_core::name::validate_metric_name(&name).is_ok(),
                "{input:?} -> {name:?}"
            );
            let key = sanitize_label_key(input);
            assert!(
                key.starts_with("__") || vitals_core::name::validate_label_name(&key).is_ok(),
                "{input:?} -> {key:?}"
            );
        }
    }

    #[test]
    fn name_parts() {
        assert_eq!(sanitize_name_part("5xx"), "5xx");
        assert_eq!(sanitize_name_part(".seconds"), "_seconds");
    }

    #[test]
    fn units_fit_only_as_suffix() {
        assert!(unit_fits("latency_seconds", "seconds", false));
        assert!(!unit_fits("latency", "seconds", false));
        assert!(!unit_fits("seconds", "seconds", false));
        assert!(!unit_fits("_seconds", "seconds", false));
        assert!(!unit_fits("xseconds", "seconds", false));
        assert!(unit_fits("sent_bytes_total", "bytes", true));
        assert!(unit_fits("sent_bytes", "bytes", true));
        assert!(!unit_fits("sent_bytes_total", "bytes", false));
        assert!(!unit_fits("bytes_total", "bytes", true));
    }
}
