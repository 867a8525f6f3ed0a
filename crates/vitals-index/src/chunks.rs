//! [`Chunks`]: items in chunks that never move, found by number without a lock.
//!
//! A store's slots, keys and interned values live here. Chunks grow from 8 runs of items,
//! doubling, to 1,024, and stay at 1,024: a family of one series costs a few hundred bytes, and
//! a family of 100,000 wastes at most one chunk (a `Vec` that doubles wastes up to half).
//!
//! A lookup reaches an item in two loads: the directory (an array of pointers to each chunk's
//! first item) and the chunk's pointer in it. A writer that fills the directory replaces it by a
//! larger copy; the replaced one is kept until the chunks go, so a reader that loaded it is
//! never left holding freed memory.

use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, PoisonError};

/// Runs in the first chunk.
const FIRST: usize = 8;
/// The largest chunk: chunks `0..DOUBLINGS` double from [`FIRST`], later ones all have this.
const LARGEST: usize = 1024;
/// How many chunks double.
const DOUBLINGS: usize = 8;
/// Runs in the doubling chunks together: `FIRST * (2^DOUBLINGS - 1)`.
const DOUBLED: usize = FIRST * ((1 << DOUBLINGS) - 1);

/// Which chunk run `index` is in, and where in it.
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

/// Bits of a packed number (see [`pack`]) that hold the run's place in its chunk: enough for
/// the largest chunk.
const OFFSET_BITS: u32 = LARGEST.trailing_zeros();

/// Run `index`'s number as readers use it: its chunk in the high bits, its place in the chunk
/// in the low [`OFFSET_BITS`]. A reader then finds a run with a shift and a mask, where
/// [`locate`]'s logarithm would sit on every lookup's critical path (it was 18% of one, in a
/// profile). The numbers are sparse (small chunks leave gaps), which costs nothing: they are
/// keys and slot numbers, not positions in an array.
#[inline]
pub(crate) fn pack(index: usize) -> usize {
    let (chunk, offset) = locate(index);
    (chunk << OFFSET_BITS) | offset
}

/// The chunk and place of a [`pack`]ed number.
#[inline(always)]
pub(crate) fn unpack(packed: usize) -> (usize, usize) {
    (packed >> OFFSET_BITS, packed & (LARGEST - 1))
}

/// The run number of a [`pack`]ed number: the inverse of `pack`.
#[inline]
pub(crate) fn dense(packed: usize) -> usize {
    let (chunk, offset) = unpack(packed);
    chunk_start(chunk) + offset
}

/// How far apart, in runs, [`spread`] puts consecutive places of a chunk: odd (so that the
/// spread is a permutation of a chunk, whose length is a power of two) and at least 3, so
/// that two 24-byte slots made one after the other are more than a cache line apart.
const SPREAD: usize = 5;

/// Where place `offset` of chunk `chunk` sits among the chunk's runs. A store keeps its slots
/// spread: series made one after the other (the ones threads tend to update at the same time,
/// such as one per worker) then do not share a cache line, which would make every update of
/// one stall the other's core (23 ns against 1.5 ns per update, measured).
#[inline(always)]
pub(crate) fn spread(chunk: usize, offset: usize) -> usize {
    (offset * SPREAD) & (chunk_len(chunk) - 1)
}

/// The place whose run [`spread`] puts at `position`.
pub(crate) fn unspread(chunk: usize, position: usize) -> usize {
    // The inverse of SPREAD modulo 2^64 (Newton's iteration doubles the correct bits each
    // step: 3, 6, 12, 24, 48, 96), hence modulo every power of two.
    let mut inverse = SPREAD;
    for _ in 0..5 {
        inverse = inverse.wrapping_mul(2usize.wrapping_sub(SPREAD.wrapping_mul(inverse)));
    }
    position.wrapping_mul(inverse) & (chunk_len(chunk) - 1)
}

/// The number of runs chunk `chunk` holds.
pub(crate) fn chunk_len(chunk: usize) -> usize {
    if chunk < DOUBLINGS {
        FIRST << chunk
    } else {
        LARGEST
    }
}

/// The number of the first run of chunk `chunk`.
pub(crate) fn chunk_start(chunk: usize) -> usize {
    if chunk < DOUBLINGS {
        FIRST * ((1 << chunk) - 1)
    } else {
        DOUBLED + (chunk - DOUBLINGS) * LARGEST
    }
}

