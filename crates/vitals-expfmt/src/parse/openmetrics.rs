//! The OpenMetrics 1.0 parser: strict, as the specification and its conformance suite demand.
//!
//! It reads line by line and yields a family as soon as the next one begins, so memory holds one
//! family at a time. Syntax is checked per line; the rules that span lines (grouping, timestamp
//! order, histogram consistency, name clashes, EOF) are checked as lines arrive or when a family
//! ends.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use vitals_core::Number;

use super::error::ParseError;
use super::lexer::{float, number, real, Cursor, Strictness};
use super::model::{Exemplar, Family, FamilyType, Label, Sample};
use super::{LineParser, Lines};

/// The most characters an exemplar's label names and values may have together.
const EXEMPLAR_MAX_CHARS: usize = 128;

pub(crate) struct OpenMetricsParser<'a> {
    lines: Lines<'a>,
    current: Option<Builder<'a>>,
    /// Every sample name claimed by a finished family, to reject clashes such as a gauge
    /// `a_created` beside a counter `a`.
    claimed: HashSet<String>,
    eof: bool,
}

/// A family being read.
struct Builder<'a> {
    name: &'a str,
    family_type: Option<FamilyType>,
    help: Option<Cow<'a, str>>,
    /// `Some(None)` once an empty `# UNIT` was read, so that a second one is still caught.
    unit: Option<Option<&'a str>>,
    samples: Vec<Sample<'a>>,
    line: usize,
    /// The current series ("group": labels without `le`, `quantile` or the state label): its
    /// hash and the index of its latest sample.
    group: Option<(u64, usize)>,
    group_timestamp: Option<f64>,
    /// Every series seen, by hash, with the index of one of its samples. Hashes only, so that
    /// a large family costs no allocation per series; a hash match is confirmed exactly.
    seen_groups: HashMap<u64, usize>,
}

impl<'a> Builder<'a> {
    fn new(name: &'a str, line: usize) -> Self {
        Self {
            name,
            family_type: None,
            help: None,
            unit: None,
            samples: Vec::new(),
            line,
            group: None,
            group_timestamp: None,
            seen_groups: HashMap::new(),
        }
    }

    fn typ(&self) -> FamilyType {
        self.family_type.unwrap_or(FamilyType::Unknown)
    }

