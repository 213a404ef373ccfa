//! Small internal building blocks shared by the runtime's parts.

pub(crate) mod atomic_waker;
pub(crate) mod cache_line;
pub(crate) mod rand;
pub(crate) mod spin;
