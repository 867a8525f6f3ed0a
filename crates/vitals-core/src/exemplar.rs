//! Exemplars: a pointer from a counter increment or a histogram observation to the request that
//! made it, usually its trace id. OpenMetrics writes the latest one after the sample it belongs
//! to, and Prometheus (with `--enable-feature=exemplar-storage`) and Grafana link from a graph to
//! the trace:
//!
//! ```text
//! http_requests_total{path="/"} 42 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 1 1725412345.123
//! ```
//!
//! Record one with the instrument's `*_with_exemplar` methods, giving the exemplar's labels as
//! name/value pairs. A value may be anything that implements [`Display`] (a `&str`, a number,
//! OpenTelemetry's `TraceId`), and is formatted straight into the exemplar, without allocating:
//!
//! ```
//! use vitals_core::{Histogram, Registry};
//!
//! let registry = Registry::new();
//! let requests = registry.counter("http_requests", "Requests served.").register()?;
//! let latency = Histogram::with_buckets(&[0.1, 0.5, 1.0])?;
//!
//! let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"; // e.g. span_context.trace_id()
//! requests.inc_with_exemplar(&[("trace_id", trace_id)]);
//! latency.observe_with_exemplar(0.27, &[("trace_id", trace_id)]);
//!
//! let exemplar = requests.exemplar().expect("just recorded");
//! assert_eq!(exemplar.labels().collect::<Vec<_>>(), [("trace_id", trace_id)]);
//! assert_eq!(exemplar.value(), 1.0);
//! assert_eq!(latency.exemplar(1).map(|e| e.value()), Some(0.27)); // the `le="0.5"` bucket
//! # Ok::<(), vitals_core::Error>(())
//! ```
//!
//! The rules are OpenMetrics 1.0's: label names match `[a-zA-Z_][a-zA-Z0-9_]*`, do not start
//! with `__` and are not repeated; the names and values together have at most
//! [`MAX_LABEL_CHARS`] (128) characters, counted as Unicode code points, not bytes. `le` and
//! `quantile` are allowed: an exemplar's labels are its own, not the series'. The plain methods
//! drop an exemplar that breaks a rule (the increment or observation is still applied) and count
//! it in [`self_metrics`](crate::self_metrics) (`reason="invalid_exemplar"`); the `try_*`
//! methods return the error instead.
//!
//! Each counter series keeps its latest exemplar, and each histogram bucket the latest of the
//! observations that fell in it. Prometheus text 0.0.4 has no exemplars and leaves them out.
//!
//! A caveat on peers: the reference Python parser (`prometheus_client` 0.26) mishandles a `\"`
//! inside an exemplar's label value and rejects the line, although the specification allows it
//! and vitals escapes it correctly (vitals' own parser reads it back). Trace ids never contain
//! quotes; keep other exemplar values free of them if Python tools read your metrics.
//!
//! What it costs: the plain `inc` and `observe` do not change (no extra atomic operation, no
//! lock). A series that never gets an exemplar pays one lazily filled pointer. Recording one
//! validates the labels into a fixed buffer on the stack, reads the clock, and copies the labels
//! into the series' slot under a short lock (uncontended: a few tens of nanoseconds). The slot
//! is allocated by the series' (or bucket's) first exemplar and reused afterwards, so steady
//! state allocates nothing.

use std::fmt::{self, Display};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::atomic::unix_now;
use crate::error::{Error, ErrorKind, Result};

/// The most characters (Unicode code points) an exemplar's label names and values may have
/// together, as OpenMetrics 1.0 requires. The `{`, `=`, `"` and `,` of the text form do not count.
///
/// ```
/// use vitals_core::exemplar::MAX_LABEL_CHARS;
/// use vitals_core::Exemplar;
///
/// let name = "trace_id";
/// let fits = "日".repeat(MAX_LABEL_CHARS - name.len()); // 120 characters, 360 bytes
/// assert!(Exemplar::new(&[(name, &fits)], 1.0).is_ok());
/// assert!(Exemplar::new(&[(name, &format!("{fits}x"))], 1.0).is_err());
/// ```
pub const MAX_LABEL_CHARS: usize = 128;

