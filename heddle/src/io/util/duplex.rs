//! [`DuplexStream`]: one end of an in-memory, two-way byte pipe.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::budgeted;
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};

/// One end of an in-memory pipe that carries bytes both ways, like a
/// connected socket.
///
/// Created in pairs by [`duplex`]: what one end writes, the other reads.
/// Each direction holds at most `max_buf_size` bytes; a write to a full
/// direction waits for the other end to read.
///
/// When one end is dropped, the other still reads what was already
/// written, then end of file; its writes (pending ones included) fail at
/// once with [`BrokenPipe`](io::ErrorKind::BrokenPipe).
/// [`shutdown`](crate::io::AsyncWriteExt::shutdown) closes only the
/// writing direction: the peer reads end of file once it has drained it.
///
/// Reads and writes spend the task's cooperative budget when they make
/// progress, so a task whose peer keeps the pipe ready still yields.
pub struct DuplexStream(tokio::io::DuplexStream);

/// Creates a connected pair of in-memory streams, each direction
/// buffering at most `max_buf_size` bytes.
///
/// # Panics
///
/// If `max_buf_size` is 0.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (mut client, mut server) = heddle::io::duplex(64);
/// let echo = heddle::spawn(async move {
///     let mut buf = [0u8; 4];
///     server.read_exact(&mut buf).await?;
///     server.write_all(&buf).await?;
///     std::io::Result::Ok(())
/// });
/// client.write_all(b"ping").await?;
/// let mut reply = [0u8; 4];
/// client.read_exact(&mut reply).await?;
/// assert_eq!(&reply, b"ping");
/// echo.await.unwrap()?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let (one, two) = tokio::io::duplex(max_buf_size);
    (DuplexStream(one), DuplexStream(two))
}

impl DuplexStream {
    fn inner(self: Pin<&mut Self>) -> Pin<&mut tokio::io::DuplexStream> {
        Pin::new(&mut self.get_mut().0)
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| self.inner().poll_read(cx, buf))
    }
}

impl AsyncWrite for DuplexStream {
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

    /// Always ready: written bytes are already in the peer's buffer.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner().poll_flush(cx)
    }

    /// Closes this end's writing direction; never waits.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner().poll_shutdown(cx)
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