    /// The part of `sample` after the family name, if `sample` is one of this family's names.
    fn suffix_of(&self, sample: &'a str) -> Option<&'a str> {
        let suffix = sample.strip_prefix(self.name)?;
        self.typ()
            .openmetrics_suffixes()
            .contains(&suffix)
            .then_some(suffix)
    }
}

impl<'a> OpenMetricsParser<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Self {
            lines: Lines::new(input),
            current: None,
            claimed: HashSet::new(),
            eof: false,
        }
    }

    fn line(&mut self, no: usize, line: &'a str) -> Result<Option<Family<'a>>, ParseError> {
        if self.eof {
            return Err(ParseError::new(
                no,
                1,
                "text after \"# EOF\": the exposition must end with that line",
            ));
        }
        if line.is_empty() {
            return Err(ParseError::new(
                no,
                1,
                "blank line: OpenMetrics allows none (remove it)",
            ));
        }
        if line == "# EOF" {
            self.eof = true;
            return self.finish_current();
        }
        if line.starts_with('#') {
            return self.metadata(no, line);
        }
        self.sample(no, line)
    }

    fn finish_current(&mut self) -> Result<Option<Family<'a>>, ParseError> {
        match self.current.take() {
            Some(builder) => self.finish(builder).map(Some),
            None => Ok(None),
        }
    }

    fn metadata(&mut self, no: usize, line: &'a str) -> Result<Option<Family<'a>>, ParseError> {
        let mut parts = line.splitn(4, ' ');
        let (Some("#"), Some(keyword), Some(name), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::new(
                no,
                1,
                "expected \"# HELP <name> <text>\", \"# TYPE <name> <type>\", \"# UNIT <name> \
                 <unit>\" or \"# EOF\" (single spaces; OpenMetrics has no other comments)",
            ));
        };
        if !matches!(keyword, "HELP" | "TYPE" | "UNIT") {
            return Err(ParseError::new(
                no,
                3,
                format!("unknown metadata {keyword:?}: expected HELP, TYPE or UNIT"),
            ));
        }
        let name_column = keyword.len() + 4;
        let mut cursor = Cursor::new(name, no);
        let valid_name = cursor.metric_name().is_ok() && cursor.at_end();
        if !valid_name {
            return Err(ParseError::new(
                no,
                name_column,
                format!("invalid metric name {name:?}: expected [a-zA-Z_:][a-zA-Z0-9_:]*"),
            ));
        }
        let mut finished = None;
        match &self.current {
            Some(current) if current.name == name => {
                if !current.samples.is_empty() {
                    return Err(ParseError::new(
                        no,
                        1,
                        format!(
                            "# {keyword} for {name:?} after its samples: metadata must come \
                             before a family's samples"
                        ),
                    ));
                }
            }
            _ => {
                finished = self.finish_current()?;
                self.current = Some(Builder::new(name, no));
            }
        }
        let Some(current) = self.current.as_mut() else {
            return Ok(finished);
        };
        let repeated = |what: &str| {
            ParseError::new(
                no,
                1,
                format!("a second # {what} for {name:?}: each family has at most one"),
            )
        };
        let value_column = name_column + name.chars().count() + 1;
        match keyword {
            "HELP" => {
                if current.help.is_some() {
                    return Err(repeated("HELP"));
                }
                current.help = Some(unescape_help(rest));
            }
            "TYPE" => {
                if current.family_type.is_some() {
                    return Err(repeated("TYPE"));
                }
                let typ = FamilyType::from_openmetrics(rest).ok_or_else(|| {
                    ParseError::new(
                        no,
                        value_column,
                        format!(
                            "unknown type {rest:?}: expected counter, gauge, histogram, \
                             gaugehistogram, summary, info, stateset or unknown"
                        ),
                    )
                })?;
                current.family_type = Some(typ);
            }
            _ => {
                if current.unit.is_some() {
                    return Err(repeated("UNIT"));
                }
                current.unit = Some((!rest.is_empty()).then_some(rest));
            }
        }
        Ok(finished)
    }

    fn sample(&mut self, no: usize, line: &'a str) -> Result<Option<Family<'a>>, ParseError> {
        let mut c = Cursor::new(line, no);
        let sample = parse_sample(&mut c)?;

        let mut finished = None;
        let belongs = self
            .current
            .as_ref()
            .is_some_and(|b| b.suffix_of(sample.name).is_some());
        if !belongs {
            if let Some(b) = self.current.as_ref().filter(|b| b.family_type.is_some()) {
                if sample.name == b.name {
                    // It would start a family of the same name, a certain clash: say what the
                    // declared family's samples are called instead.
                    let typ = b.typ();
                    let names: Vec<String> = typ
                        .openmetrics_suffixes()
                        .iter()
                        .map(|suffix| format!("{}{suffix}", b.name))
                        .collect();
                    let hint = match b.name.strip_suffix("_total") {
                        Some(stem) if typ == FamilyType::Counter => format!(
                            "; a counter family is named without _total (# TYPE {stem} counter) \
                             and its samples with it"
                        ),
                        _ => String::new(),
                    };
                    return Err(c.error_at(
                        0,
                        format!(
                            "sample {:?} does not belong to the {} {:?}, whose samples are named \
                             {}{hint}",
                            sample.name,
                            typ.as_str(),
                            b.name,
                            names.join(" or ")
                        ),
                    ));
                }
            }
            // A sample of no declared family starts a family of unknown type named after it.
            finished = self.finish_current()?;
            self.current = Some(Builder::new(sample.name, no));
        }
        let Some(builder) = self.current.as_mut() else {
            return Ok(finished);
        };
        check_sample(builder, &sample, &c)?;
        builder.samples.push(sample);
        Ok(finished)
    }

    /// The checks that need the whole family: name clashes, the unit, histogram consistency.
    fn finish(&mut self, b: Builder<'a>) -> Result<Family<'a>, ParseError> {
        let typ = b.typ();
        let at = |message: String| ParseError::new(b.line, 1, message);
        let suffixes = typ.openmetrics_suffixes();
        for suffix in std::iter::once(&"").chain(suffixes.iter().filter(|s| !s.is_empty())) {
            let full = format!("{}{suffix}", b.name);
            if !self.claimed.insert(full.clone()) {
                return Err(at(format!(
                    "family {:?} clashes with an earlier family over the name {full:?}: each \
                     family and sample name may be used once",
                    b.name
                )));
            }
        }
        let unit = b.unit.flatten();
        if let Some(unit) = unit {
            if matches!(typ, FamilyType::Info | FamilyType::StateSet) {
                return Err(at(format!(
                    "{} metrics may not have a unit, but {:?} has {unit:?}",
                    typ.as_str(),
                    b.name
                )));
            }
            let suffixed = b
                .name
                .strip_suffix(unit)
                .is_some_and(|rest| rest.ends_with('_'));
            if !suffixed {
                return Err(at(format!(
                    "unit {unit:?} is not a suffix of the name {:?}: the name must end in \
                     \"_{unit}\"",
                    b.name
                )));
            }
        }
        if matches!(typ, FamilyType::Histogram | FamilyType::GaugeHistogram) {
            check_histogram(b.name, &b.samples)?;
        }
        Ok(Family {
            name: b.name,
            family_type: typ,
            help: b.help,
            unit,
            samples: b.samples,
            line: b.line,
        })
    }
}

impl<'a> LineParser<'a> for OpenMetricsParser<'a> {
    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        self.lines.next()
    }

    fn line(&mut self, no: usize, line: &'a str) -> Result<Option<Family<'a>>, ParseError> {
        OpenMetricsParser::line(self, no, line)
    }

    fn end(&mut self) -> Option<Result<Family<'a>, ParseError>> {
        if !self.eof {
            return Some(Err(ParseError::new(
                self.lines.lines_read().max(1),
                1,
                "missing \"# EOF\": an OpenMetrics exposition ends with that line",
            )));
        }
        self.finish_current().transpose()
    }
}

