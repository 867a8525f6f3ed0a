//! Label sets: the typed [`LabelSet`] trait, and the escaping and rendering of label text.
//!
//! A series keeps its label values interned (see `vitals-index`); its label text
//! (`method="GET",route="/a"`, constant labels first, values escaped) is written by its family
//! as the exposition visits it, and the encoders copy that.

use std::hash::BuildHasher;
use vitals_index::Key;

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

#[doc(inline)]
pub use vitals_index::escape_label_value;

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

/// A source of label values for a lookup: `&[&str]`, a [`LabelSet`] or a stored series' key.
/// Lookups are generic over it, so each kind compiles to its own tight loop rather than going
/// through `dyn` calls.
pub(crate) trait Values {
    /// Calls `f` once per value, in label order.
    fn for_each(&self, f: impl FnMut(&str));

    /// Whether the values are those of a series' `key`, in order and in number.
    #[inline]
    fn equals_key(&self, key: &Key<'_>) -> bool {
        let mut label = 0;
        let mut equal = true;
        self.for_each(|value| {
            equal = equal && key.value_is(label, value);
            label += 1;
        });
        equal && label == key.len()
    }
}

// `inline(always)`: profiles of a lookup showed the hash loop and the comparison left as calls.
impl Values for [&str] {
    #[inline(always)]
    fn for_each(&self, mut f: impl FnMut(&str)) {
        for value in self {
            f(value);
        }
    }

    #[inline(always)]
    fn equals_key(&self, key: &Key<'_>) -> bool {
        if self.len() != key.len() {
            return false;
        }
        // A `for` loop rather than `all`: profiles showed `all`'s `try_fold` left as a call.
        for (label, value) in self.iter().enumerate() {
            if !key.value_is(label, value) {
                return false;
            }
        }
        true
    }
}

/// A stored series' values, to hash them again when the store rebuilds its table.
impl Values for Key<'_> {
    #[inline]
    fn for_each(&self, mut f: impl FnMut(&str)) {
        for value in self.iter() {
            f(value);
        }
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

/// Hashes lists of label values for a family's index: one multiply-fold per value of up to
/// 16 bytes, two up to 32 (one per further 16 beyond), with the value's length and position
/// folded in, so that `["ab","c"]` and `["a","bc"]` hash apart. Randomly seeded per family, so values chosen by an attacker
/// cannot be aimed at one bucket; equality is always confirmed after, so a collision costs a
/// comparison, never a merged series.
///
/// Why not `foldhash` through `Hasher`: its `write_usize` and `write` are a round each, twice
/// the rounds for a list of short strings; this is the lookup's largest cost after the probe.
#[derive(Debug, Clone)]
pub(crate) struct LabelHasher {
    seed: u64,
    key: u64,
}

/// What [`LabelHasher::hash`] learns of a list of values in one pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hashed {
    pub(crate) hash: u64,
    /// How many values there are.
    pub(crate) count: usize,
}

impl LabelHasher {
    pub(crate) fn new() -> Self {
        let random = std::collections::hash_map::RandomState::new();
        Self {
            seed: random.hash_one(0x5eed_u64),
            key: random.hash_one(0x006b_6579_u64) | 1,
        }
    }

    /// The hash of `values`, and how many there are.
    #[inline(always)]
    pub(crate) fn hash<V: Values + ?Sized>(&self, values: &V) -> Hashed {
        // Each value is hashed on its own, from a seed that depends on its position, so the
        // values' multiplies do not wait for one another; the lanes are then xored.
        let mut hashed = Hashed { hash: 0, count: 0 };
        let mut seed = self.seed;
        values.for_each(
            #[inline(always)]
            |value| {
                hashed.hash ^= self.lane(seed, value.as_bytes());
                seed = seed.wrapping_add(STEP);
                hashed.count += 1;
            },
        );
        hashed
    }

