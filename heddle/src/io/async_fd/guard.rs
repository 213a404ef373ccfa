//! The readiness guards [`AsyncFd`]'s waits resolve to:
//! [`AsyncFdReadyGuard`] (shared access to the inner object) and
//! [`AsyncFdReadyMutGuard`] (mutable access).
//!
//! A guard remembers the readiness events it was made from, so that
//! clearing it clears only those: readiness the reactor reported after the
//! guard was made survives, and no wake-up is lost.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

use super::{AsyncFd, TryIoError};
use crate::driver::io::{Direction, ReadyEvent, Registration};
use crate::io::Ready;

/// The readiness a guard was made from: the reactor's event per direction
/// (read, write, priority, error), each cleared on its own.
#[derive(Default)]
pub(super) struct Observed {
    events: [Option<ReadyEvent>; Direction::COUNT],
}

impl Observed {
    /// Adds readiness observed in one direction.
    pub(super) fn insert(&mut self, event: ReadyEvent) {
        self.events[event.direction().index()] = Some(event);
    }

    /// The readiness observed and not cleared yet.
    fn ready(&self) -> Ready {
        self.events.iter().flatten().fold(Ready::EMPTY, |ready, event| ready | event.readiness())
    }

    /// Clears the observed readiness of every direction whose flag is in
    /// `which` (`READABLE`, `WRITABLE`, `PRIORITY`, `ERROR`), and forgets it.
    fn clear(&mut self, registration: &Registration, which: Ready) {
        for observed in &mut self.events {
            let Some(event) = observed else { continue };
            if !(event.direction().flag() & which).is_empty() {
                registration.clear_readiness(*event);
                *observed = None;
            }
        }
    }
}

/// Readiness found on an [`AsyncFd`] and not yet acknowledged, with shared
/// access to the `AsyncFd`.
///
/// After an operation on the descriptor returns `WouldBlock`, call
/// [`clear_ready`](Self::clear_ready): the next wait then sleeps until the
/// kernel reports new readiness. Otherwise the readiness stays set and the
/// next wait returns at once ([`retain_ready`](Self::retain_ready) says so
/// explicitly). [`try_io`](Self::try_io) runs an operation and clears on
/// `WouldBlock` in one step.
///
/// ```
/// use heddle::io::unix::AsyncFd;
/// use std::io::Read;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// // SAFETY: `a` owns its descriptor and keeps it open.
/// let fd = unsafe { AsyncFd::register(a) }.unwrap();
/// // A fresh socket is writable: the first wait returns at once.
/// let guard = fd.writable().await.unwrap();
/// assert!(guard.ready().is_writable());
/// drop(guard);
///
/// drop(b); // EOF: the reader becomes readable and reads 0 bytes.
/// let mut guard = fd.readable().await.unwrap();
/// let n = guard.try_io(|fd| fd.get_ref().read(&mut [0u8; 8])).unwrap().unwrap();
/// assert_eq!(n, 0);
/// # });
/// ```
#[must_use = "a readiness guard should be cleared (clear_ready, try_io) or kept (retain_ready) explicitly"]
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    observed: Observed,
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    pub(super) fn new(async_fd: &'a AsyncFd<T>, observed: Observed) -> Self {
        AsyncFdReadyGuard { async_fd, observed }
    }

    /// Marks the descriptor as no longer ready in the directions this
    /// guard observed; the next wait sleeps until the kernel reports new
    /// readiness. Call it only after seeing an operation return
    /// `WouldBlock`, never merely because one succeeded.
    ///
    /// Only the readiness events this guard was made from are cleared:
    /// readiness reported after the guard was created is kept.
    pub fn clear_ready(&mut self) {
        self.observed.clear(self.async_fd.registration(), Ready::ALL);
    }

    /// Like [`clear_ready`](Self::clear_ready), for only the readiness in
    /// `ready` (for a guard from [`AsyncFd::ready`] with several interests,
    /// after one direction's operation returned `WouldBlock`): `READABLE`,
    /// `WRITABLE`, `PRIORITY` and `ERROR` each clear their own direction.
    ///
    /// The `*_CLOSED` states are final and are never cleared.
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        self.observed.clear(self.async_fd.registration(), ready);
    }

    /// Keeps the readiness set: the next wait returns at once. Does
    /// nothing besides acknowledging the guard.
    pub fn retain_ready(&mut self) {}

    /// The readiness this guard observed and has not cleared.
    pub fn ready(&self) -> Ready {
        self.observed.ready()
    }

    /// Runs `f`, an operation on the descriptor. If it returns
    /// `WouldBlock`, clears the guard's readiness and returns
    /// `Err(TryIoError)`, telling the caller to wait again; otherwise
    /// returns `Ok` with `f`'s result.
    ///
    /// # Errors
    /// [`TryIoError`] when `f` returned `WouldBlock`.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError::new())
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The object the `AsyncFd` wraps.
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("async_fd", self.async_fd)
            .field("ready", &self.observed.ready())
            .finish()
    }
}

/// Readiness found on an [`AsyncFd`] and not yet acknowledged, with
/// mutable access to the `AsyncFd` (from the `*_mut` waits).
///
/// It works as [`AsyncFdReadyGuard`] does; see there.
///
/// ```
/// use heddle::io::unix::AsyncFd;
/// use std::io::Write;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// // SAFETY: `a` owns its descriptor and keeps it open.
/// let mut fd = unsafe { AsyncFd::register(a) }.unwrap();
/// let mut guard = fd.writable_mut().await.unwrap();
/// let n = guard.try_io(|fd| fd.get_mut().write(b"data")).unwrap().unwrap();
/// assert_eq!(n, 4);
/// # });
/// ```
#[must_use = "a readiness guard should be cleared (clear_ready, try_io) or kept (retain_ready) explicitly"]
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    async_fd: &'a mut AsyncFd<T>,
    observed: Observed,
}

impl<'a, T: AsRawFd> AsyncFdReadyMutGuard<'a, T> {
    pub(super) fn new(async_fd: &'a mut AsyncFd<T>, observed: Observed) -> Self {
        AsyncFdReadyMutGuard { async_fd, observed }
    }

    /// See [`AsyncFdReadyGuard::clear_ready`].
    pub fn clear_ready(&mut self) {
        self.observed.clear(self.async_fd.registration(), Ready::ALL);
    }

    /// See [`AsyncFdReadyGuard::clear_ready_matching`].
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        self.observed.clear(self.async_fd.registration(), ready);
    }

    /// See [`AsyncFdReadyGuard::retain_ready`].
    pub fn retain_ready(&mut self) {}

    /// The readiness this guard observed and has not cleared.
    pub fn ready(&self) -> Ready {
        self.observed.ready()
    }

    /// Runs `f` with the `AsyncFd`; on `WouldBlock` clears the guard's
    /// readiness and returns `Err(TryIoError)`. See
    /// [`AsyncFdReadyGuard::try_io`].
    ///
    /// # Errors
    /// [`TryIoError`] when `f` returned `WouldBlock`.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError::new())
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.async_fd
    }

    /// The `AsyncFd` this guard belongs to, mutably.
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.async_fd
    }

    /// The object the `AsyncFd` wraps.
    pub fn get_inner(&self) -> &T {
        self.async_fd.get_ref()
    }

    /// The object the `AsyncFd` wraps, mutably.
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.async_fd.get_mut()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("async_fd", &*self.async_fd)
            .field("ready", &self.observed.ready())
            .finish()
    }
}
