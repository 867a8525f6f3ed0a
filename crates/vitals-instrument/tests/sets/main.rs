//! Instrument sets: every set's series read back from the exposition with exact values, two
//! instances sharing families in one registry, registration errors, and the failures each set
//! sends to the error sink.

mod cache;
mod db;
mod exposition;
mod health;
mod llm;
mod pool;
mod queue;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use vitals_instrument::sink::{clear_error_sink, set_error_sink, ErrorEvent, ErrorRef};

/// One event an error sink received, owned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reported {
    pub(crate) source: String,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) message: String,
    /// Whether it came as a real `std::error::Error` (not only a message).
    pub(crate) is_error: bool,
}

impl Reported {
    pub(crate) fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The sink is one per process: tests that install one take this lock.
static SINK_LOCK: Mutex<()> = Mutex::new(());

/// A capturing error sink, installed until dropped.
pub(crate) struct Capture {
    events: Arc<Mutex<Vec<Reported>>>,
    _lock: MutexGuard<'static, ()>,
}

impl Capture {
    pub(crate) fn install() -> Self {
        let lock = SINK_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let events: Arc<Mutex<Vec<Reported>>> = Arc::default();
        let log = Arc::clone(&events);
        set_error_sink(move |event: &ErrorEvent<'_>| {
            log.lock().unwrap().push(Reported {
                source: event.source().to_owned(),
                labels: event
                    .labels()
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                message: event.error().to_string(),
                is_error: matches!(event.error(), ErrorRef::Error(_)),
            });
        });
        Self {
            events,
            _lock: lock,
        }
    }

    /// The events whose labels include `label` (other tests running meanwhile may report
    /// their own failures to this sink).
    pub(crate) fn with_label(&self, label: (&str, &str)) -> Vec<Reported> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.label(label.0) == Some(label.1))
            .cloned()
            .collect()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        clear_error_sink();
    }
}

/// Runs `f`, expecting it to panic (the panic hook still prints it).
pub(crate) fn expect_panic<R>(f: impl FnOnce() -> R) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    assert!(result.is_err(), "expected a panic");
}
