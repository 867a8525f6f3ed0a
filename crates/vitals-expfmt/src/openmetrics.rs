//! OpenMetrics 1.0.0 text.
//!
//! Counter families are named without `_total`, their samples with it; `# UNIT` is written when
//! declared; HELP escapes `\`, `"` and newline; `_created` follows counters, histograms and
//! summaries; `le` and `quantile` values are canonical (`1.0`, `+Inf`); info samples end in
//! `_info` with value 1; state set samples carry the family name as a label; the output ends
//! with exactly one `# EOF`. A counter's latest exemplar follows its `_total` sample, a histogram
//! bucket's its `_bucket` sample: ` # {labels} value timestamp`, label values escaped as the
//! series' are, the timestamp in plain decimal seconds.
//!
//! What OpenMetrics cannot express is left out of this format only, never out of 0.0.4: a
//! histogram with a negative bucket bound, or that has ever observed a negative value, has no
//! `_count` and `_sum` (they go together, and `_sum` is counter-like); a summary that has ever
//! observed a negative value has no `_sum`, and omits quantile values that are negative. The
//! reference parser rejects each of these. The decision is sticky per series, so a series never
//! flaps between scrapes as its sum changes sign.

use std::io::Write as _;

use vitals_core::collect::{HistogramValue, StateSetValue, SummaryValue};
use vitals_core::{Descriptor, Exemplar, LabelText, MetricType, Number, SeriesValue, Visitor};

use crate::bounds::BoundCache;
use crate::escape;
use crate::number::{write_canonical_float, write_go_float, write_i64, write_u64};
use crate::text::{write_buckets, write_labels, write_line, Extra, ManySamples, SampleName};

/// Encodes a registry as OpenMetrics into `out` (appending); the caller writes `# EOF`.
pub(crate) struct OpenMetricsEncoder<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) name: String,
    /// The current family's name with the suffix of its one-value samples (`foo_total` for a
    /// counter), for [`write_line`].
    pub(crate) line_name: SampleName,
    /// The current histogram family's `le` values, formatted once for all its series.
    pub(crate) bounds: BoundCache,
}

impl Visitor for OpenMetricsEncoder<'_> {
    fn family(&mut self, desc: &Descriptor) {
        self.name.clear();
        self.name.push_str(desc.name());
        let suffix = match desc.metric_type() {
            MetricType::Counter => "_total",
            _ => "",
        };
        self.line_name.set(desc.name(), suffix);
        self.out.extend_from_slice(b"# TYPE ");
        self.out.extend_from_slice(self.name.as_bytes());
        self.out.push(b' ');
        self.out
            .extend_from_slice(desc.metric_type().openmetrics_name().as_bytes());
        self.out.push(b'\n');
        if let Some(unit) = desc.unit() {
            self.out.extend_from_slice(b"# UNIT ");
            self.out.extend_from_slice(self.name.as_bytes());
            self.out.push(b' ');
            self.out.extend_from_slice(unit.as_bytes());
            self.out.push(b'\n');
        }
        if !desc.help().is_empty() {
            self.out.extend_from_slice(b"# HELP ");
            self.out.extend_from_slice(self.name.as_bytes());
            self.out.push(b' ');
            escape::help_openmetrics(self.out, desc.help());
            self.out.push(b'\n');
        }
    }

    fn series(&mut self, labels: &LabelText<'_>, value: &SeriesValue<'_>) {
        match value {
            SeriesValue::Counter {
                value,
                created,
                exemplar,
                ..
            } => {
                match exemplar {
                    None => write_line(self.out, &self.line_name, labels, *value),
                    Some(exemplar) => {
                        self.sample("_total", labels, None);
                        self.number(*value);
                        write_exemplar(self.out, exemplar);
                        self.out.push(b'\n');
                    }
                }
                self.created(labels, *created);
            }
            SeriesValue::Gauge(value) | SeriesValue::Unknown(value) => {
                write_line(self.out, &self.line_name, labels, *value);
            }
            SeriesValue::Info => {
                self.sample("_info", labels, None);
                self.out.extend_from_slice(b"1\n");
            }
            SeriesValue::Histogram(_) | SeriesValue::Summary(_) | SeriesValue::StateSet(_) => {
                self.many_samples(labels, value);
            }
            _ => {}
        }
    }
}