/// Runs of `stride` items of type `T`, numbered from 0, in chunks that never move, readable
/// without a lock. Chunk `k` holds [`chunk_len`]`(k)` runs.
pub(crate) struct Chunks<T> {
    /// The directory: the first item of each chunk pushed so far, null beyond.
    dir: AtomicPtr<AtomicPtr<T>>,
    stride: usize,
    /// Taken only to add a chunk (by the one writer of the owning store, or when freeing).
    grow: Mutex<Grow<T>>,
}

struct Grow<T> {
    /// Chunks pushed.
    len: usize,
    /// The directory's length.
    capacity: usize,
    /// Replaced directories and their lengths, freed with `self`.
    old: Vec<(NonNull<AtomicPtr<T>>, usize)>,
}

// SAFETY: the chunks are owned `[T]`s and the directories owned arrays of pointers to them:
// moving `Chunks` moves that ownership (`T: Send`); shared access hands out `&T` (`T: Sync`).
unsafe impl<T: Send + Sync> Send for Chunks<T> {}
// SAFETY: as for `Send`; every shared mutation is atomic or under `grow`.
unsafe impl<T: Send + Sync> Sync for Chunks<T> {}

/// A new directory of `capacity` null pointers.
fn directory<T>(capacity: usize) -> *mut AtomicPtr<T> {
    let dir: Box<[AtomicPtr<T>]> = (0..capacity)
        .map(|_| AtomicPtr::new(ptr::null_mut()))
        .collect();
    Box::into_raw(dir).cast()
}

/// Frees a directory made by [`directory`].
///
/// # Safety
/// `dir` came from `directory::<T>(capacity)` and is freed once.
unsafe fn free_directory<T>(dir: *mut AtomicPtr<T>, capacity: usize) {
    // SAFETY: rebuilds the box `directory` leaked, with its length.
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(dir, capacity)) });
}

impl<T> Chunks<T> {
    /// No chunks; runs of `stride` items.
    pub(crate) fn new(stride: usize) -> Self {
        Self {
            dir: AtomicPtr::new(directory(4)),
            stride,
            grow: Mutex::new(Grow {
                len: 0,
                capacity: 4,
                old: Vec::new(),
            }),
        }
    }

    /// The items in a run.
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    /// The first item of run `offset` of chunk `chunk` (from [`locate`]).
    ///
    /// # Safety
    /// Chunk `chunk` was pushed, and the caller saw that (through an `Acquire` load of
    /// something published after the push, or by holding the lock of the one writer);
    /// `offset < chunk_len(chunk)`.
    #[inline]
    pub(crate) unsafe fn run(&self, chunk: usize, offset: usize) -> *const T {
        let dir = self.dir.load(Ordering::Acquire);
        // SAFETY: by the caller's promise the chunk was pushed, so the directory (this one or
        // an older copy, and a newer one copies its pointer) holds it at `chunk`; directories
        // are never freed before `self`.
        let first = unsafe { (*dir.add(chunk)).load(Ordering::Acquire) };
        // SAFETY: `offset` runs of `stride` items are within the chunk.
        unsafe { first.add(offset * self.stride) }
    }

    /// Item `offset` of chunk `chunk`, in chunks of runs of one item: [`run`](Self::run)
    /// without the multiply by the stride, which sat on a lookup's chain of dependent loads
    /// (three cycles of each probe's value and slot addresses, profiled).
    ///
    /// # Safety
    /// As for `run`; and the stride is 1.
    #[inline]
    pub(crate) unsafe fn item(&self, chunk: usize, offset: usize) -> *const T {
        debug_assert_eq!(self.stride, 1);
        let dir = self.dir.load(Ordering::Acquire);
        // SAFETY: as in `run`.
        let first = unsafe { (*dir.add(chunk)).load(Ordering::Acquire) };
        // SAFETY: `offset` items are within the chunk (a run is one item).
        unsafe { first.add(offset) }
    }

    /// Whether chunk `chunk` was pushed (under the writer's lock, where this is exact).
    pub(crate) fn has(&self, chunk: usize) -> bool {
        chunk < self.grow.lock().unwrap_or_else(PoisonError::into_inner).len
    }

