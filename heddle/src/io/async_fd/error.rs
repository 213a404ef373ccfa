//! Errors of [`AsyncFd`](super::AsyncFd): [`TryIoError`] (a guard's
//! operation would block) and [`AsyncFdTryNewError`] (registration failed,
//! with the object handed back).

use std::error::Error;
use std::fmt;
use std::io;

/// Returned by a readiness guard's `try_io` when the operation returned
/// `WouldBlock`: the guard's readiness was cleared, so wait again.
pub struct TryIoError(());

impl TryIoError {
    pub(super) fn new() -> TryIoError {
        TryIoError(())
    }
}

impl fmt::Debug for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryIoError")
    }
}

/// Returned by [`AsyncFd::try_new`](super::AsyncFd::try_new) and
/// [`try_with_interest`](super::AsyncFd::try_with_interest) when the
/// descriptor could not be registered: the cause, and the object that was
/// to be wrapped.
pub struct AsyncFdTryNewError<T> {
    inner: T,
    cause: io::Error,
}

impl<T> AsyncFdTryNewError<T> {
    pub(super) fn new(inner: T, cause: io::Error) -> Self {
        AsyncFdTryNewError { inner, cause }
    }

    /// The object that was to be wrapped, and why registering it failed.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> fmt::Debug for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.cause, f)
    }
}

impl<T> Error for AsyncFdTryNewError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdTryNewError<T>> for io::Error {
    fn from(error: AsyncFdTryNewError<T>) -> io::Error {
        error.cause
    }
}
