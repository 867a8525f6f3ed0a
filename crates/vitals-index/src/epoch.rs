//! Epoch-based reclamation, reduced to what the index needs.
//!
//! A reader *pins* before it loads anything from an index and unpins when it is done: pinning
//! writes the current global epoch into the thread's own participant slot (a cache line no
//! other thread writes), unpinning writes 0 there. A writer that
//! unlinks entries or a table keeps them as garbage tagged with the epoch it then advances
//! past ([`advance`]); garbage tagged `r` may be freed once every thread that is pinned
//! entered at an epoch above `r` ([`oldest_reader`]), because such a thread read the advanced
//! epoch and so sees the unlinking.
//!
//! On Linux the pin is cheaper still: a plain store, with the ordering a reader would need a
//! fence for supplied instead by the writer, which asks the kernel (`membarrier`) to run a
//! full barrier on every CPU running one of the process's threads before it scans the pins.
//! Writers scan rarely (after removals and table rebuilds); readers pin on every lookup.
//!
//! Why not `crossbeam-epoch` or `seize`: both are sound and general, but a lookup here must
//! cost a few nanoseconds in all, and their pins do more (a global epoch check, a garbage
//! collection attempt, a fence) than this index needs. Garbage is only ever freed by the
//! index's writer, under its lock, so this module has no collector of its own.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// The global epoch. Starts at 1: a participant slot at 0 means "not pinned".
static EPOCH: AtomicU64 = AtomicU64::new(1);

/// The slot of every thread that ever pinned; the slots of exited threads are reused. Slots
/// are leaked on purpose: a writer may be scanning one while its thread exits.
static PARTICIPANTS: Mutex<Vec<&'static Participant>> = Mutex::new(Vec::new());

/// One thread's pin. Aligned to its own pair of cache lines: its thread writes it on every
/// lookup, and sharing a line with another thread's slot would make the two bounce it.
#[repr(align(128))]
struct Participant {
    /// The epoch the thread pinned at, or 0 while it is not pinned.
    pinned_at: AtomicU64,
    /// How many guards of the owning thread are alive (pins nest: a lookup may run inside
    /// another's closure). Written by the owning thread only, so plain loads and stores.
    depth: AtomicUsize,
    /// Whether a live thread owns the slot.
    taken: AtomicBool,
    /// Set when the owning thread's locals were destroyed while a guard was still alive (a
    /// guard kept in another thread-local that outlived ours): the last guard gives the slot
    /// back.
    orphaned: AtomicBool,
}

impl Participant {
    /// Gives the slot back to the pool, for another thread to claim.
    fn release(&self) {
        self.pinned_at.store(0, Ordering::Release);
        self.orphaned.store(false, Ordering::Relaxed);
        self.taken.store(false, Ordering::Release);
    }
}

/// The calling thread's slot, claimed at its first pin.
struct Local {
    participant: Cell<Option<&'static Participant>>,
    /// Whether pins may be plain stores (see [`barrier`]).
    light: Cell<bool>,
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(participant) = self.participant.get() {
            if participant.depth.load(Ordering::Relaxed) == 0 {
                participant.release();
            } else {
                // A guard outlives this thread's locals: it stays pinned, and releases the
                // slot when it goes.
                participant.orphaned.store(true, Ordering::Relaxed);
            }
        }
    }
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            participant: Cell::new(None),
            light: Cell::new(false),
        }
    };
}

/// Proof that the thread is pinned: nothing unlinked after the pin is freed while it lives.
/// Not `Send`: the pin belongs to the thread that made it.
pub(crate) struct Guard {
    /// The thread's slot (so unpinning needs no thread-local lookup, and works even after the
    /// thread's locals are gone).
    participant: &'static Participant,
    _not_send: PhantomData<*const ()>,
}

