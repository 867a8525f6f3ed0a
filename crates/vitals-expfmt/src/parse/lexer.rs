//! The tokens both text formats share: names, label sets, numbers, timestamps. Written by hand
//! because it is the parser's hot loop and because its error messages must point at a column
//! and say what was expected.

use std::borrow::Cow;

use vitals_core::Number;

use super::error::ParseError;
use super::model::Label;

/// A position in one line, with the line's number for errors.
pub(crate) struct Cursor<'a> {
    pub(crate) line: &'a str,
    pub(crate) pos: usize,
    pub(crate) line_no: usize,
}

/// How strict the grammar is: OpenMetrics allows no extra whitespace and no trailing comma;
/// the 0.0.4 format (as Prometheus's Go parser reads it) allows both.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    OpenMetrics,
    Prometheus,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(line: &'a str, line_no: usize) -> Self {
        Self {
            line,
            pos: 0,
            line_no,
        }
    }

    pub(crate) fn rest(&self) -> &'a str {
        self.line.get(self.pos..).unwrap_or("")
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.line.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// An error at the current position.
    pub(crate) fn error(&self, message: impl Into<String>) -> ParseError {
        self.error_at(self.pos, message)
    }

    pub(crate) fn error_at(&self, pos: usize, message: impl Into<String>) -> ParseError {
        let column = self.line.get(..pos).map_or(pos, |s| s.chars().count()) + 1;
        ParseError::new(self.line_no, column, message)
    }

    /// What is at the cursor, quoted for an error message.
    pub(crate) fn found(&self) -> String {
        match self.rest().chars().next() {
            None => "the end of the line".to_owned(),
            Some(c) => format!("{c:?}"),
        }
    }

    pub(crate) fn expect(&mut self, byte: u8, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", self.found())))
        }
    }

    /// Skips spaces and tabs (0.0.4 only); returns how many were skipped.
    pub(crate) fn skip_blanks(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    pub(crate) fn metric_name(&mut self) -> Result<&'a str, ParseError> {
        self.name(true)
            .ok_or_else(|| self.error(format!("expected a metric name, found {}", self.found())))
    }

    /// A label name, `[a-zA-Z_][a-zA-Z0-9_]*`.
    pub(crate) fn label_name(&mut self) -> Result<&'a str, ParseError> {
        self.name(false)
            .ok_or_else(|| self.error(format!("expected a label name, found {}", self.found())))
    }

    fn name(&mut self, colon: bool) -> Option<&'a str> {
        let bytes = self.line.as_bytes();
        let start = self.pos;
        let mut end = start;
        while let Some(&b) = bytes.get(end) {
            let ok = b.is_ascii_alphabetic()
                || b == b'_'
                || (colon && b == b':')
                || (end > start && b.is_ascii_digit());
            if !ok {
                break;
            }
            end += 1;
        }
        if end == start {
            return None;
        }
        self.pos = end;
        self.line.get(start..end)
    }

    /// `{name="value",...}` after the opening brace was seen; returns the labels.
    pub(crate) fn label_set(
        &mut self,
        strictness: Strictness,
    ) -> Result<Vec<Label<'a>>, ParseError> {
        let mut labels: Vec<Label<'a>> = Vec::new();
        let mut names: Option<std::collections::HashSet<&'a str>> = None;
        let lenient = strictness == Strictness::Prometheus;
        loop {
            if lenient {
                self.skip_blanks();
            }
            if self.peek() == Some(b'}') {
                if labels.is_empty() || lenient {
                    self.pos += 1;
                    return Ok(labels);
                }
                return Err(self.error("expected a label name after ',', found '}'"));
            }
            let name_at = self.pos;
            let name = self.label_name()?;
            if strictness == Strictness::OpenMetrics && name.starts_with("__") {
                return Err(self.error_at(
                    name_at,
                    format!(
                        "label name {name:?} starts with \"__\", which OpenMetrics reserves: \
                         rename the label"
                    ),
                ));
            }
            // A linear scan is fastest for the usual handful of labels; a set keeps a line with
            // thousands of labels from costing quadratic time.
            let repeated = if labels.len() < 16 {
                labels.iter().any(|(n, _)| *n == name)
            } else {
                let seen = names.get_or_insert_with(|| labels.iter().map(|(n, _)| *n).collect());
                !seen.insert(name)
            };
            if repeated {
                return Err(self.error_at(
                    name_at,
                    format!("label {name:?} appears twice; each label name may appear once"),
                ));
            }
            if lenient {
                self.skip_blanks();
            }
            self.expect(b'=', "'=' after the label name")?;
            if lenient {
                self.skip_blanks();
            }
            let value = self.quoted(strictness)?;
            labels.push((name, value));
            if lenient {
                self.skip_blanks();
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(labels);
                }
                _ => {
                    return Err(self.error(format!(
                        "expected ',' or '}}' after a label value, found {}",
                        self.found()
                    )))
                }
            }
        }
    }

    /// A double-quoted label value with `\\`, `\"` and `\n` escapes. OpenMetrics keeps any
    /// other backslash sequence as written; the 0.0.4 format (Go's parser) rejects it.
    fn quoted(&mut self, strictness: Strictness) -> Result<Cow<'a, str>, ParseError> {
        self.expect(b'"', "'\"' to open the label value")?;
        let start = self.pos;
        let bytes = self.line.as_bytes();
        let mut i = start;
        let mut owned: Option<String> = None;
        let mut copied_to = start;
        loop {
            match bytes.get(i) {
                None => {
                    return Err(self.error_at(
                        start.saturating_sub(1),
                        "label value is not closed: expected a closing '\"'",
                    ))
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    let replacement = match bytes.get(i + 1) {
                        Some(b'\\') => Some("\\"),
                        Some(b'"') => Some("\""),
                        Some(b'n') => Some("\n"),
                        _ if strictness == Strictness::Prometheus => {
                            return Err(self.error_at(
                                i,
                                "invalid escape in a label value: only \\\\, \\\" and \\n are \
                                 allowed",
                            ))
                        }
                        _ => None,
                    };
                    if let Some(replacement) = replacement {
                        let buf = owned.get_or_insert_with(String::new);
                        buf.push_str(self.line.get(copied_to..i).unwrap_or(""));
                        buf.push_str(replacement);
                        i += 2;
                        copied_to = i;
                    } else {
                        i += 1;
                    }
                }
                Some(_) => i += 1,
            }
        }
        let value = match owned {
            Some(mut buf) => {
                buf.push_str(self.line.get(copied_to..i).unwrap_or(""));
                Cow::Owned(buf)
            }
            None => Cow::Borrowed(self.line.get(start..i).unwrap_or("")),
        };
        self.pos = i + 1;
        Ok(value)
    }

    /// The token up to the next space (or tab, in 0.0.4), or the end of the line.
    pub(crate) fn token(&mut self, strictness: Strictness) -> &'a str {
        let start = self.pos;
        let bytes = self.line.as_bytes();
        let mut end = start;
        while let Some(&b) = bytes.get(end) {
            if b == b' ' || (strictness == Strictness::Prometheus && b == b'\t') {
                break;
            }
            end += 1;
        }
        self.pos = end;
        self.line.get(start..end).unwrap_or("")
    }
}

