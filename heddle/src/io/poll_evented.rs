//! `PollEvented`: a mio source registered with the reactor, plus the retry
//! loop that turns "would block" into `Poll::Pending`.
//!
//! Every heddle socket type (`TcpStream`, `TcpListener`, `UdpSocket`, ...)
//! wraps one of these. Readiness is tracked per direction, so a task reading
//! and another task writing the same socket are woken independently.
//!
//! The contract for an I/O operation `f` in direction `d`:
//! 1. wait until the reactor reports `d` ready (or it already is);
//! 2. run `f`; if it fails with `WouldBlock`, clear `d`'s readiness (only the
//!    readiness seen in step 1, so an event that arrived meanwhile is kept)
//!    and go back to 1;
//! 3. otherwise return `f`'s result.

use std::io;
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use crate::driver::io::{Direction, Registration};

/// A mio event source registered with the current runtime's reactor.
pub(crate) struct PollEvented<E: mio::event::Source> {
    io: Option<E>,
    registration: Registration,
    /// Whether reads and writes go through `recvfrom`/`send` (sockets;
    /// MSG_NOSIGNAL, no SIGPIPE) or `read`/`write` (pipes); learned on the
    /// first call.
    fd_kind: raw::FdKind,
}

impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` for read and write readiness with the reactor of the
    /// runtime this thread is in.
    ///
    /// # Panics
    /// When called outside a heddle runtime, or on a runtime built without
    /// `enable_io`/`enable_all`.
    #[track_caller]
    pub(crate) fn new(mut io: E) -> io::Result<Self> {
        let registration = Registration::new(&mut io)?;
        Ok(PollEvented { io: Some(io), registration, fd_kind: raw::FdKind::default() })
    }

    /// Treats the source as readable and/or writable until an operation
    /// says otherwise, without waiting for the reactor's first event: an
    /// accepted connection's request has often arrived already, and a new
    /// socket pair's buffers are empty.
    pub(crate) fn assume_ready(&self, readable: bool, writable: bool) {
        self.registration.assume_ready(readable, writable);
    }

    /// The wrapped source.
    pub(crate) fn get_ref(&self) -> &E {
        self.io.as_ref().expect("PollEvented used after into_inner")
    }

    /// Deregisters the source from the reactor and hands it back.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self.io.take().expect("PollEvented used after into_inner");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    /// Ready once `direction` is ready (or the reactor is gone, as an error).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        self.registration.poll_ready(cx, direction).map_ok(|_| ())
    }

    /// Runs `op` when `direction` is ready, retrying after `WouldBlock` as
    /// the module doc describes. The core of every `poll_*` I/O method.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&E) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.registration.poll_io(cx, direction, || op(io))
    }

    /// Runs `op` once if `direction` looks ready, without registering a waker;
    /// `WouldBlock` clears the readiness and is returned as is (`try_read`-style APIs).
    pub(crate) fn try_io<R>(&self, direction: Direction, op: impl FnOnce(&E) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.try_io(direction, || op(io))
    }

    /// Awaits readiness in `direction` and runs `op`, retrying on
    /// `WouldBlock`. Any number of tasks may wait at once, and each is
    /// woken (the `&self` async methods: `recv`, `accept`, `async_io`...).
    pub(crate) async fn async_io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.async_io(direction, || op(io)).await
    }

    /// Waits until `direction` may be ready (`readable()`, `writable()`),
    /// as one of any number of waiting tasks.
    pub(crate) async fn ready_in(&self, direction: Direction) -> io::Result<()> {
        self.registration.readiness([direction]).await.map(|_| ())
    }

    /// Waits until some of `directions` may be ready, as one of any number
    /// of waiting tasks; says which.
    pub(crate) async fn readiness(
        &self,
        directions: impl IntoIterator<Item = Direction>,
    ) -> io::Result<crate::driver::io::ReadyEvents> {
        self.registration.readiness(directions).await
    }
}

impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Deregistering can only fail if the reactor is gone, in which case
            // the source is no longer watched anyway.
            let _ = self.registration.deregister(&mut io);
        }
    }
}

impl<E: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented").field("io", &self.io).finish()
    }
}

impl<E: mio::event::Source + AsRawFd> PollEvented<E> {
    /// `AsyncRead::poll_read` for fd-backed sources (sockets, pipes).
    ///
    /// A read that fills less than the buffer drained the socket (epoll is
    /// edge-triggered), so readiness is cleared right away: the next read
    /// waits for an event instead of making a syscall that would block.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> Poll<io::Result<()>> {
        let fd = self.get_ref().as_raw_fd();
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Read))?;
            // SAFETY: the kernel only writes initialised bytes into the
            // slice, and we never de-initialise any of it.
            let unfilled = unsafe { buf.unfilled_mut() };
            let len = unfilled.len();
            match self.fd_kind.read(fd, unfilled) {
                Ok(n) => {
                    if n > 0 && n < len {
                        self.registration.clear_readiness(event);
                    }
                    // SAFETY: the kernel initialised the first `n` bytes.
                    unsafe { buf.assume_init(n) };
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.registration.clear_readiness(event),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `AsyncWrite::poll_write` for fd-backed sources. A short write means
    /// the send buffer is full, so readiness is cleared.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let fd = self.get_ref().as_raw_fd();
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Write))?;
            match self.fd_kind.write(fd, buf) {
                Ok(n) => {
                    if n > 0 && n < buf.len() {
                        self.registration.clear_readiness(event);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.registration.clear_readiness(event),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `AsyncWrite::poll_write_vectored` for fd-backed sources.
    ///
    /// One non-empty slice, or several totalling at most [`GATHER_MAX`]
    /// bytes (an HTTP head and a small body), go out as one plain write:
    /// the kernel's `sendmsg`/`writev` path (copying in the message header
    /// and the iovec array) cost more than copying a few hundred bytes
    /// here (perf of a hyper server: ~2% of its CPU). Framed codecs hand
    /// over a single slice through this method, which now skips it too.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut non_empty = bufs.iter().filter(|b| !b.is_empty());
        match (non_empty.next(), non_empty.next()) {
            (None, _) => return self.poll_write(cx, &[]),
            (Some(only), None) => return self.poll_write(cx, only),
            (Some(_), Some(_)) => {}
        }
        let total = bufs.iter().fold(0usize, |sum, b| sum.saturating_add(b.len()));
        if total <= GATHER_MAX {
            // Uninitialised: zeroing 2 KiB would cost more than the copy.
            let mut gathered = [std::mem::MaybeUninit::<u8>::uninit(); GATHER_MAX];
            let mut at = 0;
            for b in bufs {
                // SAFETY: the slices total `total <= GATHER_MAX` bytes, so
                // `at + b.len()` stays within `gathered`; source and
                // destination are distinct allocations.
                unsafe {
                    std::ptr::copy_nonoverlapping(b.as_ptr(), gathered.as_mut_ptr().add(at).cast::<u8>(), b.len())
                };
                at += b.len();
            }
            // SAFETY: the loop above initialised the first `total` bytes.
            let gathered = unsafe { std::slice::from_raw_parts(gathered.as_ptr().cast::<u8>(), total) };
            return self.poll_write(cx, gathered);
        }
        let fd = self.get_ref().as_raw_fd();
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Write))?;
            match self.fd_kind.writev(fd, bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.registration.clear_readiness(event),
                result => return Poll::Ready(result),
            }
        }
    }
}

/// Vectored writes of at most this many bytes are gathered into one buffer
/// and written with one plain `send`.
const GATHER_MAX: usize = 2048;

/// `recvfrom`/`read`, `sendto`/`write` and `sendmsg`/`writev` as direct
/// system calls.
///
/// glibc's wrappers of these are thread-cancellation points and toggle the
/// cancellation state around every call; heddle never uses thread
/// cancellation, and on the request path those two extra calls cost about
/// 1% of a server's CPU.
mod raw {
    use std::io;
    use std::mem::MaybeUninit;
    use std::os::fd::RawFd;
    use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

    fn result(ret: libc::c_long) -> io::Result<usize> {
        if ret < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(ret as usize)
        }
    }

    /// Whether the fd is a socket, learnt from the first call that tells.
    ///
    /// Sockets are written with `sendto`/`sendmsg` and MSG_NOSIGNAL, so a
    /// reset peer gives EPIPE instead of killing a process that did not
    /// ignore SIGPIPE, and read with `recvfrom`, whose kernel path skips
    /// the file layer that `read` goes through (~0.7% of a hyper server's
    /// CPU). Other fds (pipes, ttys) use `read`/`write`/`writev`.
    #[derive(Debug, Default)]
    pub(super) struct FdKind(AtomicU8);

    const UNKNOWN: u8 = 0;
    const SOCKET: u8 = 1;
    const OTHER: u8 = 2;

    impl FdKind {
        pub(super) fn read(&self, fd: RawFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
            if self.0.load(Relaxed) != OTHER {
                // SAFETY: the kernel writes at most `buf.len()` bytes into
                // `buf`, which is valid writable memory for that length; the
                // null address pointers ask for no peer address.
                let ret =
                    unsafe { libc::syscall(libc::SYS_recvfrom, fd, buf.as_mut_ptr(), buf.len(), 0, 0usize, 0usize) };
                if let Some(r) = self.learn(result(ret)) {
                    return r;
                }
            }
            // SAFETY: as above.
            result(unsafe { libc::syscall(libc::SYS_read, fd, buf.as_mut_ptr(), buf.len()) })
        }

        pub(super) fn write(&self, fd: RawFd, buf: &[u8]) -> io::Result<usize> {
            if self.0.load(Relaxed) != OTHER {
                // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
                let ret = unsafe {
                    libc::syscall(libc::SYS_sendto, fd, buf.as_ptr(), buf.len(), libc::MSG_NOSIGNAL, 0usize, 0usize)
                };
                if let Some(r) = self.learn(result(ret)) {
                    return r;
                }
            }
            // SAFETY: as above.
            result(unsafe { libc::syscall(libc::SYS_write, fd, buf.as_ptr(), buf.len()) })
        }

        pub(super) fn writev(&self, fd: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
            // The kernel refuses more than IOV_MAX (1024) iovecs.
            let count = bufs.len().min(1024);
            if self.0.load(Relaxed) != OTHER {
                // SAFETY: an all-zero msghdr is valid; `IoSlice` is
                // ABI-compatible with `struct iovec`.
                let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
                msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
                msg.msg_iovlen = count as _;
                // SAFETY: `msg` points to `count` valid iovecs whose memory
                // is readable for their lengths.
                let ret =
                    unsafe { libc::syscall(libc::SYS_sendmsg, fd, &msg as *const libc::msghdr, libc::MSG_NOSIGNAL) };
                if let Some(r) = self.learn(result(ret)) {
                    return r;
                }
            }
            // SAFETY: `bufs` points to `count` valid iovecs.
            result(unsafe { libc::syscall(libc::SYS_writev, fd, bufs.as_ptr(), count) })
        }

        /// Records what a call told us about the fd; None means "not a
        /// socket: use read/write instead".
        fn learn(&self, r: io::Result<usize>) -> Option<io::Result<usize>> {
            match r {
                Err(e) if e.raw_os_error() == Some(libc::ENOTSOCK) => {
                    self.0.store(OTHER, Relaxed);
                    None
                }
                r => {
                    if self.0.load(Relaxed) == UNKNOWN {
                        self.0.store(SOCKET, Relaxed);
                    }
                    Some(r)
                }
            }
        }
    }
}
