//! The time module's error types: [`Elapsed`] for a [`Timeout`](super::Timeout)
//! whose deadline passed, and [`Error`] for a timer that cannot work.
//!
//! ```
//! use std::time::Duration;
//! use heddle::time::{error::Elapsed, timeout};
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let slow = heddle::time::sleep(Duration::from_secs(60));
//! let result: Result<(), Elapsed> = timeout(Duration::from_millis(1), slow).await;
//! assert!(result.is_err());
//! # });
//! ```

use std::fmt;

pub use super::timeout::Elapsed;

/// Why a timer operation failed.
///
/// heddle's own timers never fail with it (making a `Sleep` outside a
/// runtime with time enabled panics, the timer wheel has no capacity
/// limit, and runtime shutdown completes pending timers); it is here for
/// code, and tokio ports, that report timer failures of their own. Its
/// kinds:
///
/// * [`shutdown`](Error::shutdown): the runtime's timer is gone; the
///   operation can never succeed.
/// * [`at_capacity`](Error::at_capacity): the timer holds as many entries
///   as it can; a later attempt may succeed (shed load meanwhile).
/// * [`invalid`](Error::invalid): the duration is beyond what the timer
///   can represent.
///
/// ```
/// use heddle::time::error::Error;
///
/// let err = Error::at_capacity();
/// assert!(err.is_at_capacity() && !err.is_shutdown() && !err.is_invalid());
/// assert_eq!(err.to_string(), "timer is at capacity and cannot create a new entry");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Error(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shutdown,
    AtCapacity,
    Invalid,
}

impl Error {
    /// The timer has shut down.
    pub fn shutdown() -> Error {
        Error(Kind::Shutdown)
    }

    /// True if the timer has shut down.
    pub fn is_shutdown(&self) -> bool {
        self.0 == Kind::Shutdown
    }

    /// The timer holds as many entries as it can.
    pub fn at_capacity() -> Error {
        Error(Kind::AtCapacity)
    }

    /// True if the timer was at capacity.
    pub fn is_at_capacity(&self) -> bool {
        self.0 == Kind::AtCapacity
    }

    /// The timer was asked for something it cannot do (a duration out of
    /// its range).
    pub fn invalid() -> Error {
        Error(Kind::Invalid)
    }

    /// True if the timer was misused.
    pub fn is_invalid(&self) -> bool {
        self.0 == Kind::Invalid
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Kind::Shutdown => "the timer is shut down; timers must be used from the context of a heddle runtime",
            Kind::AtCapacity => "timer is at capacity and cannot create a new entry",
            Kind::Invalid => "timer duration exceeds maximum duration",
        })
    }
}

impl std::error::Error for Error {}
