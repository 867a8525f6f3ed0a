//! The physical limit of a lookup by string label values, measured beside the libraries.
//!
//! [`Floor`] is what no metrics library can beat with string keys: the fastest general-purpose
//! Rust hash table (`hashbrown`, with its default hasher, `foldhash`'s fast variant) used from
//! one thread with no synchronisation at all — no lock, no epoch, no reference count, no
//! limit, no expiry. A library's lookup does at least this (hash the values, probe, compare the
//! strings); every library must also let other threads insert while it reads. The cases named
//! `floor` in `labeled_lookup_inc` and `histogram_lookup_observe` time it with the same
//! rotation of label sets and the same update, so the ratio of a target to it says whether the
//! target is reachable on this machine.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// Cells of type `T` keyed by three owned label values, found by borrowed ones.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// let mut floor = vitals_bench::floor::Floor::new();
/// floor.insert(["GET", "/users", "200"], AtomicU64::new(0));
/// floor.get(&["GET", "/users", "200"]).unwrap().fetch_add(1, Ordering::Relaxed);
/// assert_eq!(floor.get(&["GET", "/users", "200"]).unwrap().load(Ordering::Relaxed), 1);
/// assert!(floor.get(&["GET", "/users", "201"]).is_none());
/// ```
pub struct Floor<T> {
    hasher: DefaultHashBuilder,
    table: HashTable<([Box<str>; 3], T)>,
}

impl<T> Default for Floor<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Floor<T> {
    /// An empty table with a random seed.
    pub fn new() -> Self {
        Self {
            hasher: DefaultHashBuilder::default(),
            table: HashTable::new(),
        }
    }

    /// Adds a cell for `values` (which must not be present yet).
    pub fn insert(&mut self, values: [&str; 3], cell: T) {
        let hash = self.hash(&values);
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, (values.map(Into::into), cell), |(key, _)| {
                hash_values(hasher, &[&key[0], &key[1], &key[2]])
            });
    }

    /// The cell for `values`: one hash of the three values (each value's bytes then a
    /// terminator, so `["ab","c"]` and `["a","bc"]` differ, as every library's hash does), one
    /// probe, and the string comparisons.
    #[inline]
    pub fn get(&self, values: &[&str; 3]) -> Option<&T> {
        let hash = self.hash(values);
        self.table
            .find(hash, |(key, _)| {
                key.iter().zip(values).all(|(k, v)| **k == **v)
            })
            .map(|(_, cell)| cell)
    }

    fn hash(&self, values: &[&str; 3]) -> u64 {
        hash_values(&self.hasher, values)
    }
}

#[inline]
fn hash_values(hasher: &DefaultHashBuilder, values: &[&str; 3]) -> u64 {
    use std::hash::Hasher;
    let mut state = hasher.build_hasher();
    for value in values {
        state.write(value.as_bytes());
        state.write_u8(0xff);
    }
    state.finish()
}