/// `name[{labels}] value[ timestamp][ # {labels} value[ timestamp]]`, single spaces.
fn parse_sample<'a>(c: &mut Cursor<'a>) -> Result<Sample<'a>, ParseError> {
    let line = c.line_no;
    let name = c.metric_name()?;
    let labels = if c.peek() == Some(b'{') {
        c.pos += 1;
        c.label_set(Strictness::OpenMetrics)?
    } else {
        Vec::new()
    };
    if !matches!(c.peek(), Some(b' ') | None) && labels.is_empty() {
        return Err(c.error(format!(
            "unexpected {} after the metric name {name:?}: names use only [a-zA-Z0-9_:], and a \
             single space comes before the value",
            c.found()
        )));
    }
    c.expect(b' ', "a single space before the value")?;
    let value = value(c)?;
    let mut timestamp = None;
    let mut exemplar = None;
    if !c.at_end() {
        c.expect(b' ', "a space before the timestamp or exemplar")?;
        if c.peek() != Some(b'#') {
            timestamp = Some(timestamp_token(c)?);
            if !c.at_end() {
                c.expect(b' ', "a space before the exemplar")?;
            }
        }
        if !c.at_end() {
            exemplar = Some(parse_exemplar(c)?);
        }
    }
    if !c.at_end() {
        return Err(c.error(format!(
            "unexpected {} after the sample: expected the end of the line",
            c.found()
        )));
    }
    Ok(Sample {
        name,
        labels,
        value,
        timestamp,
        exemplar,
        line,
    })
}

fn value(c: &mut Cursor<'_>) -> Result<Number, ParseError> {
    let at = c.pos;
    let text = c.token(Strictness::OpenMetrics);
    number(text).ok_or_else(|| {
        c.error_at(
            at,
            format!("invalid value {text:?}: expected a number such as 1, -2.5e3, +Inf or NaN"),
        )
    })
}

fn timestamp_token(c: &mut Cursor<'_>) -> Result<f64, ParseError> {
    let at = c.pos;
    let text = c.token(Strictness::OpenMetrics);
    real(text).ok_or_else(|| {
        c.error_at(
            at,
            format!(
                "invalid timestamp {text:?}: expected seconds since the epoch as a finite \
                 number, such as 1700000000 or 1700000000.123"
            ),
        )
    })
}

