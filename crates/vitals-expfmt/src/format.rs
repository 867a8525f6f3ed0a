//! The exposition formats and content negotiation on the HTTP `Accept` header.

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Prometheus text format 0.0.4, what every scraper reads.
    PrometheusText,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
    /// JSON in vitals' own versioned schema (`docs/json-schema.md`), for dashboards, scripts
    /// and `jq`; not read by Prometheus.
    ///
    /// ```
    /// use vitals_core::Registry;
    /// use vitals_expfmt::{encode_to_string, Format};
    ///
    /// let registry = Registry::new();
    /// registry.gauge("queue_depth", "Jobs waiting.").register().unwrap().set(3);
    /// assert_eq!(
    ///     encode_to_string(&registry, Format::Json),
    ///     "{\"version\":1,\"families\":[\n\
    ///      {\"name\":\"queue_depth\",\"type\":\"gauge\",\"help\":\"Jobs waiting.\",\"unit\":null,\
    ///        \"series\":[{\"labels\":{},\"value\":3}]}\n\
    ///      ]}\n"
    /// );
    /// ```
    Json,
}

impl Format {
    /// The exact `Content-Type` of a response in this format.
    ///
    /// ```
    /// use vitals_expfmt::Format;
    /// assert_eq!(Format::PrometheusText.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    /// ```
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            // RFC 8259 defines no charset parameter: JSON is UTF-8.
            Self::Json => "application/json",
        }
    }

    /// Chooses the format for an `Accept` header: the acceptable media range with the highest
    /// q-value wins (the earlier one on a tie); `application/openmetrics-text` with no version
    /// or version 1.0.0 or 0.0.1 means OpenMetrics; `application/json` means JSON; `text/plain`
    /// (no version or 0.0.4), `text/*` and `*/*` mean Prometheus text. No header, or nothing
    /// usable, means Prometheus text.
    ///
    /// ```
    /// use vitals_expfmt::Format;
    /// let prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1";
    /// assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    /// assert_eq!(Format::negotiate(Some("text/plain")), Format::PrometheusText);
    /// assert_eq!(Format::negotiate(Some("application/openmetrics-text;q=0")), Format::PrometheusText);
    /// assert_eq!(Format::negotiate(Some("application/json")), Format::Json);
    /// assert_eq!(Format::negotiate(None), Format::PrometheusText);
    /// ```
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::PrometheusText;
        };
        let mut best: Option<(f64, Format)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0f64;
            let mut version: Option<String> = None;
            for param in parts {
                let Some((key, value)) = param.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "q" => q = value.parse().unwrap_or(0.0),
                    "version" => version = Some(value.to_owned()),
                    _ => {}
                }
            }
            let format = match (media.as_str(), version.as_deref()) {
                ("application/openmetrics-text", None | Some("1.0.0" | "0.0.1")) => {
                    Format::OpenMetrics
                }
                ("text/plain", None | Some("0.0.4")) | ("text/*" | "*/*", _) => {
                    Format::PrometheusText
                }
                // A `version` parameter is ignored: a JSON document states its schema version
                // in its body.
                ("application/json", _) => Format::Json,
                _ => continue,
            };
            if q.is_nan() || q <= 0.0 || q > 1.0 {
                continue;
            }
            if best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, format));
            }
        }
        best.map_or(Format::PrometheusText, |(_, f)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_table() {
        let table: &[(&str, Format)] = &[
            ("application/openmetrics-text", Format::OpenMetrics),
            (
                "application/openmetrics-text; version=1.0.0",
                Format::OpenMetrics,
            ),
            (
                "application/openmetrics-text; version=2.0.0",
                Format::PrometheusText,
            ),
            (
                "text/plain;q=0.9, application/openmetrics-text;q=0.8",
                Format::PrometheusText,
            ),
            (
                "text/plain;q=0.5, application/openmetrics-text",
                Format::OpenMetrics,
            ),
            ("application/json", Format::Json),
            ("application/json; charset=utf-8", Format::Json),
            ("Application/JSON", Format::Json),
            ("application/json;q=0", Format::PrometheusText),
            (
                "application/json;q=0.5, text/plain;q=0.9",
                Format::PrometheusText,
            ),
            ("text/plain;q=0.5, application/json", Format::Json),
            (
                "application/openmetrics-text;q=0.8, application/json;q=0.9, */*;q=0.1",
                Format::Json,
            ),
            // A tie goes to the earlier range.
            ("application/json, text/plain", Format::Json),
            ("text/plain, application/json", Format::PrometheusText),
            // A browser's default header: `*/*` wins, JSON is not in it.
            (
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                Format::PrometheusText,
            ),
            ("application/*", Format::PrometheusText),
            ("", Format::PrometheusText),
            ("garbage;;;=,", Format::PrometheusText),
            ("APPLICATION/OPENMETRICS-TEXT;Q=1", Format::OpenMetrics),
            ("application/openmetrics-text;q=abc", Format::PrometheusText),
        ];
        for (accept, want) in table {
            assert_eq!(Format::negotiate(Some(accept)), *want, "{accept}");
        }
    }
}
