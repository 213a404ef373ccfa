//! # heddle-hyper
//!
//! Runs [hyper] 1.x on the heddle runtime, with no tokio runtime anywhere in
//! the process. hyper is runtime-agnostic: it asks for an executor, a timer
//! and an I/O type through the traits of [`hyper::rt`]. This crate provides
//! the three of them on top of heddle:
//!
//! - [`HeddleExecutor`]: [`hyper::rt::Executor`], spawns with [`heddle::spawn`]
//!   (needed by HTTP/2, which runs each stream and the connection driver as
//!   tasks);
//! - [`HeddleTimer`]: [`hyper::rt::Timer`], backed by [`heddle::time::Sleep`]
//!   (header-read timeouts, keep-alive pings, ...);
//! - [`HeddleIo`]: [`hyper::rt::Read`] + [`hyper::rt::Write`] for any
//!   `AsyncRead + AsyncWrite` type of heddle (such as
//!   [`heddle::net::TcpStream`]), and the other way round, tokio's
//!   `AsyncRead`/`AsyncWrite` (re-exported by [`heddle::io`]) for hyper's I/O
//!   types, such as an upgraded connection.
//!
//! ```no_run
//! use std::convert::Infallible;
//!
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//! use heddle_hyper::{HeddleIo, HeddleTimer};
//!
//! async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
//! }
//!
//! #[heddle::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = heddle::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     loop {
//!         let (stream, _) = listener.accept().await?;
//!         heddle::spawn(async move {
//!             let conn = http1::Builder::new()
//!                 .timer(HeddleTimer::new())
//!                 .serve_connection(HeddleIo::new(stream), service_fn(hello));
//!             if let Err(e) = conn.await {
//!                 eprintln!("connection error: {e}");
//!             }
//!         });
//!     }
//! }
//! ```

#![warn(missing_docs, missing_debug_implementations)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use heddle::io::{AsyncRead, AsyncWrite};

/// A [`hyper::rt::Executor`] that spawns hyper's background tasks on the
/// current heddle runtime with [`heddle::spawn`].
///
/// ```no_run
/// # async fn f(io: heddle_hyper::HeddleIo<heddle::net::TcpStream>) {
/// # let svc = hyper::service::service_fn(|_req| async {
/// #     Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Empty::<bytes::Bytes>::new()))
/// # });
/// use heddle_hyper::{HeddleExecutor, HeddleTimer};
/// let conn = hyper::server::conn::http2::Builder::new(HeddleExecutor::new())
///     .timer(HeddleTimer::new())
///     .serve_connection(io, svc);
/// # let _ = conn.await;
/// # }
/// ```
///
/// # Panics
/// `execute` panics when called outside a heddle runtime, like
/// [`heddle::spawn`].
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct HeddleExecutor;

impl HeddleExecutor {
    /// Creates the executor.
    pub fn new() -> HeddleExecutor {
        HeddleExecutor
    }
}

impl<F> hyper::rt::Executor<F> for HeddleExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        // Detached: hyper tracks its tasks itself.
        drop(heddle::spawn(fut));
    }
}

/// A [`hyper::rt::Timer`] backed by heddle's timer wheel.
///
/// Its sleeps are [`HeddleSleep`]s, and [`Timer::reset`](hyper::rt::Timer::reset)
/// moves one in place (reusing its timer entry) instead of allocating a new
/// one, which hyper does on every keep-alive request when a header-read
/// timeout is set.
///
/// # Panics
/// `sleep` and `sleep_until` panic outside a heddle runtime with the time
/// driver enabled, like [`heddle::time::sleep`].
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct HeddleTimer;

impl HeddleTimer {
    /// Creates the timer.
    pub fn new() -> HeddleTimer {
        HeddleTimer
    }
}

impl hyper::rt::Timer for HeddleTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeddleSleep { inner: heddle::time::sleep(duration) })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeddleSleep { inner: heddle::time::sleep_until(deadline.into()) })
    }

    fn now(&self) -> Instant {
        heddle::time::Instant::now().into_std()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HeddleSleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// The [`hyper::rt::Sleep`] of [`HeddleTimer`]: a [`heddle::time::Sleep`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct HeddleSleep {
    inner: heddle::time::Sleep,
}

