//! [`Index`]: entries in creation order, found by hash without a lock.
//!
//! The table is open addressing with linear probing: a slot is empty, a tombstone, or a
//! pointer to an entry, with 16 bits of the entry's hash in the pointer's unused top bits so
//! that a probe rejects most other entries without reading them. A slot goes from empty to an
//! entry to a tombstone and never back; a writer that runs short of empty slots builds a new
//! table and publishes it. Readers never lock: they pin (see [`epoch`](crate::epoch)), load the
//! table and probe. Writers serialize on a mutex, and free what they unlinked once no pinned
//! reader can still hold it.

use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::epoch::{self, Guard};

/// The fewest slots a table has.
const MIN_SLOTS: usize = 8;

// A table is rebuilt, at twice its entries rounded up to a power of two, when an insert would
// leave fewer than 1/4 of its slots empty (1/8 from `LARGE_TABLE` slots on): 10.7 to 21.3
// bytes of table per entry, 9.1 to 16 at the larger sizes. Small tables stay sparser because a
// lookup of three labels among 100 series measured slower at 7/8 (longer probe runs, each slot
// a branch); a table past a few hundred KiB is out of the faster caches anyway, so there the
// probes cost less than the memory (10.5 rather than 21 bytes per series at 100,000).

/// The table size (in slots, 512 KiB of them) from which tables fill to 7/8.
const LARGE_TABLE: usize = 1 << 16;

/// Whether a table of `slots` slots with `used` of them taken has no room for one more.
fn full(used: usize, slots: usize) -> bool {
    if slots >= LARGE_TABLE {
        (used + 1) * 8 > slots * 7
    } else {
        (used + 1) * 4 > slots * 3
    }
}

/// A hash index of `T`s: lookups by hash and an equality test take no lock and allocate
/// nothing; inserts and removals take a mutex.
///
/// Entries keep their insertion order (a removal moves the last entry into the gap), which is
/// what [`Locked::iter`] returns. The caller computes hashes; equal entries must have equal
/// hashes, and the index never compares hashes alone.
///
/// ```
/// use vitals_index::Index;
///
/// let index = Index::new();
/// let hash = |s: &str| s.len() as u64; // any hash will do; collisions are resolved by `eq`
/// index.lock().insert(hash("GET"), "GET".to_owned());
/// let found = index.get(hash("GET"), |s| s == "GET");
/// assert_eq!(found.as_deref().map(String::as_str), Some("GET"));
/// assert!(index.get(hash("PUT"), |s| s == "PUT").is_none());
/// ```
pub struct Index<T> {
    table: AtomicPtr<Table<T>>,
    writer: Mutex<Writer<T>>,
    /// The number of entries, readable without the lock.
    len: AtomicUsize,
}

struct Table<T> {
    mask: usize,
    /// Whether the slots carry hash tags in their pointers' top bits. Off, for this table
    /// and every later one of the index, once an entry's address uses those bits (Arm's
    /// top-byte tagging, as Android's allocator does).
    tagged: bool,
    slots: Box<[AtomicPtr<Entry<T>>]>,
}

struct Entry<T> {
    hash: u64,
    /// Where the entry is in `Writer::entries`; written under the lock only.
    position: AtomicUsize,
    value: T,
}

/// What only the lock holder touches.
struct Writer<T> {
    /// Every entry, in insertion order; owned (created by `Box::into_raw`).
    entries: Vec<NonNull<Entry<T>>>,
    /// Slots of the current table that are not empty (entries and tombstones).
    used: usize,
    /// Whether tables may tag their slots: until an entry's address uses the tag bits.
    tagging: bool,
    /// Unlinked since the last epoch advance.
    pending: Vec<Garbage<T>>,
    /// Unlinked, tagged with the epoch to wait past.
    garbage: Vec<(u64, Garbage<T>)>,
}

enum Garbage<T> {
    Entry(NonNull<Entry<T>>),
    Table(NonNull<Table<T>>),
}

// SAFETY: the raw pointers are owned boxes of `Entry<T>` and `Table<T>`; moving the writer to
// another thread moves that ownership, which is sound when `T` is `Send`.
unsafe impl<T: Send> Send for Writer<T> {}

// SAFETY: an `Index` hands out `&T` to any thread (so `T: Sync`) and drops `T`s on whichever
// thread frees garbage (so `T: Send`); every shared mutation is atomic or under the mutex.
unsafe impl<T: Send + Sync> Send for Index<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send + Sync> Sync for Index<T> {}

