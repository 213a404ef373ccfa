//! Errors of [`AsyncFd`](super::AsyncFd): [`TryIoError`] (a guard's
//! operation would block) and [`AsyncFdRegisterError`] (registration
//! failed, with the object handed back).

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

/// Returned by [`AsyncFd::register`](super::AsyncFd::register) and the
/// other `AsyncFd` constructors that hand the object back when the
/// descriptor could not be registered: the cause, and the object that was
/// to be wrapped.
///
/// ```
/// use heddle::io::unix::AsyncFd;
/// use std::os::fd::AsRawFd;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// // epoll cannot watch /dev/null (it has no readiness to report).
/// let file = std::fs::File::open("/dev/null").unwrap();
/// let raw = file.as_raw_fd();
/// // SAFETY: `file` owns its descriptor and keeps it open; nothing
/// // replaces it.
/// let err = unsafe { AsyncFd::register(file) }.unwrap_err();
/// let (file, cause) = err.into_parts();
/// assert_eq!(cause.raw_os_error(), Some(libc::EPERM));
/// assert_eq!(file.as_raw_fd(), raw);
/// # });
/// ```
pub struct AsyncFdRegisterError<T> {
    inner: T,
    cause: io::Error,
}

/// The former name of [`AsyncFdRegisterError`], kept so code written
/// against it still compiles.
#[deprecated(note = "renamed to `AsyncFdRegisterError`")]
#[doc(hidden)]
pub type AsyncFdTryNewError<T> = AsyncFdRegisterError<T>;

impl<T> AsyncFdRegisterError<T> {
    pub(super) fn new(inner: T, cause: io::Error) -> Self {
        AsyncFdRegisterError { inner, cause }
    }

    /// The object that was to be wrapped, and why registering it failed.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }

    /// The object that was to be wrapped, dropping the cause (a heddle
    /// addition; tokio has only [`into_parts`](Self::into_parts)).
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> fmt::Display for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> fmt::Debug for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.cause, f)
    }
}

impl<T> Error for AsyncFdRegisterError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdRegisterError<T>> for io::Error {
    fn from(error: AsyncFdRegisterError<T>) -> io::Error {
        error.cause
    }
}