    /// One value's hash, from `seed`; up to 32 bytes without a loop.
    #[inline(always)]
    fn lane(&self, seed: u64, bytes: &[u8]) -> u64 {
        let n = bytes.len();
        let key = self.key.wrapping_add(n as u64);
        let (a, b) = match n {
            0 => (0, 0),
            1..=3 => {
                let byte = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
                (byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16, 0)
            }
            4..=7 => (
                u64::from(u32::from_le_bytes(*bytes.first_chunk().unwrap_or(&[0; 4]))),
                u64::from(u32::from_le_bytes(*bytes.last_chunk().unwrap_or(&[0; 4]))),
            ),
            8..=16 => (word(bytes.first_chunk()), word(bytes.last_chunk())),
            17..=32 => {
                // The first 16 and the last 16 bytes (overlapping), folded side by side.
                let head = bytes.first_chunk::<16>();
                let tail = bytes.last_chunk::<16>();
                let words = [
                    word(head.and_then(|h| h.first_chunk())),
                    word(head.and_then(|h| h.last_chunk())),
                    word(tail.and_then(|t| t.first_chunk())),
                    word(tail.and_then(|t| t.last_chunk())),
                ];
                let hash = fold(words[0] ^ seed, words[1] ^ key)
                    ^ fold(
                        words[2] ^ seed.rotate_left(32),
                        words[3] ^ key.rotate_left(32),
                    );
                return hash;
            }
            _ => return self.lane_long(seed, bytes),
        };
        fold(a ^ seed, b ^ key)
    }

    #[cold]
    fn lane_long(&self, mut state: u64, bytes: &[u8]) -> u64 {
        let mut chunks = bytes.chunks_exact(16);
        for chunk in &mut chunks {
            state = fold(
                word(chunk.first_chunk()) ^ state,
                word(chunk.last_chunk()) ^ self.key,
            );
        }
        // The last 16 bytes, overlapping what was folded already, and the length.
        let tail = bytes.last_chunk::<16>();
        let (a, b) = (
            word(tail.and_then(|t| t.first_chunk())),
            word(tail.and_then(|t| t.last_chunk())),
        );
        fold(a ^ state, b ^ self.key.wrapping_add(bytes.len() as u64))
    }
}

/// The seed of the next value's lane (the golden ratio in 64 bits: consecutive seeds differ in
/// many bits).
const STEP: u64 = 0x9e37_79b9_7f4a_7c15;

#[inline(always)]
fn word(bytes: Option<&[u8; 8]>) -> u64 {
    u64::from_le_bytes(*bytes.unwrap_or(&[0; 8]))
}

/// The 128-bit product of `a` and `b`, its halves xored: the mixing step of foldhash and
/// wyhash.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let hasher = LabelHasher::new();
        let a = hasher.hash(&["ab", "c"][..]).hash;
        let b = hasher.hash(&["a", "bc"][..]).hash;
        assert_ne!(a, b);
        // Stored as a series' key: equal only to the same values, in order and in number.
        let store: vitals_index::Store<()> = vitals_index::Store::new(2, false);
        let rehash = |key: &Key<'_>| hasher.hash(key).hash;
        store.lock().insert(a, (), &["ab", "c"], rehash).unwrap();
        let found = store.get(a, |key| ["ab", "c"][..].equals_key(key)).unwrap();
        let key = found.key();
        assert_eq!(hasher.hash(&key).hash, a, "a key hashes as its values do");
        for (values, equal) in [
            (&["ab", "c"][..], true),
            (&["a", "bc"][..], false),
            (&["ab"][..], false),
            (&["ab", "c", ""][..], false),
        ] {
            assert_eq!(values.equals_key(&key), equal, "{values:?}");
            // The generic path (used by label sets) agrees with the slice fast path.
            assert_eq!(Generic(values).equals_key(&key), equal, "{values:?}");
        }
    }

    #[test]
    fn hashes_depend_on_order_length_and_every_byte_of_short_values() {
        let hasher = LabelHasher::new();
        let hash = |values: &[&str]| hasher.hash(values).hash;
        assert_ne!(hash(&["GET", "200"]), hash(&["200", "GET"]));
        assert_ne!(hash(&["a", ""]), hash(&["", "a"]));
        assert_ne!(hash(&["x"]), hash(&["x", ""]));
        assert_eq!(hasher.hash(&["x", "", "y"][..]).count, 3);
        let long = "/api/v1/organisations/{org}/projects/{project}/items";
        for len in 0..=long.len() {
            let value = &long[..len];
            let mut changed = value.to_owned().into_bytes();
            if let Some(last) = changed.last_mut() {
                *last ^= 0x01;
                let changed = String::from_utf8(changed).unwrap();
                assert_ne!(hash(&[value]), hash(&[&changed]), "len {len}");
            }
            if len > 0 {
                assert_ne!(hash(&[value]), hash(&[&long[..len - 1]]), "len {len}");
            }
        }
        // Seeded per hasher: another family hashes differently.
        assert_ne!(hash(&["GET"]), LabelHasher::new().hash(&["GET"][..]).hash);
    }

    struct Generic<'a>(&'a [&'a str]);

    impl Values for Generic<'_> {
        fn for_each(&self, f: impl FnMut(&str)) {
            self.0.iter().copied().for_each(f);
        }
    }
}