/// `# {labels} value[ timestamp]`, the cursor on the `#`.
fn parse_exemplar<'a>(c: &mut Cursor<'a>) -> Result<Exemplar<'a>, ParseError> {
    c.expect(b'#', "'#' to start an exemplar")?;
    c.expect(b' ', "a space after '#' in an exemplar")?;
    let labels_at = c.pos;
    c.expect(b'{', "'{' to open the exemplar's labels")?;
    let labels = c.label_set(Strictness::OpenMetrics)?;
    let chars: usize = labels
        .iter()
        .map(|(n, v)| n.chars().count() + v.chars().count())
        .sum();
    if chars > EXEMPLAR_MAX_CHARS {
        return Err(c.error_at(
            labels_at,
            format!(
                "exemplar labels have {chars} characters; OpenMetrics allows at most \
                 {EXEMPLAR_MAX_CHARS} for names and values together"
            ),
        ));
    }
    c.expect(b' ', "a space before the exemplar's value")?;
    let at = c.pos;
    let text = c.token(Strictness::OpenMetrics);
    let value = float(text).ok_or_else(|| {
        c.error_at(
            at,
            format!("invalid exemplar value {text:?}: expected a number"),
        )
    })?;
    let mut timestamp = None;
    if !c.at_end() {
        c.expect(b' ', "a space before the exemplar's timestamp")?;
        timestamp = Some(timestamp_token(c)?);
    }
    Ok(Exemplar {
        labels,
        value,
        timestamp,
    })
}

/// The per-sample rules of OpenMetrics, given the family the sample belongs to.
fn check_sample<'a>(b: &mut Builder<'a>, s: &Sample<'a>, c: &Cursor<'a>) -> Result<(), ParseError> {
    let typ = b.typ();
    let name = b.name;
    let suffix = s.name.get(name.len()..).unwrap_or("");
    let err = |message: String| c.error_at(0, message);
    let v = s.value.as_f64();

    let is_bucket = suffix == "_bucket";
    let is_quantile = typ == FamilyType::Summary && suffix.is_empty();
    if typ == FamilyType::StateSet && s.label(name).is_none() {
        return Err(err(format!(
            "state set sample lacks the label {name:?} that names its state"
        )));
    }
    if is_bucket {
        let le = s.label("le").ok_or_else(|| {
            err(format!(
                "bucket of {name:?} lacks its \"le\" label (the bucket's upper bound)"
            ))
        })?;
        match float(le) {
            Some(bound) if !bound.is_nan() && (bound != f64::INFINITY || le == "+Inf") => {}
            _ => {
                return Err(err(format!(
                    "invalid \"le\" value {le:?}: expected a number, with +Inf written \"+Inf\""
                )))
            }
        }
        if !is_integral(s.value) {
            return Err(err(format!("bucket count {v} is not a whole number")));
        }
    }
    if matches!(suffix, "_count" | "_gcount") && !is_integral(s.value) {
        return Err(err(format!("{suffix} {v} is not a whole number")));
    }
    if is_quantile {
        let q = s.label("quantile").ok_or_else(|| {
            err(format!(
                "summary sample {name:?} lacks its \"quantile\" label"
            ))
        })?;
        match float(q) {
            Some(q) if (0.0..=1.0).contains(&q) => {}
            _ => {
                return Err(err(format!(
                    "invalid \"quantile\" value {q:?}: expected a number from 0 to 1"
                )))
            }
        }
    }

    // Grouping: all samples of one series (labels without le/quantile/state) are together,
    // and their timestamps are all present or all absent, and do not go backwards.
    let hash = group_hash(b, s);
    let index = b.samples.len();
    let same = b
        .group
        .is_some_and(|(h, i)| h == hash && b.samples.get(i).is_some_and(|o| same_group(b, o, s)));
    if same {
        if s.timestamp.is_some() != b.group_timestamp.is_some() {
            return Err(err(
                "samples of one series must all have timestamps or all have none".to_owned(),
            ));
        }
        if let (Some(previous), Some(now)) = (b.group_timestamp, s.timestamp) {
            if now < previous && typ != FamilyType::Info {
                return Err(err(format!(
                    "timestamp {now} goes back from {previous} within one series"
                )));
            }
        }
    } else {
        let seen = match b.seen_groups.get(&hash) {
            None => false,
            // Confirm the match; on a hash collision, look through the family exactly.
            Some(&i) if b.samples.get(i).is_some_and(|o| same_group(b, o, s)) => true,
            Some(_) => b.samples.iter().any(|o| same_group(b, o, s)),
        };
        if seen {
            return Err(err(format!(
                "samples of series {} of {name:?} are split: a series' samples must be together",
                describe(b, s)
            )));
        }
        b.seen_groups.entry(hash).or_insert(index);
    }
    b.group = Some((hash, index));
    b.group_timestamp = s.timestamp;

    if typ == FamilyType::StateSet && v != 0.0 && v != 1.0 {
        return Err(err(format!("state set value {v} must be 0 or 1")));
    }
    if typ == FamilyType::Info && v != 1.0 {
        return Err(err(format!("info value {v} must be 1")));
    }
    if is_quantile && v < 0.0 {
        return Err(err(format!("quantile value {v} may not be negative")));
    }
    let counter_like = matches!(
        suffix,
        "_total" | "_sum" | "_count" | "_bucket" | "_gcount" | "_gsum"
    );
    if counter_like && v.is_nan() {
        return Err(err(format!("{}{suffix} may not be NaN", name)));
    }
    if counter_like && suffix != "_gsum" && v < 0.0 {
        return Err(err(format!("{}{suffix} may not be negative ({v})", name)));
    }
    if s.exemplar.is_some() {
        let allowed = (matches!(typ, FamilyType::Histogram | FamilyType::GaugeHistogram)
            && is_bucket)
            || (typ == FamilyType::Counter && suffix == "_total");
        if !allowed {
            return Err(err(format!(
                "exemplar on {:?}: only counter _total and histogram _bucket samples may \
                 carry one",
                s.name
            )));
        }
    }
    Ok(())
}