/// Pins the calling thread, or `None` while the thread's locals are being destroyed (a
/// lookup from another thread-local's destructor), when the caller must take the lock.
#[inline]
pub(crate) fn pin() -> Option<Guard> {
    LOCAL
        .try_with(|local| {
            let participant = match local.participant.get() {
                Some(participant) => participant,
                None => {
                    let participant = claim();
                    local.participant.set(Some(participant));
                    local.light.set(barrier::light_pins());
                    participant
                }
            };
            let depth = participant.depth.load(Ordering::Relaxed);
            if depth == 0 {
                let epoch = EPOCH.load(Ordering::Acquire);
                if local.light.get() {
                    // Ordered before the lookup's loads by the writer's `barrier::heavy`; the
                    // compiler fence keeps the compiler from moving them above it.
                    participant.pinned_at.store(epoch, Ordering::Relaxed);
                    compiler_fence(Ordering::SeqCst);
                } else {
                    // Ordered before the lookup's loads by this fence, which pairs with the
                    // one in `barrier::heavy`.
                    participant.pinned_at.store(epoch, Ordering::Relaxed);
                    fence(Ordering::SeqCst);
                }
            }
            participant.depth.store(depth + 1, Ordering::Relaxed);
            Guard {
                participant,
                _not_send: PhantomData,
            }
        })
        .ok()
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        let participant = self.participant;
        let depth = participant.depth.load(Ordering::Relaxed).saturating_sub(1);
        participant.depth.store(depth, Ordering::Relaxed);
        if depth == 0 {
            // Release: the lookup's reads happen before a writer that sees the 0 frees what
            // they read.
            participant.pinned_at.store(0, Ordering::Release);
            if participant.orphaned.load(Ordering::Relaxed) {
                participant.release();
            }
        }
    }
}

/// A free participant slot for the calling thread, or a new one.
#[cold]
fn claim() -> &'static Participant {
    let mut participants = PARTICIPANTS.lock().unwrap_or_else(PoisonError::into_inner);
    for participant in participants.iter() {
        if participant
            .taken
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return participant;
        }
    }
    let participant: &'static Participant = Box::leak(Box::new(Participant {
        pinned_at: AtomicU64::new(0),
        depth: AtomicUsize::new(0),
        taken: AtomicBool::new(true),
        orphaned: AtomicBool::new(false),
    }));
    participants.push(participant);
    participant
}

/// Advances the global epoch and returns the epoch to tag garbage unlinked *before* this
/// call with.
pub(crate) fn advance() -> u64 {
    EPOCH.fetch_add(1, Ordering::SeqCst)
}

/// The lowest epoch any thread is pinned at (`u64::MAX` if none is): garbage tagged below it
/// can no longer be reached by any reader.
pub(crate) fn oldest_reader() -> u64 {
    // Pairs with the pin: a reader whose pin this scan does not see pinned after the barrier,
    // and so sees every unlinking done before it.
    if !barrier::heavy() {
        // The kernel refused the barrier it had agreed to: no pin can be trusted, so nothing
        // is freed (garbage waits for the index to be dropped) rather than risk a reader.
        return 0;
    }
    let participants = PARTICIPANTS.lock().unwrap_or_else(PoisonError::into_inner);
    participants
        .iter()
        .map(|p| p.pinned_at.load(Ordering::Acquire))
        .filter(|&epoch| epoch != 0)
        .min()
        .unwrap_or(u64::MAX)
}

/// The asymmetric barrier: light pins (plain stores) when the kernel offers a barrier on every
/// CPU of the process, `SeqCst` pins and fences otherwise.
mod barrier {
    use std::sync::atomic::{fence, Ordering};
    use std::sync::OnceLock;

    static LIGHT: OnceLock<bool> = OnceLock::new();

    /// Whether pins may be plain stores: the process registered for `membarrier`'s private
    /// expedited command. Decided once, before any light pin, and never changed.
    pub(super) fn light_pins() -> bool {
        *LIGHT.get_or_init(register)
    }

    /// Orders every pinned reader's pin store before what follows; `false` if the kernel
    /// failed to (then no pin can be trusted).
    pub(super) fn heavy() -> bool {
        if light_pins() {
            expedited()
        } else {
            fence(Ordering::SeqCst);
            true
        }
    }

    // Miri cannot run system calls, and checks the fenced pins instead.
    #[cfg(all(target_os = "linux", not(miri)))]
    mod sys {
        /// `MEMBARRIER_CMD_PRIVATE_EXPEDITED` and its registration, from
        /// `linux/membarrier.h` (Linux 4.14 and later).
        const PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
        const REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

