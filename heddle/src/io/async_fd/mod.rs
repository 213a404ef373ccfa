//! [`AsyncFd`]: any non-blocking file descriptor (a socket, a pipe, an
//! eventfd, a device...) registered with heddle's reactor, so that tasks
//! can wait for it to become readable or writable and then run their own
//! system calls on it.
//!
//! `AsyncFd` uses the same reactor registration as heddle's sockets; it adds
//! no mechanism of its own. The readiness guards it hands out live in
//! `guard.rs`, the errors in `error.rs`.

mod error;
mod guard;

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};

use mio::unix::SourceFd;

#[allow(deprecated)]
pub use error::AsyncFdTryNewError;
pub use error::{AsyncFdRegisterError, TryIoError};
use guard::Observed;
pub use guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard};

use crate::driver::io::{Direction, Registration};
use crate::io::Interest;

/// A file descriptor registered with the reactor of the heddle runtime it
/// was created in, owning the object `T` that holds it.
///
/// The descriptor must be usable with epoll (sockets, pipes, FIFOs,
/// eventfd, timerfd, inotify, terminals...; not regular files) and must be
/// in non-blocking mode: `AsyncFd` only reports readiness, and the caller's
/// own reads and writes must return `WouldBlock` instead of blocking.
///
/// Waiting is done with [`readable`](Self::readable),
/// [`writable`](Self::writable) or [`ready`](Self::ready). They resolve to
/// a guard; after an operation returns `WouldBlock`, the caller calls
/// [`clear_ready`](AsyncFdReadyGuard::clear_ready) on it so the next wait
/// sleeps until the kernel reports new readiness (the reactor is
/// edge-triggered: readiness is remembered until cleared). The guard's
/// [`try_io`](AsyncFdReadyGuard::try_io) does both in one call.
///
/// While the `AsyncFd` owns `T`, `T::as_raw_fd` must keep returning the
/// same open descriptor, for the same open file: [`register`](Self::register)
/// makes this the `unsafe` contract of its caller. The registration is
/// removed when the `AsyncFd` is dropped (before `T` is dropped, so before
/// `T` closes the descriptor) or when [`into_inner`](Self::into_inner)
/// hands `T` back.
///
/// The interest given to [`register_with_interest`](Self::register_with_interest)
/// is what epoll is asked to watch: an `AsyncFd` made for `READABLE` only
/// never reports (or waits on) write readiness, and only one made with
/// [`Interest::PRIORITY`] is told about urgent data. Errors are always
/// reported, so [`ready(Interest::ERROR)`](Self::ready) works whatever the
/// registration's interest.
///
/// ```
/// use heddle::io::unix::AsyncFd;
/// use std::io::{Read, Write};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// b.set_nonblocking(true).unwrap();
/// // SAFETY: the `UnixStream` owns its descriptor and keeps it open and
/// // unchanged for as long as the `AsyncFd` holds it.
/// let reader = unsafe { AsyncFd::register(a) }.unwrap();
///
/// heddle::spawn(async move {
///     (&b).write_all(b"ping").unwrap();
/// });
///
/// let mut buf = [0u8; 4];
/// let n = loop {
///     let mut guard = reader.readable().await.unwrap();
///     match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///         Ok(result) => break result.unwrap(),
///         Err(_would_block) => continue,
///     }
/// };
/// assert_eq!(&buf[..n], b"ping");
/// # });
/// ```
pub struct AsyncFd<T: AsRawFd> {
    registration: Registration,
    interest: Interest,
    /// `None` only after `into_inner` took it (the value is then consumed).
    inner: Option<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner`'s descriptor with the current runtime's reactor
    /// for readable and writable readiness, taking ownership of `inner`.
    /// On failure the error hands `inner` back.
    ///
    /// ```
    /// use heddle::io::unix::AsyncFd;
    /// use std::io::{Read, Write};
    ///
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// // SAFETY: the `UnixStream` owns its descriptor and keeps it open
    /// // until it is dropped, after the `AsyncFd` deregistered it.
    /// let fd = unsafe { AsyncFd::register(a) }.unwrap();
    /// b.write_all(b"hi").unwrap();
    /// let mut guard = fd.readable().await.unwrap();
    /// let mut buf = [0u8; 2];
    /// let n = guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap().unwrap();
    /// assert_eq!(&buf[..n], b"hi");
    /// # });
    /// ```
    ///
    /// # Safety
    /// If the call returns an `AsyncFd`, then from the call until that
    /// `AsyncFd` is dropped, forgotten or unwrapped with
    /// [`into_inner`](Self::into_inner), every call of `inner.as_raw_fd()`
    /// must return one same descriptor, and that descriptor must stay open
    /// and refer to the same open file the whole time: not closed, not
    /// replaced (`dup2`), not given to another owner. The `AsyncFd` lends
    /// the descriptor out as a `BorrowedFd` ([`AsFd`]) and deregisters it
    /// by number when done, both of which would otherwise act on whatever
    /// file had reused the number. A call that fails leaves nothing
    /// behind, so it asks nothing more: registering an invalid descriptor
    /// just returns `EBADF`.
    ///
    /// # Errors
    /// When epoll refuses the descriptor (a regular file gives `EPERM`, one
    /// already registered with this reactor `EEXIST`, an invalid one
    /// `EBADF`), or the runtime's reactor has shut down.
    ///
    /// # Panics
    /// Outside a heddle runtime, or on one built without I/O enabled.
    #[track_caller]
    pub unsafe fn register(inner: T) -> Result<Self, AsyncFdRegisterError<T>> {
        Self::register_unchecked(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// [`register`](Self::register), for a caller that means to wait only
    /// for `interest` (see the type's documentation on interests).
    ///
    /// ```
    /// use heddle::io::{unix::AsyncFd, Interest};
    ///
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// // SAFETY: as for `register`: `a` owns its descriptor and keeps it.
    /// let fd = unsafe { AsyncFd::register_with_interest(a, Interest::READABLE | Interest::PRIORITY) }.unwrap();
    /// assert_eq!(fd.interest(), Interest::READABLE | Interest::PRIORITY);
    /// # });
    /// ```
    ///
    /// # Safety
    /// As [`register`](Self::register).
    ///
    /// # Errors
    /// As [`register`](Self::register).
    ///
    /// # Panics
    /// As [`register`](Self::register).
    #[track_caller]
    pub unsafe fn register_with_interest(inner: T, interest: Interest) -> Result<Self, AsyncFdRegisterError<T>> {
        Self::register_unchecked(inner, interest)
    }

    /// Registers `inner`'s descriptor for readable and writable readiness.
    ///
    /// Prefer [`register`](Self::register): this constructor is safe to
    /// call, but the `AsyncFd` relies on the same contract (tokio 1.54
    /// deprecates it for that reason, and so does heddle).
    ///
    /// # Errors
    /// As [`register`](Self::register). `inner` is dropped; use
    /// [`try_new`](Self::try_new) to get it back.
    ///
    /// # Panics
    /// Outside a heddle runtime, or on one built without I/O enabled.
    #[deprecated(
        note = "not sound without I/O safety (the descriptor must stay open while registered); use `AsyncFd::register` instead"
    )]
    #[track_caller]
    pub fn new(inner: T) -> io::Result<Self> {
        Self::register_unchecked(inner, Interest::READABLE | Interest::WRITABLE).map_err(io::Error::from)
    }

