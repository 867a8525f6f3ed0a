//! [`Chunks`]: items in chunks that never move, found by number without a lock.
//!
//! A store's slots and interned values live here. Chunks grow from 8 items, doubling, to
//! 1,024, and stay at 1,024: a family of one series costs a few hundred bytes, and a family of
//! 100,000 wastes at most one chunk (a `Vec` that doubles wastes up to half). Chunks are listed
//! in a directory that a writer replaces when it is full; a replaced directory is kept until
//! the chunks go, so a reader that loaded it is never left holding freed memory.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, PoisonError};

/// Items in the first chunk.
const FIRST: usize = 8;
/// The largest chunk: chunks `0..DOUBLINGS` double from [`FIRST`], later ones all have this.
const LARGEST: usize = 1024;
/// How many chunks double.
const DOUBLINGS: usize = 8;
/// Items in the doubling chunks together: `FIRST * (2^DOUBLINGS - 1)`.
const DOUBLED: usize = FIRST * ((1 << DOUBLINGS) - 1);

/// Which chunk item `index` is in, and where in it.
#[inline]
pub(crate) fn locate(index: usize) -> (usize, usize) {
    if index < DOUBLED {
        let m = index / FIRST + 1;
        let chunk = (usize::BITS - 1 - m.leading_zeros()) as usize;
        (chunk, index - FIRST * ((1 << chunk) - 1))
    } else {
        let past = index - DOUBLED;
        (DOUBLINGS + past / LARGEST, past % LARGEST)
    }
}

/// The number of items chunk `chunk` holds.
pub(crate) fn chunk_len(chunk: usize) -> usize {
    if chunk < DOUBLINGS {
        FIRST << chunk
    } else {
        LARGEST
    }
}

/// The number of the first item of chunk `chunk`.
pub(crate) fn chunk_start(chunk: usize) -> usize {
    if chunk < DOUBLINGS {
        FIRST * ((1 << chunk) - 1)
    } else {
        DOUBLED + (chunk - DOUBLINGS) * LARGEST
    }
}

/// A directory of owned chunks of type `C` (each a `Box<C>`), readable without a lock.
pub(crate) struct Chunks<C> {
    dir: AtomicPtr<Dir<C>>,
    /// What the writer needs: the chunk count and the replaced directories. A mutex rather
    /// than a promise that only one writer calls in, because the chunks of a store's arena are
    /// also reached from handles; it is taken only to add a chunk.
    grow: Mutex<Grow<C>>,
}

struct Dir<C> {
    chunks: Box<[AtomicPtr<C>]>,
}

struct Grow<C> {
    len: usize,
    /// Boxed, not moved into the `Vec`: readers may still hold a reference into the box.
    #[allow(clippy::vec_box)]
    old: Vec<Box<Dir<C>>>,
}

impl<C> Dir<C> {
    fn boxed(capacity: usize) -> Box<Self> {
        Box::new(Self {
            chunks: (0..capacity)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
        })
    }
}

impl<C> Chunks<C> {
    pub(crate) fn new() -> Self {
        Self {
            dir: AtomicPtr::new(Box::into_raw(Dir::boxed(4))),
            grow: Mutex::new(Grow {
                len: 0,
                old: Vec::new(),
            }),
        }
    }

    /// Chunk `chunk`, if it was added. Lock-free: the directory is only ever replaced by a
    /// copy, and the chunk pointers only ever go from null to a chunk.
    #[inline]
    pub(crate) fn get(&self, chunk: usize) -> Option<&C> {
        // SAFETY: the directory pointer is always a live directory: replaced ones are kept
        // until `self` is dropped.
        let dir = unsafe { &*self.dir.load(Ordering::Acquire) };
        let ptr = dir.chunks.get(chunk)?.load(Ordering::Acquire);
        // SAFETY: a non-null chunk pointer is an owned box, freed only when `self` drops; the
        // `Acquire` load saw it fully written.
        unsafe { ptr.as_ref() }
    }

    /// Adds the next chunk; returns its number.
    pub(crate) fn push(&self, chunk: Box<C>) -> usize {
        let mut grow = self.grow.lock().unwrap_or_else(PoisonError::into_inner);
        let n = grow.len;
        // SAFETY: as in `get`; only this function (under `grow`) replaces it.
        let dir = unsafe { &*self.dir.load(Ordering::Acquire) };
        let dir = if n < dir.chunks.len() {
            dir
        } else {
            let bigger = Dir::boxed(dir.chunks.len() * 2);
            for (to, from) in bigger.chunks.iter().zip(dir.chunks.iter()) {
                to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            let bigger = Box::into_raw(bigger);
            let old = self.dir.swap(bigger, Ordering::AcqRel);
            // SAFETY: `old` was the live directory, a box, now replaced; kept until drop.
            grow.old.push(unsafe { Box::from_raw(old) });
            // SAFETY: just published, and live until `self` drops.
            unsafe { &*bigger }
        };
        if let Some(at) = dir.chunks.get(n) {
            at.store(Box::into_raw(chunk), Ordering::Release);
        }
        grow.len = n + 1;
        n
    }

    /// Bytes of the directories (the chunks are the caller's to count).
    pub(crate) fn dir_bytes(&self) -> usize {
        let grow = self.grow.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: as in `get`.
        let live = unsafe { &*self.dir.load(Ordering::Acquire) }.chunks.len();
        (live + grow.old.iter().map(|d| d.chunks.len()).sum::<usize>())
            * std::mem::size_of::<AtomicPtr<C>>()
    }
}

impl<C> Drop for Chunks<C> {
    fn drop(&mut self) {
        let dir = *self.dir.get_mut();
        // SAFETY: the live directory is an owned box; every non-null chunk pointer in it is an
        // owned box, listed once (older directories hold copies of the same pointers, so they
        // are dropped without their chunks).
        unsafe {
            let dir = Box::from_raw(dir);
            for chunk in dir.chunks.iter() {
                let chunk = chunk.load(Ordering::Relaxed);
                if !chunk.is_null() {
                    drop(Box::from_raw(chunk));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_has_one_place_and_chunks_tile_the_numbers() {
        let mut expected = (0, 0);
        for index in 0..20_000 {
            let (chunk, offset) = locate(index);
            assert_eq!((chunk, offset), expected, "index {index}");
            assert_eq!(chunk_start(chunk) + offset, index);
            assert!(offset < chunk_len(chunk));
            expected = if offset + 1 == chunk_len(chunk) {
                (chunk + 1, 0)
            } else {
                (chunk, offset + 1)
            };
        }
        assert_eq!(chunk_len(0), 8);
        assert_eq!(chunk_len(7), 1024);
        assert_eq!(chunk_len(8), 1024);
    }

    #[test]
    fn chunks_survive_directory_growth() {
        let chunks = Chunks::new();
        for n in 0..40usize {
            assert_eq!(chunks.push(Box::new(n)), n);
            for m in 0..=n {
                assert_eq!(chunks.get(m), Some(&m));
            }
        }
        assert!(chunks.get(40).is_none());
    }
}
