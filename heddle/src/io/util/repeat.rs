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
pub struct Repeat {
    byte: u8,
}

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
    Repeat { byte }
}

impl AsyncRead for Repeat {
    #[inline]
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let byte = self.byte;
        budgeted(cx, |_| {
            let unfilled = buf.initialize_unfilled();
            unfilled.fill(byte);
            let n = unfilled.len();
            buf.advance(n);
            Poll::Ready(Ok(()))
        })
    }
}

impl fmt::Debug for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repeat").field("byte", &self.byte).finish()
    }
}
