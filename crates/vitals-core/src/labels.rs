//! Label sets: the typed [`LabelSet`] trait, and the escaping and rendering of label text.
//!
//! A series' label text (`method="GET",route="/a"`) is rendered once, when the series is
//! created, with constant labels first. The encoders then copy it; they never re-escape.

use std::hash::{BuildHasher, Hasher};

/// A typed set of label values for a [`Family`](crate::Family).
///
/// The label names are fixed for the type; the values come from each instance.
/// `#[derive(LabelSet)]` (in `vitals`, feature `derive`) writes this impl from a struct whose
/// fields are [`LabelValue`]s; by hand it looks like this. Yield `&str`s that already exist
/// (fields, `&'static str` from enums): a lookup of an existing series then allocates nothing.
///
/// When every value comes from a small finite set (enums, `bool`), set
/// [`CARDINALITY`](Self::CARDINALITY) and [`dense_index`](Self::dense_index): the family then
/// keeps its series in an array indexed by `dense_index`, found without hashing.
///
/// ```
/// use vitals_core::{LabelSet, Registry};
///
/// #[derive(Clone, Copy)]
/// enum Method { Get, Post }
///
/// impl Method {
///     fn as_str(self) -> &'static str {
///         match self { Method::Get => "GET", Method::Post => "POST" }
///     }
/// }
///
/// struct Request<'a> { method: Method, route: &'a str }
///
/// impl LabelSet for Request<'_> {
///     fn label_names() -> &'static [&'static str] { &["method", "route"] }
///     fn visit_values(&self, visit: &mut dyn FnMut(&str)) {
///         visit(self.method.as_str());
///         visit(self.route);
///     }
/// }
///
/// let registry = Registry::new();
/// let requests = registry
///     .counter("requests", "Requests served.")
///     .register_typed::<Request>()
///     .unwrap();
/// requests.get(&Request { method: Method::Get, route: "/users/{id}" }).inc();
/// assert_eq!(requests.get(&Request { method: Method::Get, route: "/users/{id}" }).get(), 1);
/// assert_eq!(requests.get(&Request { method: Method::Post, route: "/users" }).get(), 0);
/// ```
pub trait LabelSet {
    /// How many distinct label sets the type can produce, when that number is finite and known
    /// at compile time (every value an enum or `bool`); `None` otherwise. Default: `None`.
    const CARDINALITY: Option<usize> = None;

    /// The label names, in the order [`visit_values`](Self::visit_values) yields the values.
    fn label_names() -> &'static [&'static str]
    where
        Self: Sized;

    /// Calls `visit` once per label value, in the order of [`label_names`](Self::label_names).
    fn visit_values(&self, visit: &mut dyn FnMut(&str));

    /// This label set's position in `0..CARDINALITY`: distinct label sets must get distinct
    /// positions. Only called when [`CARDINALITY`](Self::CARDINALITY) is `Some`. Default:
    /// `usize::MAX`, a position no array has, so a label set that sets `CARDINALITY` but not
    /// this method is looked up by hashing, never merged with another.
    fn dense_index(&self) -> usize {
        usize::MAX
    }
}

/// One label's value in a typed [`LabelSet`]: strings, integers, `bool`, and enums with
/// `#[derive(LabelValue)]`.
///
/// ```
/// use vitals_core::labels::LabelValue;
///
/// #[derive(Clone, Copy)]
/// enum Outcome { Ok, Error }
///
/// impl LabelValue for Outcome {
///     const CARDINALITY: Option<usize> = Some(2);
///     fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
///         visit(match self { Outcome::Ok => "ok", Outcome::Error => "error" });
///     }
///     fn index(&self) -> usize {
///         *self as usize
///     }
/// }
///
/// let mut seen = String::new();
/// Outcome::Error.visit_value(&mut |v| seen.push_str(v));
/// 42_u16.visit_value(&mut |v| seen.push_str(v));
/// assert_eq!(seen, "error42");
/// assert_eq!(<bool as LabelValue>::CARDINALITY, Some(2));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a label value",
    label = "not a label value",
    note = "label values are strings, integers, `bool`, or enums with `#[derive(LabelValue)]`; \
            for another type, implement `LabelValue` or convert it in the field"
)]
pub trait LabelValue {
    /// How many distinct values the type has, when finite and known at compile time. Default:
    /// `None`.
    const CARDINALITY: Option<usize> = None;

