//! Label sets: the typed [`LabelSet`] trait, and the escaping and rendering of label text.
//!
//! A series' label text (`method="GET",route="/a"`) is rendered once, when the series is
//! created, with constant labels first. The encoders then copy it; they never re-escape.

use std::hash::{BuildHasher, Hasher};

/// A typed set of label values for a [`Family`](crate::Family).
///
/// The label names are fixed for the type; the values come from each instance. The derive macro
/// (`#[derive(LabelSet)]`, coming) writes this impl; by hand it looks like this. Yield `&str`s
/// that already exist (fields, `&'static str` from enums): a lookup of an existing series then
/// allocates nothing. For integers, format into a stack buffer (the `itoa` crate) rather than
/// calling `to_string()`.
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
    /// The label names, in the order [`visit_values`](Self::visit_values) yields the values.
    fn label_names() -> &'static [&'static str]
    where
        Self: Sized;

    /// Calls `visit` once per label value, in the order of [`label_names`](Self::label_names).
    fn visit_values(&self, visit: &mut dyn FnMut(&str));
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
