//! Parsers for OpenMetrics 1.0 and Prometheus text 0.0.4, into one model ([`Family`],
//! [`Sample`], [`Exemplar`]).
//!
//! The OpenMetrics parser is as strict as the specification: it accepts every valid case of
//! the OpenMetrics conformance suite and rejects every invalid one. The 0.0.4 parser is as
//! lenient as Prometheus's own (see the notes in its module). Both read line by line from the
//! input string and yield each family as soon as it is complete ([`families`]), so the parsed
//! model holds one family at a time however large the exposition; [`parse`] collects them. Errors give the line and column and say what was
//! expected.
//!
//! ```
//! use vitals_expfmt::parse::{parse, FamilyType, Syntax};
//!
//! let text = "# TYPE http_requests counter\n\
//!             http_requests_total{code=\"200\"} 1027 # {trace_id=\"4bf92f\"} 1\n\
//!             ## EOF\n";
//! let families = parse(text, Syntax::OpenMetrics)?;
//! assert_eq!(families[0].name, "http_requests");
//! assert_eq!(families[0].family_type, FamilyType::Counter);
//! assert_eq!(families[0].samples[0].label("code"), Some("200"));
//!
//! let err = parse("a{b=1} 1\n# EOF\n", Syntax::OpenMetrics).unwrap_err();
//! assert_eq!((err.line(), err.column()), (1, 5));
//! # Ok::<(), vitals_expfmt::parse::ParseError>(())
//! ```

mod error;
mod lexer;
mod model;
mod openmetrics;
mod text;

pub use error::ParseError;
pub use model::{Exemplar, Family, FamilyType, Label, Sample};

/// Which text format to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// OpenMetrics 1.0.0.
    OpenMetrics,
    /// Prometheus text format 0.0.4.
    PrometheusText,
}

impl Syntax {
    /// Guesses the format of an exposition: OpenMetrics if its last non-blank line is `# EOF`
    /// (so that text after `# EOF` is reported by the OpenMetrics parser), Prometheus text
    /// otherwise.
    ///
    /// ```
    /// use vitals_expfmt::parse::Syntax;
    /// assert_eq!(Syntax::detect("a 1\n# EOF\n"), Syntax::OpenMetrics);
    /// assert_eq!(Syntax::detect("a 1\n# EOF\n\n"), Syntax::OpenMetrics);
    /// assert_eq!(Syntax::detect("a 1\n"), Syntax::PrometheusText);
    /// ```
    pub fn detect(input: &str) -> Syntax {
        let last = input
            .rsplit('\n')
            .find(|line| !line.trim().is_empty())
            .unwrap_or("");
        if last == "# EOF" {
            Syntax::OpenMetrics
        } else {
            Syntax::PrometheusText
        }
    }

    /// The format a `Content-Type` names, if it names one.
    ///
    /// ```
    /// use vitals_expfmt::parse::Syntax;
    /// let om = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    /// assert_eq!(Syntax::from_content_type(om), Some(Syntax::OpenMetrics));
    /// assert_eq!(Syntax::from_content_type("text/plain; version=0.0.4"), Some(Syntax::PrometheusText));
    /// ```
    pub fn from_content_type(content_type: &str) -> Option<Syntax> {
        let media = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match media.as_str() {
            "application/openmetrics-text" => Some(Syntax::OpenMetrics),
            "text/plain" => Some(Syntax::PrometheusText),
            _ => None,
        }
    }
}

/// Parses a whole exposition.
pub fn parse(input: &str, syntax: Syntax) -> Result<Vec<Family<'_>>, ParseError> {
    families(input, syntax).collect()
}

/// The families of an exposition, one at a time, each yielded as soon as the next begins. After
/// an error the iterator ends.
pub fn families(input: &str, syntax: Syntax) -> Families<'_> {
    Families {
        inner: match syntax {
            Syntax::OpenMetrics => Inner::OpenMetrics(openmetrics::OpenMetricsParser::new(input)),
            Syntax::PrometheusText => Inner::Text(text::TextParser::new(input)),
        },
        done: false,
    }
}

/// The iterator returned by [`families`].
pub struct Families<'a> {
    inner: Inner<'a>,
    done: bool,
}

enum Inner<'a> {
    OpenMetrics(openmetrics::OpenMetricsParser<'a>),
    Text(text::TextParser<'a>),
}

/// What each format's parser does; [`Families`] drives either the same way: line by line until
/// a family is complete, ending after the first error or at the end of the input.
pub(crate) trait LineParser<'a> {
    /// The next line and its number.
    fn next_line(&mut self) -> Option<(usize, &'a str)>;
    /// Reads one line; returns the family it completed, if any.
    fn line(&mut self, no: usize, line: &'a str) -> Result<Option<Family<'a>>, ParseError>;
    /// At the end of the input: the last family, or what the format says about the ending.
    fn end(&mut self) -> Option<Result<Family<'a>, ParseError>>;
}

fn drive<'a>(
    parser: &mut dyn LineParser<'a>,
    done: &mut bool,
) -> Option<Result<Family<'a>, ParseError>> {
    if *done {
        return None;
    }
    loop {
        let Some((no, line)) = parser.next_line() else {
            *done = true;
            return parser.end();
        };
        match parser.line(no, line) {
            Ok(Some(family)) => return Some(Ok(family)),
            Ok(None) => {}
            Err(err) => {
                *done = true;
                return Some(Err(err));
            }
        }
    }
}

impl std::fmt::Debug for Families<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Families").finish_non_exhaustive()
    }
}

impl<'a> Iterator for Families<'a> {
    type Item = Result<Family<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::OpenMetrics(p) => drive(p, &mut self.done),
            Inner::Text(p) => drive(p, &mut self.done),
        }
    }
}

/// The lines of the input with their 1-based numbers. A final newline ends the last line; it
/// does not start an empty one.
pub(crate) struct Lines<'a> {
    rest: Option<&'a str>,
    number: usize,
}

impl<'a> Lines<'a> {
    fn new(input: &'a str) -> Self {
        Self {
            rest: (!input.is_empty()).then_some(input),
            number: 0,
        }
    }

    /// How many lines were read.
    pub(crate) fn lines_read(&self) -> usize {
        self.number
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest?;
        self.number += 1;
        match rest.split_once('\n') {
            Some((line, tail)) => {
                self.rest = (!tail.is_empty()).then_some(tail);
                Some((self.number, line))
            }
            None => {
                self.rest = None;
                Some((self.number, rest))
            }
        }
    }
}
