//! # vitals-expfmt
//!
//! Exposition formats for [vitals](https://github.com/vitals-rs/vitals): encoders for
//! Prometheus text 0.0.4, OpenMetrics 1.0.0 and JSON, content negotiation between them, and a
//! parser for both text formats (strict for OpenMetrics: it passes the whole conformance
//! suite).
//!
//! The encoders write into a caller-owned `Vec<u8>` that can be reused from scrape to scrape;
//! each series' label text is written by its family, from the interned values, into one buffer
//! per thread, so encoding is copying plus number formatting, with no allocation per series.
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_expfmt::{encode, Format};
//!
//! let registry = Registry::new();
//! let jobs = registry
//!     .counter("jobs", "Jobs run.")
//!     .register_family(&["queue"])
//!     .unwrap();
//! jobs.with_labels(&["mail \"fast\""]).inc_by(3);
//!
//! let mut out = Vec::new();
//! encode(&registry, Format::PrometheusText, &mut out);
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "# HELP jobs_total Jobs run.\n\
//!      ## TYPE jobs_total counter\n\
//!      jobs_total{queue=\"mail \\\"fast\\\"\"} 3\n"
//! );
//! ```
//!
//! | module | what is in it |
//! | --- | --- |
//! | [`Format`] | the formats, their content types, `Accept` negotiation |
//! | [`encode`], [`Encoder`] | one call for any format; an encoder kept between scrapes, which then allocates nothing |
//! | [`Format::Json`] | JSON exposition: the schema is in `docs/json-schema.md` |
//! | [`number`] | Go `%g` and OpenMetrics canonical float formatting |
//! | [`lint`] | naming rules (promlint's and more) and a cardinality report over parsed families |
//! | [`parse`] | parsers for OpenMetrics 1.0 and 0.0.4 into one model, streaming by family |

mod bounds;
mod escape;
mod format;
mod json;
pub mod lint;
pub mod number;
mod openmetrics;
pub mod parse;
mod text;

pub use format::Format;

use vitals_core::Registry;

/// Appends the exposition of `registry` in `format` to `out`. Clear and reuse `out` between
/// scrapes to avoid allocating; keep an [`Encoder`] to avoid the encoder's own few
/// allocations too.
pub fn encode(registry: &Registry, format: Format, out: &mut Vec<u8>) {
    Encoder::new(format).encode(registry, out);
}

/// An encoder for one format that keeps its scratch space (the current family's names, a
/// histogram family's formatted bounds) from one scrape to the next: once it has encoded a
/// registry, encoding it again allocates nothing, as long as `out` is reused too and no
/// family's name or bounds outgrow what it has seen.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_expfmt::{Encoder, Format};
///
/// let registry = Registry::new();
/// registry.counter("jobs", "Jobs done.").register()?.inc();
/// let mut encoder = Encoder::new(Format::PrometheusText);
/// let mut out = Vec::new();
/// for _scrape in 0..3 {
///     out.clear();
///     encoder.encode(&registry, &mut out);
/// }
/// assert!(String::from_utf8(out).unwrap().contains("jobs_total 1\n"));
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Encoder {
    format: Format,
    name: String,
    sample_name: text::SampleName,
    family: String,
    bounds: bounds::BoundCache,
}

impl Encoder {
    /// An encoder for `format`, with no scratch space yet.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            name: String::new(),
            sample_name: text::SampleName::default(),
            family: String::new(),
            bounds: bounds::BoundCache::default(),
        }
    }

    /// The format this encoder writes.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Appends the exposition of `registry` to `out`.
    pub fn encode(&mut self, registry: &Registry, out: &mut Vec<u8>) {
        match self.format {
            Format::OpenMetrics => {
                let mut encoder = openmetrics::OpenMetricsEncoder {
                    out,
                    name: std::mem::take(&mut self.name),
                    line_name: std::mem::take(&mut self.sample_name),
                    bounds: std::mem::take(&mut self.bounds),
                };
                registry.visit(&mut encoder);
                encoder.out.extend_from_slice(b"# EOF\n");
                self.name = encoder.name;
                self.sample_name = encoder.line_name;
                self.bounds = encoder.bounds;
            }
            Format::Json => {
                let mut encoder = json::JsonEncoder::new(out);
                registry.visit(&mut encoder);
                encoder.finish();
            }
            _ => {
                let mut encoder = text::TextEncoder {
                    out,
                    name: std::mem::take(&mut self.sample_name),
                    family: std::mem::take(&mut self.family),
                    bounds: std::mem::take(&mut self.bounds),
                };
                registry.visit(&mut encoder);
                self.sample_name = encoder.name;
                self.family = encoder.family;
                self.bounds = encoder.bounds;
            }
        }
    }
}

/// The exposition of `registry` in `format`, as a `String`.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_expfmt::{encode_to_string, Format};
/// assert_eq!(encode_to_string(&Registry::new(), Format::OpenMetrics), "# EOF\n");
/// ```
pub fn encode_to_string(registry: &Registry, format: Format) -> String {
    let mut out = Vec::new();
    encode(registry, format, &mut out);
    // Every byte written comes from `str`s or ASCII, so this never fails; the lossy path keeps
    // the function total regardless.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
