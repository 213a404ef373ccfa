//! The process's standard streams: [`stdin`], [`stdout`] and [`stderr`].
//!
//! Standard input and output may be a terminal, a file or a pipe, none of
//! which the epoll reactor can wait on in general (regular files are always
//! "ready", and putting a shared terminal into non-blocking mode would
//! affect other processes). So, as in tokio, every read and write runs on
//! the runtime's blocking pool (see
//! [`spawn_blocking`](crate::task::spawn_blocking)) through one small
//! adaptor, `Blocking<T>`:
//!
//! * at most one blocking operation is in flight per handle;
//! * a read fills an internal buffer (at most `dst.remaining()` bytes, capped
//!   at 2 MiB) on a pool thread; later reads drain the buffer first;
//! * a write copies the caller's bytes into the buffer and returns at once,
//!   the blocking `write_all` happening in the background; the next write or
//!   a `flush` waits for it and reports its error, if any.
//!
//! ```no_run
//! use heddle::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // Echo standard input to standard output.
//! let mut input = Vec::new();
//! heddle::io::stdin().read_to_end(&mut input).await?;
//! let mut out = heddle::io::stdout();
//! out.write_all(&input).await?;
//! out.flush().await?;
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::future::Future as _;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use crate::task::JoinHandle;

/// Most bytes one blocking read or write moves.
const MAX_BUF: usize = 2 * 1024 * 1024;

/// A handle to the process's standard input, read on the blocking pool.
///
/// Created by [`stdin`]. Reads block a pool thread, not a runtime worker.
/// As with tokio, a read that is cancelled (its future dropped) still
/// completes on the pool thread, and its bytes are kept for the next read
/// through the same handle; use a single `Stdin` for the whole program
/// rather than creating one per read.
///
/// ```no_run
/// use heddle::io::AsyncBufReadExt;
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut lines = heddle::io::BufReader::new(heddle::io::stdin()).lines();
/// while let Some(line) = lines.next_line().await? {
///     println!("got {line}");
/// }
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct Stdin {
    inner: Blocking<io::Stdin>,
}

/// A handle to the process's standard output, written on the blocking pool.
///
/// Created by [`stdout`]. A write returns as soon as its bytes are copied to
/// the handle's buffer; call [`flush`](crate::io::AsyncWriteExt::flush) to
/// wait until they reach the OS (and to learn of a failed write). Writes
/// from several handles (or from `println!`) may interleave.
///
/// ```
/// use heddle::io::AsyncWriteExt;
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut out = heddle::io::stdout();
/// out.write_all(b"hello from heddle\n").await?;
/// out.flush().await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct Stdout {
    inner: Blocking<io::Stdout>,
}

/// A handle to the process's standard error, written on the blocking pool.
///
/// Created by [`stderr`]; behaves like [`Stdout`].
///
/// ```
/// use heddle::io::AsyncWriteExt;
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut err = heddle::io::stderr();
/// err.write_all(b"a warning\n").await?;
/// err.flush().await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct Stderr {
    inner: Blocking<io::Stderr>,
}

/// A new handle to the standard input of the current process.
///
/// The handle may be created anywhere; reading it requires a heddle
/// runtime (the read runs on that runtime's blocking pool).
pub fn stdin() -> Stdin {
    Stdin { inner: Blocking::new(io::stdin()) }
}

/// A new handle to the standard output of the current process.
///
/// The handle may be created anywhere; writing it requires a heddle
/// runtime (the write runs on that runtime's blocking pool).
pub fn stdout() -> Stdout {
    Stdout { inner: Blocking::new(io::stdout()) }
}

/// A new handle to the standard error of the current process.
///
/// The handle may be created anywhere; writing it requires a heddle
/// runtime (the write runs on that runtime's blocking pool).
pub fn stderr() -> Stderr {
    Stderr { inner: Blocking::new(io::stderr()) }
}

impl AsyncRead for Stdin {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, dst: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.poll_read(cx, dst)
    }
}

impl AsyncWrite for Stdout {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().inner.poll_write(cx, src)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.poll_flush(cx)
    }
}

impl AsyncWrite for Stderr {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().inner.poll_write(cx, src)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.poll_flush(cx)
    }
}

macro_rules! impl_fd {
    ($ty:ty, $std:expr) => {
        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                $std.as_raw_fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                // SAFETY: the standard streams' descriptors (0, 1, 2) stay
                // open for the life of the process, so they outlive `self`.
                unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
            }
        }
    };
}