/// The label buffer's size. Pairs are stored as `[name length: u8][name][value length: u16
/// LE][value]`. A name is ASCII and at least one character long, so a pair's 3 header bytes are
/// covered by 3 of the 4 bytes per character allowed below, and a value character takes at most
/// 4 bytes: 128 characters never need more than 512 bytes, however they are split into pairs.
const CAPACITY: usize = 4 * MAX_LABEL_CHARS;

/// One exemplar: its labels, its value (the increment or the observation) and when it was
/// recorded.
///
/// Made by the instruments' `*_with_exemplar` methods (see the [module docs](self)) and read back
/// with [`Counter::exemplar`](crate::Counter::exemplar),
/// [`Histogram::exemplar`](crate::Histogram::exemplar) or, by encoders, through
/// [`SeriesValue`](crate::SeriesValue). The labels live in a fixed inline buffer, so making,
/// copying and reading one never allocates.
///
/// ```
/// use vitals_core::Exemplar;
///
/// let exemplar = Exemplar::new(&[("trace_id", "abc"), ("span_id", "42")], 0.25)?;
/// assert_eq!(exemplar.labels().collect::<Vec<_>>(), [("trace_id", "abc"), ("span_id", "42")]);
/// assert_eq!(exemplar.value(), 0.25);
/// assert!(exemplar.timestamp() > 1.7e9); // now, in seconds since the Unix epoch
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Exemplar {
    value: f64,
    timestamp: f64,
    len: u16,
    bytes: [u8; CAPACITY],
}

impl Exemplar {
    /// Validates `labels` into an exemplar with this value, timestamped now.
    ///
    /// Label values may be of any type that implements [`Display`]; to mix types in one call,
    /// give each as `format_args!`:
    ///
    /// ```
    /// use vitals_core::{ErrorKind, Exemplar};
    ///
    /// let (trace_id, span_id) = ("4bf92f3577b34da6a3ce929d0e0e4736", 0x00f067aa0ba902b7_u64);
    /// let exemplar = Exemplar::new(
    ///     &[("trace_id", format_args!("{trace_id}")), ("span_id", format_args!("{span_id:016x}"))],
    ///     1.0,
    /// )?;
    /// assert_eq!(exemplar.labels().nth(1), Some(("span_id", "00f067aa0ba902b7")));
    ///
    /// // 128 characters of names and values at most, counted as characters, not bytes.
    /// let long = "☃".repeat(120);
    /// assert!(Exemplar::new(&[("trace_id", &long)], 1.0).is_ok()); // 8 + 120 = 128
    /// let err = Exemplar::new(&[("trace_id", &format!("{long}x"))], 1.0).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidExemplar);
    /// assert!(Exemplar::new(&[("__trace", "abc")], 1.0).is_err()); // reserved name
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn new<V: Display>(labels: &[(&str, V)], value: f64) -> Result<Self> {
        Self::build(labels, value).map_err(|invalid| invalid.into_error(labels))
    }

