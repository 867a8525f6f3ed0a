//! The Prometheus text format 0.0.4 parser, as lenient as Prometheus's own Go parser: blank
//! lines, free comments, extra blanks and a trailing comma in label sets are fine; a second HELP
//! or TYPE for a name, TYPE after the name's samples, an invalid escape, a non-integer timestamp
//! are not, nor are blanks after the value or timestamp, a `__name__` label, a value that
//! overflows (`1e400`), or a last line without its newline. One deliberate difference: a
//! histogram bucket without a numeric `le`, or a summary quantile without a numeric `quantile`,
//! is an error here, where Go's parser drops the sample without a word: a series that vanishes
//! silently is what a checker exists to catch.

use std::borrow::Cow;
use std::collections::HashSet;

use super::error::ParseError;
use super::lexer::{number, Cursor, Strictness};
use super::model::{Family, FamilyType, Sample};
use super::{LineParser, Lines};

pub(crate) struct TextParser<'a> {
    lines: Lines<'a>,
    current: Option<Builder<'a>>,
    /// Names that already had a HELP or a TYPE, with which.
    help_seen: HashSet<&'a str>,
    type_seen: HashSet<&'a str>,
    /// Names (as written) of the families that had samples: a TYPE for one of them later is
    /// an error, as in Go's parser.
    sampled: HashSet<&'a str>,
    /// Go's parser wants the last line ended by a newline ("unexpected end of input stream").
    unterminated: bool,
}

struct Builder<'a> {
    /// The name as the metadata or first sample wrote it (`foo_total` for a counter).
    written: &'a str,
    family_type: Option<FamilyType>,
    help: Option<Cow<'a, str>>,
    samples: Vec<Sample<'a>>,
    line: usize,
}

impl<'a> Builder<'a> {
    fn new(written: &'a str, line: usize) -> Self {
        Self {
            written,
            family_type: None,
            help: None,
            samples: Vec::new(),
            line,
        }
    }

    /// Whether a sample of this name belongs here (0.0.4's suffixes: histograms have
    /// `_bucket`, `_sum`, `_count`; summaries their own name, `_sum`, `_count`).
    fn owns(&self, sample: &str) -> bool {
        let Some(suffix) = sample.strip_prefix(self.written) else {
            return false;
        };
        match self.family_type {
            Some(FamilyType::Histogram) => matches!(suffix, "_bucket" | "_sum" | "_count"),
            Some(FamilyType::Summary) => matches!(suffix, "" | "_sum" | "_count"),
            _ => suffix.is_empty(),
        }
    }

    fn finish(self) -> Family<'a> {
        let family_type = self.family_type.unwrap_or(FamilyType::Unknown);
        // Name the family as OpenMetrics would: a counter without its `_total`.
        let name = match family_type {
            FamilyType::Counter => self
                .written
                .strip_suffix("_total")
                .filter(|n| !n.is_empty())
                .unwrap_or(self.written),
            _ => self.written,
        };
        Family {
            name,
            family_type,
            help: self.help,
            unit: None,
            samples: self.samples,
            line: self.line,
        }
    }
}