impl_fd!(Stdin, io::stdin());
impl_fd!(Stdout, io::stdout());
impl_fd!(Stderr, io::stderr());

impl fmt::Debug for Stdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stdin { .. }")
    }
}

impl fmt::Debug for Stdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stdout { .. }")
    }
}

impl fmt::Debug for Stderr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stderr { .. }")
    }
}

/// A blocking reader or writer driven from async code through the pool.
struct Blocking<T> {
    /// The std handle, or None while a pool thread has it.
    inner: Option<T>,
    state: State<T>,
    /// A write went out since the last flush.
    need_flush: bool,
}

enum State<T> {
    /// Nothing in flight; the buffer holds read-ahead bytes (if any).
    Idle(Option<Buf>),
    /// A read, write or flush runs on the pool and hands everything back.
    Busy(JoinHandle<(io::Result<usize>, Buf, T)>),
}

/// Bytes read ahead (`data[pos..]`) or being written.
#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    fn copy_to(&mut self, dst: &mut ReadBuf<'_>) {
        let n = (self.data.len() - self.pos).min(dst.remaining());
        dst.put_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
    }

    fn read_from(&mut self, reader: &mut impl Read, want: usize) -> io::Result<usize> {
        self.clear();
        self.data.resize(want.clamp(1, MAX_BUF), 0);
        let res = loop {
            match reader.read(&mut self.data) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                res => break res,
            }
        };
        self.data.truncate(*res.as_ref().unwrap_or(&0));
        res
    }
}

fn join_failed(e: crate::task::JoinError) -> io::Error {
    io::Error::other(format!("standard stream operation failed on the blocking pool: {e}"))
}

impl<T: Send + 'static> Blocking<T> {
    fn new(inner: T) -> Blocking<T> {
        Blocking { inner: Some(inner), state: State::Idle(Some(Buf::default())), need_flush: false }
    }

    /// Waits for the operation in flight and takes the handle and buffer
    /// back; returns its result (Ok(0) if nothing was in flight).
    fn poll_inflight(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let State::Busy(join) = &mut self.state else { return Poll::Ready(Ok(0)) };
        let (res, buf, inner) = ready!(Pin::new(join).poll(cx)).map_err(join_failed)?;
        self.inner = Some(inner);
        self.state = State::Idle(Some(buf));
        Poll::Ready(res)
    }

    /// Hands the handle and buffer to a pool thread running `op`.
    fn start(&mut self, buf: Buf, op: impl FnOnce(&mut T, &mut Buf) -> io::Result<usize> + Send + 'static) {
        let mut inner = self.inner.take().expect("standard stream handle lost");
        let mut buf = buf;
        self.state = State::Busy(crate::task::spawn_blocking(move || {
            let res = op(&mut inner, &mut buf);
            (res, buf, inner)
        }));
    }
}

impl<T: Read + Send + 'static> Blocking<T> {
    fn poll_read(&mut self, cx: &mut Context<'_>, dst: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let mut buf = slot.take().expect("standard stream buffer lost");
                    if !buf.is_empty() || dst.remaining() == 0 {
                        buf.copy_to(dst);
                        *slot = Some(buf);
                        return Poll::Ready(Ok(()));
                    }
                    let want = dst.remaining();
                    self.start(buf, move |reader, buf| buf.read_from(reader, want));
                }
                State::Busy(_) => {
                    let res = ready!(self.poll_inflight(cx));
                    let State::Idle(Some(buf)) = &mut self.state else { unreachable!("idle after completion") };
                    if let Err(e) = res {
                        buf.clear();
                        return Poll::Ready(Err(e));
                    }
                    buf.copy_to(dst);
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

impl<T: Write + Send + 'static> Blocking<T> {
    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        // The previous write (or flush) must finish first; its error is ours.
        ready!(self.poll_inflight(cx))?;
        let State::Idle(slot) = &mut self.state else { unreachable!("idle after completion") };
        let mut buf = slot.take().expect("standard stream buffer lost");
        buf.clear();
        let n = src.len().min(MAX_BUF);
        buf.data.extend_from_slice(&src[..n]);
        self.need_flush = true;
        self.start(buf, |writer, buf| writer.write_all(&buf.data).map(|()| buf.data.len()));
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_inflight(cx))?;
            if !self.need_flush {
                return Poll::Ready(Ok(()));
            }
            self.need_flush = false;
            let State::Idle(slot) = &mut self.state else { unreachable!("idle after completion") };
            let buf = slot.take().expect("standard stream buffer lost");
            self.start(buf, |writer, _| writer.flush().map(|()| 0));
        }
    }
}
