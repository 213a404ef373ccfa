//! [`copy`], [`copy_buf`], [`copy_bidirectional`] and
//! [`copy_bidirectional_with_sizes`]: tokio's io-util copy loops, with
//! every read first spending the task's cooperative budget.
//!
//! tokio's loops spend budget themselves only when tokio's runtime is
//! compiled in. Taken without it, a copy between two plain values that are
//! always ready (a byte slice into a `Vec`, a file already in the page
//! cache into a buffer) never returned `Pending`, and held its worker until
//! the whole copy was done. Here the reading side is wrapped so that each
//! read asks the budget first, as heddle's sockets and in-memory streams
//! do; writes are passed through untouched.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// Copies everything `reader` yields into `writer`, until end of file, and
/// returns the number of bytes copied. Yields to other tasks once the
/// task's budget is spent, even when both sides are always ready.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut reader: &[u8] = b"hello";
/// let mut writer = Vec::new();
/// assert_eq!(heddle::io::copy(&mut reader, &mut writer).await.unwrap(), 5);
/// assert_eq!(writer, b"hello");
/// # });
/// ```
pub async fn copy<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    tokio::io::copy(&mut Budgeted(reader), writer).await
}

/// Like [`copy`], from a buffered reader's own buffer (no extra copy
/// through an intermediate buffer).
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut reader = heddle::io::BufReader::new(&b"buffered"[..]);
/// let mut writer = Vec::new();
/// assert_eq!(heddle::io::copy_buf(&mut reader, &mut writer).await.unwrap(), 8);
/// assert_eq!(writer, b"buffered");
/// # });
/// ```
pub async fn copy_buf<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    tokio::io::copy_buf(&mut Budgeted(reader), writer).await
}

/// Copies both ways between `a` and `b` at once, until both directions
/// have reached end of file (each side is shut down for writing when the
/// other reaches it). Returns the bytes copied `a` → `b` and `b` → `a`.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (mut client, mut a) = heddle::io::duplex(64);
/// let (mut b, mut server) = heddle::io::duplex(64);
/// let relay = heddle::spawn(async move { heddle::io::copy_bidirectional(&mut a, &mut b).await });
/// client.write_all(b"ping").await.unwrap();
/// client.shutdown().await.unwrap();
/// let mut got = Vec::new();
/// server.read_to_end(&mut got).await.unwrap();
/// assert_eq!(got, b"ping");
/// drop(server);
/// assert_eq!(relay.await.unwrap().unwrap(), (4, 0));
/// # });
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    tokio::io::copy_bidirectional(&mut Budgeted(a), &mut Budgeted(b)).await
}

/// Like [`copy_bidirectional`], with the size of the buffer of each
/// direction: `a_to_b_buf_size` for `a` → `b`, `b_to_a_buf_size` for
/// `b` → `a`.
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_buf_size: usize,
    b_to_a_buf_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    tokio::io::copy_bidirectional_with_sizes(&mut Budgeted(a), &mut Budgeted(b), a_to_b_buf_size, b_to_a_buf_size).await
}

/// A reader (or stream) whose reads spend budget; writes pass through.
struct Budgeted<'a, T: ?Sized>(&'a mut T);

impl<T: AsyncRead + Unpin + ?Sized> AsyncRead for Budgeted<'_, T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let inner = &mut *self.get_mut().0;
        super::budgeted(cx, |cx| Pin::new(inner).poll_read(cx, buf))
    }
}

impl<T: AsyncBufRead + Unpin + ?Sized> AsyncBufRead for Budgeted<'_, T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let inner = &mut *self.get_mut().0;
        super::budgeted(cx, |cx| Pin::new(inner).poll_fill_buf(cx))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut *self.get_mut().0).consume(amt)
    }
}

impl<T: AsyncWrite + Unpin + ?Sized> AsyncWrite for Budgeted<'_, T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
}
