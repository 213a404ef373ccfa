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
pub struct Sink(tokio::io::Sink);

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
    Sink(tokio::io::sink())
}

impl Sink {
    fn inner(self: Pin<&mut Self>) -> Pin<&mut tokio::io::Sink> {
        Pin::new(&mut self.get_mut().0)
    }
}

impl AsyncWrite for Sink {
    #[inline]
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| self.inner().poll_write(cx, buf))
    }

    #[inline]
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| self.inner().poll_write_vectored(cx, bufs))
    }

    #[inline]
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| self.inner().poll_flush(cx))
    }

    #[inline]
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| self.inner().poll_shutdown(cx))
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
