//! JSON exposition, schema version 1 (`docs/json-schema.md` is the contract; keep the two in
//! step).
//!
//! ```text
//! {"version":1,"families":[
//! {"name":"jobs","type":"counter","help":"Jobs run.","unit":null,"series":[{"labels":{"queue":"mail"},"value":3,"created":1700000000.5}]}
//! ]}
//! ```
//!
//! Written by hand rather than through serde: this is a scrape path, and like the text encoders
//! it appends to the caller's buffer with no allocation per series.
//!
//! Labels come from the series' pre-rendered exposition text (`a="x\"y",b="z"`), which core
//! renders once per series with exactly three escapes: `\\`, `\"` and `\n`. Those three are
//! also JSON escapes with the same meaning, so a label value's escaped text is copied into the
//! JSON string as it is; only the raw control characters the exposition leaves alone (tab,
//! carriage return, U+0001 ...) need escaping here. That keeps the label work a single scan, with
//! no unescaping into a scratch buffer and no change to core's API.
//!
//! Numbers: integers are written with all their digits; finite floats as Go's `%g` writes them
//! (the same digits as the text formats, and always valid JSON number syntax); NaN and ±Inf,
//! which JSON numbers cannot express, as the strings `"NaN"`, `"+Inf"` and `"-Inf"`.

use vitals_core::collect::{HistogramValue, StateSetValue, SummaryValue};
use vitals_core::{Descriptor, LabelText, Number, SeriesValue, Visitor};

use crate::number::{write_go_float, write_i64, write_u64};

/// The schema version written at the top of every document. Bump it only for a change that
/// breaks existing readers; adding a field does not (readers ignore fields they do not know).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Encodes a registry as JSON into `out` (appending). Call [`finish`](Self::finish) after the
/// visit: the document stays open until then, since the visitor cannot know which family is
/// the last.
pub(crate) struct JsonEncoder<'a> {
    out: &'a mut Vec<u8>,
    /// Families written so far: the first one is not preceded by a comma, and `finish` closes
    /// the last one's series array only when there is one.
    families: usize,
    /// Series written in the current family, for the same comma rule.
    series: usize,
}

impl<'a> JsonEncoder<'a> {
    /// Starts the document.
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        out.extend_from_slice(b"{\"version\":");
        write_u64(out, u64::from(SCHEMA_VERSION));
        out.extend_from_slice(b",\"families\":[");
        Self {
            out,
            families: 0,
            series: 0,
        }
    }

    /// Closes the last family and the document, and ends it with a newline (for terminals and
    /// line-based tools; JSON readers ignore it).
    pub(crate) fn finish(self) {
        if self.families > 0 {
            self.out.extend_from_slice(b"]}\n");
        }
        self.out.extend_from_slice(b"]}\n");
    }
}

impl Visitor for JsonEncoder<'_> {
    fn family(&mut self, desc: &Descriptor) {
        // One family per line: diffs and `grep` stay usable on the raw output.
        if self.families > 0 {
            self.out.extend_from_slice(b"]},\n");
        } else {
            self.out.push(b'\n');
        }
        self.families += 1;
        self.series = 0;
        self.out.extend_from_slice(b"{\"name\":");
        write_string(self.out, desc.name());
        self.out.extend_from_slice(b",\"type\":");
        write_string(self.out, desc.metric_type().openmetrics_name());
        self.out.extend_from_slice(b",\"help\":");
        write_string(self.out, desc.help());
        self.out.extend_from_slice(b",\"unit\":");
        match desc.unit() {
            Some(unit) => write_string(self.out, unit),
            None => self.out.extend_from_slice(b"null"),
        }
        self.out.extend_from_slice(b",\"series\":[");
    }

    fn series(&mut self, labels: &LabelText<'_>, value: &SeriesValue<'_>) {
        // Decide before writing anything, so that a kind of value this encoder does not know
        // yet (the enum is non-exhaustive) leaves no half-written series behind.
        if !matches!(
            value,
            SeriesValue::Counter { .. }
                | SeriesValue::Gauge(_)
                | SeriesValue::Unknown(_)
                | SeriesValue::Info
                | SeriesValue::Histogram(_)
                | SeriesValue::Summary(_)
                | SeriesValue::StateSet(_)
        ) {
            return;
        }
        if self.series > 0 {
            self.out.push(b',');
        }
        self.series += 1;
        self.out.extend_from_slice(b"{\"labels\":");
        labels.with_str(|text| write_labels(self.out, text));
        match value {
            SeriesValue::Counter { value, created, .. } => {
                self.out.extend_from_slice(b",\"value\":");
                write_number(self.out, *value);
                write_created(self.out, *created);
            }
            SeriesValue::Gauge(value) | SeriesValue::Unknown(value) => {
                self.out.extend_from_slice(b",\"value\":");
                write_number(self.out, *value);
            }
            SeriesValue::Info => self.out.extend_from_slice(b",\"value\":1"),
            SeriesValue::Histogram(h) => self.histogram(h),
            SeriesValue::Summary(s) => self.summary(s),
            SeriesValue::StateSet(s) => self.state_set(s),
            _ => {}
        }
        self.out.push(b'}');
    }
}

