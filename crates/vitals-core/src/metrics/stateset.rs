use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{boxed_handle, sealed, Metric};
use crate::collect::{Flags, LabelText, MetricType, SeriesValue, StateSetValue, Visitor};
use crate::error::{Error, ErrorKind, Result};
use crate::self_metrics::{record, DropReason};

/// The states of a [`StateSet`] family: non-empty, no repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSetOptions {
    states: Arc<[Box<str>]>,
}

impl StateSetOptions {
    /// Validates a list of state names.
    ///
    /// ```
    /// use vitals_core::{ErrorKind, StateSetOptions};
    /// assert!(StateSetOptions::new(&["starting", "ready"]).is_ok());
    /// let err = StateSetOptions::new(&["a", "a"]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidStates);
    /// ```
    pub fn new<S: AsRef<str>>(states: &[S]) -> Result<Self> {
        if states.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidStates,
                "a state set needs at least one state; list the states it can be in",
            ));
        }
        for (i, state) in states.iter().enumerate() {
            if states[..i].iter().any(|s| s.as_ref() == state.as_ref()) {
                return Err(Error::new(
                    ErrorKind::InvalidStates,
                    format!(
                        "state {:?} is listed twice; each state of a state set must be distinct",
                        state.as_ref()
                    ),
                ));
            }
        }
        Ok(Self {
            states: states.iter().map(|s| s.as_ref().into()).collect(),
        })
    }

    /// The state names.
    pub fn states(&self) -> &[Box<str>] {
        &self.states
    }
}

/// A set of named boolean states, such as a feature's `enabled`/`disabled` or a connection's
/// `connecting`/`ready`/`failed`. Each state is one sample with value 0 or 1, labelled by the
/// family's name; a gauge in Prometheus text 0.0.4.
///
/// ```
/// use vitals_core::Registry;
/// let registry = Registry::new();
/// let phase = registry
///     .state_set("worker_phase", "Phase of the worker.", &["idle", "busy"])
///     .register()
///     .unwrap();
/// phase.set_only("busy");
/// assert_eq!(phase.get("busy"), Some(true));
/// assert_eq!(phase.get("idle"), Some(false));
/// ```
#[derive(Debug, Clone)]
pub struct StateSet {
    states: Arc<[Box<str>]>,
    flags: Arc<[AtomicBool]>,
}

impl StateSet {
    /// A state set with every state off, belonging to no registry.
    pub fn new(options: &StateSetOptions) -> Self {
        Self {
            states: Arc::clone(&options.states),
            flags: options
                .states
                .iter()
                .map(|_| AtomicBool::new(false))
                .collect(),
        }
    }

    fn index(&self, state: &str) -> Option<usize> {
        let index = self.states.iter().position(|s| &**s == state);
        if index.is_none() {
            record(DropReason::UnknownState);
        }
        index
    }

    /// Turns `state` on or off. An unknown state is dropped and counted
    /// (`reason="unknown_state"`).
    pub fn set(&self, state: &str, on: bool) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if let Some(i) = self.index(state) {
            self.set_index(i, on);
        }
    }

    /// Turns the state at `index` (declaration order) on or off; out of range is dropped and
    /// counted.
    pub fn set_index(&self, index: usize, on: bool) {
        if !crate::switch::updates_enabled() {
            return;
        }
        match self.flags.get(index) {
            Some(flag) => flag.store(on, Ordering::Relaxed),
            None => record(DropReason::UnknownState),
        }
    }

    /// Turns `state` on and every other state off, for states that exclude each other. A scrape
    /// that races this call may see two states on or none for an instant.
    pub fn set_only(&self, state: &str) {
        if !crate::switch::updates_enabled() {
            return;
        }
        if let Some(only) = self.index(state) {
            for (i, flag) in self.flags.iter().enumerate() {
                flag.store(i == only, Ordering::Relaxed);
            }
        }
    }

    /// Whether `state` is on; `None` for an unknown state.
    pub fn get(&self, state: &str) -> Option<bool> {
        let i = self.states.iter().position(|s| &**s == state)?;
        self.flags.get(i).map(|f| f.load(Ordering::Relaxed))
    }
}

impl sealed::Sealed for StateSet {}

impl Metric for StateSet {
    type Options = StateSetOptions;
    const TYPE: MetricType = MetricType::StateSet;

    boxed_handle!();

    fn from_options(options: &StateSetOptions) -> Self {
        Self::new(options)
    }

    fn visit(&self, labels: &LabelText<'_>, visitor: &mut dyn Visitor) {
        visitor.series(
            labels,
            &SeriesValue::StateSet(StateSetValue {
                states: &self.states,
                flags: Flags::atomic(&self.flags),
            }),
        );
    }

    fn same_series(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.flags, &other.flags)
    }

    fn heap_bytes(&self) -> usize {
        2 * std::mem::size_of::<usize>() + self.flags.len()
    }
}
