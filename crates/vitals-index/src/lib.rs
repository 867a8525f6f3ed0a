//! # vitals-index
//!
//! The series store behind every labeled family of [vitals](https://github.com/vitals-rs/vitals):
//! series in an arena of slots, keyed by interned label values and found by hash without a
//! lock, so that `family.with_labels(&[..])` costs a hash, a probe and an equality test, and a
//! series costs a few dozen bytes.
//!
//! | module | what is in it |
//! | --- | --- |
//! | `store` | [`Store`], [`Entry`], [`Found`], [`Locked`], [`Key`]: the series, their lookups and their writers' side; [`escape_label_value`], which writes the pieces a store keeps |
//! | `shared` | [`Shared`], [`Lent`]: counted handles into a store's slots (or boxes of their own) |
//! | `chunks` | arrays in chunks that never move, read without a lock |
//! | `epoch` | when what a writer unlinked may be freed or reused |
//!
//! Why by hand: a read-write lock costs two atomic read-modify-writes on a line every reader
//! shares (the lookup's largest cost after hashing, and far worse under contention), and the
//! concurrent maps on crates.io either lock shards (`dashmap`) or pin through a general
//! collector that costs more than the rest of the lookup (`papaya`, `flurry`, `scc`); none of
//! them lets a handle point into its entry, which is what saves a series its own allocation.
//! This is also where vitals' `unsafe` code is (beside one call in `vitals-core` that lends a
//! handle without counting it); every block says why it is sound.

mod chunks;
mod epoch;
mod shared;
mod store;

pub use shared::{Lent, Shared};
pub use store::{escape_label_value, Entry, Found, InsertError, Key, Locked, Store, MAX_SERIES};
