//! Per-connection timeouts that hyper does not give: a watchdog over the
//! connection's I/O and requests.
//!
//! [`Watched`] wraps the socket and records when bytes last arrived and since
//! when a write has been blocked; [`RequestGuard`]s (one per request, held by
//! the response body until hyper is done with it) record whether a request
//! is in flight. [`Activity::expired`] then tells the connection task when
//! to drop the connection:
//!
//! - idle keep-alive: no request in flight and no byte received for
//!   `idle` since the last response;
//! - header read: no request in flight, bytes of the next request have
//!   arrived, and its headers are still incomplete `header` after the first
//!   of them (a slowloris client trickling one byte at a time);
//! - response write stall: a write has been blocked (the client is not
//!   reading) for `write`.
//!
//! A stalled upload body is handled by the PUT handler itself (it answers
//! 408 and removes the temporary file).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};

/// The limits a connection is held to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Between the first byte of a request and the end of its headers.
    pub header: Duration,
    /// Between requests on a kept-alive connection.
    pub idle: Duration,
    /// A response write blocked by a client that does not read.
    pub write: Duration,
}

impl Limits {
    /// How often the watchdog should look: a quarter of the shortest limit,
    /// between 20 ms and 1 s.
    pub fn tick(&self) -> Duration {
        (self.header.min(self.idle).min(self.write) / 4).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }
}

/// What a connection has been doing; shared by its I/O, its requests and
/// its watchdog. Times are nanoseconds since `base`, 0 meaning "not set".
#[derive(Debug)]
pub struct Activity {
    base: Instant,
    in_flight: AtomicUsize,
    /// When the connection last became idle (opened, or a response ended).
    idle_since: AtomicU64,
    /// First byte received since `idle_since` (0: none yet).
    first_byte: AtomicU64,
    /// Since when a write has been returning `Pending` (0: not blocked).
    write_blocked: AtomicU64,
}

/// Why the watchdog dropped a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expired {
    /// Idle keep-alive too long.
    Idle,
    /// Request headers too slow.
    Header,
    /// Client not reading the response.
    Write,
}

impl Activity {
    /// A fresh connection, idle from now.
    pub fn new() -> Arc<Activity> {
        let a = Activity {
            base: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            first_byte: AtomicU64::new(0),
            write_blocked: AtomicU64::new(0),
        };
        a.idle_since.store(a.now(), Ordering::Relaxed);
        Arc::new(a)
    }

    /// Nanoseconds since `base`, never 0.
    fn now(&self) -> u64 {
        (self.base.elapsed().as_nanos() as u64).max(1)
    }

    /// Marks a request in flight until the guard is dropped.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        RequestGuard(self.clone())
    }

    /// Whether a limit has been exceeded.
    pub fn expired(&self, limits: &Limits) -> Option<Expired> {
        let now = self.now();
        let over = |since: u64, limit: Duration| since != 0 && now.saturating_sub(since) > limit.as_nanos() as u64;
        if over(self.write_blocked.load(Ordering::Acquire), limits.write) {
            return Some(Expired::Write);
        }
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let first = self.first_byte.load(Ordering::Acquire);
        if first != 0 {
            return over(first, limits.header).then_some(Expired::Header);
        }
        over(self.idle_since.load(Ordering::Acquire), limits.idle).then_some(Expired::Idle)
    }

    fn on_read(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let _ = self.first_byte.compare_exchange(0, self.now(), Ordering::AcqRel, Ordering::Relaxed);
        }
    }
}

/// A request in flight; dropping it makes the connection idle again (when it
/// was the last one).
#[derive(Debug)]
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let a = &self.0;
        a.first_byte.store(0, Ordering::Release);
        a.idle_since.store(a.now(), Ordering::Release);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request's [`RequestGuard`] until hyper
/// drops it (after the last byte was written, or when the connection ends).
#[derive(Debug)]
pub struct Guarded<B> {
    inner: B,
    _guard: RequestGuard,
}

impl<B> Guarded<B> {
    /// Ties `guard` to `inner`.
    pub fn new(inner: B, guard: RequestGuard) -> Guarded<B> {
        Guarded { inner, _guard: guard }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Guarded<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The connection's I/O, reporting to its [`Activity`].
#[derive(Debug)]
pub struct Watched<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    /// Wraps `io`.
    pub fn new(io: T, activity: Arc<Activity>) -> Watched<T> {
        Watched { io, activity }
    }

    fn write_result<R>(&self, res: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        let a = &self.activity;
        match res {
            Poll::Pending => {
                let _ = a.write_blocked.compare_exchange(0, a.now(), Ordering::AcqRel, Ordering::Relaxed);
            }
            Poll::Ready(_) => a.write_blocked.store(0, Ordering::Release),
        }
        res
    }
}

impl<T: Read + Unpin> Read for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, mut buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let n = {
            // SAFETY: the slice is only handed to `ReadBuf::uninit`, which
            // never de-initializes bytes.
            let mut inner = ReadBuf::uninit(unsafe { buf.as_mut() });
            match Pin::new(&mut this.io).poll_read(cx, inner.unfilled()) {
                Poll::Ready(Ok(())) => inner.filled().len(),
                other => return other,
            }
        };
        if n > 0 {
            this.activity.on_read();
            // SAFETY: the inner read filled (so initialized) these `n` bytes
            // at the start of the cursor's unfilled part.
            unsafe { buf.advance(n) };
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: Write + Unpin> Write for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.io).poll_write(cx, buf);
        self.write_result(res)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.write_result(res)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let res = Pin::new(&mut self.io).poll_flush(cx);
        self.write_result(res)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
