//! (being written)

/// (being written)
pub struct ComponentTracker;