        fn membarrier(command: libc::c_int) -> bool {
            // SAFETY: `membarrier` takes two integers and touches no memory of ours.
            unsafe { libc::syscall(libc::SYS_membarrier, command, 0, 0) == 0 }
        }

        pub(in super::super) fn register() -> bool {
            membarrier(REGISTER_PRIVATE_EXPEDITED)
        }

        pub(in super::super) fn expedited() -> bool {
            // A forked child inherits the decision to pin lightly but not the registration,
            // which belongs to the parent's address space: register again once, then retry.
            membarrier(PRIVATE_EXPEDITED) || (register() && membarrier(PRIVATE_EXPEDITED))
        }
    }

    #[cfg(not(all(target_os = "linux", not(miri))))]
    mod sys {
        pub(in super::super) fn register() -> bool {
            false
        }

        pub(in super::super) fn expedited() -> bool {
            false
        }
    }

    use sys::{expedited, register};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_thread_holds_back_the_oldest_epoch_until_it_unpins() {
        let guard = pin().unwrap();
        let pinned = oldest_reader();
        let tag = advance();
        assert!(pinned <= tag, "pinned at {pinned}, garbage tagged {tag}");
        // Nested pins keep the outer epoch.
        let inner = pin().unwrap();
        drop(inner);
        assert!(oldest_reader() <= tag);
        drop(guard);
        // Other tests' threads may be pinned; but none of them pinned before `tag` and is
        // still pinned, unless it is slow: check this thread's own slot instead.
        LOCAL.with(|local| {
            let participant = local.participant.get().unwrap();
            assert_eq!(participant.depth.load(Ordering::SeqCst), 0);
            assert_eq!(participant.pinned_at.load(Ordering::SeqCst), 0);
        });
    }

    #[test]
    fn the_kernel_barrier_is_used_where_there_is_one() {
        // On Linux since 4.14 pins are plain stores; elsewhere (or under a seccomp policy that
        // refuses membarrier) they are fenced, and both must work.
        let light = barrier::light_pins();
        if cfg!(all(target_os = "linux", not(miri))) && std::env::var_os("CI").is_some() {
            assert!(
                light,
                "membarrier registration failed on this Linux machine"
            );
        }
        assert!(barrier::heavy());
    }

    #[test]
    fn a_guard_that_outlives_its_threads_locals_keeps_the_slot_until_it_goes() {
        struct Holder(std::cell::RefCell<Option<Guard>>);
        impl Drop for Holder {
            fn drop(&mut self) {
                // Runs after `LOCAL`'s destructor when registered before it (destructors
                // run in reverse order of registration).
                let guard = self.0.borrow_mut().take();
                if let Some(guard) = &guard {
                    assert!(guard.participant.taken.load(Ordering::SeqCst));
                    assert_ne!(guard.participant.pinned_at.load(Ordering::SeqCst), 0);
                }
                drop(guard);
            }
        }
        thread_local! {
            static HOLDER: Holder = const { Holder(std::cell::RefCell::new(None)) };
        }
        let slot = std::thread::spawn(|| {
            // Register HOLDER's destructor first, then LOCAL's (by pinning): LOCAL's runs
            // first at exit.
            HOLDER.with(|_| {});
            let guard = pin().unwrap();
            let participant = guard.participant as *const Participant as usize;
            HOLDER.with(|h| *h.0.borrow_mut() = Some(guard));
            participant
        })
        .join()
        .unwrap();
        // The last guard gave the slot back (another test's thread may have claimed it since,
        // but none leaves it orphaned).
        let participants = PARTICIPANTS.lock().unwrap();
        let participant = participants
            .iter()
            .find(|p| std::ptr::from_ref::<Participant>(p) as usize == slot)
            .unwrap();
        assert!(!participant.orphaned.load(Ordering::SeqCst));
    }

    #[test]
    fn exited_threads_give_their_slot_back() {
        std::thread::spawn(|| drop(pin())).join().unwrap();
        let before = PARTICIPANTS.lock().unwrap().len();
        for _ in 0..4 {
            std::thread::spawn(|| drop(pin())).join().unwrap();
        }
        // Reused, not grown by four (other tests' threads may have taken one or two).
        assert!(PARTICIPANTS.lock().unwrap().len() <= before + 2);
    }
}