impl JsonEncoder<'_> {
    fn histogram(&mut self, h: &HistogramValue<'_>) {
        self.out.extend_from_slice(b",\"buckets\":[");
        let mut first = true;
        // `for_each_cumulative` reads each bucket once and returns the total it summed, so the
        // `+Inf` bucket and `count` agree even while observations arrive.
        let count = h.for_each_cumulative(|bound, cumulative| {
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.out.extend_from_slice(b"{\"upper_bound\":");
            write_float(self.out, bound);
            self.out.extend_from_slice(b",\"cumulative_count\":");
            write_u64(self.out, cumulative);
            self.out.push(b'}');
        });
        // Unlike OpenMetrics, JSON keeps `sum` and `count` whatever their sign: nothing here
        // forbids a negative sum, and leaving them out would lose information.
        self.out.extend_from_slice(b"],\"sum\":");
        write_float(self.out, h.sum);
        self.out.extend_from_slice(b",\"count\":");
        write_u64(self.out, count);
        write_created(self.out, h.created);
    }

    fn summary(&mut self, s: &SummaryValue<'_>) {
        self.out.extend_from_slice(b",\"quantiles\":[");
        for (i, &(quantile, value)) in s.quantiles.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out.extend_from_slice(b"{\"quantile\":");
            write_float(self.out, quantile);
            self.out.extend_from_slice(b",\"value\":");
            write_float(self.out, value);
            self.out.push(b'}');
        }
        self.out.extend_from_slice(b"],\"sum\":");
        write_float(self.out, s.sum);
        self.out.extend_from_slice(b",\"count\":");
        write_u64(self.out, s.count);
        write_created(self.out, s.created);
    }

    fn state_set(&mut self, s: &StateSetValue<'_>) {
        // An object keyed by state: core guarantees distinct state names, so no key repeats,
        // and readers can address a state directly (`.states.ready`).
        self.out.extend_from_slice(b",\"states\":{");
        for (i, state) in s.states.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_string(self.out, state);
            self.out
                .extend_from_slice(if s.flags.get(i) { b":true" } else { b":false" });
        }
        self.out.push(b'}');
    }
}

/// Writes `,"created":<seconds>` or `,"created":null`: the field is always present so that
/// readers need not tell an absent field from an unknown time.
fn write_created(out: &mut Vec<u8>, created: Option<f64>) {
    out.extend_from_slice(b",\"created\":");
    match created {
        Some(created) => write_float(out, created),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes a sample value: integers exactly, floats through [`write_float`].
fn write_number(out: &mut Vec<u8>, value: Number) {
    match value {
        Number::U64(v) => write_u64(out, v),
        Number::I64(v) => write_i64(out, v),
        Number::F64(v) => write_float(out, v),
    }
}

/// Writes a float as a JSON number, or as the string `"NaN"`, `"+Inf"` or `"-Inf"`, which JSON
/// numbers cannot express. Go's `%g` output for finite values (`1`, `-0`, `0.25`, `1e-05`,
/// `1.5e+300`) is always valid JSON number syntax, and shares its digits with the text formats.
fn write_float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        write_go_float(out, v);
    } else {
        out.push(b'"');
        write_go_float(out, v);
        out.push(b'"');
    }
}

/// The JSON escape for a byte that may not appear raw in a string (RFC 8259 §7): the short
/// forms where JSON has one, `\u00XX` for the other control characters.
fn escape_for(b: u8, scratch: &mut [u8; 6]) -> Option<&[u8]> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    Some(match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x08 => b"\\b",
        0x0c => b"\\f",
        0x00..=0x1f => {
            *scratch = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ];
            &scratch[..]
        }
        _ => return None,
    })
}

