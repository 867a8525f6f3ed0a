//! [`Store`]: a family's series, in an arena of slots, keyed by interned label values and found
//! by hash without a lock.
//!
//! What one series costs is the point of this layout (100,000 series of three labels, counted
//! by a counting allocator): its slot (a reference count and the value, 24 bytes for a counter
//! with its creation time), three 4-byte value ids, and a 4-byte entry in the table at 3/4 to
//! 7/8 full. Label values are interned per label, once each however many series use them, so
//! a series holds no text: the exposition writes it from the values, and a lookup compares its
//! strings with the interned ones.
//!
//! - **Table.** Open addressing with linear probing over `u32` entries: a slot number in the
//!   low 24 bits, 8 bits of the hash above them so that a probe rejects most other series
//!   without reading them. An entry goes from empty to a series to a tombstone and never back;
//!   a writer that runs short of empty entries builds a new table and publishes it.
//! - **Slots.** In [`Chunks`] that never move, so handles ([`Shared`]) point into them. A slot
//!   counts its handles plus one for the store; it is reused once whoever let go of it last
//!   has dropped its value and marked it vacant, which the store's own reference only allows
//!   after every reader that could have found the slot has finished (see
//!   [`epoch`](crate::epoch)). Its key and its values' interned ids stay until then too.
//! - **Values.** Per label, a chunked array of strings found by id without a lock, and, for
//!   the writer only, a hash table from string to id and a count of the series using each.
//!
//! Readers never lock: they pin, load the table and probe. Writers serialize on a mutex.

use std::cell::UnsafeCell;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use hashbrown::HashTable;

use crate::chunks::{
    chunk_len, chunk_start, dense, locate, pack, spread, unpack, unspread, Chunks,
};
use crate::epoch::{self, Guard};
use crate::shared::{Arena, Lent, Shared, SideCell, Slot, VACANT};

/// The fewest entries a table has.
const MIN_ENTRIES: usize = 8;

/// The table size (in entries) from which tables fill to 7/8 rather than 3/4: a lookup among
/// 100 series measured slower at 7/8 (longer probe runs), and past a few hundred KiB the
/// table is out of the faster caches anyway.
const LARGE_TABLE: usize = 1 << 16;

/// Bits of a table entry that hold the slot number (plus one).
const SLOT_BITS: u32 = 24;

/// The most series a store holds: their packed slot numbers (chunk × 1,024 + place) plus one
/// fit in the 24 bits a table entry keeps for them, short of the all-ones pattern a tombstone
/// may share (chunks `0..16383`: the 2,040 slots of the eight small ones, then 1,024 each).
pub const MAX_SERIES: usize = 2040 + (16_383 - 8) * 1024;

const EMPTY: u32 = 0;
const TOMBSTONE: u32 = u32::MAX;

/// Whether a table of `entries` entries with `used` of them taken has no room for one more.
fn full(used: usize, entries: usize) -> bool {
    if entries >= LARGE_TABLE {
        (used + 1) * 8 > entries * 7
    } else {
        (used + 1) * 4 > entries * 3
    }
}

/// The table entry of slot `index` under `hash`.
#[inline]
fn entry_of(index: usize, hash: u64) -> u32 {
    (((hash >> 56) as u32) << SLOT_BITS) | (index as u32 + 1)
}

/// The slot number in a table entry (not empty, not a tombstone).
#[inline]
fn index_of(entry: u32) -> usize {
    ((entry & ((1 << SLOT_BITS) - 1)) - 1) as usize
}

/// Why [`Locked::insert`] or [`Locked::relink`] did not add a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertError {
    /// The store holds [`MAX_SERIES`] series.
    Full,
    /// The values given were not one per label.
    Values,
    /// [`relink`](Locked::relink): the handle is not to a slot of this store, its series is in
    /// the store already, or it was removed so recently, under other values, that a reader may
    /// still be comparing those (insert a new series instead).
    Foreign,
}

impl std::fmt::Display for InsertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InsertError::Full => "the store holds the most series it can (MAX_SERIES)",
            InsertError::Values => "pass one value per label",
            InsertError::Foreign => {
                "the handle's series cannot be put back in this store: insert a new one"
            }
        })
    }
}

impl std::error::Error for InsertError {}

/// A family's series: values of type `S` (with side data `X` per slot, see
/// [`Shared::side`], and per-series metadata `E` when the store tracks it), each keyed by one
/// string per label. Lookups take no lock and allocate nothing; inserts and removals take a
/// mutex.
///
/// ```
/// use vitals_index::Store;
///
/// let store: Store<u64> = Store::new(2, false);
/// let hash = |values: &[&str]| values.iter().map(|v| v.len() as u64).sum::<u64>();
/// store
///     .lock()
///     .insert(hash(&["GET", "/"]), 7, &["GET", "/"], |key| key.iter().map(|v| v.len() as u64).sum())
///     .unwrap();
/// let found = store.get(hash(&["GET", "/"]), |key| key.iter().eq(["GET", "/"])).unwrap();
/// assert_eq!(*found.stored(), 7);
/// assert!(store.get(hash(&["PUT", "/"]), |key| key.iter().eq(["PUT", "/"])).is_none());
/// ```
pub struct Store<S, X = (), E = ()> {
    arena: NonNull<Arena<S, X>>,
    table: AtomicPtr<Table>,
    /// Per slot, its values' ids, one per label. Here rather than in the arena: only lookups
    /// and the writer read keys, never handles, and a lookup reaches them in two loads.
    keys: Chunks<AtomicU32>,
    columns: Box<[Column]>,
    /// Per-slot metadata, in chunks like the slots', when the store was made to track it.
    meta: Option<Chunks<E>>,
    writer: Mutex<Writer>,
    /// The number of series, readable without the lock.
    len: AtomicUsize,
    _owns: PhantomData<(S, X)>,
}

// SAFETY: a store hands out `&S`, `&X` and `&E` to any thread (so `Sync`) and drops values on
// whichever thread lets go of a slot last (so `Send`); every shared mutation is atomic or
// under the mutex.
unsafe impl<S: Send + Sync, X: Send + Sync, E: Send + Sync> Send for Store<S, X, E> {}
// SAFETY: as for `Send`.
unsafe impl<S: Send + Sync, X: Send + Sync, E: Send + Sync> Sync for Store<S, X, E> {}

struct Table {
    mask: usize,
    entries: Box<[AtomicU32]>,
}

