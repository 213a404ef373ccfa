//! [`SimplexStream`]: an in-memory, one-way byte pipe.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::budgeted;
use crate::io::{split, AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};

/// An in-memory pipe whose writes are read back from the same pipe, in
/// order.
///
/// Made either by [`simplex`], which hands out a separate reader and
/// writer, or by [`new_unsplit`](SimplexStream::new_unsplit) as one value
/// that does both. It holds at most `max_buf_size` bytes; a write to a
/// full pipe waits for a read.
///
/// After [`shutdown`](crate::io::AsyncWriteExt::shutdown), reads drain
/// what is left, then see end of file; later writes fail with
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe).
///
/// Reads and writes spend the task's cooperative budget when they make
/// progress, so a task whose peer keeps the pipe ready still yields.
pub struct SimplexStream(tokio::io::SimplexStream);

/// Creates a one-way in-memory pipe holding at most `max_buf_size` bytes,
/// as its reading and writing halves.
///
/// The halves share one [`SimplexStream`];
/// [`ReadHalf::unsplit`] joins them back into it.
///
/// # Panics
///
/// If `max_buf_size` is 0.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (mut reader, mut writer) = heddle::io::simplex(4);
/// // Ten bytes through a four-byte pipe: the writer waits for the reader.
/// let send = heddle::spawn(async move {
///     writer.write_all(b"0123456789").await?;
///     writer.shutdown().await
/// });
/// let mut got = String::new();
/// reader.read_to_string(&mut got).await?;
/// assert_eq!(got, "0123456789");
/// send.await.unwrap()?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    split(SimplexStream::new_unsplit(max_buf_size))
}

impl SimplexStream {
    /// Creates a one-way pipe holding at most `max_buf_size` bytes, as a
    /// single value that is both its reader and its writer (see
    /// [`simplex`] for separate halves).
    ///
    /// # Panics
    ///
    /// If `max_buf_size` is 0.
    ///
    /// ```
    /// use heddle::io::{AsyncReadExt, AsyncWriteExt, SimplexStream};
    ///
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut pipe = SimplexStream::new_unsplit(16);
    /// pipe.write_all(b"hello").await?;
    /// let mut got = [0u8; 5];
    /// pipe.read_exact(&mut got).await?;
    /// assert_eq!(&got, b"hello");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        SimplexStream(tokio::io::SimplexStream::new_unsplit(max_buf_size))
    }

    fn inner(self: Pin<&mut Self>) -> Pin<&mut tokio::io::SimplexStream> {
        Pin::new(&mut self.get_mut().0)
    }
}

impl AsyncRead for SimplexStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| self.inner().poll_read(cx, buf))
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| self.inner().poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| self.inner().poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    /// Always ready: written bytes are already in the pipe.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner().poll_flush(cx)
    }

    /// Closes the writing side; never waits.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner().poll_shutdown(cx)
    }
}

impl fmt::Debug for SimplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