impl<T> Default for Index<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Index<T> {
    /// An empty index (a table of eight slots).
    pub fn new() -> Self {
        Self {
            table: AtomicPtr::new(Box::into_raw(Table::<T>::new(MIN_SLOTS, true))),
            writer: Mutex::new(Writer {
                entries: Vec::new(),
                used: 0,
                tagging: true,
                pending: Vec::new(),
                garbage: Vec::new(),
            }),
            len: AtomicUsize::new(0),
        }
    }

    /// The entry with this hash for which `eq` holds, borrowed for as long as the returned
    /// [`Ref`] lives. Takes no lock (except from a thread-local destructor, where the thread
    /// can no longer pin).
    #[inline]
    pub fn get(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<Ref<'_, T>> {
        let Some(guard) = epoch::pin() else {
            return self.get_locked(hash, eq);
        };
        // SAFETY: the table pointer is always a live table: a replaced one is garbage, freed
        // only after every reader pinned before its replacement (this one) unpinned.
        let table = unsafe { &*self.table.load(Ordering::Acquire) };
        let entry = table.probe(hash, eq)?;
        Some(Ref {
            value: &entry.value,
            _hold: Hold::Pinned { _pin: guard },
        })
    }

    #[cold]
    fn get_locked(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<Ref<'_, T>> {
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: under the lock the current table and its entries cannot be freed.
        let table = unsafe { &*self.table.load(Ordering::Acquire) };
        let entry = table.probe(hash, eq)?;
        Some(Ref {
            value: &entry.value,
            _hold: Hold::Locked { _lock: writer },
        })
    }

    /// The number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the writers' lock: to insert, remove or walk the entries.
    pub fn lock(&self) -> Locked<'_, T> {
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut locked = Locked {
            index: self,
            writer,
        };
        locked.collect();
        locked
    }

    fn table(&self) -> &Table<T> {
        // SAFETY: called with the lock held (by `Locked`), when the current table cannot be
        // freed.
        unsafe { &*self.table.load(Ordering::Acquire) }
    }
}

impl<T> Drop for Index<T> {
    fn drop(&mut self) {
        let writer = self
            .writer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        // No reader can exist: they borrow the index.
        // SAFETY: each pointer below is an owned box, freed once: the current table is not
        // garbage, and entries are either listed or garbage, never both.
        unsafe {
            drop(Box::from_raw(*self.table.get_mut()));
            for entry in writer.entries.drain(..) {
                drop(Box::from_raw(entry.as_ptr()));
            }
            for garbage in writer.pending.drain(..) {
                garbage.free();
            }
            for (_, garbage) in writer.garbage.drain(..) {
                garbage.free();
            }
        }
    }
}

impl<T> Garbage<T> {
    /// # Safety
    /// No reader may still hold the pointer, and it is freed once.
    unsafe fn free(self) {
        // SAFETY: by the caller's promise.
        unsafe {
            match self {
                Garbage::Entry(entry) => drop(Box::from_raw(entry.as_ptr())),
                Garbage::Table(table) => drop(Box::from_raw(table.as_ptr())),
            }
        }
    }
}

/// An entry found by [`Index::get`]: while it lives, the entry is not freed (the thread stays
/// pinned). Keep it short: a long-lived `Ref` holds back the freeing of removed entries in
/// every index. From a thread-local destructor, when the thread can no longer pin, the `Ref`
/// holds the index's lock instead: then looking up or locking the same index before dropping
/// it deadlocks.
pub struct Ref<'a, T> {
    value: &'a T,
    _hold: Hold<'a, T>,
}

/// What keeps a [`Ref`]'s entry alive: held, never read.
enum Hold<'a, T> {
    Pinned { _pin: Guard },
    Locked { _lock: MutexGuard<'a, Writer<T>> },
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.value
    }
}

impl<T> Table<T> {
    fn new(slots: usize, tagged: bool) -> Box<Self> {
        Box::new(Self {
            mask: slots - 1,
            tagged,
            slots: (0..slots)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
        })
    }