    /// Validates without building an [`Error`] (whose message allocates): the plain recording
    /// methods only count a failure.
    pub(crate) fn build<'a, V: Display>(
        labels: &'a [(&'a str, V)],
        value: f64,
    ) -> Result<Self, Invalid<'a>> {
        // Filled in place: the half-kilobyte value is not moved until it is returned.
        let mut exemplar = Self {
            value,
            timestamp: 0.0,
            len: 0,
            bytes: [0; CAPACITY],
        };
        let mut builder = Builder {
            exemplar: &mut exemplar,
            chars: 0,
            overflow: false,
        };
        for (name, label_value) in labels {
            builder.pair(name, label_value)?;
        }
        exemplar.timestamp = unix_now();
        Ok(exemplar)
    }

    /// Replaces the timestamp (seconds since the Unix epoch), for an exemplar that was recorded
    /// elsewhere, such as one a [collector](crate::Collector) relays. It must be finite.
    ///
    /// ```
    /// use vitals_core::Exemplar;
    /// let exemplar = Exemplar::new(&[("trace_id", "abc")], 1.0)?.with_timestamp(1520879607.789)?;
    /// assert_eq!(exemplar.timestamp(), 1520879607.789);
    /// assert!(exemplar.with_timestamp(f64::NAN).is_err());
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn with_timestamp(mut self, seconds: f64) -> Result<Self> {
        if !seconds.is_finite() {
            return Err(Error::new(
                ErrorKind::InvalidExemplar,
                format!(
                    "exemplar timestamp {seconds} is not finite; give seconds since the Unix epoch"
                ),
            ));
        }
        self.timestamp = seconds;
        Ok(self)
    }

    /// The label pairs, in the order they were given.
    ///
    /// ```
    /// use vitals_core::Exemplar;
    /// let exemplar = Exemplar::new(&[("trace_id", "abc"), ("user", "ünï \"q\"")], 1.0)?;
    /// let labels: Vec<(&str, &str)> = exemplar.labels().collect();
    /// assert_eq!(labels, [("trace_id", "abc"), ("user", "ünï \"q\"")]);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn labels(&self) -> ExemplarLabels<'_> {
        ExemplarLabels {
            rest: self.label_bytes(),
        }
    }

    /// The value: the increment of a counter, the observation of a histogram.
    ///
    /// ```
    /// use vitals_core::FloatCounter;
    /// let cost = FloatCounter::new();
    /// cost.inc_by_with_exemplar(0.25, &[("trace_id", "abc")]);
    /// assert_eq!(cost.exemplar().map(|e| e.value()), Some(0.25));
    /// ```
    pub fn value(&self) -> f64 {
        self.value
    }

    /// When the exemplar was recorded, in seconds since the Unix epoch.
    ///
    /// ```
    /// use vitals_core::Counter;
    /// let requests = Counter::new();
    /// requests.inc_with_exemplar(&[("trace_id", "abc")]);
    /// let recorded = requests.exemplar().unwrap().timestamp();
    /// assert!(recorded >= requests.created());
    /// ```
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }

    fn label_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl PartialEq for Exemplar {
    fn eq(&self, other: &Self) -> bool {
        self.value.to_bits() == other.value.to_bits()
            && self.timestamp.to_bits() == other.timestamp.to_bits()
            && self.label_bytes() == other.label_bytes()
    }
}

impl fmt::Debug for Exemplar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exemplar")
            .field("labels", &self.labels().collect::<Vec<_>>())
            .field("value", &self.value)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// The label pairs of an [`Exemplar`], as `(name, value)`: made by [`Exemplar::labels`].
///
/// ```
/// use vitals_core::Exemplar;
/// let exemplar = Exemplar::new(&[("trace_id", "abc")], 1.0)?;
/// let mut labels = exemplar.labels();
/// assert_eq!(labels.next(), Some(("trace_id", "abc")));
/// assert_eq!(labels.next(), None);
/// # Ok::<(), vitals_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ExemplarLabels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ExemplarLabels<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let (&name_len, rest) = self.rest.split_first()?;
        let (name, rest) = rest.split_at_checked(usize::from(name_len))?;
        let (value_len, rest) = rest.split_first_chunk::<2>()?;
        let (value, rest) = rest.split_at_checked(usize::from(u16::from_le_bytes(*value_len)))?;
        self.rest = rest;
        // Both were copied from `str`s whole, so they are UTF-8; the check keeps this safe code.
        Some((
            std::str::from_utf8(name).unwrap_or_default(),
            std::str::from_utf8(value).unwrap_or_default(),
        ))
    }
}

/// Encodes label pairs into an exemplar's buffer, checking the rules as it goes.
struct Builder<'e> {
    exemplar: &'e mut Exemplar,
    /// Characters (code points) of names and values so far.
    chars: usize,
    /// Set when a value's text went past the limit, to tell that apart from a failing `Display`.
    overflow: bool,
}

