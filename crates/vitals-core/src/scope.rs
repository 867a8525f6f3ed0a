//! The current registry: the [default registry](crate::default_registry), unless a thread has
//! entered another one with [`Registry::enter`].
//!
//! Code that records into "the" registry without being handed one (the dynamic manager's free
//! use, `#[instrument]`, the `metrics` facade's default) asks for [`current_registry`]. Tests
//! enter a fresh registry so that they see only their own series, even when they run in
//! parallel threads of one process.

use std::cell::RefCell;
use std::marker::PhantomData;

use crate::registry::{default_registry, Registry};

thread_local! {
    /// Entered registries, innermost last.
    static ENTERED: RefCell<Vec<Registry>> = const { RefCell::new(Vec::new()) };
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
        .with(|entered| entered.borrow().last().cloned())
        .unwrap_or_else(|| default_registry().clone())
}

/// Keeps a registry current on this thread until dropped; made by [`Registry::enter`].
///
/// Not `Send`: a scope belongs to the thread that entered it. Async code that moves between
/// threads should pass its registry explicitly instead.
#[must_use = "the registry stops being current when the scope is dropped"]
#[derive(Debug)]
pub struct RegistryScope {
    /// Makes the scope `!Send` and `!Sync`.
    _thread_bound: PhantomData<*const ()>,
}

impl Registry {
    /// Makes this registry the [`current_registry`] of this thread until the returned scope is
    /// dropped. Scopes nest.
    pub fn enter(&self) -> RegistryScope {
        ENTERED.with(|entered| entered.borrow_mut().push(self.clone()));
        RegistryScope {
            _thread_bound: PhantomData,
        }
    }
}

impl Drop for RegistryScope {
    fn drop(&mut self) {
        // Ignore a thread-local already torn down at thread exit: nothing is current any more.
        let _ = ENTERED.try_with(|entered| entered.borrow_mut().pop());
    }
}