/// One label's interned values.
struct Column {
    values: Chunks<ValueCell>,
    /// The text written before each of this label's values in its piece (see
    /// [`Store::with_pieces`]), and its length: where a plain value starts in its piece.
    prefix: Box<str>,
}

/// An interned value: written only while no series (and no reader) can use its id.
struct ValueCell(UnsafeCell<Value>);

// SAFETY: see `ValueCell`: shared access only reads.
unsafe impl Sync for ValueCell {}

/// Bytes of a piece kept in its cell rather than on the heap: the pieces of most label values
/// (methods, status codes, route templates, after a prefix such as `",route="`) fit, and a
/// lookup then compares the value where it read the piece's length, without following a
/// pointer. 35 makes a cell 56 bytes.
const INLINE: usize = 35;

/// An interned value's piece (its column's prefix, then the value escaped as the exposition
/// formats escape label values), kept so that writing a series' label text is one copy per
/// label, with no prefix to add and no byte to scan; and the value itself, for lookups.
///
/// - A *plain* value (nothing to escape) is the end of its piece, which is inline up to
///   [`INLINE`] bytes, else in `heap`.
/// - Any other value is in `heap`, followed by its piece.
struct Value {
    /// The piece's length. (A piece over 4 GiB is not a label value's: such a length
    /// saturates, and the piece is read short; lookups, which compare the value, are not
    /// affected.)
    len: u32,
    /// Whether the value holds none of the bytes the exposition formats escape (`\`, `"`,
    /// newline).
    plain: bool,
    inline: [u8; INLINE],
    heap: Option<Box<str>>,
}

// What `INLINE` is chosen for: 56 bytes a cell, so 4 + 1 + 35 + 16.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Value>() == 56);

impl Default for Value {
    fn default() -> Self {
        Self {
            len: 0,
            plain: true,
            inline: [0; INLINE],
            heap: None,
        }
    }
}

impl Value {
    fn new(prefix: &str, value: &str) -> Self {
        let plain = !value.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n'));
        let mut piece = String::with_capacity(prefix.len() + value.len());
        piece.push_str(prefix);
        if plain {
            piece.push_str(value);
        } else {
            escape_label_value(value, &mut piece);
        }
        let len = u32::try_from(piece.len()).unwrap_or(u32::MAX);
        let mut inline = [0; INLINE];
        let heap = match inline.get_mut(..piece.len()) {
            Some(to) if plain => {
                to.copy_from_slice(piece.as_bytes());
                None
            }
            _ if plain => Some(piece.into_boxed_str()),
            _ => Some((value.to_owned() + &piece).into_boxed_str()),
        };
        Self {
            len,
            plain,
            inline,
            heap,
        }
    }

    /// The piece: the column's prefix, then the value, escaped.
    #[inline]
    fn piece(&self) -> &str {
        match &self.heap {
            // SAFETY: copied whole from a `&str` by `new`, and `len` is within it.
            None => unsafe { std::str::from_utf8_unchecked(self.inline_bytes()) },
            Some(heap) if self.plain => heap,
            Some(heap) => heap.get(heap.len() - self.len as usize..).unwrap_or(""),
        }
    }

    /// The value, given its column's prefix length.
    #[inline]
    fn value(&self, prefix: usize) -> &str {
        match &self.heap {
            // SAFETY: as for `piece`; a plain piece is the prefix (whole characters) then the
            // value, so `prefix` is a character boundary.
            None => unsafe {
                std::str::from_utf8_unchecked(self.inline_bytes().get(prefix..).unwrap_or(&[]))
            },
            Some(heap) if self.plain => heap.get(prefix..).unwrap_or(""),
            Some(heap) => heap.get(..heap.len() - self.len as usize).unwrap_or(""),
        }
    }

    #[inline]
    fn inline_bytes(&self) -> &[u8] {
        // `len` is at most `INLINE` when the piece is inline (see `new`).
        self.inline.get(..self.len as usize).unwrap_or(&[])
    }

    /// The bytes this value keeps on the heap.
    fn heap_len(&self) -> usize {
        self.heap.as_ref().map_or(0, |h| h.len())
    }
}

/// `a == b` for slices of equal length, without a call to `memcmp` for the short values labels
/// almost always are: up to 32 bytes are two overlapping compares of a fixed width.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    match a.len() {
        0..=3 => {
            a.first() == b.first()
                && a.get(a.len() / 2) == b.get(b.len() / 2)
                && a.last() == b.last()
        }
        4..=7 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        17..=32 => {
            a.first_chunk::<16>() == b.first_chunk::<16>()
                && a.last_chunk::<16>() == b.last_chunk::<16>()
        }
        _ => a == b,
    }
}

/// Appends `value` to `out`, escaping `\`, `"` and newline as both text formats require
/// (Prometheus text 0.0.4 and OpenMetrics escape label values alike). A store's pieces are
/// escaped with it, and vitals-core re-exports it for everything else it writes.
///
/// ```
/// let mut out = String::new();
/// vitals_index::escape_label_value("a\"b\\c\nd", &mut out);
/// assert_eq!(out, r#"a\"b\\c\nd"#);
/// ```
pub fn escape_label_value(value: &str, out: &mut String) {
    let mut rest = value;
    // A byte search: `str::find` with a `[char; 3]` pattern decodes characters one by one.
    while let Some(pos) = rest.bytes().position(|b| matches!(b, b'\\' | b'"' | b'\n')) {
        out.push_str(rest.get(..pos).unwrap_or(""));
        out.push_str(match rest.as_bytes().get(pos) {
            Some(b'\\') => "\\\\",
            Some(b'"') => "\\\"",
            _ => "\\n",
        });
        rest = rest.get(pos + 1..).unwrap_or("");
    }
    out.push_str(rest);
}

/// What only the lock holder touches.
struct Writer {
    /// Slots handed out so far (live, retired or free).
    slots: usize,
    /// Which slots are linked in the table: one bit each.
    linked: Vec<u64>,
    /// Table entries that are not empty (series and tombstones).
    used: usize,
    /// Slots with no reference, ready for a new series.
    free: Vec<u32>,
    /// Slots whose store reference is given back but which handles still hold.
    held: Vec<u32>,
    /// When `held` is this long, a slot is wanted and none is free, `held` is scanned.
    held_scan: usize,
    columns: Box<[ColumnWriter]>,
    hasher: std::hash::RandomState,
    /// Unlinked since the last epoch advance.
    pending: Vec<Garbage>,
    /// Unlinked, tagged with the epoch to wait past.
    garbage: Vec<(u64, Garbage)>,
}