impl Builder<'_> {
    fn pair<'a>(&mut self, name: &'a str, value: &dyn Display) -> Result<(), Invalid<'a>> {
        if !is_label_name(name) {
            return Err(Invalid::Name(name));
        }
        if name.starts_with("__") {
            return Err(Invalid::Reserved(name));
        }
        if self.exemplar.labels().any(|(n, _)| n == name) {
            return Err(Invalid::Duplicate(name));
        }
        self.chars += name.len(); // ASCII: bytes are characters
        if self.chars > MAX_LABEL_CHARS {
            return Err(Invalid::TooLong);
        }
        let name_len = u8::try_from(name.len()).map_err(|_| Invalid::TooLong)?;
        self.push(&[name_len])
            .and_then(|()| self.push(name.as_bytes()))
            .map_err(|()| Invalid::TooLong)?;
        let header = usize::from(self.exemplar.len);
        self.push(&[0, 0]).map_err(|()| Invalid::TooLong)?;
        if fmt::write(self, format_args!("{value}")).is_err() {
            return Err(if self.overflow {
                Invalid::TooLong
            } else {
                Invalid::Format(name)
            });
        }
        let value_len = usize::from(self.exemplar.len) - header - 2;
        let value_len = u16::try_from(value_len).map_err(|_| Invalid::TooLong)?;
        if let Some(slot) = self.exemplar.bytes.get_mut(header..header + 2) {
            slot.copy_from_slice(&value_len.to_le_bytes());
        }
        Ok(())
    }

    fn push(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let start = usize::from(self.exemplar.len);
        let end = start + bytes.len();
        let target = self.exemplar.bytes.get_mut(start..end).ok_or(())?;
        target.copy_from_slice(bytes);
        self.exemplar.len = u16::try_from(end).map_err(|_| ())?;
        Ok(())
    }
}

impl fmt::Write for Builder<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.chars += s.chars().count();
        if self.chars > MAX_LABEL_CHARS || self.push(s.as_bytes()).is_err() {
            self.overflow = true;
            return Err(fmt::Error);
        }
        Ok(())
    }
}

fn is_label_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_alphabetic() || b == b'_' || (i > 0 && b.is_ascii_digit()))
}