    /// Calls `visit` once with the value's label text. (A callback rather than a returned
    /// `&str`, so that integers format into a stack buffer instead of allocating.)
    fn visit_value(&self, visit: &mut dyn FnMut(&str));

    /// The value's position in `0..CARDINALITY`; only called when
    /// [`CARDINALITY`](Self::CARDINALITY) is `Some`. Default: 0.
    fn index(&self) -> usize {
        0
    }
}

impl LabelValue for str {
    fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
        visit(self);
    }
}

impl LabelValue for String {
    fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
        visit(self);
    }
}

impl LabelValue for std::borrow::Cow<'_, str> {
    fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
        visit(self);
    }
}

impl<T: LabelValue + ?Sized> LabelValue for &T {
    const CARDINALITY: Option<usize> = T::CARDINALITY;

    fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
        (**self).visit_value(visit);
    }

    fn index(&self) -> usize {
        (**self).index()
    }
}

impl LabelValue for bool {
    const CARDINALITY: Option<usize> = Some(2);

    fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
        visit(if *self { "true" } else { "false" });
    }

    fn index(&self) -> usize {
        usize::from(*self)
    }
}

/// Integers format into a stack buffer: a lookup by an integer label allocates nothing.
macro_rules! integer_label_values {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
                let mut buffer = IntegerBuffer::default();
                visit(buffer.format(i128::from(*self)));
            }
        }
    )*};
}

integer_label_values!(u8, u16, u32, u64, i8, i16, i32, i64);

impl LabelValue for usize {
    fn visit_value(&self, visit: &mut dyn FnMut(&str)) {
        let mut buffer = IntegerBuffer::default();
        // usize is at most 64 bits on every supported target.
        visit(buffer.format(i128::try_from(*self).unwrap_or(i128::MAX)));
    }
}

/// Room for any i128 in decimal with its sign.
struct IntegerBuffer([u8; 40]);

impl Default for IntegerBuffer {
    fn default() -> Self {
        Self([0; 40])
    }
}

impl IntegerBuffer {
    fn format(&mut self, value: i128) -> &str {
        let mut magnitude = value.unsigned_abs();
        let mut start = self.0.len();
        loop {
            start -= 1;
            // The remainder is below 10, so the cast cannot truncate.
            let digit = (magnitude % 10) as u8;
            self.0[start] = b'0' + digit;
            magnitude /= 10;
            if magnitude == 0 {
                break;
            }
        }
        if value < 0 {
            start -= 1;
            self.0[start] = b'-';
        }
        std::str::from_utf8(&self.0[start..]).unwrap_or_default()
    }
}

/// The number of combinations of several finite label values: the product of their
/// cardinalities, or `None` if any is unknown or the product overflows. Used by
/// `#[derive(LabelSet)]` to compute [`LabelSet::CARDINALITY`] at compile time.
///
/// ```
/// use vitals_core::labels::cardinality_product;
/// assert_eq!(cardinality_product(&[Some(3), Some(2)]), Some(6));
/// assert_eq!(cardinality_product(&[Some(3), None]), None);
/// assert_eq!(cardinality_product(&[]), Some(1));
/// ```
pub const fn cardinality_product(parts: &[Option<usize>]) -> Option<usize> {
    let mut product = 1usize;
    let mut i = 0;
    while i < parts.len() {
        match parts[i] {
            Some(n) => match product.checked_mul(n) {
                Some(p) => product = p,
                None => return None,
            },
            None => return None,
        }
        i += 1;
    }
    Some(product)
}

/// Appends `value` to `out`, escaping `\`, `"` and newline as both text formats require.
///
/// ```
/// let mut out = String::new();
/// vitals_core::labels::escape_label_value("a\"b\\c\nd", &mut out);
/// assert_eq!(out, r#"a\"b\\c\nd"#);
/// ```
pub fn escape_label_value(value: &str, out: &mut String) {
    let mut rest = value;
    while let Some(pos) = rest.find(['\\', '"', '\n']) {
        out.push_str(&rest[..pos]);
        out.push_str(match rest.as_bytes()[pos] {
            b'\\' => "\\\\",
            b'"' => "\\\"",
            _ => "\\n",
        });
        rest = &rest[pos + 1..];
    }
    out.push_str(rest);
}