struct ColumnWriter {
    /// Value ids, by the hash of their string.
    ids: HashTable<u32>,
    /// Per id (by its [`dense`] number), the number of series using it (0: free or awaiting
    /// its grace period).
    uses: Vec<u32>,
    /// Ids handed out so far, as dense numbers.
    next: usize,
    free: Vec<u32>,
}

enum Garbage {
    Table(NonNull<Table>),
    /// A removed series' slot, whose store reference is given back once no reader holds it.
    Slot(u32),
    /// A value no series uses, freed once no reader holds it.
    Value {
        column: usize,
        id: u32,
    },
}

// SAFETY: the table pointers are owned boxes; moving them with the writer moves ownership.
unsafe impl Send for Garbage {}

impl<S, X, E> Store<S, X, E> {
    /// An empty store for series of `labels` values each; `meta` says whether it keeps an `E`
    /// per series (see [`Entry::meta`]). Each value's piece ([`Key::piece`]) is the value
    /// escaped, with no prefix: [`with_pieces`](Self::with_pieces) with empty prefixes.
    pub fn new(labels: usize, meta: bool) -> Self
    where
        E: Default,
    {
        Self::with_pieces(&vec![""; labels], meta)
    }

    /// An empty store for series of one value per prefix in `prefixes`, which keeps with each
    /// interned value its *piece*: the label's prefix, then the value escaped as the exposition
    /// formats escape label values (`\` as `\\`, `"` as `\"`, newline as `\n`). With prefixes
    /// `a="` and `",b="`, a series' label text is its pieces one after the other and a closing
    /// `"`: written per scrape with one copy per label, nothing to scan. `meta` is as for
    /// [`new`](Self::new).
    ///
    /// ```
    /// use vitals_index::Store;
    ///
    /// let store: Store<u64> = Store::with_pieces(&["path=\"", "\",note=\""], false);
    /// let values = ["/", "say \"hi\""];
    /// let entry = store.lock().insert(1, 7, &values, |_| 1).unwrap().index();
    /// let found = store.get(1, |key| key.iter().eq(values)).unwrap();
    /// let key = found.key();
    /// assert_eq!(found.index(), entry);
    /// assert_eq!(key.get(1), "say \"hi\""); // the value, as given
    /// assert_eq!(key.piece(0).to_owned() + key.piece(1) + "\"", r#"path="/",note="say \"hi\"""#);
    /// ```
    pub fn with_pieces(prefixes: &[&str], meta: bool) -> Self
    where
        E: Default,
    {
        let labels = prefixes.len();
        let arena = Box::new(Arena {
            live: AtomicUsize::new(1),
            slots: Chunks::new(1),
            sides: Chunks::new(1),
            any_side: AtomicBool::new(false),
        });
        Self {
            arena: NonNull::from(Box::leak(arena)),
            table: AtomicPtr::new(Box::into_raw(Table::new(MIN_ENTRIES))),
            keys: Chunks::new(labels),
            columns: prefixes
                .iter()
                .map(|&prefix| Column {
                    values: Chunks::new(1),
                    prefix: prefix.into(),
                })
                .collect(),
            meta: meta.then(|| Chunks::new(1)),
            writer: Mutex::new(Writer {
                slots: 0,
                linked: Vec::new(),
                used: 0,
                free: Vec::new(),
                held: Vec::new(),
                held_scan: 64,
                columns: (0..labels)
                    .map(|_| ColumnWriter {
                        ids: HashTable::new(),
                        uses: Vec::new(),
                        next: 0,
                        free: Vec::new(),
                    })
                    .collect(),
                hasher: std::hash::RandomState::new(),
                pending: Vec::new(),
                garbage: Vec::new(),
            }),
            len: AtomicUsize::new(0),
            _owns: PhantomData,
        }
    }

    fn arena(&self) -> &Arena<S, X> {
        // SAFETY: the store holds a unit of the arena's `live` until it drops.
        unsafe { self.arena.as_ref() }
    }

    /// The series with this hash for which `eq` holds, borrowed for as long as the returned
    /// [`Found`] lives. Takes no lock (except from a thread-local destructor, where the thread
    /// can no longer pin).
    #[inline]
    pub fn get(&self, hash: u64, eq: impl FnMut(&Key<'_>) -> bool) -> Option<Found<'_, S, X, E>> {
        let Some(guard) = epoch::pin() else {
            return self.get_locked(hash, eq);
        };
        // SAFETY: the table pointer is always a live table: a replaced one is garbage, freed
        // only after every reader pinned before its replacement (this one) unpinned.
        let table = unsafe { &*self.table.load(Ordering::Acquire) };
        let entry = self.probe(table, hash, eq)?;
        Some(Found {
            entry,
            _hold: Hold::Pinned(guard),
        })
    }

    #[cold]
    fn get_locked(
        &self,
        hash: u64,
        eq: impl FnMut(&Key<'_>) -> bool,
    ) -> Option<Found<'_, S, X, E>> {
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: under the lock the current table and its series cannot be freed.
        let table = unsafe { &*self.table.load(Ordering::Acquire) };
        let entry = self.probe(table, hash, eq)?;
        Some(Found {
            entry,
            _hold: Hold::Locked(writer),
        })
    }

    /// The series with `hash` for which `eq` holds. The caller keeps the table and the
    /// series alive (pinned or locked).
    #[inline]
    fn probe<'a>(
        &'a self,
        table: &Table,
        hash: u64,
        mut eq: impl FnMut(&Key<'_>) -> bool,
    ) -> Option<Entry<'a, S, X, E>> {
        let tag = ((hash >> 56) as u32) << SLOT_BITS;
        let mut i = hash as usize & table.mask;
        // Ends: a table always has an empty entry (at most 7/8 are used).
        loop {
            let found = table.entries.get(i)?.load(Ordering::Acquire);
            if found == EMPTY {
                return None;
            }
            if found != TOMBSTONE && found & !((1 << SLOT_BITS) - 1) == tag {
                let entry = self.entry(index_of(found));
                if eq(&entry.key) {
                    return Some(entry);
                }
            }
            i = (i + 1) & table.mask;
        }
    }

    /// Slot `index`, which the caller knows was handed out by `take_slot` and published (its
    /// table entry was seen with `Acquire`, or the lock is held), and keeps alive. Every
    /// caller passes such an index: from the table, the linked set, or the writer's lists.
    #[inline]
    fn entry(&self, index: usize) -> Entry<'_, S, X, E> {
        let (chunk, offset) = unpack(index);
        // SAFETY: the slot was published, so its chunk (and the chunk of its key) was pushed
        // before, and is seen through the caller's `Acquire` or lock; `offset` is within it.
        let (slot, words) = unsafe {
            let slot = &*self.arena().slots.item(chunk, spread(chunk, offset));
            let words =
                std::slice::from_raw_parts(self.keys.run(chunk, offset), self.columns.len());
            (slot, words)
        };
        Entry {
            store: self,
            index,
            slot,
            key: Key {
                words,
                columns: &self.columns,
            },
        }
    }

