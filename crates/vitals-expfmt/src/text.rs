//! Prometheus text format 0.0.4.
//!
//! TYPE and HELP lines carry the sample name (`foo_total` for a counter, `foo_info` for an
//! info); HELP escapes `\` and newline only; info and state set families are gauges; `le` and
//! `quantile` values are written as client_golang writes them (Go's `%g`); `_created` samples
//! are not written (0.0.4 has no place for them).

use vitals_core::collect::{HistogramValue, StateSetValue, SummaryValue};
use vitals_core::{Descriptor, LabelText, MetricType, Number, SeriesValue, Visitor};

use crate::bounds::BoundCache;
use crate::escape;
use crate::number::{write_go_float, write_i64, write_u64, write_u64_line_end};

/// Encodes a registry as Prometheus text 0.0.4 into `out` (appending).
pub(crate) struct TextEncoder<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    /// The current family's sample base name (`foo_total`, `foo_info`, or `foo`), reused
    /// across families so that encoding allocates only while it grows.
    pub(crate) name: SampleName,
    pub(crate) family: String,
    /// The current histogram family's `le` values, formatted once for all its series.
    pub(crate) bounds: BoundCache,
}

impl Visitor for TextEncoder<'_> {
    fn family(&mut self, desc: &Descriptor) {
        self.family.clear();
        self.family.push_str(desc.name());
        let suffix = match desc.metric_type() {
            MetricType::Counter => "_total",
            MetricType::Info => "_info",
            _ => "",
        };
        self.name.set(desc.name(), suffix);
        if !desc.help().is_empty() {
            self.out.extend_from_slice(b"# HELP ");
            self.out.extend_from_slice(self.name.name());
            self.out.push(b' ');
            escape::help_text(self.out, desc.help());
            self.out.push(b'\n');
        }
        self.out.extend_from_slice(b"# TYPE ");
        self.out.extend_from_slice(self.name.name());
        self.out.push(b' ');
        self.out
            .extend_from_slice(desc.metric_type().prometheus_name().as_bytes());
        self.out.push(b'\n');
    }

    fn series(&mut self, labels: &LabelText<'_>, value: &SeriesValue<'_>) {
        match value {
            SeriesValue::Counter { value, .. }
            | SeriesValue::Gauge(value)
            | SeriesValue::Unknown(value) => {
                return write_line(self.out, &self.name, labels, *value);
            }
            SeriesValue::Info => {
                self.sample("", labels, None);
                self.out.push(b'1');
            }
            SeriesValue::Histogram(_) | SeriesValue::Summary(_) | SeriesValue::StateSet(_) => {
                self.many_samples(labels, value);
            }
            _ => return,
        }
        self.out.push(b'\n');
    }
}

/// A family's sample base name, kept with the `{` that opens a label set after it, so that a
/// sample line without a suffix starts with one copy rather than two.
#[derive(Debug, Default)]
pub(crate) struct SampleName(String);

impl SampleName {
    /// Makes the name `base` then `suffix`.
    pub(crate) fn set(&mut self, base: &str, suffix: &str) {
        self.0.clear();
        self.0.push_str(base);
        self.0.push_str(suffix);
        self.0.push('{');
    }

    /// The name.
    pub(crate) fn name(&self) -> &[u8] {
        let bytes = self.0.as_bytes();
        bytes.get(..bytes.len().saturating_sub(1)).unwrap_or(bytes)
    }

    /// The name, then `{`.
    fn braced(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Writes a whole sample line of one value, with no suffix, extra label or exemplar: a
/// counter, gauge or untyped series, in either text format. Most of a scrape, so it takes the
/// fewest copies and capacity checks: the name and `{` are one copy, and an integer's line end
/// is one append (10,000 counters: 334 µs through the general path, a sample's name, suffix,
/// labels and value written one by one; 286 µs so).
#[inline]
pub(crate) fn write_line(
    out: &mut Vec<u8>,
    name: &SampleName,
    labels: &LabelText<'_>,
    value: Number,
) {
    let braced = !labels.is_empty();
    if braced {
        out.extend_from_slice(name.braced());
        labels.write_to(out);
    } else {
        out.extend_from_slice(name.name());
    }
    let close = |out: &mut Vec<u8>| out.extend_from_slice(if braced { b"} " } else { b" " });
    match value {
        Number::U64(v) => return write_u64_line_end(out, braced, v),
        Number::I64(v) => {
            close(out);
            write_i64(out, v);
        }
        Number::F64(v) => {
            close(out);
            write_go_float(out, v);
        }
    }
    out.push(b'\n');
}

/// The extra label a sample carries beyond the series' own: `le`, `quantile` or a state.
pub(crate) enum Extra<'a> {
    Float(&'a str, f64),
    Text(&'a str, &'a str),
}

impl TextEncoder<'_> {
    /// Writes `name+suffix{labels,extra} ` (with the trailing space before the value).
    fn sample(&mut self, suffix: &str, labels: &LabelText<'_>, extra: Option<Extra<'_>>) {
        self.out.extend_from_slice(self.name.name());
        self.out.extend_from_slice(suffix.as_bytes());
        write_labels(self.out, labels, extra, write_go_float);
        self.out.push(b' ');
    }
}

impl ManySamples for TextEncoder<'_> {
    fn histogram(&mut self, labels: &LabelText<'_>, h: &HistogramValue<'_>) {
        let mut bounds = std::mem::take(&mut self.bounds);
        bounds.prepare(h.bounds, write_go_float);
        let count = write_buckets(self.out, self.name.name(), labels, &bounds, h, |_, _| {});
        self.bounds = bounds;
        self.sample("_sum", labels, None);
        write_go_float(self.out, h.sum);
        self.out.push(b'\n');
        self.sample("_count", labels, None);
        write_u64(self.out, count);
    }