fn is_integral(v: Number) -> bool {
    match v {
        Number::U64(_) | Number::I64(_) => true,
        Number::F64(f) => f.is_finite() && f.fract() == 0.0,
    }
}

/// The label a sample carries beyond its series' identity: `le` on buckets, `quantile` on
/// summary quantiles, the state label on state sets.
fn extra_label<'n>(b: &Builder<'n>, s: &Sample<'_>) -> Option<&'n str> {
    let suffix = s.name.get(b.name.len()..).unwrap_or("");
    match b.typ() {
        FamilyType::Histogram | FamilyType::GaugeHistogram if suffix == "_bucket" => Some("le"),
        FamilyType::Summary if suffix.is_empty() => Some("quantile"),
        FamilyType::StateSet => Some(b.name),
        _ => None,
    }
}

/// The labels that identify a sample's series.
fn identity<'s, 'a>(
    b: &Builder<'a>,
    s: &'s Sample<'a>,
) -> impl Iterator<Item = &'s Label<'a>> + Clone {
    let extra = extra_label(b, s);
    // Info families are one group whatever their labels (their samples are not series over time).
    let info = b.typ() == FamilyType::Info;
    s.labels
        .iter()
        .filter(move |(n, _)| !info && Some(*n) != extra)
}

/// A hash of the series' identity that does not depend on label order: pair hashes are summed.
fn group_hash<'a>(b: &Builder<'a>, s: &Sample<'a>) -> u64 {
    identity(b, s).fold(0u64, |acc, (n, v)| {
        // A fixed-key hasher: the map only speeds up an exact comparison, so predictable
        // hashes cost at most time, never correctness.
        let mut hasher = std::hash::DefaultHasher::new();
        n.hash(&mut hasher);
        v.hash(&mut hasher);
        acc.wrapping_add(hasher.finish())
    })
}

/// Whether two samples belong to the same series (label order aside; names are unique).
fn same_group<'a>(b: &Builder<'a>, x: &Sample<'a>, y: &Sample<'a>) -> bool {
    let (xs, ys) = (identity(b, x), identity(b, y));
    let count = xs.clone().count();
    if count != ys.clone().count() {
        return false;
    }
    if count < 16 {
        return xs
            .into_iter()
            .all(|(n, v)| ys.clone().any(|(m, w)| n == m && v == w));
    }
    // Many labels: a set, so that a pathological line costs linear time, not quadratic.
    let theirs: HashSet<&Label<'a>> = ys.collect();
    xs.into_iter().all(|label| theirs.contains(label))
}

fn describe<'a>(b: &Builder<'a>, s: &Sample<'a>) -> String {
    let inner: Vec<String> = identity(b, s).map(|(n, v)| format!("{n}={v:?}")).collect();
    format!("{{{}}}", inner.join(","))
}