    /// The number of series.
    #[inline]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the store has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the writers' lock: to insert, remove or walk the series.
    pub fn lock(&self) -> Locked<'_, S, X, E> {
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut locked = Locked {
            store: self,
            writer,
        };
        locked.collect();
        locked
    }

    fn table(&self) -> &Table {
        // SAFETY: called with the lock held (by `Locked`), when the current table cannot be
        // freed.
        unsafe { &*self.table.load(Ordering::Acquire) }
    }

    /// Gives back the store's reference on slot `index`; returns whether the slot is now free.
    fn release_store_ref(&self, index: usize) -> bool {
        let entry = self.entry(index);
        if entry.slot.refs.fetch_sub(1, Ordering::AcqRel) == 1 {
            // SAFETY: the count just reached zero, with `Acquire`.
            unsafe { Arena::vacate(self.arena, NonNull::from(entry.slot)) };
            true
        } else {
            false
        }
    }
}

impl<S, X, E> Drop for Store<S, X, E> {
    fn drop(&mut self) {
        let writer = self
            .writer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        // No reader can exist: they borrow the store. Give back the store's reference on every
        // linked slot and every slot still in its grace period.
        let mut mine: Vec<usize> = Vec::new();
        for (word, bits) in writer.linked.iter().enumerate() {
            let mut bits = *bits;
            while bits != 0 {
                mine.push(word * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        let mut tables = Vec::new();
        for garbage in writer
            .pending
            .drain(..)
            .chain(writer.garbage.drain(..).map(|(_, g)| g))
        {
            match garbage {
                Garbage::Slot(index) => mine.push(index as usize),
                Garbage::Table(table) => tables.push(table),
                Garbage::Value { .. } => {}
            }
        }
        for table in tables {
            // SAFETY: garbage tables are owned boxes, listed once.
            drop(unsafe { Box::from_raw(table.as_ptr()) });
        }
        // SAFETY: the current table is an owned box.
        drop(unsafe { Box::from_raw(*self.table.get_mut()) });
        for index in mine {
            self.release_store_ref(index);
        }
        // SAFETY: the store's own unit of `live`, given back once.
        unsafe { Arena::release(self.arena) };
    }
}

impl Table {
    fn new(entries: usize) -> Box<Self> {
        Box::new(Self {
            mask: entries - 1,
            entries: (0..entries).map(|_| AtomicU32::new(EMPTY)).collect(),
        })
    }

    /// Puts `entry` in the first empty place of `hash`'s probe sequence (tombstones are never
    /// reused).
    fn place(&self, entry: u32, hash: u64) {
        let mut i = hash as usize & self.mask;
        for _ in 0..self.entries.len() {
            if let Some(at) = self.entries.get(i) {
                if at.load(Ordering::Relaxed) == EMPTY {
                    at.store(entry, Ordering::Release);
                    return;
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Replaces slot `index`'s entry under `hash` with a tombstone; returns whether it was
    /// there.
    fn unlink(&self, index: usize, hash: u64) -> bool {
        let mut i = hash as usize & self.mask;
        let want = entry_of(index, hash);
        for _ in 0..self.entries.len() {
            let Some(at) = self.entries.get(i) else {
                return false;
            };
            let found = at.load(Ordering::Relaxed);
            if found == EMPTY {
                return false;
            }
            if found == want {
                at.store(TOMBSTONE, Ordering::Release);
                return true;
            }
            i = (i + 1) & self.mask;
        }
        false
    }

    /// Replaces every entry of slot `index`, under any hash, with a tombstone.
    #[cold]
    fn unlink_anywhere(&self, index: usize) {
        for at in &*self.entries {
            let found = at.load(Ordering::Relaxed);
            if found != EMPTY && found != TOMBSTONE && index_of(found) == index {
                at.store(TOMBSTONE, Ordering::Release);
            }
        }
    }
}

/// A series' label values, as its slot keeps them (interned ids), read as strings.
#[derive(Clone, Copy)]
pub struct Key<'a> {
    words: &'a [AtomicU32],
    columns: &'a [Column],
}

impl<'a> Key<'a> {
    /// The value of label `label` (empty past the last label).
    #[inline]
    pub fn get(&self, label: usize) -> &'a str {
        match (self.words.get(label), self.columns.get(label)) {
            // SAFETY: a key's ids are published with it (see `Column::value`).
            (Some(id), Some(column)) => unsafe { column.value(id.load(Ordering::Relaxed)) },
            _ => "",
        }
    }

    /// Whether label `label`'s value is `value` (false past the last label): what a lookup
    /// asks of every series it probes.
    ///
    /// Faster than comparing [`get`](Self::get)'s string: for an inline value the stored
    /// length is checked against the prefix's and `value`'s, and the bytes compared at the
    /// prefix's offset, so that neither waits on the other (making `get`'s slice first put
    /// two bounds checks on the chain of loads, 2-4 ns a lookup, profiled).
    ///
    /// ```
    /// use vitals_index::Store;
    ///
    /// let store: Store<u64> = Store::with_pieces(&["method=\"", "\",code=\""], false);
    /// let mut locked = store.lock();
    /// let entry = locked.insert(7, 0, &["GET", "200"], |_| 7).unwrap();
    /// let key = entry.key();
    /// assert!(key.value_is(0, "GET") && key.value_is(1, "200"));
    /// assert!(!key.value_is(0, "GE") && !key.value_is(1, "201") && !key.value_is(2, ""));
    /// ```
    #[inline(always)]
    pub fn value_is(&self, label: usize, value: &str) -> bool {
        let (Some(id), Some(column)) = (self.words.get(label), self.columns.get(label)) else {
            return false;
        };
        // SAFETY: a key's ids are published with it (see `Column::value`).
        let cell = unsafe { column.cell(id.load(Ordering::Relaxed)) };
        let prefix = column.prefix.len();
        if cell.heap.is_none() {
            let end = prefix + value.len();
            return cell.len as usize == end
                && cell
                    .inline
                    .get(prefix..end)
                    .is_some_and(|stored| same_bytes(stored, value.as_bytes()));
        }
        cell.value(prefix) == value
    }

    /// The piece of label `label`'s value: the label's prefix, then the value escaped (see
    /// [`Store::with_pieces`]); empty past the last label.
    #[inline]
    pub fn piece(&self, label: usize) -> &'a str {
        match (self.words.get(label), self.columns.get(label)) {
            // SAFETY: as for `get`.
            (Some(id), Some(column)) => unsafe { column.cell(id.load(Ordering::Relaxed)) }.piece(),
            _ => "",
        }
    }

    /// Appends every label's [`piece`](Self::piece), in label order, to `out`: a series' label
    /// text but for its closing quote (and any constant labels before it).
    ///
    /// What a scrape does for every series, so written by hand: an inline piece is copied as
    /// its cell's whole inline array, a copy of fixed size that compiles to a few vector moves
    /// where a copy of the piece's own length is a call to `memcpy`.
    #[inline]
    pub fn push_pieces(&self, out: &mut Vec<u8>) {
        // Room for every piece at its inline size, reserved once: then the copies below only
        // move bytes and a local length, with no capacity check or length store between them
        // (a chain of dependent loads and stores per piece otherwise, measured).
        let room = self.words.len() * INLINE;
        out.reserve(room);
        let mut end = out.len();
        for (id, column) in self.words.iter().zip(self.columns) {
            // SAFETY: a key's ids are published with it (see `Column::value`).
            let cell = unsafe { column.cell(id.load(Ordering::Relaxed)) };
            if cell.heap.is_some() {
                // SAFETY: the bytes up to `end` were written by the copies below.
                unsafe { out.set_len(end) };
                out.extend_from_slice(cell.piece().as_bytes());
                out.reserve(room);
                end = out.len();
                continue;
            }
            // SAFETY: the last `reserve` left room for `INLINE` bytes per piece after the
            // length it saw, and each inline piece since moved `end` by at most `INLINE`
            // (`len <= INLINE` for an inline piece, see `Value::new`), so `INLINE` more bytes
            // at `end` are within the capacity. Only the piece's `len` bytes count as written.
            unsafe {
                ptr::copy_nonoverlapping(cell.inline.as_ptr(), out.as_mut_ptr().add(end), INLINE);
            }
            end += cell.len as usize;
        }
        // SAFETY: every byte up to `end` was written above (or was there before).
        unsafe { out.set_len(end) };
    }

    /// [`push_pieces`](Self::push_pieces) into a `String`.
    #[inline]
    pub fn push_pieces_str(&self, out: &mut String) {
        // SAFETY: pieces are whole UTF-8 strings (copied from `&str`s by `Value::new`), so
        // appending them leaves the string valid.
        self.push_pieces(unsafe { out.as_mut_vec() });
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no values (a store of series without labels).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The values, in label order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.words.len()).map(|i| self.get(i))
    }
}

impl std::fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Column {
    /// The string of value `id`, which a reachable series uses (or the writer, under its
    /// lock, handed out).
    ///
    /// # Safety
    /// `id` was published: read from the key of a series the caller reached (pinned or
    /// locked), or handed out by the writer whose lock the caller holds.
    #[inline]
    unsafe fn value(&self, id: u32) -> &str {
        // SAFETY: by the caller's promise.
        unsafe { self.cell(id) }.value(self.prefix.len())
    }

    /// The interned value `id`, under [`value`](Self::value)'s contract.
    #[inline]
    unsafe fn cell(&self, id: u32) -> &Value {
        let (chunk, offset) = unpack(id as usize);
        // SAFETY: a published id's chunk was pushed before the id was; a cell is written only
        // while no series uses its id and no reader can still hold one that did (see
        // `Garbage::Value`).
        unsafe { &*(*self.values.item(chunk, offset)).0.get() }
    }
}

/// One series of a [`Store`]: its value, key, handle and metadata.
pub struct Entry<'a, S, X = (), E = ()> {
    store: &'a Store<S, X, E>,
    index: usize,
    slot: &'a Slot<S>,
    key: Key<'a>,
}

impl<'a, S, X, E> Entry<'a, S, X, E> {
    /// The value, borrowed from the entry: a [`Found`]'s pin (or a [`Locked`]'s lock) keeps
    /// it alive only while the entry is borrowed.
    #[inline]
    pub fn stored(&self) -> &S {
        // SAFETY: an entry is handed out only for a linked slot (or one in its grace period)
        // while the caller is pinned or holds the lock, so the store's reference is held.
        unsafe { self.slot.get() }
    }

    /// The label values, borrowed from the entry (as for [`stored`](Self::stored)).
    #[inline]
    pub fn key(&self) -> Key<'_> {
        self.key
    }

    /// The slot's number: stable for as long as the series is in the store.
    pub fn index(&self) -> usize {
        self.index
    }

    /// A counted handle to the value.
    #[inline]
    pub fn shared(&self) -> Shared<S, X> {
        // SAFETY: the slot is in the arena, and its count is above zero (see `stored`).
        unsafe { Shared::counted(self.store.arena, self.slot) }
    }

    /// Lends a handle made by `wrap` from an uncounted [`Shared`], for as long as the entry
    /// is borrowed: the cost of a borrow, not of a reference count's two atomic writes.
    ///
    /// # Safety
    /// `wrap` must only move the `Shared` into the `T` it returns: not drop it, clone it out,
    /// or keep it anywhere else; and `T` must not let it be moved out through `&T` (the `Lent`
    /// never drops the `T`).
    #[inline]
    pub unsafe fn lend<T>(&self, wrap: impl FnOnce(Shared<S, X>) -> T) -> Lent<'_, T> {
        let shared = Shared::uncounted(self.store.arena, self.slot);
        Lent::new(wrap(std::mem::ManuallyDrop::into_inner(shared)))
    }

