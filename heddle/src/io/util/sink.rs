//! [`Sink`]: a writer that discards everything.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::budgeted;
use crate::io::AsyncWrite;

/// A writer that accepts and drops every byte.
///
/// Created by [`sink`]. Every operation is ready at once and spends one
/// unit of the task's cooperative budget, so a loop over it still yields
/// to the other tasks on its worker.
pub struct Sink {
    _private: (),
}

/// Creates a writer that reports every write as complete and throws the
/// bytes away; useful to drain a reader with [`copy`](crate::io::copy).
///
/// ```
/// use heddle::io::AsyncReadExt;
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut source = heddle::io::repeat(0).take(1 << 20);
/// let copied = heddle::io::copy(&mut source, &mut heddle::io::sink()).await?;
/// assert_eq!(copied, 1 << 20);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn sink() -> Sink {
    Sink { _private: () }
}

impl AsyncWrite for Sink {
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

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sink { .. }")
    }
}
