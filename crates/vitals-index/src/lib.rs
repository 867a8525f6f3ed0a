//! # vitals-index
//!
//! The index behind every labeled family of [vitals](https://github.com/vitals-rs/vitals): a
//! hash index whose lookups take no lock, write no shared memory and allocate nothing, so
//! that `family.with_labels(&[..])` costs a hash, a probe and an equality test.
//!
//! | module | what is in it |
//! | --- | --- |
//! | `index` | [`Index`], [`Ref`], [`Locked`]: the table, its lookups and its writers' side |
//! | `epoch` | when what a writer unlinked may be freed |
//!
//! Why by hand: a read-write lock costs two atomic read-modify-writes on a line every reader
//! shares (the lookup's largest cost after hashing, and far worse under contention), and the
//! concurrent maps on crates.io either lock shards (`dashmap`) or pin through a general
//! collector that costs more than the rest of the lookup (`papaya`, `flurry`, `scc`). This is
//! also the only crate in vitals with `unsafe` code; every block says why it is sound.

mod epoch;
mod index;

pub use index::{Index, Locked, Ref};