    /// The series' metadata, when the store keeps it (borrowed from the entry, as for
    /// [`stored`](Self::stored)). It starts as `E::default()` in a new slot and is *not* reset
    /// when a slot is reused: whoever inserts sets what it needs (it is shared with lookups, so
    /// give it interior mutability).
    #[inline]
    pub fn meta(&self) -> Option<&E> {
        let (chunk, offset) = unpack(self.index);
        // SAFETY: a published slot's metadata chunk was pushed with its slot chunk.
        Some(unsafe { &*self.store.meta.as_ref()?.run(chunk, offset) })
    }
}

/// A series found by [`Store::get`]: while it lives, the series is not freed (the thread stays
/// pinned). Keep it short: a long-lived `Found` holds back the reuse of removed series' slots
/// in every store. From a thread-local destructor, when the thread can no longer pin, it holds
/// the store's lock instead: then looking up or locking the same store before dropping it
/// deadlocks.
///
/// What it lends is borrowed from it, so the series cannot be read once the pin is gone:
///
/// ```compile_fail
/// # use vitals_index::Store;
/// let store: Store<u64> = Store::new(1, false);
/// store.lock().insert(1, 7, &["a"], |_| 1).unwrap();
/// let value: &u64 = store.get(1, |key| key.get(0) == "a").unwrap().stored();
/// println!("{value}");
/// ```
pub struct Found<'a, S, X = (), E = ()> {
    entry: Entry<'a, S, X, E>,
    _hold: Hold<'a>,
}