    /// Adds the next chunk, made by `item` for each of its `chunk_len * stride` items; returns
    /// its number.
    pub(crate) fn push(&self, mut item: impl FnMut() -> T) -> usize {
        let mut grow = self.grow.lock().unwrap_or_else(PoisonError::into_inner);
        let n = grow.len;
        let items: Box<[T]> = (0..chunk_len(n) * self.stride).map(|_| item()).collect();
        let first: *mut T = Box::into_raw(items).cast();
        if n == grow.capacity {
            let capacity = grow.capacity * 2;
            let bigger = directory::<T>(capacity);
            let old = self.dir.load(Ordering::Relaxed);
            for i in 0..n {
                // SAFETY: both directories hold at least `n` pointers.
                unsafe {
                    (*bigger.add(i))
                        .store((*old.add(i)).load(Ordering::Relaxed), Ordering::Relaxed);
                }
            }
            self.dir.store(bigger, Ordering::Release);
            if let Some(old) = NonNull::new(old) {
                let was = grow.capacity;
                grow.old.push((old, was));
            }
            grow.capacity = capacity;
        }
        let dir = self.dir.load(Ordering::Relaxed);
        // SAFETY: `n < capacity`.
        unsafe { (*dir.add(n)).store(first, Ordering::Release) };
        grow.len = n + 1;
        n
    }

    /// Bytes of the directories (the chunks are the caller's to count).
    pub(crate) fn dir_bytes(&self) -> usize {
        let grow = self.grow.lock().unwrap_or_else(PoisonError::into_inner);
        (grow.capacity + grow.old.iter().map(|(_, c)| c).sum::<usize>())
            * std::mem::size_of::<AtomicPtr<T>>()
    }
}

impl<T> Drop for Chunks<T> {
    fn drop(&mut self) {
        let grow = self.grow.get_mut().unwrap_or_else(PoisonError::into_inner);
        let dir = *self.dir.get_mut();
        for chunk in 0..grow.len {
            // SAFETY: each of the first `len` pointers of the live directory is a chunk leaked
            // by `push` with that length, freed once (older directories hold copies of the same
            // pointers and are freed without them).
            unsafe {
                let first = (*dir.add(chunk)).load(Ordering::Relaxed);
                let len = chunk_len(chunk) * self.stride;
                drop(Box::from_raw(ptr::slice_from_raw_parts_mut(first, len)));
            }
        }
        // SAFETY: each directory is freed once, with the length it was made with.
        unsafe {
            free_directory(dir, grow.capacity);
            for (old, capacity) in grow.old.drain(..) {
                free_directory(old.as_ptr(), capacity);
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
        for chunk in [0, 1, 7, 8, 20] {
            let len = chunk_len(chunk);
            let mut seen = vec![false; len];
            for offset in 0..len {
                let position = spread(chunk, offset);
                assert!(!seen[position], "chunk {chunk}: two places at {position}");
                seen[position] = true;
                assert_eq!(unspread(chunk, position), offset);
                if offset + 1 < len {
                    let next = spread(chunk, offset + 1);
                    // Three 24-byte slots apart at least: never on one 64-byte line.
                    assert!(
                        position.abs_diff(next) >= 3,
                        "chunk {chunk}, place {offset}"
                    );
                }
            }
        }
        for index in [0, 7, 8, 2039, 2040, 5000, 1 << 20] {
            assert_eq!(unpack(pack(index)), locate(index), "index {index}");
            assert_eq!(dense(pack(index)), index, "index {index}");
        }
        assert_eq!(chunk_len(0), 8);
        assert_eq!(chunk_len(7), 1024);
        assert_eq!(chunk_len(8), 1024);
    }

    #[test]
    fn chunks_survive_directory_growth() {
        let chunks = Chunks::new(2);
        let mut next = 0usize;
        for n in 0..12usize {
            assert_eq!(
                chunks.push(|| {
                    next += 1;
                    next
                }),
                n
            );
            for m in 0..=n {
                // SAFETY: chunk `m` was pushed, on this thread.
                let run = unsafe { chunks.run(m, chunk_len(m) - 1) };
                // The last run's second item: the chunk's last item.
                let last = chunk_start(m + 1) * 2;
                // SAFETY: a run has `stride` (2) items.
                assert_eq!(unsafe { *run.add(1) }, last, "chunk {m}");
            }
        }
        assert!(chunks.has(11) && !chunks.has(12));
    }
}