impl HeddleSleep {
    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.inner.deadline().into_std()
    }

    /// Moves the deadline; the sleep becomes pending again if it had
    /// completed.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        // `heddle::time::Sleep` is `Unpin`, and so is this wrapper.
        Pin::new(&mut self.get_mut().inner).reset(deadline.into());
    }

    /// The wrapped heddle sleep.
    pub fn into_inner(self) -> heddle::time::Sleep {
        self.inner
    }
}

impl From<heddle::time::Sleep> for HeddleSleep {
    fn from(inner: heddle::time::Sleep) -> HeddleSleep {
        HeddleSleep { inner }
    }
}

impl Future for HeddleSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.get_mut().inner).poll(cx)
    }
}

impl hyper::rt::Sleep for HeddleSleep {}

pin_project_lite::pin_project! {
    /// Adapts I/O between heddle (tokio's `AsyncRead`/`AsyncWrite` traits,
    /// re-exported by [`heddle::io`]) and hyper ([`hyper::rt::Read`] and
    /// [`hyper::rt::Write`]).
    ///
    /// - If `T` is a heddle I/O type such as [`heddle::net::TcpStream`],
    ///   `HeddleIo<T>` is hyper I/O: hand it to `serve_connection` or
    ///   `handshake`.
    /// - If `T` is hyper I/O such as [`hyper::upgrade::Upgraded`],
    ///   `HeddleIo<T>` is heddle I/O, usable with [`heddle::io::AsyncReadExt`]
    ///   and friends.
    ///
    /// Vectored writes are forwarded in both directions.
    #[derive(Debug)]
    pub struct HeddleIo<T> {
        #[pin]
        inner: T,
    }
}

impl<T> HeddleIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> HeddleIo<T> {
        HeddleIo { inner }
    }

    /// The wrapped I/O object.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped I/O object, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped I/O object, pinned.
    pub fn inner_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Unwraps the I/O object.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

// heddle I/O -> hyper I/O.

impl<T: AsyncRead> hyper::rt::Read for HeddleIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `as_mut` requires that no byte initialized before is
        // de-initialized through the returned slice. The slice is only handed
        // to a tokio `ReadBuf`, whose safe API can only write initialized
        // bytes into it (and whose unsafe API carries the same contract for
        // the reader implementation).
        let unfilled = unsafe { buf.as_mut() };
        let start = unfilled.as_ptr();
        let mut tbuf = heddle::io::ReadBuf::uninit(unfilled);
        match self.project().inner.poll_read(cx, &mut tbuf) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        let filled = tbuf.filled();
        let n = filled.len();
        // A reader can replace the `ReadBuf` it was given with one over other
        // memory; the bytes would then not be in `buf`, and advancing over
        // them would expose uninitialized memory.
        assert!(
            n == 0 || std::ptr::eq(filled.as_ptr(), start.cast::<u8>()),
            "AsyncRead::poll_read swapped the ReadBuf it was given"
        );
        // SAFETY: the first `n` bytes of `buf`'s unfilled part were filled
        // (so initialized) by the reader: `tbuf` covers exactly that part
        // (checked above) and its filled region starts at its beginning.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for HeddleIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}

// hyper I/O -> heddle I/O (for example an upgraded connection).

impl<T: hyper::rt::Read> AsyncRead for HeddleIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        tbuf: &mut heddle::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `unfilled_mut` requires that no initialized byte is
        // de-initialized through the returned slice. It is only handed to a
        // hyper `ReadBuf`, whose safe API writes initialized bytes only (and
        // whose unsafe API carries the same contract for the reader).
        let unfilled = unsafe { tbuf.unfilled_mut() };
        let mut hbuf = hyper::rt::ReadBuf::uninit(unfilled);
        match self.project().inner.poll_read(cx, hbuf.unfilled()) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        // hyper's `ReadBufCursor` has no way to swap the memory it writes to,
        // so the filled bytes are the first `n` of `tbuf`'s unfilled part.
        let n = hbuf.filled().len();
        // SAFETY: those `n` bytes were filled, so initialized, by the reader.
        unsafe { tbuf.assume_init(n) };
        tbuf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: hyper::rt::Write> AsyncWrite for HeddleIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}
