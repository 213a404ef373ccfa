//! `CopyBuffer`: the loop under [`copy`](super::copy) and
//! [`copy_bidirectional`](super::copy_bidirectional): read into a buffer,
//! write it all out, repeat until end of file, then flush.
//!
//! ```text
//!   ┌──────────── buffer drained ◀───────────┐
//!   ▼                                        │
//!  READ ──n > 0──▶ WRITE (pos < cap) ────────┘
//!   │ n == 0         │ writer pending: read more into the free tail
//!   ▼                ▼
//!  FLUSH ──▶ done   (wait)
//! ```
//!
//! Interrupted reads and writes are retried; a reader with nothing yet
//! while the buffer holds data does not stop the writing.
//!
//! Each chunk (one read and the writes that pass it on) costs one unit of
//! the task's cooperative budget, so a copy between two always-ready
//! values (a slice into a `Vec`) still yields. The copy's own unit is
//! given back when the reader or the writer already charged that chunk
//! (a socket, `sink()`): a chunk costs what its resources cost, never
//! one unit more, so a copy into `sink()` yields as often as tokio's.
//! heddle keeps its own loop instead of tokio's io-util one because tokio's
//! also asks *tokio's* budget whenever some crate in the build enables a
//! tokio runtime feature: a second thread-local check per chunk that
//! never constrains anything on a heddle thread.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::runtime::coop;

/// Bytes read per chunk unless the caller says otherwise (tokio's size).
pub(super) const DEFAULT_SIZE: usize = 8 * 1024;

/// The state of one copy from a reader to a writer.
pub(super) struct CopyBuffer {
    buf: Box<[u8]>,
    /// The unwritten bytes are `buf[pos..cap]`.
    pos: usize,
    cap: usize,
    read_done: bool,
    /// Bytes written since the last flush.
    need_flush: bool,
    copied: u64,
}

impl CopyBuffer {
    pub(super) fn new(size: usize) -> CopyBuffer {
        debug_assert!(size > 0, "a copy buffer needs room");
        CopyBuffer {
            buf: vec![0; size].into_boxed_slice(),
            pos: 0,
            cap: 0,
            read_done: false,
            need_flush: false,
            copied: 0,
        }
    }

    /// Copies until `reader` reaches end of file and `writer` is flushed;
    /// returns the bytes copied. Pending whenever neither side can move,
    /// keeping its place.
    pub(super) fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            // Units left once this chunk's own unit is taken; a lower count
            // after the chunk means the reader or writer charged it.
            let mut charged_at = None;
            if self.has_room() {
                let unit = ready!(coop::poll_proceed(cx));
                let after_own_unit = coop::budget_left();
                match self.poll_fill(cx, reader.as_mut()) {
                    Poll::Ready(result) => {
                        unit.made_progress();
                        charged_at = after_own_unit;
                        result?;
                    }
                    // Nothing to read and nothing to write: push out what a
                    // buffered writer holds, so the other end is not left
                    // waiting for bytes already passed on, then wait.
                    Poll::Pending if self.pos == self.cap => {
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                    // Something to write meanwhile.
                    Poll::Pending => {}
                }
            }
            while self.pos < self.cap {
                let n = match writer.as_mut().poll_write(cx, &self.buf[self.pos..self.cap]) {
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(result) => result?,
                    Poll::Pending => {
                        // While the writer is busy, fill the rest of the
                        // buffer, so its next write is a larger one.
                        if self.has_room() {
                            ready!(self.poll_fill(cx, reader.as_mut()))?;
                        }
                        return Poll::Pending;
                    }
                };
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the writer accepted no more bytes during a copy",
                    )));
                }
                self.pos += n;
                self.copied += n as u64;
                self.need_flush = true;
            }
            // All written: the buffer starts over.
            self.pos = 0;
            self.cap = 0;
            if charged_at.is_some() && coop::budget_left() < charged_at {
                coop::refund_unit();
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.copied));
            }
        }
    }

    /// True while the reader may have more and the buffer has room for it.
    fn has_room(&self) -> bool {
        !self.read_done && self.cap < self.buf.len()
    }

    /// Reads once into the buffer's free tail (retrying an interrupted
    /// read); an empty read marks end of file.
    fn poll_fill<R: AsyncRead + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
    ) -> Poll<io::Result<()>> {
        let mut tail = ReadBuf::new(&mut self.buf[self.cap..]);
        loop {
            match reader.as_mut().poll_read(cx, &mut tail) {
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Ok(())) => break,
                other => return other,
            }
        }
        let n = tail.filled().len();
        if n == 0 {
            self.read_done = true;
        }
        self.cap += n;
        Poll::Ready(Ok(()))
    }
}