    /// Registers `inner`'s descriptor, for a caller that means to wait only
    /// for `interest`. Prefer
    /// [`register_with_interest`](Self::register_with_interest) (see
    /// [`new`](Self::new)).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// # Panics
    /// As [`new`](Self::new).
    #[deprecated(
        note = "not sound without I/O safety (the descriptor must stay open while registered); use `AsyncFd::register_with_interest` instead"
    )]
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<Self> {
        Self::register_unchecked(inner, interest).map_err(io::Error::from)
    }

    /// Like [`new`](Self::new), but gives `inner` back with the error.
    /// Prefer [`register`](Self::register) (see [`new`](Self::new)).
    ///
    /// # Errors
    /// As [`new`](Self::new), wrapped with `inner` in an
    /// [`AsyncFdRegisterError`].
    ///
    /// # Panics
    /// As [`new`](Self::new).
    #[deprecated(
        note = "not sound without I/O safety (the descriptor must stay open while registered); use `AsyncFd::register` instead"
    )]
    #[track_caller]
    pub fn try_new(inner: T) -> Result<Self, AsyncFdRegisterError<T>> {
        Self::register_unchecked(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Like [`with_interest`](Self::with_interest), but gives `inner` back
    /// with the error. Prefer
    /// [`register_with_interest`](Self::register_with_interest) (see
    /// [`new`](Self::new)).
    ///
    /// # Errors
    /// As [`new`](Self::new), wrapped with `inner` in an
    /// [`AsyncFdRegisterError`].
    ///
    /// # Panics
    /// As [`new`](Self::new).
    #[deprecated(
        note = "not sound without I/O safety (the descriptor must stay open while registered); use `AsyncFd::register_with_interest` instead"
    )]
    #[track_caller]
    pub fn try_with_interest(inner: T, interest: Interest) -> Result<Self, AsyncFdRegisterError<T>> {
        Self::register_unchecked(inner, interest)
    }

    /// What every constructor does: registers the descriptor and wraps
    /// `inner`, or hands it back with the cause. Registering is safe in
    /// itself; the contract of [`register`](Self::register) is about what
    /// the `AsyncFd` does with the descriptor afterwards.
    #[track_caller]
    fn register_unchecked(inner: T, interest: Interest) -> Result<Self, AsyncFdRegisterError<T>> {
        let fd = inner.as_raw_fd();
        match Registration::with_interest(&mut SourceFd(&fd), interest.to_mio()) {
            Ok(registration) => Ok(AsyncFd { registration, interest, inner: Some(inner) }),
            Err(cause) => Err(AsyncFdRegisterError::new(inner, cause)),
        }
    }

    /// The interest this `AsyncFd` was created with.
    pub fn interest(&self) -> Interest {
        self.interest
    }

    /// The wrapped object.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("AsyncFd used after into_inner")
    }

    /// The wrapped object, mutably. Its descriptor must not change.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("AsyncFd used after into_inner")
    }

    /// Removes the descriptor from the reactor and hands the wrapped object
    /// back, leaving its descriptor open.
    pub fn into_inner(mut self) -> T {
        self.take_inner().expect("AsyncFd used after into_inner")
    }

    /// Deregisters and takes the inner object (for `into_inner` and drop).
    fn take_inner(&mut self) -> Option<T> {
        let inner = self.inner.take()?;
        let fd = inner.as_raw_fd();
        // Failure means the reactor is gone, and with it the registration.
        let _ = self.registration.deregister(&mut SourceFd(&fd));
        Some(inner)
    }

    /// Polls for read readiness: `Ready` with a guard once the descriptor
    /// may be readable. Only the waker of the last task to poll for read
    /// readiness is woken.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub fn poll_read_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let observed = ready!(self.poll_observe(cx, Direction::Read))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, observed)))
    }

    /// [`poll_read_ready`](Self::poll_read_ready) with a guard that gives
    /// mutable access to the inner object.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let observed = ready!(self.poll_observe(cx, Direction::Read))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, observed)))
    }

    /// Polls for write readiness: `Ready` with a guard once the descriptor
    /// may be writable. Only the waker of the last task to poll for write
    /// readiness is woken.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub fn poll_write_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let observed = ready!(self.poll_observe(cx, Direction::Write))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, observed)))
    }

    /// [`poll_write_ready`](Self::poll_write_ready) with a guard that gives
    /// mutable access to the inner object.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let observed = ready!(self.poll_observe(cx, Direction::Write))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, observed)))
    }

    /// Waits until the descriptor is ready for some of `interest`; the
    /// guard's [`ready`](AsyncFdReadyGuard::ready) says which, within
    /// `interest`. Like every readiness report this can be a false
    /// positive: the operation that follows may still return `WouldBlock`
    /// (then clear the guard).
    ///
    /// [`Interest::PRIORITY`] waits for urgent data, such as TCP
    /// out-of-band bytes, and needs a registration with that interest;
    /// [`Interest::ERROR`] waits for an error condition, such as a message
    /// in a socket's error queue.
    ///
    /// ```
    /// use heddle::io::{unix::AsyncFd, Interest, Ready};
    ///
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // A connected UDP socket learns of the ICMP "port unreachable"
    /// // its datagram to a closed port provokes as a pending error.
    /// let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let port = closed.local_addr().unwrap();
    /// drop(closed);
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// socket.set_nonblocking(true).unwrap();
    /// socket.connect(port).unwrap();
    /// // SAFETY: the socket owns its descriptor and keeps it open.
    /// let fd = unsafe { AsyncFd::register(socket) }.unwrap();
    /// fd.get_ref().send(b"anyone?").unwrap();
    /// let mut guard = fd.ready(Interest::ERROR).await.unwrap();
    /// assert_eq!(guard.ready(), Ready::ERROR);
    /// let error = fd.get_ref().take_error().unwrap().unwrap();
    /// assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    /// guard.clear_ready();
    /// # });
    /// ```
    ///
    /// Cancel safe: readiness that arrives is kept until cleared.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let observed = wait_interest(&self.registration, interest).await?;
        Ok(AsyncFdReadyGuard::new(self, observed))
    }

    /// [`ready`](Self::ready) with a guard that gives mutable access to the
    /// inner object.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn ready_mut(&mut self, interest: Interest) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let observed = wait_interest(&self.registration, interest).await?;
        Ok(AsyncFdReadyMutGuard::new(self, observed))
    }

    /// Waits until the descriptor may be readable:
    /// `ready(Interest::READABLE)`.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// [`readable`](Self::readable) with a mutable guard.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// Waits until the descriptor may be writable:
    /// `ready(Interest::WRITABLE)`.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// [`writable`](Self::writable) with a mutable guard.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// Runs `f` on the inner object until it returns something other than
    /// `WouldBlock`, waiting for `interest` readiness before each try and
    /// clearing it after each `WouldBlock`. With several interests, it
    /// waits for the first of readable, writable, priority and error that
    /// `interest` includes.
    ///
    /// ```
    /// use heddle::io::{unix::AsyncFd, Interest};
    /// use std::io::{Read, Write};
    ///
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// // SAFETY: `a` owns its descriptor and keeps it open.
    /// let fd = unsafe { AsyncFd::register(a) }.unwrap();
    /// heddle::spawn(async move { (&b).write_all(b"hi").unwrap() });
    /// let mut buf = [0u8; 2];
    /// let n = fd.async_io(Interest::READABLE, |s| (&*s).read(&mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"hi");
    /// # });
    /// ```
    ///
    /// # Errors
    /// Whatever `f` returns other than `WouldBlock`, or the reactor's
    /// shutdown.
    pub async fn async_io<R>(&self, interest: Interest, mut f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let inner = self.get_ref();
        self.registration.async_io(interest.direction(), || f(inner)).await
    }

    /// [`async_io`](Self::async_io) with mutable access to the inner object.
    ///
    /// # Errors
    /// As [`async_io`](Self::async_io).
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let AsyncFd { registration, inner, .. } = self;
        let inner = inner.as_mut().expect("AsyncFd used after into_inner");
        registration.async_io(interest.direction(), || f(inner)).await
    }

    /// Runs `f` once if the descriptor looks ready for `interest`, without
    /// waiting. A `WouldBlock` from `f` clears that readiness.
    ///
    /// # Errors
    /// `WouldBlock` if the descriptor is not known to be ready, otherwise
    /// whatever `f` returns.
    pub fn try_io<R>(&self, interest: Interest, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let inner = self.get_ref();
        self.registration.try_io(interest.direction(), || f(inner))
    }

    /// [`try_io`](Self::try_io) with mutable access to the inner object.
    ///
    /// # Errors
    /// As [`try_io`](Self::try_io).
    pub fn try_io_mut<R>(&mut self, interest: Interest, f: impl FnOnce(&mut T) -> io::Result<R>) -> io::Result<R> {
        let AsyncFd { registration, inner, .. } = self;
        let inner = inner.as_mut().expect("AsyncFd used after into_inner");
        registration.try_io(interest.direction(), || f(inner))
    }

    /// The registration, for the guards.
    pub(super) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Readiness in one direction, captured so a guard can clear it.
    fn poll_observe(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<Observed>> {
        let event = ready!(self.registration.poll_ready(cx, direction))?;
        let mut observed = Observed::default();
        observed.insert(event);
        Poll::Ready(Ok(observed))
    }
}

/// Waits for readiness in any direction of `interest`, as one of any number
/// of waiting tasks (each is woken). It borrows only the registration
/// (always `Sync`), not the `AsyncFd`, so that `readable_mut` and friends
/// are `Send` futures for an inner type that is `Send` but not `Sync`, as
/// tokio's are.
async fn wait_interest(registration: &Registration, interest: Interest) -> io::Result<Observed> {
    let events = registration.readiness(interest.directions()).await?;
    let mut observed = Observed::default();
    for event in events.into_iter().flatten() {
        observed.insert(event);
    }
    Ok(observed)
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        // Deregister while the descriptor is still open; `T` closes it when
        // dropped right after.
        drop(self.take_inner());
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: `register`'s contract (which the safe constructors'
        // callers are documented to keep too) is that the inner object keeps
        // this descriptor open and unchanged while the `AsyncFd` owns it, and
        // the borrow cannot outlive `self`.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl<T: AsRawFd + std::fmt::Debug> std::fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncFd").field("inner", &self.inner).field("interest", &self.interest).finish()
    }
}