/// Appends `name="escaped value"` to `out`, with a leading comma when `out` is not empty.
pub(crate) fn push_label(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(name);
    out.push_str("=\"");
    escape_label_value(value, out);
    out.push('"');
}

/// A source of label values for a lookup: `&[&str]` or a [`LabelSet`]. Lookups are generic over
/// it, so each kind compiles to its own tight loop rather than going through `dyn` calls.
pub(crate) trait Values {
    /// Calls `f` once per value, in label order.
    fn for_each(&self, f: impl FnMut(&str));

    /// Whether the values equal `stored`, in order and in number.
    fn equals(&self, stored: &[Box<str>]) -> bool {
        let mut index = 0usize;
        let mut equal = true;
        self.for_each(|value| {
            equal &= stored.get(index).is_some_and(|s| **s == *value);
            index += 1;
        });
        equal && index == stored.len()
    }
}

impl Values for [&str] {
    #[inline]
    fn for_each(&self, mut f: impl FnMut(&str)) {
        for value in self {
            f(value);
        }
    }

    #[inline]
    fn equals(&self, stored: &[Box<str>]) -> bool {
        self.len() == stored.len() && self.iter().zip(stored).all(|(a, b)| *a == &**b)
    }
}

/// Adapts a [`LabelSet`] to [`Values`].
pub(crate) struct SetValues<'a, L>(pub(crate) &'a L);

impl<L: LabelSet> Values for SetValues<'_, L> {
    #[inline]
    fn for_each(&self, mut f: impl FnMut(&str)) {
        self.0.visit_values(&mut f);
    }
}

/// Hashes a sequence of label values so that different sequences hash apart with high
/// probability, even when their concatenations are equal (`["ab","c"]` vs `["a","bc"]`): each
/// value is prefixed by its length. Equality is always confirmed value by value afterwards, so a
/// collision costs a comparison, never a merged series. Returns the hash and the value count.
#[inline]
pub(crate) fn hash_values<S: BuildHasher, V: Values + ?Sized>(
    build: &S,
    values: &V,
) -> (u64, usize) {
    let mut hasher = build.build_hasher();
    let mut count = 0usize;
    values.for_each(|value| {
        hasher.write_usize(value.len());
        hasher.write(value.as_bytes());
        count += 1;
    });
    (hasher.finish(), count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::RandomState;

    #[test]
    fn integers_format_like_display() {
        for value in [
            0_i128,
            7,
            -7,
            10,
            1234567890,
            i128::from(i64::MIN),
            i128::from(u64::MAX),
        ] {
            let mut buffer = IntegerBuffer::default();
            assert_eq!(buffer.format(value), value.to_string());
        }
    }

    #[test]
    fn escaping() {
        let mut out = String::new();
        escape_label_value("plain ünïcødé", &mut out);
        assert_eq!(out, "plain ünïcødé");
        out.clear();
        escape_label_value("\\\"\n\n\\", &mut out);
        assert_eq!(out, "\\\\\\\"\\n\\n\\\\");
    }

    #[test]
    fn length_prefix_separates_concatenations() {
        let build = RandomState::new();
        let (a, _) = hash_values(&build, &["ab", "c"][..]);
        let (b, _) = hash_values(&build, &["a", "bc"][..]);
        assert_ne!(a, b);
        let stored: Vec<Box<str>> = vec!["ab".into(), "c".into()];
        for (values, equal) in [
            (&["ab", "c"][..], true),
            (&["a", "bc"][..], false),
            (&["ab"][..], false),
            (&["ab", "c", ""][..], false),
        ] {
            assert_eq!(values.equals(&stored), equal, "{values:?}");
            // The generic path (used by label sets) agrees with the slice fast path.
            let generic = Generic(values);
            assert_eq!(generic.equals(&stored), equal, "{values:?}");
        }
    }

    struct Generic<'a>(&'a [&'a str]);

    impl Values for Generic<'_> {
        fn for_each(&self, f: impl FnMut(&str)) {
            self.0.iter().copied().for_each(f);
        }
    }
}
