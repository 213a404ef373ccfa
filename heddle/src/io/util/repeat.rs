//! [`Repeat`]: an endless reader of one byte value.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::budgeted;
use crate::io::{AsyncRead, ReadBuf};

/// A reader that yields the same byte forever.
///
/// Created by [`repeat`]. Every read fills the whole buffer at once and
/// spends one unit of the task's cooperative budget, so a loop over it
/// still yields to the other tasks on its worker.
pub struct Repeat(tokio::io::Repeat);

/// Creates a reader that fills every buffer with `byte` and never reaches
/// end of file. Bound it with
/// [`take`](crate::io::AsyncReadExt::take) to read a fixed amount.
///
/// ```
/// use heddle::io::AsyncReadExt;
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut got = Vec::new();
/// heddle::io::repeat(b'z').take(5).read_to_end(&mut got).await?;
/// assert_eq!(got, b"zzzzz");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn repeat(byte: u8) -> Repeat {
    Repeat(tokio::io::repeat(byte))
}

impl AsyncRead for Repeat {
    #[inline]
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| Pin::new(&mut self.get_mut().0).poll_read(cx, buf))
    }
}

impl fmt::Debug for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
