//! [`Empty`]: reads nothing, writes vanish, seeks stay at 0.

use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::budgeted;
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};

/// A stream that is always at end of file and discards every write.
///
/// Created by [`empty`]. Every operation is ready at once and spends one
/// unit of the task's cooperative budget, so a loop over it still yields
/// to the other tasks on its worker.
pub struct Empty {
    _private: (),
}

/// Creates a stream that reads as empty (end of file at once) and accepts
/// every write without keeping it, like `/dev/null`. Seeking it succeeds
/// and always lands on position 0.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut stream = heddle::io::empty();
/// let mut got = Vec::new();
/// assert_eq!(stream.read_to_end(&mut got).await?, 0);
/// assert_eq!(stream.write(b"dropped").await?, 7);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn empty() -> Empty {
    Empty { _private: () }
}

impl AsyncRead for Empty {
    #[inline]
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, _buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |_| Poll::Ready(Ok(())))
    }
}

impl AsyncBufRead for Empty {
    #[inline]
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        budgeted(cx, |_| Poll::Ready(Ok(&[][..])))
    }

    #[inline]
    fn consume(self: Pin<&mut Self>, _amt: usize) {}
}

impl AsyncWrite for Empty {
    #[inline]
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        budgeted(cx, |_| Poll::Ready(Ok(buf.len())))
    }

    #[inline]
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        budgeted(cx, |_| Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum())))
    }

    #[inline]
    fn is_write_vectored(&self) -> bool {
        true
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |_| Poll::Ready(Ok(())))
    }

    #[inline]
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |_| Poll::Ready(Ok(())))
    }
}

impl AsyncSeek for Empty {
    #[inline]
    fn start_seek(self: Pin<&mut Self>, _position: SeekFrom) -> io::Result<()> {
        Ok(())
    }

    #[inline]
    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        budgeted(cx, |_| Poll::Ready(Ok(0)))
    }
}

impl fmt::Debug for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Empty { .. }")
    }
}