/// Parses a sample value. OpenMetrics' grammar: an optionally signed decimal real with an
/// optional exponent, or `[+-]Inf`/`Infinity`, or `NaN` (case-insensitive). Integers are kept
/// exact (`Number::U64`/`I64`) when they fit; everything else is an `f64`. The 0.0.4 format
/// also takes what Go's `strconv.ParseFloat` takes beyond that (hex floats, underscores
/// between digits are not among them: Prometheus rejects those too).
pub(crate) fn number(text: &str) -> Option<Number> {
    if is_integer(text) {
        if let Ok(v) = text.parse::<u64>() {
            return Some(Number::U64(v));
        }
        if let Ok(v) = text.parse::<i64>() {
            // "-0" is how Go (and vitals) write the float -0.0: keep its sign.
            if v == 0 {
                return Some(Number::F64(-0.0));
            }
            return Some(Number::I64(v));
        }
    }
    float(text).map(Number::F64)
}

/// A float by the OpenMetrics grammar (see [`number`]), including infinities and NaN.
pub(crate) fn float(text: &str) -> Option<f64> {
    if is_infinity_or_nan(text) {
        // A sign on NaN is not in the grammar.
        if text.len() > 3 && text[1..].eq_ignore_ascii_case("nan") {
            return None;
        }
        return text.parse().ok();
    }
    if is_real(text) {
        text.parse().ok()
    } else {
        None
    }
}

/// Whether `text` spells an infinity or NaN (as opposed to a number that overflows to one).
pub(crate) fn is_infinity_or_nan(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    ["inf", "infinity", "nan"]
        .iter()
        .any(|s| unsigned.eq_ignore_ascii_case(s))
}

/// A finite real by the grammar: no infinities, no NaN (timestamps).
pub(crate) fn real(text: &str) -> Option<f64> {
    if is_real(text) {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    } else {
        None
    }
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[sign] (digits ["." digits*] | "." digits) [("e"|"E") [sign] digits]`
fn is_real(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_digits = i - frac_start;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number("1"), Some(Number::U64(1)));
        assert_eq!(number("-1"), Some(Number::I64(-1)));
        assert!(matches!(number("-0"), Some(Number::F64(v)) if v == 0.0 && v.is_sign_negative()));
        assert_eq!(number("9223372036854775808"), Some(Number::U64(1 << 63)));
        assert_eq!(number("1.5e3"), Some(Number::F64(1500.0)));
        assert_eq!(number(".5"), Some(Number::F64(0.5)));
        assert_eq!(number("5."), Some(Number::F64(5.0)));
        assert_eq!(number("+Inf"), Some(Number::F64(f64::INFINITY)));
        assert_eq!(number("-infinity"), Some(Number::F64(f64::NEG_INFINITY)));
        assert!(matches!(number("NaN"), Some(Number::F64(v)) if v.is_nan()));
        for bad in [
            "", "a", "1_2", "0x1", "0x1p-3", "1e", "e1", ".", "1.1.1", "+NaN", " 1", "1 ", "0b1",
            "--1",
        ] {
            assert_eq!(number(bad), None, "{bad:?}");
        }
        assert_eq!(real("1.5e3"), Some(1500.0));
        assert_eq!(real("Inf"), None);
        assert_eq!(real("NaN"), None);
    }

    #[test]
    fn labels_borrow_unless_escaped() {
        let mut c = Cursor::new(r#"a="plain",b="x\"y\\z\nw",c="\q"}"#, 1);
        let labels = c.label_set(Strictness::OpenMetrics).unwrap();
        assert!(matches!(labels[0].1, Cow::Borrowed("plain")));
        assert_eq!(labels[1].1, "x\"y\\z\nw");
        assert_eq!(
            labels[2].1, "\\q",
            "unknown escapes are kept in OpenMetrics"
        );
        let mut c = Cursor::new(r#"c="\q"}"#, 1);
        assert!(c.label_set(Strictness::Prometheus).is_err());
    }
}
