//! Sentry events from errors and messages.

use std::error::Error;
use std::fmt;

use sentry::protocol::{Event, Level, Mechanism};

/// An exception event, as [`sentry::event_from_error`] makes it (one exception per error of
/// the `source()` chain, oldest first), with two repairs: the outermost exception carries the
/// mechanism `mechanism` (handled), and `std::io::Error`s are named so.
pub(crate) fn from_error(error: &(dyn Error + 'static), mechanism: &str) -> Event<'static> {
    let mut event = sentry::event_from_error(error);
    // Sentry names an exception by the first word of its `Debug` text, which for an
    // `io::Error` is its representation (`Custom`, `Os`, `Kind`), not its type.
    let chain = std::iter::successors(Some(error), |&e| e.source());
    for (exception, error) in event.exception.values.iter_mut().rev().zip(chain) {
        if error.is::<std::io::Error>() {
            exception.ty = String::from("std::io::Error");
        }
    }
    if let Some(outermost) = event.exception.values.last_mut() {
        outermost.mechanism = Some(Mechanism {
            ty: mechanism.to_owned(),
            handled: Some(true),
            ..Default::default()
        });
    }
    event
}

/// A message event at level error.
pub(crate) fn from_message(message: &dyn fmt::Display) -> Event<'static> {
    Event {
        message: Some(message.to_string()),
        level: Level::Error,
        ..Default::default()
    }
}
