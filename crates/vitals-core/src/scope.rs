//! The current registry: the [default registry](crate::default_registry), unless a thread has
//! entered another one with [`Registry::enter`].
//!
//! Code that records into "the" registry without being handed one (the dynamic manager's free
//! use, `#[instrument]`, the `metrics` facade's default) asks for [`current_registry`]. Tests
//! enter a fresh registry so that they see only their own series, even when they run in
//! parallel threads of one process.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::registry::{default_registry, Registry};

thread_local! {
    /// Entered registries, innermost last, each with its scope's id.
    static ENTERED: RefCell<Vec<(u64, Registry)>> = const { RefCell::new(Vec::new()) };
    /// The next scope id on this thread.
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Set for good by the first [`Registry::enter`] of any thread: until then every thread's
/// current registry is the default one, and [`with_current_registry`] need not look at its
/// thread-local (production code usually never enters a scope; tests do).
static ANY_ENTERED: AtomicBool = AtomicBool::new(false);

/// Whether any thread has entered a registry scope yet. Until one has, every thread's
/// [`current_registry`] is the [default registry](crate::default_registry): code on a hot
/// path that caches handles for the default registry may use them without further checks.
///
/// ```
/// // Once true, it stays true for the life of the process.
/// let _ = vitals_core::scope::any_scope_entered();
/// ```
#[inline]
pub fn any_scope_entered() -> bool {
    ANY_ENTERED.load(Ordering::Relaxed)
}

/// Calls `f` with the [`current_registry`]: the cheap way for code on a hot path (such as
/// `#[instrument]`'s check that the current registry is the one its handles are cached for).
/// Until some thread has entered a scope this is one relaxed load and no clone; after that it
/// reads this thread's scopes and clones the entered registry's handle (an `Arc`), if any.
///
/// ```
/// use vitals_core::{default_registry, scope::with_current_registry, Registry};
///
/// assert!(with_current_registry(|r| r.ptr_eq(default_registry())));
/// let local = Registry::new();
/// let _scope = local.enter();
/// assert!(with_current_registry(|r| r.ptr_eq(&local)));
/// ```
pub fn with_current_registry<R>(f: impl FnOnce(&Registry) -> R) -> R {
    if !ANY_ENTERED.load(Ordering::Relaxed) {
        return f(default_registry());
    }
    // `try_with`: at thread exit the scope stack may be gone; nothing is entered then.
    let entered = ENTERED
        .try_with(|entered| entered.borrow().last().map(|(_, r)| r.clone()))
        .ok()
        .flatten();
    match entered {
        Some(registry) => f(&registry),
        None => f(default_registry()),
    }
}

/// The registry the current thread entered last (see [`Registry::enter`]), or the
/// [default registry](crate::default_registry).
///
/// ```
/// use vitals_core::{current_registry, default_registry, Registry};
///
/// let local = Registry::new();
/// {
///     let _scope = local.enter();
///     current_registry().counter("scoped_jobs", "Jobs.").register().unwrap().inc();
/// }
/// assert_eq!(local.family_names(), ["scoped_jobs"]);
/// assert!(!default_registry().family_names().contains(&"scoped_jobs".to_string()));
/// ```
pub fn current_registry() -> Registry {
    ENTERED
        .with(|entered| entered.borrow().last().map(|(_, r)| r.clone()))
        .unwrap_or_else(|| default_registry().clone())
}

/// Keeps a registry current on this thread until dropped; made by [`Registry::enter`].
///
/// Not `Send`: a scope belongs to the thread that entered it. Async code that moves between
/// threads should pass its registry explicitly instead, and a scope should not be held across
/// an `.await` (another task on the thread would see it). Dropping scopes out of order removes
/// exactly the dropped one.
#[must_use = "the registry stops being current when the scope is dropped"]
#[derive(Debug)]
pub struct RegistryScope {
    id: u64,
    /// Makes the scope `!Send` and `!Sync`.
    _thread_bound: PhantomData<*const ()>,
}

impl Registry {
    /// Makes this registry the [`current_registry`] of this thread until the returned scope is
    /// dropped. Scopes nest.
    pub fn enter(&self) -> RegistryScope {
        let id = NEXT_ID.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1));
            id
        });
        ANY_ENTERED.store(true, Ordering::Relaxed);
        ENTERED.with(|entered| entered.borrow_mut().push((id, self.clone())));
        RegistryScope {
            id,
            _thread_bound: PhantomData,
        }
    }
}

impl Drop for RegistryScope {
    fn drop(&mut self) {
        // Ignore a thread-local already torn down at thread exit: nothing is current any more.
        let _ = ENTERED.try_with(|entered| {
            let mut entered = entered.borrow_mut();
            if let Some(position) = entered.iter().rposition(|(id, _)| *id == self.id) {
                entered.remove(position);
            }
        });
    }
}
