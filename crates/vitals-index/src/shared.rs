//! [`Shared`]: a counted handle to one value, which lives either in a box of its own or in a
//! slot of a [`Store`](crate::Store)'s arena.
//!
//! It is what an `Arc` is to a metric's cell, with one difference that is the point: a series'
//! cell lives in its store's slot, beside the next series' cell, not in an allocation of its
//! own, so a series costs its value and not an allocation's header, a pointer to it and the
//! allocator's rounding. A handle to a series is a pointer to the slot and one to the slot's
//! chunk; the chunk knows its arena, which lives while the store or any handle does.

use std::cell::UnsafeCell;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::chunks::Chunks;

/// Past this many references a clone aborts, as `Arc`'s does past `isize::MAX`: the count
/// must never wrap to zero while handles remain.
const MAX_REFS: u32 = u32::MAX / 2;

/// What `refs` holds once a slot's value is dropped: only then may a store put a new value in
/// it. (A count of 0 is not enough: whoever let go of the last reference may still be dropping
/// the value.)
pub(crate) const VACANT: u32 = u32::MAX;

/// A value and its reference count: the handles to it, plus one for its store while it is
/// linked there (and for a grace period after it is removed).
#[repr(C)]
pub(crate) struct Slot<S> {
    /// The count; 0 while the value is being dropped, then [`VACANT`].
    pub(crate) refs: AtomicU32,
    /// Live while `refs` is a count above zero.
    pub(crate) stored: UnsafeCell<MaybeUninit<S>>,
}