/// Writes `s` as a quoted JSON string. Bytes of multi-byte UTF-8 characters are never below
/// 0x80, so scanning bytes cannot split a character; non-ASCII text is copied as UTF-8, which
/// RFC 8259 requires of JSON exchanged between systems.
fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut scratch = [0u8; 6];
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(escaped) = escape_for(b, &mut scratch) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(escaped);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes a series' label text (`a="x\"y",b="z"`, as core renders it) as a JSON object
/// (`{"a":"x\"y","b":"z"}`), in the same order: constant labels first.
///
/// Core's rendering is always well formed, but this never trusts it to be: whatever `text` is,
/// the output is valid JSON (an unexpected backslash is written as an escaped backslash, a
/// missing closing quote ends the value at the end of the text), so a bug elsewhere can at
/// worst garble a label, never the document.
fn write_labels(out: &mut Vec<u8>, text: &str) {
    out.push(b'{');
    let bytes = text.as_bytes();
    let mut scratch = [0u8; 6];
    let mut pos = 0;
    let mut first = true;
    while pos < bytes.len() {
        // The name runs to `=`; label names are `[a-zA-Z_][a-zA-Z0-9_]*`, so it cannot contain
        // one. It is escaped anyway, which costs nothing for such names.
        let name_end = bytes[pos..]
            .iter()
            .position(|&b| b == b'=')
            .map_or(bytes.len(), |p| pos + p);
        if !first {
            out.push(b',');
        }
        first = false;
        write_string(out, text.get(pos..name_end).unwrap_or(""));
        out.extend_from_slice(b":\"");
        pos = name_end + 1;
        if bytes.get(pos) == Some(&b'"') {
            pos += 1;
        }
        // The value runs to the first unescaped `"`. Its escapes (`\\`, `\"`, `\n`) mean in
        // JSON what they mean in the exposition, so they are copied unchanged.
        let mut start = pos;
        while pos < bytes.len() {
            let b = bytes[pos];
            if b == b'"' {
                break;
            }
            if b == b'\\' {
                if matches!(bytes.get(pos + 1), Some(b'\\' | b'"' | b'n')) {
                    pos += 2;
                    continue;
                }
                // Not an escape core writes: keep the backslash as a literal character.
                out.extend_from_slice(&bytes[start..pos]);
                out.extend_from_slice(b"\\\\");
                pos += 1;
                start = pos;
                continue;
            }
            if let Some(escaped) = escape_for(b, &mut scratch) {
                out.extend_from_slice(&bytes[start..pos]);
                out.extend_from_slice(escaped);
                start = pos + 1;
            }
            pos += 1;
        }
        // On malformed text (no `="` after the name) `pos` may be past the end.
        let end = pos.min(bytes.len());
        out.extend_from_slice(bytes.get(start.min(end)..end).unwrap_or_default());
        out.push(b'"');
        // Skip the closing quote and the comma before the next pair.
        pos += 1;
        if bytes.get(pos) == Some(&b',') {
            pos += 1;
        }
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> String {
        let mut out = Vec::new();
        write_labels(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    fn string(s: &str) -> String {
        let mut out = Vec::new();
        write_string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_what_rfc_8259_requires() {
        let table: &[(&str, &str)] = &[
            ("", r#""""#),
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            ("\u{0}\u{1}\u{1f}", r#""\u0000\u0001\u001f""#),
            ("\u{7f} ünï 日本 \u{2028}", "\"\u{7f} ünï 日本 \u{2028}\""),
            ("/", r#""/""#),
        ];
        for (input, want) in table {
            assert_eq!(string(input), *want, "{input:?}");
        }
    }

    #[test]
    fn label_text_becomes_an_object() {
        let table: &[(&str, &str)] = &[
            ("", "{}"),
            (r#"a="1""#, r#"{"a":"1"}"#),
            (r#"a="",b="x""#, r#"{"a":"","b":"x"}"#),
            // Exposition escapes are copied; `,` and `=` inside values do not split.
            (
                r#"a="x\"y,z=\"",b="\\\n""#,
                r#"{"a":"x\"y,z=\"","b":"\\\n"}"#,
            ),
            // Raw control characters, which the exposition leaves alone, are escaped.
            ("a=\"\t\u{1}\r\"", r#"{"a":"\t\u0001\r"}"#),
            ("a=\"日本\"", "{\"a\":\"日本\"}"),
        ];
        for (input, want) in table {
            assert_eq!(labels(input), *want, "{input:?}");
        }
    }

    #[test]
    fn malformed_label_text_still_gives_valid_json() {
        for input in [
            "a",
            "a=",
            "a=\"",
            "a=\"x",
            "a=\"x\\",
            "a=\"\\t\"",
            "a=x\",b",
            ",,,",
            "=\"\"",
            "a=\"1\"junk,b=\"2\"",
        ] {
            let json = labels(input);
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&json);
            assert!(
                parsed.as_ref().is_ok_and(serde_json::Value::is_object),
                "{input:?} -> {json}"
            );
        }
    }

    #[test]
    fn floats() {
        let table: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (0.25, "0.25"),
            (1e-5, "1e-05"),
            (1e21, "1e+21"),
            (f64::NAN, "\"NaN\""),
            (f64::INFINITY, "\"+Inf\""),
            (f64::NEG_INFINITY, "\"-Inf\""),
        ];
        for (v, want) in table {
            let mut out = Vec::new();
            write_float(&mut out, *v);
            assert_eq!(String::from_utf8(out).unwrap(), *want, "{v:?}");
        }
    }

    proptest::proptest! {
        /// Any finite float is a valid JSON number and reads back to the same bits.
        #[test]
        fn finite_floats_read_back_exactly(bits in proptest::num::u64::ANY) {
            let v = f64::from_bits(bits);
            proptest::prop_assume!(v.is_finite());
            let mut out = Vec::new();
            write_float(&mut out, v);
            // Valid JSON per serde_json; exactness per Rust's own (correctly rounding) float
            // parser, since serde_json's default one may be a unit in the last place off.
            let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
            proptest::prop_assert!(parsed.is_number());
            let back: f64 = std::str::from_utf8(&out).unwrap().parse().unwrap();
            proptest::prop_assert_eq!(back.to_bits(), v.to_bits());
        }

        /// Whatever the text, the label object is valid JSON.
        #[test]
        fn any_label_text_gives_valid_json(text in proptest::prelude::any::<String>()) {
            let json = labels(&text);
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&json);
            proptest::prop_assert!(parsed.is_ok(), "{:?} -> {}", text, json);
        }
    }
}
