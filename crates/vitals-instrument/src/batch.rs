//! (being written)

/// (being written)
pub struct BatchTracker;
