//! [`Shared`]: a counted handle to one value, which lives either in a box of its own or in a
//! slot of a [`Store`](crate::Store)'s arena.
//!
//! It is what an `Arc` is to a metric's cell, with one difference that is the point: a series'
//! cell lives in its store's slot, beside the next series' cell, not in an allocation of its
//! own, so a series costs its value and not an allocation's header, a pointer to it and the
//! allocator's rounding. A handle to a series is a pointer to the slot and one to the slot's
//! arena, which lives while the store or any handle does.

use std::cell::UnsafeCell;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::Deref;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::chunks::{chunk_len, locate, unpack, Chunks};

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
    /// The slot's number in its store (0 for a standalone value): what a handle finds the
    /// slot's side data by. It sits in what would be padding before an 8-byte value.
    pub(crate) index: u32,
    /// Live while `refs` is a count above zero.
    pub(crate) stored: UnsafeCell<MaybeUninit<S>>,
}

impl<S> Slot<S> {
    /// Slot number `index`, empty.
    pub(crate) fn vacant(index: u32) -> Self {
        Self {
            refs: AtomicU32::new(VACANT),
            index,
            stored: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The value.
    ///
    /// # Safety
    /// `refs` is a count above zero (not [`VACANT`]) for as long as the borrow lives (the caller holds a reference, or the store
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
// one write, a reset, happens when no handle to the slot exists, on whichever thread the store's
// writer runs (so `X: Send`: the old value is dropped there).
unsafe impl<X: Send + Sync> Sync for SideCell<X> {}

/// The side data of one chunk of slots, allocated at the first use of any of them.
pub(crate) type SideChunk<X> = OnceLock<Box<[SideCell<X>]>>;

/// A store's slots, shared by the store and every handle to one of them: it is freed when the
/// store is gone and no slot has a reference left.
pub(crate) struct Arena<S, X> {
    /// One for the store, plus one per slot with a live value (`refs` a count above zero, or
    /// zero while the value is being dropped).
    pub(crate) live: AtomicUsize,
    pub(crate) slots: Chunks<Slot<S>>,
    /// Per chunk of slots (by its number), its side data.
    pub(crate) sides: Chunks<SideChunk<X>>,
    /// Whether any chunk has side data: most stores never write any (a counter's exemplar is
    /// its side data), and a scrape reads every series' side data, which without this costs a
    /// lookup per series (measured 4.6 ns of a counter's 40 ns encode).
    pub(crate) any_side: AtomicBool,
}

// SAFETY: an arena hands out `&S` and `&X` to any thread and its slots' values are dropped on
// whichever thread lets go of them last, as with an `Arc<S>`.
unsafe impl<S: Send + Sync, X: Send + Sync> Send for Arena<S, X> {}
// SAFETY: as for `Send`.
unsafe impl<S: Send + Sync, X: Send + Sync> Sync for Arena<S, X> {}

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
    /// `arena`, which is live.
    pub(crate) unsafe fn vacate(arena: NonNull<Self>, slot: NonNull<Slot<S>>) {
        // SAFETY: nobody else can reach a slot without references: it is unlinked from the
        // store (whose reference is gone) and no handle is left; the store reuses it only once
        // it reads `VACANT` (with `Acquire`, after the drop). The arena outlives the marking:
        // this caller still holds the slot's unit of `live`.
        unsafe {
            (*slot.as_ref().stored.get()).assume_init_drop();
            slot.as_ref().refs.store(VACANT, Ordering::Release);
            Self::release(arena);
        }
    }
}

/// A pointer to a store's arena.
type ArenaPtr<S, X> = NonNull<Arena<S, X>>;

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
    /// The slot's arena, or `None` for a standalone box.
    arena: Option<NonNull<Arena<S, X>>>,
}

// As an `Arc<S>` is: a handle is unwind-safe when its value and side data are (the `UnsafeCell`
// in a slot is only ever written by whoever has the slot to itself).
impl<S: RefUnwindSafe, X: RefUnwindSafe> UnwindSafe for Shared<S, X> {}
impl<S: RefUnwindSafe, X: RefUnwindSafe> RefUnwindSafe for Shared<S, X> {}

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
                index: 0,
                stored: UnsafeCell::new(MaybeUninit::new(value)),
            },
            side: X::default(),
        });
        Self {
            slot: NonNull::from(Box::leak(boxed)).cast(),
            arena: None,
        }
    }

    /// The side data if it exists: always for a standalone value; for a store's slot, once
    /// [`side`](Self::side) was called for any slot of its chunk. What a reader wants: it
    /// allocates nothing, and `None` means every slot of the chunk still has the default.
    #[inline]
    pub fn side_if_any(&self) -> Option<&X> {
        match self.arena {
            // SAFETY: as in `side`.
            None => Some(unsafe { &(*self.slot.cast::<Standalone<S, X>>().as_ptr()).side }),
            Some(arena) => {
                // SAFETY: as in `side`.
                let arena = unsafe { arena.as_ref() };
                if !arena.any_side.load(Ordering::Acquire) {
                    return None;
                }
                // SAFETY: as in `side`.
                let index = unsafe { self.slot.as_ref().index };
                let (chunk, offset) = unpack(index as usize);
                let (at, within) = locate(chunk);
                // SAFETY: as in `side`.
                let side = unsafe { &*arena.sides.run(at, within) };
                let cell = side.get()?.get(offset)?;
                // SAFETY: as in `side`.
                Some(unsafe { &*cell.0.get() })
            }
        }
    }

    /// The side data: in the box of a standalone value; for a store's slot, in an array the
    /// slot's chunk allocates at the first call for any of its slots (so call it to write; to
    /// read, [`side_if_any`](Self::side_if_any)).
    pub fn side(&self) -> &X {
        match self.arena {
            // SAFETY: a standalone slot is the start of a live `Standalone` box (this handle
            // holds a reference).
            None => unsafe { &(*self.slot.cast::<Standalone<S, X>>().as_ptr()).side },
            Some(arena) => {
                // SAFETY: this handle keeps the arena alive, and the slot (with its number).
                let (arena, index) = unsafe { (arena.as_ref(), self.slot.as_ref().index) };
                let (chunk, offset) = unpack(index as usize);
                let (at, within) = locate(chunk);
                // SAFETY: the slot's chunk was pushed, and its side chunk with it, before the
                // slot was handed out (which this handle's existence shows).
                let side = unsafe { &*arena.sides.run(at, within) };
                let side = side.get_or_init(|| {
                    (0..chunk_len(chunk))
                        .map(|_| SideCell(UnsafeCell::new(X::default())))
                        .collect()
                });
                if !arena.any_side.load(Ordering::Relaxed) {
                    arena.any_side.store(true, Ordering::Release);
                }
                let Some(cell) = side.get(offset) else {
                    unreachable_side()
                };
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
    /// `slot` is in `arena`, and its `refs` is a count above zero (not [`VACANT`]) for as long as
    /// this call runs.
    pub(crate) unsafe fn counted(arena: NonNull<Arena<S, X>>, slot: &Slot<S>) -> Self {
        let before = slot.refs.fetch_add(1, Ordering::Relaxed);
        if before > MAX_REFS {
            std::process::abort();
        }
        Self {
            slot: NonNull::from(slot),
            arena: Some(arena),
        }
    }

    /// A handle to a slot that does not count itself: it must never be dropped.
    pub(crate) fn uncounted(arena: NonNull<Arena<S, X>>, slot: &Slot<S>) -> ManuallyDrop<Self> {
        ManuallyDrop::new(Self {
            slot: NonNull::from(slot),
            arena: Some(arena),
        })
    }

    /// Whether `a` and `b` are handles to the same value.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.slot == b.slot
    }

    /// The slot and its arena, for a store that takes this handle's value back.
    pub(crate) fn parts(&self) -> (&Slot<S>, Option<ArenaPtr<S, X>>) {
        // SAFETY: this handle holds a reference.
        (unsafe { self.slot.as_ref() }, self.arena)
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
            arena: self.arena,
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
        match self.arena {
            // SAFETY: a standalone slot is the start of the `Standalone` box it was made in.
            None => unsafe {
                (*slot.stored.get()).assume_init_drop();
                drop(Box::from_raw(self.slot.cast::<Standalone<S, X>>().as_ptr()));
            },
            // SAFETY: the count reached zero here, after the `Acquire` fence.
            Some(arena) => unsafe { Arena::vacate(arena, self.slot) },
        }
    }
}

impl<S: std::fmt::Debug, X> std::fmt::Debug for Shared<S, X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// A side chunk always has a cell per slot of its chunk.
#[cold]
fn unreachable_side() -> ! {
    unreachable!("a slot's offset is within its chunk")
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
