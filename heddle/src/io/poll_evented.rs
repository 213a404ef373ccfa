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
use std::task::{Context, Poll};

use crate::driver::io::{Direction, Registration};

/// A mio event source registered with the current runtime's reactor.
pub(crate) struct PollEvented<E: mio::event::Source> {
    io: Option<E>,
    registration: Registration,
}

impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` for read and write readiness with the reactor of the
    /// runtime this thread is in.
    ///
    /// # Panics
    /// When called outside a heddle runtime, or on a runtime built without
    /// `enable_io`/`enable_all`.
    pub(crate) fn new(mut io: E) -> io::Result<Self> {
        let registration = Registration::new(&mut io)?;
        Ok(PollEvented { io: Some(io), registration })
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

    /// Awaits readiness in `direction` and runs `op`, retrying on `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_io(cx, direction, &mut op)).await
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

impl<E: mio::event::Source> PollEvented<E> {
    /// `AsyncRead::poll_read` for sources readable through `&E`.
    ///
    /// A read that fills less than the buffer drained the socket (epoll is
    /// edge-triggered), so readiness is cleared right away: the next read
    /// waits for an event instead of making a syscall that would block.
    pub(crate) fn poll_read<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>>
    where
        &'a E: io::Read,
    {
        use std::io::Read;
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Read))?;
            // SAFETY: `read` only writes initialised bytes into the slice and
            // we only advance `filled` by what it reports.
            let unfilled = unsafe { &mut *(buf.unfilled_mut() as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]) };
            let len = unfilled.len();
            let mut io = self.get_ref();
            match io.read(unfilled) {
                Ok(n) => {
                    if n > 0 && n < len {
                        self.registration.clear_readiness(event);
                    }
                    // SAFETY: `read` initialised the first `n` bytes.
                    unsafe { buf.assume_init(n) };
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.registration.clear_readiness(event),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `AsyncWrite::poll_write` for sources writable through `&E`. A short
    /// write means the send buffer is full, so readiness is cleared.
    pub(crate) fn poll_write<'a>(&'a self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>
    where
        &'a E: io::Write,
    {
        use std::io::Write;
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Write))?;
            let mut io = self.get_ref();
            match io.write(buf) {
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

    /// `AsyncWrite::poll_write_vectored` for sources writable through `&E`.
    pub(crate) fn poll_write_vectored<'a>(
        &'a self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: io::Write,
    {
        use std::io::Write;
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Write))?;
            let mut io = self.get_ref();
            match io.write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.registration.clear_readiness(event),
                result => return Poll::Ready(result),
            }
        }
    }
}
