//! Escaping for HELP text and for label values written at encode time (state names).

/// Appends HELP text escaped for Prometheus text 0.0.4: only `\` and newline.
pub(crate) fn help_text(out: &mut Vec<u8>, help: &str) {
    escape(out, help, false);
}

/// Appends HELP text escaped for OpenMetrics: `\`, `"` and newline.
pub(crate) fn help_openmetrics(out: &mut Vec<u8>, help: &str) {
    escape(out, help, true);
}

/// Appends a label value escaped as both formats require: `\`, `"` and newline.
pub(crate) fn label_value(out: &mut Vec<u8>, value: &str) {
    escape(out, value, true);
}

fn escape(out: &mut Vec<u8>, s: &str, quote: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if quote => b"\\\"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(replacement);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_differ_by_format_for_quotes_only() {
        let mut text = Vec::new();
        help_text(&mut text, "a \"q\" \\ b\nc ü");
        assert_eq!(text, b"a \"q\" \\\\ b\\nc \xc3\xbc");
        let mut om = Vec::new();
        help_openmetrics(&mut om, "a \"q\" \\ b\nc");
        assert_eq!(om, b"a \\\"q\\\" \\\\ b\\nc");
    }
}