impl<'a> TextParser<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Self {
            lines: Lines::new(input),
            current: None,
            help_seen: HashSet::new(),
            type_seen: HashSet::new(),
            sampled: HashSet::new(),
            unterminated: !input.is_empty() && !input.ends_with('\n'),
        }
    }

    fn line(&mut self, no: usize, line: &'a str) -> Result<Option<Family<'a>>, ParseError> {
        let mut c = Cursor::new(line, no);
        c.skip_blanks();
        if c.at_end() {
            return Ok(None);
        }
        if c.peek() == Some(b'#') {
            c.pos += 1;
            return self.comment(c);
        }
        self.sample(c)
    }

    fn comment(&mut self, mut c: Cursor<'a>) -> Result<Option<Family<'a>>, ParseError> {
        c.skip_blanks();
        let keyword = c.token(Strictness::Prometheus);
        if keyword != "HELP" && keyword != "TYPE" {
            return Ok(None); // a plain comment
        }
        if c.skip_blanks() == 0 {
            return Err(c.error(format!("expected a metric name after # {keyword}")));
        }
        let name = c.metric_name()?;
        let mut finished = None;
        if self.current.as_ref().map(|b| b.written) != Some(name) {
            finished = self.current.take().map(Builder::finish);
            self.current = Some(Builder::new(name, c.line_no));
        }
        let Some(current) = self.current.as_mut() else {
            return Ok(finished);
        };
        if keyword == "HELP" {
            if !self.help_seen.insert(name) {
                return Err(c.error_at(0, format!("a second HELP line for {name:?}")));
            }
            if !c.at_end() && c.skip_blanks() == 0 {
                return Err(c.error(format!(
                    "expected a blank after the metric name, found {}",
                    c.found()
                )));
            }
            current.help = Some(unescape_help(&c)?);
        } else {
            if !self.type_seen.insert(name)
                || !current.samples.is_empty()
                || self.sampled.contains(name)
            {
                return Err(c.error_at(
                    0,
                    format!(
                        "a second TYPE line for {name:?}, or a TYPE after its samples: TYPE \
                         comes once, before the samples"
                    ),
                ));
            }
            c.skip_blanks();
            let at = c.pos;
            let word = c.token(Strictness::Prometheus);
            current.family_type = Some(match word.to_ascii_lowercase().as_str() {
                "counter" => FamilyType::Counter,
                "gauge" => FamilyType::Gauge,
                "histogram" => FamilyType::Histogram,
                "summary" => FamilyType::Summary,
                "untyped" => FamilyType::Unknown,
                _ => {
                    // A truncated OpenMetrics body (no `# EOF`) is read as 0.0.4: say so.
                    let hint = if FamilyType::from_openmetrics(word).is_some() {
                        "; this looks like OpenMetrics without its final \"# EOF\" line"
                    } else {
                        ""
                    };
                    return Err(c.error_at(
                        at,
                        format!(
                            "unknown type {word:?}: expected counter, gauge, histogram, summary \
                             or untyped{hint}"
                        ),
                    ));
                }
            });
            if !c.at_end() {
                return Err(c.error(format!(
                    "unexpected {} after the type: the line ends with the type",
                    c.found()
                )));
            }
        }
        Ok(finished)
    }

    fn sample(&mut self, mut c: Cursor<'a>) -> Result<Option<Family<'a>>, ParseError> {
        let line = c.line_no;
        let name = c.metric_name()?;
        let mut blanks = c.skip_blanks();
        let labels = if c.peek() == Some(b'{') {
            c.pos += 1;
            let labels = c.label_set(Strictness::Prometheus)?;
            // Go's parser reads the value straight after `}`, blank or not.
            blanks = c.skip_blanks().max(1);
            labels
        } else {
            Vec::new()
        };
        if let Some((_, _)) = labels.iter().find(|(n, _)| *n == "__name__") {
            return Err(c.error_at(
                0,
                "label name \"__name__\" is reserved: the metric name goes before the braces",
            ));
        }
        if blanks == 0 {
            return Err(c.error(format!(
                "expected a blank before the value, found {}",
                c.found()
            )));
        }
        let at = c.pos;
        let text = c.token(Strictness::Prometheus);
        let value = number(text)
            // Go's ParseFloat refuses what overflows (1e400) instead of making it infinite.
            .filter(|v| v.as_f64().is_finite() || super::lexer::is_infinity_or_nan(text))
            .ok_or_else(|| {
                c.error_at(
                    at,
                    format!(
                        "invalid value {text:?}: expected a number such as 1, -2.5e3, +Inf or NaN"
                    ),
                )
            })?;
        let mut timestamp = None;
        if !c.at_end() {
            // Blanks after the value must be followed by a timestamp (Go: "expected integer as
            // timestamp").
            c.skip_blanks();
            let at = c.pos;
            let text = c.token(Strictness::Prometheus);
            let ms: i64 = text.parse().map_err(|_| {
                c.error_at(
                    at,
                    format!(
                        "invalid timestamp {text:?}: expected whole milliseconds since the epoch"
                    ),
                )
            })?;
            #[allow(clippy::cast_precision_loss)] // timestamps are far below 2^53 ms
            let seconds = ms as f64 / 1000.0;
            timestamp = Some(seconds);
            if !c.at_end() {
                return Err(c.error(format!("unexpected {} after the timestamp", c.found())));
            }
        }
        let sample = Sample {
            name,
            labels,
            value,
            timestamp,
            exemplar: None,
            line,
        };
        let mut finished = None;
        if !self.current.as_ref().is_some_and(|b| b.owns(name)) {
            finished = self.current.take().map(Builder::finish);
            self.current = Some(Builder::new(name, line));
        }
        if let Some(current) = self.current.as_mut() {
            check_sample(current, &sample, &c)?;
            current.samples.push(sample);
            self.sampled.insert(current.written);
        }
        Ok(finished)
    }
}

/// What Prometheus itself rejects in 0.0.4 samples: a histogram bucket without a numeric `le`,
/// a summary quantile without a numeric `quantile`.
fn check_sample(b: &Builder<'_>, s: &Sample<'_>, c: &Cursor<'_>) -> Result<(), ParseError> {
    let suffix = s.name.get(b.written.len()..).unwrap_or("");
    let (label, applies) = match b.family_type {
        Some(FamilyType::Histogram) => ("le", suffix == "_bucket"),
        Some(FamilyType::Summary) => ("quantile", suffix.is_empty()),
        _ => return Ok(()),
    };
    if applies && s.label(label).and_then(super::lexer::float).is_none() {
        return Err(c.error_at(0, format!("{:?} needs a numeric {label:?} label", s.name)));
    }
    Ok(())
}

/// HELP text after the name: `\\` and `\n` are escapes; any other backslash sequence is an
/// error, as in Prometheus's parser.
fn unescape_help<'a>(c: &Cursor<'a>) -> Result<Cow<'a, str>, ParseError> {
    let text = c.rest();
    if !text.contains('\\') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, ch)) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            _ => {
                return Err(c.error_at(
                    c.pos + i,
                    "invalid escape in HELP: only \\\\ and \\n are allowed in this format",
                ))
            }
        }
    }
    Ok(Cow::Owned(out))
}

impl<'a> LineParser<'a> for TextParser<'a> {
    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        self.lines.next()
    }

    fn line(&mut self, no: usize, line: &'a str) -> Result<Option<Family<'a>>, ParseError> {
        TextParser::line(self, no, line)
    }

    fn end(&mut self) -> Option<Result<Family<'a>, ParseError>> {
        if self.unterminated {
            return Some(Err(ParseError::new(
                self.lines.lines_read().max(1),
                1,
                "the last line has no newline: the 0.0.4 format ends every line with one",
            )));
        }
        self.current.take().map(|b| Ok(b.finish()))
    }
}
