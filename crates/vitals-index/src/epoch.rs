//! Epoch-based reclamation, reduced to what the index needs.
//!
//! A reader *pins* before it loads anything from an index and unpins when it is done: pinning
//! writes the current global epoch into the thread's own participant slot (one locked
//! exchange on a cache line no other thread writes), unpinning writes 0 there. A writer that
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
use std::sync::atomic::{compiler_fence, AtomicBool, AtomicU64, Ordering};
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
    /// Whether a live thread owns the slot.
    taken: AtomicBool,
}

/// The calling thread's slot and pin depth (pins nest: a lookup may run inside another's
/// closure).
struct Local {
    participant: Cell<Option<&'static Participant>>,
    depth: Cell<usize>,
    /// Whether pins may be plain stores (see [`barrier`]).
    light: Cell<bool>,
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(participant) = self.participant.get() {
            participant.pinned_at.store(0, Ordering::Release);
            participant.taken.store(false, Ordering::Release);
        }
    }
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            participant: Cell::new(None),
            depth: Cell::new(0),
            light: Cell::new(false),
        }
    };
}

/// Proof that the thread is pinned: nothing unlinked after the pin is freed while it lives.
/// Not `Send`: the pin belongs to the thread that made it.
pub(crate) struct Guard {
    /// The thread's `Local`, so that unpinning needs no second thread-local lookup. Valid
    /// while the guard lives: the guard cannot leave its thread, and a thread's locals are
    /// destroyed only after its stack frames, the guard's among them, are gone.
    local: *const Local,
    _not_send: PhantomData<*const ()>,
}

/// Pins the calling thread, or `None` while the thread's locals are being destroyed (a
/// lookup from another thread-local's destructor), when the caller must take the lock.
#[inline]
pub(crate) fn pin() -> Option<Guard> {
    LOCAL
        .try_with(|local| {
            let depth = local.depth.get();
            if depth == 0 {
                let participant = match local.participant.get() {
                    Some(participant) => participant,
                    None => {
                        let participant = claim();
                        local.participant.set(Some(participant));
                        local.light.set(barrier::light_pins());
                        participant
                    }
                };
                let epoch = EPOCH.load(Ordering::Acquire);
                if local.light.get() {
                    // Ordered before the lookup's loads by the writer's `barrier::heavy`; the
                    // compiler fence keeps the compiler from moving them above it.
                    participant.pinned_at.store(epoch, Ordering::Relaxed);
                    compiler_fence(Ordering::SeqCst);
                } else {
                    // A swap rather than a store: with `SeqCst` it orders this write before
                    // the loads of the lookup that follows (a store may be delayed past
                    // them), which `oldest_reader`'s fence pairs with.
                    participant.pinned_at.swap(epoch, Ordering::SeqCst);
                }
            }
            local.depth.set(depth + 1);
            Guard {
                local,
                _not_send: PhantomData,
            }
        })
        .ok()
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: see `Guard::local`.
        let local = unsafe { &*self.local };
        let depth = local.depth.get().saturating_sub(1);
        local.depth.set(depth);
        if depth == 0 {
            if let Some(participant) = local.participant.get() {
                // Release: the lookup's reads happen before a writer that sees the 0 frees
                // what they read.
                participant.pinned_at.store(0, Ordering::Release);
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
        taken: AtomicBool::new(true),
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
            membarrier(PRIVATE_EXPEDITED)
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
            assert_eq!(local.depth.get(), 0);
            assert_eq!(
                local
                    .participant
                    .get()
                    .unwrap()
                    .pinned_at
                    .load(Ordering::SeqCst),
                0
            );
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
