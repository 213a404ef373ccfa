//! [`copy`], [`copy_buf`], [`copy_bidirectional`] and
//! [`copy_bidirectional_with_sizes`], with every read first spending the
//! task's cooperative budget.
//!
//! A copy between two plain values that are always ready (a byte slice
//! into a `Vec`, a file already in the page cache into a buffer) never
//! returns `Pending` by itself, and would hold its worker until the whole
//! copy was done; the budget makes it yield. `copy` and the bidirectional
//! copies run heddle's own loop ([`CopyBuffer`]); `copy_buf` runs tokio's
//! io-util one with the reader wrapped so that each read asks the budget
//! first, as heddle's sockets and in-memory streams do.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

use super::copy_buffer::{CopyBuffer, DEFAULT_SIZE};

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
    let mut buffer = CopyBuffer::new(DEFAULT_SIZE);
    std::future::poll_fn(|cx| buffer.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
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
    copy_bidirectional_with_sizes(a, b, DEFAULT_SIZE, DEFAULT_SIZE).await
}

/// Like [`copy_bidirectional`], with the size of the buffer of each
/// direction: `a_to_b_buf_size` for `a` → `b`, `b_to_a_buf_size` for
/// `b` → `a`.
///
/// # Panics
/// When polled, if either size is 0.
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
    assert!(a_to_b_buf_size > 0, "`a_to_b_buf_size` must be greater than 0");
    assert!(b_to_a_buf_size > 0, "`b_to_a_buf_size` must be greater than 0");
    let mut a_to_b = OneWay::Copying(CopyBuffer::new(a_to_b_buf_size));
    let mut b_to_a = OneWay::Copying(CopyBuffer::new(b_to_a_buf_size));
    std::future::poll_fn(|cx| {
        // Both directions are polled every time, so each makes progress
        // whenever it can; the first error ends the whole copy.
        let forth = a_to_b.poll(cx, &mut *a, &mut *b)?;
        let back = b_to_a.poll(cx, &mut *b, &mut *a)?;
        match (forth, back) {
            (Poll::Ready(forth), Poll::Ready(back)) => Poll::Ready(Ok((forth, back))),
            _ => Poll::Pending,
        }
    })
    .await
}

/// One direction of a bidirectional copy: copy until end of file, then
/// shut the writer down (the peer sees end of file in turn).
enum OneWay {
    Copying(CopyBuffer),
    ShuttingDown(u64),
    Done(u64),
}

impl OneWay {
    fn poll<R, W>(&mut self, cx: &mut Context<'_>, reader: &mut R, writer: &mut W) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            match self {
                OneWay::Copying(buffer) => {
                    let copied = ready!(buffer.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer)))?;
                    *self = OneWay::ShuttingDown(copied);
                }
                OneWay::ShuttingDown(copied) => {
                    let copied = *copied;
                    ready!(Pin::new(&mut *writer).poll_shutdown(cx))?;
                    *self = OneWay::Done(copied);
                }
                OneWay::Done(copied) => return Poll::Ready(Ok(*copied)),
            }
        }
    }
}

/// A buffered reader whose reads spend budget (`copy_buf`'s reader).
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