/// Why labels were rejected, without the allocation an [`Error`] message costs.
#[derive(Debug)]
pub(crate) enum Invalid<'a> {
    Name(&'a str),
    Reserved(&'a str),
    Duplicate(&'a str),
    TooLong,
    Format(&'a str),
}

impl Invalid<'_> {
    pub(crate) fn into_error<V: Display>(self, labels: &[(&str, V)]) -> Error {
        let message = match self {
            Self::Name(name) => format!(
                "invalid exemplar label name {name:?}: a label name must match \
                 [a-zA-Z_][a-zA-Z0-9_]*; use snake_case ASCII such as \"trace_id\""
            ),
            Self::Reserved(name) => format!(
                "exemplar label name {name:?} is reserved: names starting with \"__\" belong to \
                 Prometheus; drop the leading underscores"
            ),
            Self::Duplicate(name) => {
                format!("exemplar label name {name:?} appears twice; give each label once")
            }
            Self::TooLong => {
                let chars: usize = labels
                    .iter()
                    .map(|(name, value)| name.chars().count() + displayed_chars(value))
                    .sum();
                format!(
                    "exemplar labels have {chars} characters (names and values together), over \
                     OpenMetrics' limit of {MAX_LABEL_CHARS}; keep only what links to the trace, \
                     such as trace_id (a W3C trace id is 32 characters)"
                )
            }
            Self::Format(name) => format!(
                "the value of exemplar label {name:?} could not be formatted: its Display \
                 implementation returned an error"
            ),
        };
        Error::new(ErrorKind::InvalidExemplar, message)
    }
}

/// How many characters `value` displays as, without storing them.
fn displayed_chars(value: &dyn Display) -> usize {
    struct Count(usize);
    impl fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.chars().count();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = fmt::write(&mut count, format_args!("{value}"));
    count.0
}

/// Where a series (or a bucket) keeps its latest exemplar. The label buffer is allocated by the
/// first exemplar and reused by the next ones; the lock is held only to copy one in or out.
#[derive(Debug, Default)]
pub(crate) struct Slot(Mutex<Stored>);

#[derive(Debug, Default)]
struct Stored {
    set: bool,
    value: f64,
    timestamp: f64,
    labels: Vec<u8>,
}

impl Slot {
    pub(crate) fn store(&self, exemplar: &Exemplar) {
        let mut stored = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        stored.set = true;
        stored.value = exemplar.value;
        stored.timestamp = exemplar.timestamp;
        stored.labels.clear();
        stored.labels.extend_from_slice(exemplar.label_bytes());
    }

    pub(crate) fn load(&self) -> Option<Exemplar> {
        let stored = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !stored.set {
            return None;
        }
        let mut exemplar = Exemplar {
            value: stored.value,
            timestamp: stored.timestamp,
            len: 0,
            bytes: [0; CAPACITY],
        };
        let len = stored.labels.len();
        exemplar
            .bytes
            .get_mut(..len)?
            .copy_from_slice(&stored.labels);
        exemplar.len = u16::try_from(len).ok()?;
        Some(exemplar)
    }
}

/// A counter series' exemplar slot, allocated by its first exemplar. Public only because it is
/// a counter's [`Metric::Side`](crate::metrics::Metric::Side); nothing outside the crate can
/// use it.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct LazySlot(OnceLock<Box<Slot>>);

impl LazySlot {
    pub(crate) fn store(&self, exemplar: &Exemplar) {
        self.0.get_or_init(Box::default).store(exemplar);
    }

    pub(crate) fn load(&self) -> Option<Exemplar> {
        self.0.get()?.load()
    }
}

/// A histogram series' exemplar slots, one per bucket, allocated by its first exemplar.
#[derive(Debug, Default)]
pub(crate) struct LazySlots(OnceLock<Box<[Slot]>>);

impl LazySlots {
    /// Stores the exemplar of bucket `index` of `buckets`.
    pub(crate) fn store(&self, index: usize, buckets: usize, exemplar: &Exemplar) {
        let slots = self
            .0
            .get_or_init(|| (0..buckets).map(|_| Slot::default()).collect());
        if let Some(slot) = slots.get(index) {
            slot.store(exemplar);
        }
    }

    /// Every bucket's slot, or `None` while no exemplar was recorded.
    pub(crate) fn get(&self) -> Option<&[Slot]> {
        self.0.get().map(|s| &**s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(e: &Exemplar) -> Vec<(String, String)> {
        e.labels()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn limit_counts_characters_not_bytes() {
        // "trace_id" is 8 characters: values of 120 reach the limit exactly.
        for c in ['a', 'ü', '日', '☃', '🦀'] {
            let at_limit: String = std::iter::repeat_n(c, 120).collect();
            let e = Exemplar::new(&[("trace_id", &at_limit)], 1.0)
                .unwrap_or_else(|err| panic!("{c:?} x 120: {err}"));
            assert_eq!(labels(&e), [("trace_id".to_owned(), at_limit.clone())]);

            let over = format!("{at_limit}{c}");
            let err = Exemplar::new(&[("trace_id", &over)], 1.0).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidExemplar);
            assert!(err.message().contains("129 characters"), "{err}");
        }
        // Split over pairs: the limit is for all names and values together.
        let e = Exemplar::new(&[("a", "b".repeat(63)), ("c", "d".repeat(63))], 1.0).unwrap();
        assert_eq!(e.labels().count(), 2);
        assert!(Exemplar::new(&[("a", "b".repeat(63)), ("c", "d".repeat(64))], 1.0).is_err());
        // The buffer's worst case: every one-character name there is (53), with 4-byte
        // characters filling the rest of the 128 (75 of them): exactly 512 bytes.
        let names: Vec<String> = ('a'..='z')
            .chain('A'..='Z')
            .chain(['_'])
            .map(String::from)
            .collect();
        let values: Vec<&str> = (0..53)
            .map(|i| if i < 22 { "🦀🦀" } else { "🦀" })
            .collect();
        let mut pairs: Vec<(&str, &str)> = names.iter().map(String::as_str).zip(values).collect();
        let full = Exemplar::new(&pairs, 1.0).unwrap();
        assert_eq!(usize::from(full.len), CAPACITY);
        assert_eq!(full.labels().collect::<Vec<_>>(), pairs);
        pairs[52].1 = "🦀🦀";
        assert!(Exemplar::new(&pairs, 1.0).is_err());
        // The conformance suite's pair: a snowman and 127 more is fine, a decomposed glyph
        // string that is short on screen but long in code points is not.
        let wide = format!("☃{}", "3".repeat(126));
        assert!(Exemplar::new(&[("a", &wide)], 1.0).is_ok());
        let complex = "O\u{31b}\u{338}\u{321}\u{327}".repeat(26);
        assert!(complex.chars().count() > 127 && complex.chars().count() < 200);
        assert!(Exemplar::new(&[("a", &complex)], 1.0).is_err());
    }

    #[test]
    fn empty_labels_and_empty_values_are_allowed() {
        let none: &[(&str, &str)] = &[];
        assert_eq!(Exemplar::new(none, 2.0).unwrap().labels().count(), 0);
        let e = Exemplar::new(&[("trace_id", "")], 2.0).unwrap();
        assert_eq!(e.labels().collect::<Vec<_>>(), [("trace_id", "")]);
    }

    #[test]
    fn names_are_checked() {
        for (name, why) in [
            ("", "invalid"),
            ("1trace", "invalid"),
            ("trace-id", "invalid"),
            ("trace id", "invalid"),
            ("trächtig", "invalid"),
            ("__trace", "reserved"),
            ("__", "reserved"),
        ] {
            let err = Exemplar::new(&[(name, "x")], 1.0).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidExemplar, "{name:?}");
            assert!(err.message().contains(why), "{name:?}: {err}");
        }
        for ok in ["trace_id", "_t", "T9", "le", "quantile"] {
            assert!(Exemplar::new(&[(ok, "x")], 1.0).is_ok(), "{ok:?}");
        }
        let err = Exemplar::new(&[("a", "1"), ("b", "2"), ("a", "3")], 1.0).unwrap_err();
        assert!(err.message().contains("twice"), "{err}");
    }

    #[test]
    fn display_values_are_formatted_in_place() {
        let e = Exemplar::new(&[("span", 1_234_567_890_123_u64)], 1.0).unwrap();
        assert_eq!(e.labels().next(), Some(("span", "1234567890123")));
        struct Failing;
        impl Display for Failing {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Err(fmt::Error)
            }
        }
        let err = Exemplar::new(&[("trace_id", Failing)], 1.0).unwrap_err();
        assert!(err.message().contains("could not be formatted"), "{err}");
    }

    #[test]
    fn slots_keep_the_latest_and_copy_out() {
        let slot = LazySlot::default();
        assert!(slot.load().is_none());
        let first = Exemplar::new(&[("trace_id", "a".repeat(100))], 1.0).unwrap();
        slot.store(&first);
        assert_eq!(slot.load(), Some(first));
        // A shorter one replaces it entirely, not just its first bytes.
        let second = Exemplar::new(&[("t", "b")], 2.0).unwrap();
        slot.store(&second);
        assert_eq!(slot.load(), Some(second.clone()));
        assert_eq!(labels(&slot.load().unwrap()), [("t".into(), "b".into())]);

        let slots = LazySlots::default();
        assert!(slots.get().is_none());
        slots.store(2, 4, &second);
        let all = slots.get().unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[2].load(), Some(second));
        assert!(all[0].load().is_none() && all[3].load().is_none());
        slots.store(9, 4, &first_ex()); // out of range: ignored, not a panic
    }

    fn first_ex() -> Exemplar {
        Exemplar::new(&[("a", "b")], 0.0).unwrap()
    }

    #[test]
    fn unused_slots_cost_a_pointer() {
        // What every counter and histogram series pays for exemplars it may never get.
        assert!(std::mem::size_of::<LazySlot>() <= 16);
        assert!(std::mem::size_of::<LazySlots>() <= 24);
    }

    #[test]
    fn timestamps() {
        let before = unix_now();
        let e = Exemplar::new(&[("a", "b")], 0.0).unwrap();
        assert!(e.timestamp() >= before && e.timestamp() <= unix_now());
        assert_eq!(e.clone().with_timestamp(5.5).unwrap().timestamp(), 5.5);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                e.clone().with_timestamp(bad).unwrap_err().kind(),
                ErrorKind::InvalidExemplar
            );
        }
    }
}