impl<S> Slot<S> {
    pub(crate) fn vacant() -> Self {
        Self {
            refs: AtomicU32::new(VACANT),
            stored: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The value.
    ///
    /// # Safety
    /// `refs > 0` for as long as the borrow lives (the caller holds a reference, or the store
    /// holds its own and the caller keeps the store from dropping it).
    #[inline]
    pub(crate) unsafe fn get(&self) -> &S {
        // SAFETY: by the caller's promise the value is initialized and not being dropped.
        unsafe { (*self.stored.get()).assume_init_ref() }
    }
}

/// A standalone value: its slot first (so a pointer to the slot is one to the box) and its side
/// data.
#[repr(C)]
struct Standalone<S, X> {
    slot: Slot<S>,
    side: X,
}

/// The side data of one slot, written only by whoever has the slot to itself.
pub(crate) struct SideCell<X>(pub(crate) UnsafeCell<X>);

// SAFETY: shared access only ever reads `&X` (whose own synchronisation is `X: Sync`'s); the
// one write, a reset, happens when no handle to the slot exists.
unsafe impl<X: Sync> Sync for SideCell<X> {}

/// One chunk of an arena's slots, with the interned keys and the side data of each.
pub(crate) struct SlotChunk<S, X> {
    pub(crate) arena: NonNull<Arena<S, X>>,
    /// The number of the chunk's first slot.
    pub(crate) first: usize,
    pub(crate) slots: Box<[Slot<S>]>,
    /// `key_len` value ids per slot.
    pub(crate) keys: Box<[AtomicU32]>,
    /// Allocated at the first use of any slot's side data in the chunk.
    pub(crate) side: OnceLock<Box<[SideCell<X>]>>,
}

// SAFETY: a chunk hands out `&S` and `&X` to any thread and its slots' values are dropped on
// whichever thread lets go of them last, as with an `Arc<S>`; the arena pointer is to a
// structure of atomics and chunks with the same requirements.
unsafe impl<S: Send + Sync, X: Send + Sync> Send for SlotChunk<S, X> {}
// SAFETY: as for `Send`.
unsafe impl<S: Send + Sync, X: Send + Sync> Sync for SlotChunk<S, X> {}

impl<S, X> SlotChunk<S, X> {
    /// Where `slot` is in this chunk.
    fn offset_of(&self, slot: NonNull<Slot<S>>) -> usize {
        let base = self.slots.as_ptr() as usize;
        (slot.as_ptr() as usize - base) / std::mem::size_of::<Slot<S>>().max(1)
    }
}

/// A store's slots, shared by the store and every handle to one of them: it is freed when the
/// store is gone and no slot has a reference left.
pub(crate) struct Arena<S, X> {
    /// One for the store, plus one per slot with a live value (`refs` a count above zero, or
    /// zero while the value is being dropped).
    pub(crate) live: AtomicUsize,
    pub(crate) chunks: Chunks<SlotChunk<S, X>>,
    pub(crate) key_len: usize,
}

impl<S, X> Arena<S, X> {
    /// Drops one of `live`; frees the arena when it was the last.
    ///
    /// # Safety
    /// `arena` is live, and the caller owned the unit it gives back.
    pub(crate) unsafe fn release(arena: NonNull<Self>) {
        // SAFETY: live by the caller's promise.
        if unsafe { arena.as_ref() }
            .live
            .fetch_sub(1, Ordering::AcqRel)
            == 1
        {
            // SAFETY: the last unit: no store and no handle can reach it any more; every
            // slot's value was dropped when its `refs` reached zero.
            drop(unsafe { Box::from_raw(arena.as_ptr()) });
        }
    }

    /// Drops a slot's value once its last reference is gone, marks the slot [`VACANT`] (from
    /// then on its store may reuse it), and gives back its unit of `live`.
    ///
    /// # Safety
    /// `refs` of `slot` just reached zero, seen with `Acquire`, by the caller; `slot` is in
    /// `chunk`, which is in a live arena.
    pub(crate) unsafe fn vacate(chunk: NonNull<SlotChunk<S, X>>, slot: NonNull<Slot<S>>) {
        // SAFETY: nobody else can reach a slot without references: it is unlinked from the
        // store (whose reference is gone) and no handle is left; the store reuses it only once
        // it reads `VACANT` (with `Acquire`, after the drop). The arena outlives the marking:
        // this caller still holds the slot's unit of `live`.
        unsafe {
            (*slot.as_ref().stored.get()).assume_init_drop();
            slot.as_ref().refs.store(VACANT, Ordering::Release);
            Self::release(chunk.as_ref().arena);
        }
    }
}

/// A pointer to one of an arena's chunks.
type ChunkPtr<S, X> = NonNull<SlotChunk<S, X>>;

/// A counted handle to a value of type `S` with side data `X` (read through
/// [`side`](Shared::side), allocated lazily for a store's slots).
///
/// ```
/// use vitals_index::Shared;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// let a: Shared<AtomicU64> = Shared::new(AtomicU64::new(0));
/// let b = a.clone();
/// b.fetch_add(2, Ordering::Relaxed);
/// assert_eq!(a.load(Ordering::Relaxed), 2);
/// assert!(Shared::ptr_eq(&a, &b));
/// ```
pub struct Shared<S, X = ()> {
    slot: NonNull<Slot<S>>,
    /// The slot's chunk, or `None` for a standalone box.
    chunk: Option<NonNull<SlotChunk<S, X>>>,
}

// SAFETY: as for `Arc<S>`: the value is shared between threads (`Sync`) and dropped by the
// last holder, on any thread (`Send`); the same goes for the side data.
unsafe impl<S: Send + Sync, X: Send + Sync> Send for Shared<S, X> {}
// SAFETY: as for `Send`.
unsafe impl<S: Send + Sync, X: Send + Sync> Sync for Shared<S, X> {}

impl<S, X: Default> Shared<S, X> {
    /// A value in a box of its own, with default side data.
    pub fn new(value: S) -> Self {
        let boxed = Box::new(Standalone {
            slot: Slot {
                refs: AtomicU32::new(1),
                stored: UnsafeCell::new(MaybeUninit::new(value)),
            },
            side: X::default(),
        });
        Self {
            slot: NonNull::from(Box::leak(boxed)).cast(),
            chunk: None,
        }
    }

    /// The side data: in the box of a standalone value; for a store's slot, in an array its
    /// chunk allocates at the first call for any of its slots.
    pub fn side(&self) -> &X {
        match self.chunk {
            // SAFETY: a standalone slot is the start of a live `Standalone` box (this handle
            // holds a reference).
            None => unsafe { &(*self.slot.cast::<Standalone<S, X>>().as_ptr()).side },
            Some(chunk) => {
                // SAFETY: the chunk lives while its arena does, which this handle keeps.
                let chunk = unsafe { chunk.as_ref() };
                let side = chunk.side.get_or_init(|| {
                    (0..chunk.slots.len())
                        .map(|_| SideCell(UnsafeCell::new(X::default())))
                        .collect()
                });
                let cell = &side[chunk.offset_of(self.slot)];
                // SAFETY: written only when the slot has no reference (see `SideCell`).
                unsafe { &*cell.0.get() }
            }
        }
    }
}

impl<S, X> Shared<S, X> {
    /// A new handle to a slot of a store.
    ///
    /// # Safety
    /// `slot` is in `chunk`, and its `refs` is above zero for as long as this call runs.
    pub(crate) unsafe fn counted(chunk: &SlotChunk<S, X>, slot: &Slot<S>) -> Self {
        let before = slot.refs.fetch_add(1, Ordering::Relaxed);
        if before > MAX_REFS {
            std::process::abort();
        }
        Self {
            slot: NonNull::from(slot),
            chunk: Some(NonNull::from(chunk)),
        }
    }

    /// A handle to a slot that does not count itself: it must never be dropped.
    pub(crate) fn uncounted(chunk: &SlotChunk<S, X>, slot: &Slot<S>) -> ManuallyDrop<Self> {
        ManuallyDrop::new(Self {
            slot: NonNull::from(slot),
            chunk: Some(NonNull::from(chunk)),
        })
    }

    /// Whether `a` and `b` are handles to the same value.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.slot == b.slot
    }

    /// The slot and chunk, for a store that takes this handle's value back.
    pub(crate) fn parts(&self) -> (NonNull<Slot<S>>, Option<ChunkPtr<S, X>>) {
        (self.slot, self.chunk)
    }
}

impl<S, X> Deref for Shared<S, X> {
    type Target = S;

