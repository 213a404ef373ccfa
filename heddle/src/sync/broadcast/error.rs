//! Errors of the [`broadcast`](super) channel. A receiver that fell behind
//! learns how many values it missed, then goes on with the oldest kept:
//!
//! ```
//! use heddle::sync::broadcast::{self, error::TryRecvError};
//!
//! let (tx, mut rx) = broadcast::channel(2);
//! for i in 0..5 {
//!     tx.send(i).unwrap();
//! }
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
//! assert_eq!(rx.try_recv(), Ok(3));
//! ```

use std::fmt;

/// No receiver exists; the value is returned.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// Why `recv` returned no value.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum RecvError {
    /// Every sender is gone and every value has been received.
    Closed,
    /// This receiver fell behind and this many values were dropped for it.
    Lagged(u64),
}

/// Why `try_recv` returned no value.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// Nothing new yet.
    Empty,
    /// Every sender is gone and every value has been received.
    Closed,
    /// This receiver fell behind and this many values were dropped for it.
    Lagged(u64),
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError { .. }")
    }
}
impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}
impl<T> std::error::Error for SendError<T> {}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel closed"),
            RecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
        }
    }
}
impl std::error::Error for RecvError {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
            TryRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
        }
    }
}
impl std::error::Error for TryRecvError {}
