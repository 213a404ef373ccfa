//! `runtime::Id`: tells runtimes apart.

use std::fmt;
use std::num::NonZeroU64;

/// An opaque id of a runtime, unique among all the runtimes the process
/// ever creates; see [`Handle::id`](crate::runtime::Handle::id).
///
/// Handles of the same runtime give the same id, so it can key a map of
/// per-runtime state, or check that two handles reach the same runtime.
///
/// ```
/// let rt1 = heddle::runtime::Builder::new_current_thread().build().unwrap();
/// let rt2 = heddle::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(rt1.handle().id(), rt1.handle().clone().id());
/// assert_ne!(rt1.handle().id(), rt2.handle().id());
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn new(id: NonZeroU64) -> Id {
        Id(id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