    #[inline]
    fn deref(&self) -> &S {
        // SAFETY: this handle holds a reference.
        unsafe { self.slot.as_ref().get() }
    }
}

impl<S, X> Clone for Shared<S, X> {
    fn clone(&self) -> Self {
        // SAFETY: the slot is live (this handle holds a reference).
        let before = unsafe { self.slot.as_ref() }
            .refs
            .fetch_add(1, Ordering::Relaxed);
        if before > MAX_REFS {
            std::process::abort();
        }
        Self {
            slot: self.slot,
            chunk: self.chunk,
        }
    }
}

impl<S, X> Drop for Shared<S, X> {
    fn drop(&mut self) {
        // SAFETY: live until this handle's reference is given back, just below.
        let slot = unsafe { self.slot.as_ref() };
        if slot.refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // The last reference: see every other holder's writes before dropping the value.
        fence(Ordering::Acquire);
        match self.chunk {
            // SAFETY: a standalone slot is the start of the `Standalone` box it was made in.
            None => unsafe {
                (*slot.stored.get()).assume_init_drop();
                drop(Box::from_raw(self.slot.cast::<Standalone<S, X>>().as_ptr()));
            },
            // SAFETY: the count reached zero here, after the `Acquire` fence.
            Some(chunk) => unsafe { Arena::vacate(chunk, self.slot) },
        }
    }
}

impl<S: std::fmt::Debug, X> std::fmt::Debug for Shared<S, X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// A handle lent for a borrow: it derefs to `T` and is never dropped (it holds no count of
/// its own). From [`Entry::lend`](crate::Entry::lend).
pub struct Lent<'a, T> {
    value: ManuallyDrop<T>,
    _borrow: std::marker::PhantomData<&'a ()>,
}

impl<T> Lent<'_, T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            value: ManuallyDrop::new(value),
            _borrow: std::marker::PhantomData,
        }
    }
}

impl<T> Deref for Lent<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}