/// What keeps a [`Found`]'s series alive: held, never read.
enum Hold<'a> {
    Pinned(#[allow(dead_code)] Guard),
    Locked(#[allow(dead_code)] MutexGuard<'a, Writer>),
}

impl<'a, S, X, E> Deref for Found<'a, S, X, E> {
    type Target = Entry<'a, S, X, E>;

    #[inline]
    fn deref(&self) -> &Entry<'a, S, X, E> {
        &self.entry
    }
}

/// The writers' side of a [`Store`], from [`Store::lock`]. What is removed is released once no
/// reader can hold it: checked when a `Locked` ends and when the next one begins.
pub struct Locked<'a, S, X = (), E = ()> {
    store: &'a Store<S, X, E>,
    writer: MutexGuard<'a, Writer>,
}

impl<'a, S, X: Default, E: Default> Locked<'a, S, X, E> {
    /// The series with this hash for which `eq` holds.
    pub fn get(&self, hash: u64, eq: impl FnMut(&Key<'_>) -> bool) -> Option<Entry<'_, S, X, E>> {
        self.store.probe(self.store.table(), hash, eq)
    }

    /// The series in slot `index`, if one is linked there.
    pub fn at(&self, index: usize) -> Option<Entry<'_, S, X, E>> {
        if !self.is_linked(index) {
            return None;
        }
        Some(self.store.entry(index))
    }

    fn is_linked(&self, index: usize) -> bool {
        self.writer
            .linked
            .get(index / 64)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    fn set_linked(&mut self, index: usize, on: bool) {
        let word = index / 64;
        if self.writer.linked.len() <= word {
            self.writer.linked.resize(word + 1, 0);
        }
        if let Some(w) = self.writer.linked.get_mut(word) {
            if on {
                *w |= 1 << (index % 64);
            } else {
                *w &= !(1 << (index % 64));
            }
        }
    }

    /// The slot numbers of the series, in slot order: creation order until series are removed
    /// (a new series takes the slot most recently freed, if any, else a new one at the end).
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.writer
            .linked
            .iter()
            .enumerate()
            .flat_map(|(word, &bits)| {
                let mut bits = bits;
                std::iter::from_fn(move || {
                    (bits != 0).then(|| {
                        let at = bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        word * 64 + at
                    })
                })
            })
    }

    /// The series, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = Entry<'_, S, X, E>> + '_ {
        self.indices().map(|i| self.store.entry(i))
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether there are no series.
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// The number of distinct values label `label` has among the series (and the series
    /// removed so recently that their values are still interned: see [`remove`](Self::remove)).
    pub fn distinct(&self, label: usize) -> usize {
        self.writer.columns.get(label).map_or(0, |c| c.ids.len())
    }

    /// Adds a series of `values` (one per label) holding `stored` under `hash`; the caller
    /// has checked that no equal series is present. `rehash` gives the hash of any series
    /// from its key, for when the table is rebuilt. Returns the new series.
    pub fn insert(
        &mut self,
        hash: u64,
        stored: S,
        values: &[&str],
        rehash: impl FnMut(&Key<'_>) -> u64,
    ) -> Result<Entry<'_, S, X, E>, InsertError> {
        if values.len() != self.store.columns.len() {
            return Err(InsertError::Values);
        }
        let index = self.take_slot().ok_or(InsertError::Full)?;
        let ids = self.intern(values);
        let entry = self.store.entry(index);
        for (word, id) in entry.key.words.iter().zip(ids) {
            word.store(id, Ordering::Relaxed);
        }
        // SAFETY: a free slot is this writer's alone: no reference, no reader (its last
        // series' grace period is over) and no stale value (dropped at zero).
        unsafe { (*entry.slot.stored.get()).write(stored) };
        let (chunk, offset) = unpack(index);
        let (at, within) = locate(chunk);
        // SAFETY: the side chunk was pushed with the slot's chunk, under this lock.
        let side = unsafe { &*self.store.arena().sides.run(at, within) };
        if let Some(cell) = side.get().and_then(|cells| cells.get(offset)) {
            // SAFETY: as above: no handle to the slot exists to read its side data.
            unsafe { reset(cell) };
        }
        entry.slot.refs.store(1, Ordering::Relaxed);
        self.store.arena().live.fetch_add(1, Ordering::Relaxed);
        self.link(index, hash, rehash);
        Ok(self.store.entry(index))
    }

    /// Puts the series held by `shared` back in the store under `values`, after it was
    /// removed: its value is kept, and so is every handle to it.
    pub fn relink(
        &mut self,
        shared: &Shared<S, X>,
        hash: u64,
        values: &[&str],
        rehash: impl FnMut(&Key<'_>) -> u64,
    ) -> Result<Entry<'_, S, X, E>, InsertError> {
        if values.len() != self.store.columns.len() {
            return Err(InsertError::Values);
        }
        let (slot, arena) = shared.parts();
        if arena != Some(self.store.arena) {
            return Err(InsertError::Foreign);
        }
        let index = slot.index as usize;
        if self.is_linked(index) {
            return Err(InsertError::Foreign);
        }
        let grace = |g: &Garbage| matches!(g, Garbage::Slot(i) if *i as usize == index);
        let in_grace = self.writer.pending.iter().any(grace)
            || self.writer.garbage.iter().any(|(_, g)| grace(g));
        if in_grace {
            // Removed so recently that a reader pinned before may still be comparing its key:
            // the key (and its values' ids, released only when the grace period ends) must
            // not change under it. Put back under the same values, nothing is written; under
            // others, it cannot be put back yet.
            let key = self.store.entry(index).key;
            if !values.iter().enumerate().all(|(i, v)| key.get(i) == *v) {
                return Err(InsertError::Foreign);
            }
            // The store's reference, not given back yet, is kept.
            self.writer.pending.retain(|g| !grace(g));
            self.writer.garbage.retain(|(_, g)| !grace(g));
        } else {
            // Past its grace period: no reader can reach the slot, its values were released,
            // and the store's reference is taken again (the handle's own keeps the count above
            // zero meanwhile).
            self.writer.held.retain(|&i| i as usize != index);
            let ids = self.intern(values);
            let entry = self.store.entry(index);
            entry.slot.refs.fetch_add(1, Ordering::Relaxed);
            for (word, id) in entry.key.words.iter().zip(ids) {
                word.store(id, Ordering::Relaxed);
            }
        }
        self.link(index, hash, rehash);
        Ok(self.store.entry(index))
    }

    /// Makes slot `index` findable under `hash`, rebuilding the table when it is full.
    fn link(&mut self, index: usize, hash: u64, rehash: impl FnMut(&Key<'_>) -> u64) {
        self.set_linked(index, true);
        let len = self.store.len() + 1;
        if full(self.writer.used, self.store.table().entries.len()) {
            self.rebuild(len, rehash);
        } else {
            self.store.table().place(entry_of(index, hash), hash);
            self.writer.used += 1;
        }
        self.store.len.store(len, Ordering::Relaxed);
    }

    /// A slot for a new series (its [`pack`]ed number): a free one, else one that handles let
    /// go of, else a new one.
    fn take_slot(&mut self) -> Option<usize> {
        if self.writer.free.is_empty() && self.writer.held.len() >= self.writer.held_scan {
            self.scan_held();
        }
        if let Some(index) = self.writer.free.pop() {
            return Some(index as usize);
        }
        let index = self.writer.slots;
        if index >= MAX_SERIES {
            return None;
        }
        let (chunk, offset) = locate(index);
        if offset == 0 {
            // The first slot of a new chunk: push its metadata (first: `E::default` is the
            // caller's code and may panic, which must leave the chunks of every kind in step),
            // its side data's place, its keys and itself. All are there before the slot is
            // published.
            let arena = self.store.arena();
            if let Some(meta) = &self.store.meta {
                if !meta.has(chunk) {
                    meta.push(E::default);
                }
            }
            if !arena.sides.has(locate(chunk).0) {
                arena.sides.push(OnceLock::new);
            }
            self.store.keys.push(|| AtomicU32::new(0));
            // The slots in the order they sit: the one at position `p` is place
            // `unspread(p)` (see `spread`).
            let first = pack(chunk_start(chunk));
            let mut position = 0;
            let pushed = arena.slots.push(|| {
                position += 1;
                Slot::vacant((first + unspread(chunk, position - 1)) as u32)
            });
            debug_assert_eq!(pushed, chunk, "slot chunks are pushed in order");
        }
        self.writer.slots = index + 1;
        Some(pack(index))
    }

    /// Moves the held slots that no handle holds any more, and whose value is dropped
    /// ([`VACANT`]), to the free list. Scanning waits until the held list has doubled since the
    /// last scan, so its cost per insert is constant.
    fn scan_held(&mut self) {
        let held = std::mem::take(&mut self.writer.held);
        let mut still = Vec::with_capacity(held.len());
        for index in held {
            let free = self
                .store
                .entry(index as usize)
                .slot
                .refs
                .load(Ordering::Acquire)
                == VACANT;
            if free {
                self.writer.free.push(index);
            } else {
                still.push(index);
            }
        }
        self.writer.held_scan = (still.len() * 2).max(64);
        self.writer.held = still;
    }

    /// The ids of `values`, interned, each use counted.
    fn intern(&mut self, values: &[&str]) -> Vec<u32> {
        let writer = &mut *self.writer;
        let mut ids = Vec::with_capacity(values.len());
        for ((value, column), col) in values
            .iter()
            .zip(writer.columns.iter_mut())
            .zip(self.store.columns.iter())
        {
            let hash = writer.hasher.hash_one(value);
            // SAFETY: the ids in the writer's table are live, handed out under this lock.
            let found = column
                .ids
                .find(hash, |&id| unsafe { col.value(id) } == *value)
                .copied();
            let id = match found {
                Some(id) => id,
                None => {
                    let id = match column.free.pop() {
                        Some(id) => id,
                        None => {
                            let dense = column.next;
                            column.next += 1;
                            if locate(dense).1 == 0 {
                                col.values
                                    .push(|| ValueCell(UnsafeCell::new(Value::default())));
                            }
                            column.uses.push(0);
                            pack(dense) as u32
                        }
                    };
                    let (chunk, offset) = unpack(id as usize);
                    // SAFETY: a fresh or freed id: its chunk was pushed, no series uses it and
                    // no reader can hold it (a freed one waited out its grace period).
                    unsafe {
                        *(*col.values.run(chunk, offset)).0.get() = Value::new(&col.prefix, value);
                    };
                    let hasher = &writer.hasher;
                    column.ids.insert_unique(hash, id, |&other| {
                        // SAFETY: as for `find`.
                        hasher.hash_one(unsafe { col.value(other) })
                    });
                    id
                }
            };
            if let Some(uses) = column.uses.get_mut(dense(id as usize)) {
                *uses += 1;
            }
            ids.push(id);
        }
        ids
    }

    /// Takes the series in slot `index` (found under `hash`) out of the store. Handles to it
    /// keep working; its slot is reused once they are gone. Returns whether it was there.
    pub fn remove(&mut self, index: usize, hash: u64) -> bool {
        if !self.is_linked(index) {
            return false;
        }
        if !self.store.table().unlink(index, hash) {
            // Not under `hash`: the caller's hash is not the one the series was linked with.
            // Tombstone it wherever it is, rather than leave an entry to a slot that will be
            // reused.
            self.store.table().unlink_anywhere(index);
        }
        self.unlinked(index);
        true
    }

    /// Removes every series.
    pub fn clear(&mut self) {
        let all: Vec<usize> = self.indices().collect();
        self.replace_table(Table::new(MIN_ENTRIES));
        self.writer.used = 0;
        for index in all {
            self.unlinked(index);
        }
    }

    /// What follows taking slot `index` out of the table.
    fn unlinked(&mut self, index: usize) {
        self.set_linked(index, false);
        // Its values stay interned until the grace period ends (see `collect`): a relink
        // within it then finds the key as it was.
        self.writer.pending.push(Garbage::Slot(index as u32));
        let len = self.store.len().saturating_sub(1);
        self.store.len.store(len, Ordering::Relaxed);
    }

    /// Bytes of the store's own allocations: table, slots with their keys and side data,
    /// interned values, metadata, and the writer's lists (the values' own heap is the
    /// caller's to count).
    pub fn heap_bytes(&self) -> usize {
        let arena = self.store.arena();
        let slots = self.writer.slots;
        let chunks = if slots == 0 {
            0
        } else {
            locate(slots - 1).0 + 1
        };
        let runs: usize = (0..chunks).map(chunk_len).sum();
        let sides: usize = (0..chunks)
            .map(|chunk| {
                let (at, within) = locate(chunk);
                // SAFETY: the side chunk of every pushed slot chunk was pushed, under this lock.
                let side = unsafe { &*arena.sides.run(at, within) };
                side.get()
                    .map_or(0, |cells| cells.len() * std::mem::size_of::<SideCell<X>>())
            })
            .sum();
        let meta = if self.store.meta.is_some() {
            runs * std::mem::size_of::<E>()
        } else {
            0
        };
        let values: usize = self
            .writer
            .columns
            .iter()
            .zip(self.store.columns.iter())
            .map(|(w, c)| {
                let cells = if w.next == 0 {
                    0
                } else {
                    (0..=locate(w.next - 1).0).map(chunk_len).sum::<usize>()
                };
                let heap: usize = (0..w.uses.len())
                    .filter(|&id| w.uses.get(id).is_some_and(|&u| u > 0))
                    // SAFETY: an id in use was handed out under this lock.
                    .map(|id| unsafe { c.cell(pack(id) as u32) }.heap_len())
                    .sum();
                cells * std::mem::size_of::<ValueCell>()
                    + heap
                    + w.uses.capacity() * 4
                    + w.ids.allocation_size()
                    + w.free.capacity() * 4
                    + c.values.dir_bytes()
                    + c.prefix.len()
            })
            .sum();
        self.store.table().entries.len() * 4
            + runs * (std::mem::size_of::<Slot<S>>() + self.store.keys.stride() * 4)
            + sides
            + meta
            + values
            + arena.slots.dir_bytes()
            + arena.sides.dir_bytes()
            + self.store.keys.dir_bytes()
            + self.store.meta.as_ref().map_or(0, Chunks::dir_bytes)
            + std::mem::size_of::<Arena<S, X>>()
            + self.writer.linked.capacity() * 8
            + (self.writer.free.capacity() + self.writer.held.capacity()) * 4
            + self.writer.pending.capacity() * std::mem::size_of::<Garbage>()
            + self.writer.garbage.capacity() * std::mem::size_of::<(u64, Garbage)>()
    }

    /// Builds a table sized for `len` series (at most half full) from the linked slots,
    /// without tombstones, and publishes it.
    fn rebuild(&mut self, len: usize, mut rehash: impl FnMut(&Key<'_>) -> u64) {
        let entries = (len * 2).next_power_of_two().max(MIN_ENTRIES);
        let table = Table::new(entries);
        let indices: Vec<usize> = self.indices().collect();
        for index in &indices {
            let hash = rehash(&self.store.entry(*index).key);
            table.place(entry_of(*index, hash), hash);
        }
        self.writer.used = indices.len();
        self.replace_table(table);
    }

    fn replace_table(&mut self, table: Box<Table>) {
        let old = self
            .store
            .table
            .swap(Box::into_raw(table), Ordering::AcqRel);
        if let Some(old) = NonNull::new(old) {
            self.writer.pending.push(Garbage::Table(old));
        }
    }
}

impl<S, X, E> Locked<'_, S, X, E> {
    /// Counts one use less of each value of slot `index`'s key (at the end of the series' grace
    /// period: until then a relink may find the key as it was).
    fn release_key(&mut self, index: usize) {
        let ids: Vec<u32> = self
            .store
            .entry(index)
            .key
            .words
            .iter()
            .map(|w| w.load(Ordering::Relaxed))
            .collect();
        for (column, id) in ids.into_iter().enumerate() {
            self.release_value(column, id);
        }
    }

    /// Counts one use of value `id` of `column` less; a value no series uses is unlinked.
    fn release_value(&mut self, column: usize, id: u32) {
        let writer = &mut *self.writer;
        let Some(col) = writer.columns.get_mut(column) else {
            return;
        };
        let Some(uses) = col.uses.get_mut(dense(id as usize)) else {
            return;
        };
        debug_assert!(
            *uses > 0,
            "value {id} of label {column} released once too often"
        );
        *uses = uses.saturating_sub(1);
        if *uses > 0 {
            return;
        }
        if let Some(c) = self.store.columns.get(column) {
            // SAFETY: the id was handed out under this lock and its value is not freed yet.
            let hash = writer.hasher.hash_one(unsafe { c.value(id) });
            if let Ok(found) = col.ids.find_entry(hash, |&other| other == id) {
                found.remove();
            }
        }
        writer.pending.push(Garbage::Value { column, id });
    }

    /// Tags what was unlinked with a fresh epoch, and releases what no reader can hold.
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
        let (ripe, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.writer.garbage)
            .into_iter()
            .partition(|(tag, _)| *tag < oldest);
        self.writer.garbage = keep;
        // Tagged below every pinned reader's epoch: unlinked before the epoch they read, so
        // none of them can have reached it (see `epoch`).
        for (_, garbage) in ripe {
            match garbage {
                // SAFETY: an owned box, listed once.
                Garbage::Table(table) => drop(unsafe { Box::from_raw(table.as_ptr()) }),
                Garbage::Slot(index) => {
                    self.release_key(index as usize);
                    if self.store.release_store_ref(index as usize) {
                        self.writer.free.push(index);
                    } else {
                        self.writer.held.push(index);
                    }
                }
                Garbage::Value { column, id } => {
                    let (chunk, offset) = unpack(id as usize);
                    if let Some(c) = self.store.columns.get(column) {
                        // SAFETY: the id was handed out (its chunk pushed) under this lock; no
                        // series uses it and no reader can hold it.
                        unsafe { *(*c.values.run(chunk, offset)).0.get() = Value::default() };
                    }
                    if let Some(col) = self.writer.columns.get_mut(column) {
                        col.free.push(id);
                    }
                }
            }
        }
    }
}

impl<S, X, E> Drop for Locked<'_, S, X, E> {
    fn drop(&mut self) {
        self.collect();
    }
}

/// Puts a slot's side data back to its default.
///
/// # Safety
/// No handle to the slot exists.
unsafe fn reset<X: Default>(cell: &SideCell<X>) {
    // SAFETY: by the caller's promise nobody else reads the cell.
    unsafe { ptr::replace(cell.0.get(), X::default()) };
}
