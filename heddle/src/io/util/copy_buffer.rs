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
//! values (a slice into a `Vec`) still yields. The unit is charged after
//! the chunk, and only if neither the reader nor the writer charged it
//! already (a socket, `sink()`): a chunk costs what its resources cost,
//! never one unit more, so a copy into `sink()` yields as often as
//! tokio's. Charging afterwards, rather than taking a unit first and
//! giving it back, spares thread-local reads and writes on every chunk:
//! a copy into `sink()` is otherwise all `memcpy`.
//! heddle keeps its own loop instead of tokio's io-util one because tokio's
//! also asks *tokio's* budget whenever some crate in the build enables a
//! tokio runtime feature: a second thread-local check per chunk that
//! never constrains anything on a heddle thread.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::runtime::coop;

/// Bytes read per chunk unless the caller says otherwise (tokio's size).
pub(super) const DEFAULT_SIZE: usize = 8 * 1024;

/// The state of one copy from a reader to a writer.
pub(super) struct CopyBuffer {
    /// Left uninitialised at first: zeroing 8 KiB cost more than a copy
    /// of a short stream itself. Reads initialise it from the front.
    buf: Box<[MaybeUninit<u8>]>,
    /// `buf[..initialized]` has been written by reads.
    initialized: usize,
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
            buf: std::iter::repeat_with(MaybeUninit::uninit).take(size).collect(),
            initialized: 0,
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
            // The budget before this chunk, if the chunk is to be charged
            // once written (see `coop::charge_unless_spent_since`).
            let mut charge_from = None;
            if self.has_room() {
                let before = coop::budget_left();
                if before == Some(0) {
                    // Spent: `poll_proceed` wakes the task and says Pending.
                    ready!(coop::poll_proceed(cx)).made_progress();
                }
                match self.poll_fill(cx, reader.as_mut()) {
                    Poll::Ready(result) => {
                        charge_from = before;
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
                let n = match writer.as_mut().poll_write(cx, self.unwritten()) {
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
            if let Some(before) = charge_from {
                coop::charge_unless_spent_since(before);
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.copied));
            }
        }
    }

    /// The bytes read and not yet written.
    fn unwritten(&self) -> &[u8] {
        let unwritten = &self.buf[self.pos..self.cap];
        // SAFETY: `cap <= initialized` (reads only report bytes they
        // filled), so these bytes are initialised; `MaybeUninit<u8>` has
        // the layout of `u8`.
        unsafe { &*(unwritten as *const [MaybeUninit<u8>] as *const [u8]) }
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
        let mut tail = ReadBuf::uninit(&mut self.buf[self.cap..]);
        // SAFETY: `buf[..initialized]` was written by earlier reads, so the
        // tail's first `initialized - cap` bytes are initialised.
        unsafe { tail.assume_init(self.initialized.saturating_sub(self.cap)) };
        loop {
            match reader.as_mut().poll_read(cx, &mut tail) {
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Ok(())) => break,
                other => return other,
            }
        }
        let n = tail.filled().len();
        self.initialized = self.initialized.max(self.cap + tail.initialized().len());
        if n == 0 {
            self.read_done = true;
        }
        self.cap += n;
        Poll::Ready(Ok(()))
    }
}
