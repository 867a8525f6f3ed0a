//! `vitals lint`: checks an exposition's syntax, names and cardinality.
//!
//! The pieces: [`input`] reads the exposition (file, stdin or URL), the parser and the rules
//! of `vitals_expfmt` judge it, [`output`] writes the findings for people or, with `--json`,
//! for machines.
//!
//! Exit codes: 0 when the input is clean, 1 when there are problems (or, with `--syntax-only`,
//! a syntax error), 2 when it could not be read (a missing file, an HTTP error, bytes that are
//! not UTF-8) — or when the command line itself was wrong, which clap reports with 2 as well:
//! either way no verdict on the input was reached.

mod input;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use vitals::expfmt::lint::{lint, LintOptions, Report};
use vitals::expfmt::parse::{families, Family, ParseError, Syntax};

use input::Source;

/// Arguments of `vitals lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    /// The exposition: a file, an http:// or https:// URL, or - for standard input.
    #[arg(value_name = "FILE|URL|-", default_value = "-")]
    pub(crate) source: String,

    /// The format: auto takes a URL's Content-Type, else reads OpenMetrics when the input
    /// ends in `# EOF` and Prometheus text 0.0.4 otherwise.
    #[arg(long = "input", value_enum, value_name = "FORMAT", default_value_t = InputFormat::Auto)]
    pub(crate) format: InputFormat,

    /// Check the syntax only: exit 0 when the input is valid, 1 with the error when it is not.
    #[arg(long)]
    pub(crate) syntax_only: bool,

    /// Write the report as JSON on standard output.
    #[arg(long)]
    pub(crate) json: bool,

    /// The most series a family may have before it is reported (high-cardinality).
    #[arg(long, value_name = "N", default_value_t = LintOptions::DEFAULT_MAX_SERIES)]
    pub(crate) max_series: usize,

    /// The most series the whole exposition may have before it is reported
    /// (total-cardinality). Default: no limit.
    #[arg(long, value_name = "N")]
    pub(crate) max_total_series: Option<usize>,
}

/// The `--input` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputFormat {
    /// From the Content-Type, else from the content.
    Auto,
    /// OpenMetrics 1.0.0.
    #[value(name = "openmetrics")]
    OpenMetrics,
    /// Prometheus text format 0.0.4.
    Prometheus,
}

/// How the format was chosen, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chosen {
    /// `--input` named it.
    Forced,
    /// The response's Content-Type named it.
    ContentType,
    /// Read from the content (`# EOF` at the end or not).
    Detected,
}

impl Chosen {
    fn as_str(self) -> &'static str {
        match self {
            Chosen::Forced => "forced",
            Chosen::ContentType => "content-type",
            Chosen::Detected => "detected",
        }
    }
}

/// Everything the outputs need.
pub(crate) struct Outcome<'a> {
    pub(crate) source: &'a Source,
    pub(crate) syntax: Syntax,
    pub(crate) chosen: Chosen,
    /// The families parsed, up to the syntax error if there is one.
    pub(crate) families: Vec<Family<'a>>,
    pub(crate) parse_error: Option<ParseError>,
    /// `None` with `--syntax-only`.
    pub(crate) report: Option<Report>,
}

impl Outcome<'_> {
    /// Whether the exit code is 0.
    pub(crate) fn is_clean(&self) -> bool {
        self.parse_error.is_none() && self.report.as_ref().is_none_or(Report::is_clean)
    }
}

/// Runs `vitals lint`, prints its findings, and returns the exit code.
pub(crate) fn run(args: &LintArgs) -> ExitCode {
    let source = Source::from_arg(&args.source);
    let input = match input::read(&source) {
        Ok(input) => input,
        Err(err) => {
            eprintln!("vitals lint: {err}");
            if args.json {
                emit(&output::json_read_error(&source, &err));
            }
            return ExitCode::from(2);
        }
    };

    let (syntax, chosen) = choose_syntax(args.format, input.content_type.as_deref(), &input.text);
    let mut parsed = Vec::new();
    let mut parse_error = None;
    for family in families(&input.text, syntax) {
        match family {
            Ok(family) => parsed.push(family),
            Err(err) => {
                parse_error = Some(err);
                break;
            }
        }
    }
    let report = (!args.syntax_only).then(|| {
        let mut options = LintOptions::new().with_max_series(args.max_series);
        if let Some(max) = args.max_total_series {
            options = options.with_max_total_series(max);
        }
        lint(&parsed, &options)
    });
    let outcome = Outcome {
        source: &source,
        syntax,
        chosen,
        families: parsed,
        parse_error,
        report,
    };
    emit(&if args.json {
        output::json(&outcome)
    } else {
        output::human(&outcome)
    });
    if outcome.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes to standard output. A reader that went away (`vitals lint ... | head`) is not an
/// error worth a panic: the exit code still tells the verdict.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// The syntax to parse with, and how it was chosen.
fn choose_syntax(format: InputFormat, content_type: Option<&str>, text: &str) -> (Syntax, Chosen) {
    match format {
        InputFormat::OpenMetrics => (Syntax::OpenMetrics, Chosen::Forced),
        InputFormat::Prometheus => (Syntax::PrometheusText, Chosen::Forced),
        InputFormat::Auto => match content_type.and_then(Syntax::from_content_type) {
            Some(syntax) => (syntax, Chosen::ContentType),
            None => (Syntax::detect(text), Chosen::Detected),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_type_wins_over_the_content_and_input_over_both() {
        let om = "a 1\n# EOF\n";
        assert_eq!(
            choose_syntax(InputFormat::Auto, None, om),
            (Syntax::OpenMetrics, Chosen::Detected)
        );
        assert_eq!(
            choose_syntax(InputFormat::Auto, Some("text/plain; version=0.0.4"), om),
            (Syntax::PrometheusText, Chosen::ContentType)
        );
        assert_eq!(
            choose_syntax(InputFormat::Auto, Some("application/json"), om),
            (Syntax::OpenMetrics, Chosen::Detected)
        );
        assert_eq!(
            choose_syntax(
                InputFormat::Prometheus,
                Some("application/openmetrics-text"),
                om
            ),
            (Syntax::PrometheusText, Chosen::Forced)
        );
    }
}