    fn summary(&mut self, labels: &LabelText<'_>, s: &SummaryValue<'_>) {
        for &(q, v) in s.quantiles {
            self.sample("", labels, Some(Extra::Float("quantile", q)));
            write_go_float(self.out, v);
            self.out.push(b'\n');
        }
        self.sample("_sum", labels, None);
        write_go_float(self.out, s.sum);
        self.out.push(b'\n');
        self.sample("_count", labels, None);
        write_u64(self.out, s.count);
    }

    fn state_set(&mut self, labels: &LabelText<'_>, s: &StateSetValue<'_>) {
        let family = std::mem::take(&mut self.family);
        for (i, state) in s.states.iter().enumerate() {
            if i > 0 {
                self.out.push(b'\n');
            }
            self.sample("", labels, Some(Extra::Text(&family, state)));
            self.out.push(if s.flags.get(i) { b'1' } else { b'0' });
        }
        self.family = family;
    }
}

/// The instruments written as many samples that each carry the series' labels (histograms,
/// summaries, state sets), as both text formats write them.
pub(crate) trait ManySamples {
    fn histogram(&mut self, labels: &LabelText<'_>, h: &HistogramValue<'_>);
    fn summary(&mut self, labels: &LabelText<'_>, s: &SummaryValue<'_>);
    fn state_set(&mut self, labels: &LabelText<'_>, s: &StateSetValue<'_>);

    /// Writes a histogram, summary or state set series (nothing for any other value). Its
    /// label text is written once (into a buffer kept per thread), then copied whole per
    /// sample: a histogram's 15 samples measured 25% slower written piece by piece.
    fn many_samples(&mut self, labels: &LabelText<'_>, value: &SeriesValue<'_>) {
        labels.with_str(|text| {
            let labels = LabelText::new(text);
            match value {
                SeriesValue::Histogram(h) => self.histogram(&labels, h),
                SeriesValue::Summary(s) => self.summary(&labels, s),
                SeriesValue::StateSet(s) => self.state_set(&labels, s),
                _ => {}
            }
        });
    }
}

/// Writes a histogram series' bucket lines, in either text format, with the cached `le` texts
/// of `bounds`; `after` writes what follows a bucket's count on its line (an OpenMetrics
/// exemplar), given the bucket's number. Returns the count of the last bucket.
///
/// The start the lines share, `name_bucket{labels,le="`, is written once and then copied
/// from the output for each further bucket: two copies a line (the start, then the bound with
/// the `"} ` after it), where writing each line's name, suffix, labels and `le` took five
/// (1,000 histograms of 12 buckets: 790 µs that way, 436 µs so).
pub(crate) fn write_buckets(
    out: &mut Vec<u8>,
    name: &[u8],
    labels: &LabelText<'_>,
    bounds: &BoundCache,
    h: &HistogramValue<'_>,
    mut after: impl FnMut(&mut Vec<u8>, usize),
) -> u64 {
    let start = out.len();
    out.extend_from_slice(name);
    out.extend_from_slice(b"_bucket{");
    if !labels.is_empty() {
        labels.write_to(out);
        out.push(b',');
    }
    out.extend_from_slice(b"le=\"");
    let shared = start..out.len();
    let mut bucket = 0;
    let count = h.for_each_cumulative(|_, cumulative| {
        if bucket > 0 {
            out.extend_from_within(shared.clone());
        }
        out.extend_from_slice(bounds.get(bucket));
        write_u64(out, cumulative);
        after(out, bucket);
        out.push(b'\n');
        bucket += 1;
    });
    if bucket == 0 {
        // No bucket at all (a collector's histogram can have none): no line either.
        out.truncate(start);
    }
    count
}

/// Writes `{labels,extra}`, or nothing when both are empty. The series' label text comes
/// escaped; the extra label's value is formatted (floats) or escaped (text) here.
pub(crate) fn write_labels(
    out: &mut Vec<u8>,
    labels: &LabelText<'_>,
    extra: Option<Extra<'_>>,
    float: fn(&mut Vec<u8>, f64),
) {
    if labels.is_empty() && extra.is_none() {
        return;
    }
    out.push(b'{');
    labels.write_to(out);
    if let Some(extra) = extra {
        if !labels.is_empty() {
            out.push(b',');
        }
        let name = match extra {
            Extra::Float(name, _) | Extra::Text(name, _) => name,
        };
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        match extra {
            Extra::Float(_, v) => float(out, v),
            Extra::Text(_, v) => escape::label_value(out, v),
        }
        out.push(b'"');
    }
    out.push(b'}');
}