/// OpenMetrics' histogram rules, per series (and per timestamp): buckets in increasing order
/// ending with +Inf, counts not decreasing, `_count` equal to the +Inf bucket, `_count` and
/// `_sum` (or `_gcount` and `_gsum`) together, no `_sum` with negative buckets, no negative
/// `_gsum` without them.
fn check_histogram(name: &str, samples: &[Sample<'_>]) -> Result<(), ParseError> {
    #[derive(Default)]
    struct Series {
        bound: Option<f64>,
        bucket_value: Option<Number>,
        count: Option<Number>,
        negative_buckets: bool,
        sum: bool,
        gsum: bool,
        negative_gsum: bool,
        line: usize,
    }
    let check = |s: &Series| -> Result<(), ParseError> {
        let fail = |m: String| Err(ParseError::new(s.line, 1, m));
        if s.bound != Some(f64::INFINITY) {
            return fail(format!("histogram {name:?} lacks its le=\"+Inf\" bucket"));
        }
        if let (Some(count), Some(bucket)) = (s.count, s.bucket_value) {
            if exact_cmp(count, bucket) != Some(std::cmp::Ordering::Equal) {
                return fail(format!(
                    "histogram {name:?}: count {} differs from the +Inf bucket {}",
                    count.as_f64(),
                    bucket.as_f64()
                ));
            }
        }
        if (s.sum || s.gsum) != s.count.is_some() {
            return fail(format!(
                "histogram {name:?}: _count and _sum (or _gcount and _gsum) come together or \
                 not at all"
            ));
        }
        if s.negative_buckets && s.sum {
            return fail(format!(
                "histogram {name:?} has negative buckets, so it may not have _sum"
            ));
        }
        if !s.negative_buckets && s.negative_gsum {
            return fail(format!(
                "gauge histogram {name:?} has a negative _gsum but no negative bucket"
            ));
        }
        Ok(())
    };

    let mut current: Option<(Vec<Label<'_>>, Option<f64>, Series)> = None;
    for s in samples {
        let suffix = s.name.get(name.len()..).unwrap_or("");
        let mut key: Vec<Label<'_>> = s
            .labels
            .iter()
            .filter(|(n, _)| !(suffix == "_bucket" && *n == "le"))
            .cloned()
            .collect();
        key.sort_by(|a, b| a.0.cmp(b.0));
        let same = current
            .as_ref()
            .is_some_and(|(k, ts, _)| *k == key && *ts == s.timestamp);
        if !same {
            if let Some((_, _, series)) = &current {
                check(series)?;
            }
            current = Some((key, s.timestamp, Series::default()));
        }
        let Some((_, _, series)) = current.as_mut() else {
            continue;
        };
        series.line = s.line;
        let v = s.value.as_f64();
        match suffix {
            "_bucket" => {
                let bound = s.label("le").and_then(float).unwrap_or(f64::NAN);
                if bound < 0.0 {
                    series.negative_buckets = true;
                }
                if series.bound.is_some_and(|previous| bound <= previous) {
                    return Err(ParseError::new(
                        s.line,
                        1,
                        format!("histogram {name:?}: buckets must be in increasing order of le"),
                    ));
                }
                let decreasing = series.bucket_value.is_some_and(|previous| {
                    exact_cmp(s.value, previous) == Some(std::cmp::Ordering::Less)
                });
                if decreasing {
                    return Err(ParseError::new(
                        s.line,
                        1,
                        format!("histogram {name:?}: bucket counts must not decrease"),
                    ));
                }
                series.bound = Some(bound);
                series.bucket_value = Some(s.value);
            }
            "_count" | "_gcount" => series.count = Some(s.value),
            "_sum" => series.sum = true,
            "_gsum" => {
                series.gsum = true;
                series.negative_gsum |= v < 0.0;
            }
            _ => {}
        }
    }
    if let Some((_, _, series)) = &current {
        check(series)?;
    }
    Ok(())
}

/// Compares two values exactly: as integers when both are (counts above 2^53 differ by one where
/// `f64` cannot tell), as floats otherwise.
fn exact_cmp(a: Number, b: Number) -> Option<std::cmp::Ordering> {
    let int = |n: Number| match n {
        Number::U64(v) => Some(i128::from(v)),
        Number::I64(v) => Some(i128::from(v)),
        Number::F64(_) => None,
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64().partial_cmp(&b.as_f64()),
    }
}

/// HELP unescaping: `\\`, `\"` and `\n`; any other backslash is kept as written.
fn unescape_help(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('n') => out.push('\n'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}