    /// The entry with `hash` for which `eq` holds. The caller keeps the entries alive (pinned
    /// or locked).
    #[inline]
    fn probe(&self, hash: u64, mut eq: impl FnMut(&T) -> bool) -> Option<&Entry<T>> {
        let tag = tag::of(hash);
        let mut i = hash as usize & self.mask;
        // Ends: a table always has an empty slot (at most 7/8 are used).
        loop {
            let slot = self.slots.get(i)?.load(Ordering::Acquire);
            if slot.is_null() {
                return None;
            }
            if slot != tag::tombstone() && (!self.tagged || tag::matches(slot, tag)) {
                let slot = if self.tagged { tag::strip(slot) } else { slot };
                // SAFETY: a slot's pointer is a live entry while the caller is pinned or
                // locked (see `Index::get`); the `Acquire` load saw it fully written.
                let entry = unsafe { &*slot };
                if entry.hash == hash && eq(&entry.value) {
                    return Some(entry);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The slot holding `entry`.
    fn slot_of(&self, entry: *mut Entry<T>, hash: u64) -> Option<&AtomicPtr<Entry<T>>> {
        let mut i = hash as usize & self.mask;
        for _ in 0..self.slots.len() {
            let slot = self.slots.get(i)?;
            let value = slot.load(Ordering::Relaxed);
            if value.is_null() {
                return None;
            }
            let stripped = if self.tagged {
                tag::strip(value)
            } else {
                value
            };
            if value != tag::tombstone() && stripped == entry {
                return Some(slot);
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    /// Puts `entry` in the first empty slot of its probe sequence (tombstones are never
    /// reused). A tagged table needs an entry that [fits](tag::fits).
    fn place(&self, entry: *mut Entry<T>, hash: u64) {
        let value = if self.tagged {
            tag::apply(entry, hash)
        } else {
            entry
        };
        let mut i = hash as usize & self.mask;
        for _ in 0..self.slots.len() {
            if let Some(slot) = self.slots.get(i) {
                if slot.load(Ordering::Relaxed).is_null() {
                    slot.store(value, Ordering::Release);
                    return;
                }
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// The writers' side of an [`Index`], from [`Index::lock`]. What is removed is freed once no
/// reader can hold it: checked when a `Locked` ends and when the next one begins.
pub struct Locked<'a, T> {
    index: &'a Index<T>,
    writer: MutexGuard<'a, Writer<T>>,
}

impl<'a, T> Locked<'a, T> {
    /// The entry with this hash for which `eq` holds.
    pub fn get(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<&T> {
        self.index.table().probe(hash, eq).map(|e| &e.value)
    }

    /// Where the entry with this hash for which `eq` holds is in insertion order.
    pub fn position(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<usize> {
        self.index
            .table()
            .probe(hash, eq)
            .map(|e| e.position.load(Ordering::Relaxed))
    }

    /// The entry at `position` in insertion order.
    pub fn at(&self, position: usize) -> Option<&T> {
        let entry = self.writer.entries.get(position)?;
        // SAFETY: listed entries are live while the lock is held.
        Some(unsafe { &entry.as_ref().value })
    }

    /// The entries in insertion order (a removal moves the last entry into its place).
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        // SAFETY: as in `at`.
        self.writer
            .entries
            .iter()
            .map(|entry| unsafe { &entry.as_ref().value })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.writer.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.writer.entries.is_empty()
    }

    /// Adds `value` under `hash`; the caller has checked that no equal entry is present.
    /// Returns the new entry.
    pub fn insert(&mut self, hash: u64, value: T) -> &T {
        let position = self.writer.entries.len();
        let entry = Box::into_raw(Box::new(Entry {
            hash,
            position: AtomicUsize::new(position),
            value,
        }));
        if self.writer.tagging && !tag::fits(entry) {
            // This allocator uses the tag bits: no table of this index tags from now on.
            self.writer.tagging = false;
            self.rebuild(position + 1);
        } else if full(self.writer.used, self.index.table().slots.len()) {
            self.rebuild(position + 1);
        }
        self.index.table().place(entry, hash);
        self.writer.used += 1;
        // SAFETY: `Box::into_raw` never returns null.
        self.writer
            .entries
            .push(unsafe { NonNull::new_unchecked(entry) });
        self.index.len.store(position + 1, Ordering::Relaxed);
        // SAFETY: just created, owned by `entries`, live while the lock is held.
        unsafe { &(*entry).value }
    }

    /// Removes the entry at `position`, calling `removed` with it first; the last entry takes
    /// its place. Returns whether there was one.
    pub fn remove_at(&mut self, position: usize, removed: impl FnOnce(&T)) -> bool {
        let Some(&entry) = self.writer.entries.get(position) else {
            return false;
        };
        // SAFETY: listed, so live.
        let (hash, value) = unsafe { (entry.as_ref().hash, &entry.as_ref().value) };
        removed(value);
        if let Some(slot) = self.index.table().slot_of(entry.as_ptr(), hash) {
            slot.store(tag::tombstone(), Ordering::Release);
        }
        self.writer.entries.swap_remove(position);
        if let Some(moved) = self.writer.entries.get(position) {
            // SAFETY: listed, so live.
            unsafe { moved.as_ref() }
                .position
                .store(position, Ordering::Relaxed);
        }
        self.writer.pending.push(Garbage::Entry(entry));
        self.index
            .len
            .store(self.writer.entries.len(), Ordering::Relaxed);
        true
    }

    /// Removes every entry, calling `removed` with each.
    pub fn clear(&mut self, mut removed: impl FnMut(&T)) {
        // Unlink everything first, so that a panicking `removed` leaves no table pointing at
        // garbage.
        let entries = std::mem::take(&mut self.writer.entries);
        let tagging = self.writer.tagging;
        self.replace_table(Table::new(MIN_SLOTS, tagging));
        self.writer.used = 0;
        self.index.len.store(0, Ordering::Relaxed);
        let first = self.writer.pending.len();
        self.writer
            .pending
            .extend(entries.into_iter().map(Garbage::Entry));
        for garbage in self.writer.pending.get(first..).unwrap_or_default() {
            if let Garbage::Entry(entry) = garbage {
                // SAFETY: unlinked but not freed: only `collect` frees garbage, and it needs
                // `&mut self`.
                removed(unsafe { &entry.as_ref().value });
            }
        }
    }

    /// Bytes of the index's own allocations: the table, the entry list and each entry's
    /// header (the `T`s' own heap is the caller's to count), garbage included.
    pub fn heap_bytes(&self) -> usize {
        let garbage_tables: usize = self
            .writer
            .garbage
            .iter()
            .map(|(_, g)| g)
            .chain(&self.writer.pending)
            .map(|garbage| match garbage {
                Garbage::Table(table) => {
                    // SAFETY: garbage is live until freed by `collect`, which needs the lock.
                    unsafe { table.as_ref() }.slots.len()
                        * std::mem::size_of::<AtomicPtr<Entry<T>>>()
                }
                Garbage::Entry(_) => std::mem::size_of::<Entry<T>>(),
            })
            .sum();
        self.index.table().slots.len() * std::mem::size_of::<AtomicPtr<Entry<T>>>()
            + self.writer.entries.capacity() * std::mem::size_of::<NonNull<Entry<T>>>()
            + self.writer.entries.len() * std::mem::size_of::<Entry<T>>()
            + garbage_tables
    }

    /// Builds a table sized for `len` entries (at most half full) from the listed entries,
    /// without tombstones, and publishes it.
    fn rebuild(&mut self, len: usize) {
        let slots = (len * 2).next_power_of_two().max(MIN_SLOTS);
        let table = Table::new(slots, self.writer.tagging);
        for entry in &self.writer.entries {
            // SAFETY: listed, so live.
            let hash = unsafe { entry.as_ref().hash };
            table.place(entry.as_ptr(), hash);
        }
        self.writer.used = self.writer.entries.len();
        self.replace_table(table);
    }

    fn replace_table(&mut self, table: Box<Table<T>>) {
        let old = self
            .index
            .table
            .swap(Box::into_raw(table), Ordering::AcqRel);
        if let Some(old) = NonNull::new(old) {
            self.writer.pending.push(Garbage::Table(old));
        }
    }

    /// Tags what was unlinked with a fresh epoch, and frees the garbage no reader can hold.
    fn collect(&mut self) {
        if !self.writer.pending.is_empty() {
            let tag = epoch::advance();
            let pending = std::mem::take(&mut self.writer.pending);
            self.writer
                .garbage
                .extend(pending.into_iter().map(|g| (tag, g)));
        }
        if self.writer.garbage.is_empty() {
            return;
        }
        let oldest = epoch::oldest_reader();
        let (free, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.writer.garbage)
            .into_iter()
            .partition(|(tag, _)| *tag < oldest);
        self.writer.garbage = keep;
        for (_, garbage) in free {
            // SAFETY: tagged below every pinned reader's epoch: unlinked before the epoch
            // they read, so none of them can have loaded it (see `epoch`); and each piece of
            // garbage is listed once.
            unsafe { garbage.free() };
        }
    }
}

impl<T> Drop for Locked<'_, T> {
    fn drop(&mut self) {
        self.collect();
    }
}

/// 16 bits of an entry's hash kept in the top bits of its slot's pointer, which user-space
/// pointers leave zero on 64-bit targets. An index whose allocator uses those bits (an
/// entry's address does) stops tagging: tags only save reads, they never decide equality.
mod tag {
    use super::Entry;
    use std::ptr;

    /// A removed entry's slot: not a pointer any allocation returns (entries are aligned).
    #[inline]
    pub(super) fn tombstone<T>() -> *mut Entry<T> {
        ptr::without_provenance_mut(1)
    }

    #[cfg(target_pointer_width = "64")]
    const SHIFT: u32 = 48;

    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub(super) fn of(hash: u64) -> usize {
        (hash >> SHIFT) as usize
    }

    #[cfg(not(target_pointer_width = "64"))]
    #[inline]
    pub(super) fn of(_hash: u64) -> usize {
        0
    }

    /// Whether `entry`'s address leaves the tag bits free.
    #[cfg(target_pointer_width = "64")]
    pub(super) fn fits<T>(entry: *mut Entry<T>) -> bool {
        entry.addr() >> SHIFT == 0
    }

    #[cfg(not(target_pointer_width = "64"))]
    pub(super) fn fits<T>(_entry: *mut Entry<T>) -> bool {
        true
    }

    /// `entry` with `hash`'s tag; `entry` must [fit](fits).
    #[cfg(target_pointer_width = "64")]
    pub(super) fn apply<T>(entry: *mut Entry<T>, hash: u64) -> *mut Entry<T> {
        entry.map_addr(|a| a | (of(hash) << SHIFT))
    }

    #[cfg(not(target_pointer_width = "64"))]
    pub(super) fn apply<T>(entry: *mut Entry<T>, _hash: u64) -> *mut Entry<T> {
        entry
    }

    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub(super) fn matches<T>(slot: *mut Entry<T>, tag: usize) -> bool {
        slot.addr() >> SHIFT == tag
    }

    #[cfg(not(target_pointer_width = "64"))]
    #[inline]
    pub(super) fn matches<T>(_slot: *mut Entry<T>, _tag: usize) -> bool {
        true
    }

    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub(super) fn strip<T>(slot: *mut Entry<T>) -> *mut Entry<T> {
        slot.map_addr(|a| a & ((1 << SHIFT) - 1))
    }

    #[cfg(not(target_pointer_width = "64"))]
    #[inline]
    pub(super) fn strip<T>(slot: *mut Entry<T>) -> *mut Entry<T> {
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_that_stopped_tagging_finds_and_removes_as_before() {
        // As after an entry whose address used the tag bits: every table untagged.
        let index = Index::new();
        {
            let mut locked = index.lock();
            locked.writer.tagging = false;
            locked.rebuild(0);
            for key in 0..200u64 {
                locked.insert(key.wrapping_mul(0x9e37_79b9_7f4a_7c15), key);
            }
        }
        assert!(!index.lock().index.table().tagged);
        for key in 0..200u64 {
            let hash = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            assert_eq!(index.get(hash, |k| *k == key).as_deref(), Some(&key));
        }
        let mut locked = index.lock();
        let hash = 7u64.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let at = locked.position(hash, |k| *k == 7).unwrap();
        assert!(locked.remove_at(at, |_| {}));
        assert!(locked.get(hash, |k| *k == 7).is_none());
        locked.clear(|_| {});
        assert!(
            !locked.index.table().tagged,
            "clearing keeps the index untagged"
        );
    }

    #[test]
    fn large_tables_fill_further_before_they_grow() {
        assert!(!full(47, 64) && full(48, 64), "3/4 below the large size");
        assert!(
            !full(57_343, LARGE_TABLE) && full(57_344, LARGE_TABLE),
            "7/8 from it"
        );
        if cfg!(miri) {
            return; // 100,000 inserts take miri too long; the arithmetic above is the point
        }
        let index = Index::new();
        {
            let mut locked = index.lock();
            for key in 0..100_000u64 {
                locked.insert(key.wrapping_mul(0x9e37_79b9_7f4a_7c15), key);
            }
        }
        assert_eq!(index.lock().index.table().slots.len(), 1 << 17);
        for key in (0..100_000u64).step_by(997) {
            let hash = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            assert_eq!(index.get(hash, |k| *k == key).as_deref(), Some(&key));
        }
    }

    #[test]
    fn a_panicking_clear_callback_leaves_the_index_consistent() {
        let index = Index::new();
        for key in 0..10u64 {
            index.lock().insert(key, key);
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            index
                .lock()
                .clear(|k| assert!(*k < 3, "callback panics at {k}"));
        }));
        assert!(result.is_err());
        assert_eq!(index.len(), 0);
        assert!(index.get(5, |k| *k == 5).is_none());
        index.lock().insert(5, 50);
        assert_eq!(index.get(5, |k| *k == 50).as_deref(), Some(&50));
    }
}
