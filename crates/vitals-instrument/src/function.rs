//! (being written)

/// (being written)
pub struct FunctionSite;
/// (being written)
pub struct FunctionSpec;
/// (being written)
pub trait ErrorLabel {}

pub(crate) mod private {}