impl OpenMetricsEncoder<'_> {
    fn sample(&mut self, suffix: &str, labels: &LabelText<'_>, extra: Option<Extra<'_>>) {
        self.out.extend_from_slice(self.name.as_bytes());
        self.out.extend_from_slice(suffix.as_bytes());
        write_labels(self.out, labels, extra, write_canonical_float);
        self.out.push(b' ');
    }

    fn number(&mut self, value: Number) {
        match value {
            Number::U64(v) => write_u64(self.out, v),
            Number::I64(v) => write_i64(self.out, v),
            Number::F64(v) => write_go_float(self.out, v),
        }
    }

    /// Writes `_created` when known.
    fn created(&mut self, labels: &LabelText<'_>, created: Option<f64>) {
        if let Some(created) = created {
            self.sample("_created", labels, None);
            write_go_float(self.out, created);
            self.out.push(b'\n');
        }
    }
}

/// Writes ` # {labels} value timestamp` after a sample's value.
fn write_exemplar(out: &mut Vec<u8>, exemplar: &Exemplar) {
    out.extend_from_slice(b" # {");
    for (i, (name, value)) in exemplar.labels().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        escape::label_value(out, value);
        out.push(b'"');
    }
    out.extend_from_slice(b"} ");
    write_go_float(out, exemplar.value());
    out.push(b' ');
    // Plain decimal (Rust's shortest round-trip digits, never an exponent), not Go's `%g`:
    // the reference Python parser reads `1.7254123451234567e+09` as 1.725 seconds. A `Vec`
    // cannot fail to take the bytes.
    let _ = write!(out, "{}", exemplar.timestamp());
}

impl ManySamples for OpenMetricsEncoder<'_> {
    fn histogram(&mut self, labels: &LabelText<'_>, h: &HistogramValue<'_>) {
        let mut bounds = std::mem::take(&mut self.bounds);
        bounds.prepare(h.bounds, write_canonical_float);
        let count = write_buckets(
            self.out,
            self.name.as_bytes(),
            labels,
            &bounds,
            h,
            |out, i| {
                if let Some(exemplar) = h.exemplars.get(i) {
                    write_exemplar(out, &exemplar);
                }
            },
        );
        self.bounds = bounds;
        // OpenMetrics: `_sum` is counter-like (never negative or NaN) and absent when a bucket
        // bound is negative; `_count` appears only together with `_sum`. Once a negative value
        // was observed both stay out for good (the flag is sticky), so the series never flaps;
        // the buckets still carry every observation, and 0.0.4 keeps both samples.
        let negative_bucket = h.bounds.first().is_some_and(|b| *b < 0.0);
        if !negative_bucket && !h.negative_observed && h.sum >= 0.0 {
            self.sample("_count", labels, None);
            write_u64(self.out, count);
            self.out.push(b'\n');
            self.sample("_sum", labels, None);
            write_go_float(self.out, h.sum);
            self.out.push(b'\n');
        }
        if let Some(created) = h.created {
            self.sample("_created", labels, None);
            write_go_float(self.out, created);
            self.out.push(b'\n');
        }
    }

    fn summary(&mut self, labels: &LabelText<'_>, s: &SummaryValue<'_>) {
        for &(q, v) in s.quantiles {
            // OpenMetrics forbids negative quantile values; such a sample is left out of this
            // format only (0.0.4 keeps it).
            if v < 0.0 {
                continue;
            }
            self.sample("", labels, Some(Extra::Float("quantile", q)));
            write_go_float(self.out, v);
            self.out.push(b'\n');
        }
        self.sample("_count", labels, None);
        write_u64(self.out, s.count);
        self.out.push(b'\n');
        if !s.negative_observed && s.sum >= 0.0 {
            self.sample("_sum", labels, None);
            write_go_float(self.out, s.sum);
            self.out.push(b'\n');
        }
        if let Some(created) = s.created {
            self.sample("_created", labels, None);
            write_go_float(self.out, created);
            self.out.push(b'\n');
        }
    }

    fn state_set(&mut self, labels: &LabelText<'_>, s: &StateSetValue<'_>) {
        let family = std::mem::take(&mut self.name);
        for (i, state) in s.states.iter().enumerate() {
            self.out.extend_from_slice(family.as_bytes());
            write_labels(
                self.out,
                labels,
                Some(Extra::Text(&family, state)),
                write_canonical_float,
            );
            self.out
                .extend_from_slice(if s.flags.get(i) { b" 1\n" } else { b" 0\n" });
        }
        self.name = family;
    }
}
