//! Response bodies: small in-memory ones, and `FileBody`, which streams a
//! byte range of an open file in chunks read on the blocking pool, one chunk
//! ahead of the socket (the object is never held in memory whole).

use std::fs::File;
use std::future::Future;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::rt;
use crate::rt::task::JoinHandle;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};

/// The response body type of every handler.
pub type RespBody = BoxBody<Bytes, io::Error>;

/// Bytes read per blocking call.
const CHUNK: usize = 256 * 1024;

/// An empty body.
pub fn empty() -> RespBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// A body from bytes in memory.
pub fn full(data: impl Into<Bytes>) -> RespBody {
    Full::new(data.into()).map_err(|never| match never {}).boxed()
}

/// Streams `remaining` bytes of a file from `offset` on.
///
/// Reads are positioned (`pread`), run on the blocking pool, and stay one
/// chunk ahead: while hyper writes chunk N to the socket, chunk N+1 is
/// being read, so the disk and the network overlap. Chunk buffers come from
/// a small pool and go back to it when hyper drops the bytes, so a busy
/// server neither zero-fills nor page-faults fresh 256 KiB buffers per chunk.
#[derive(Debug)]
pub struct FileBody {
    file: Arc<File>,
    /// Next byte to request from the file.
    offset: u64,
    /// Bytes not yet requested.
    unrequested: u64,
    /// Bytes not yet handed to hyper.
    remaining: u64,
    /// The read in flight (at most one, the read-ahead).
    pending: Option<JoinHandle<io::Result<Bytes>>>,
    /// Read on the polling worker instead (`App::inline_io`).
    inline: bool,
}

impl FileBody {
    /// Streams `len` bytes of `file` from `offset`; the first read starts
    /// at once, overlapping with the response head. `inline`: read each
    /// chunk on the worker when hyper asks for it, without read-ahead.
    pub fn new(file: File, offset: u64, len: u64, inline: bool) -> FileBody {
        let mut body =
            FileBody { file: Arc::new(file), offset, unrequested: len, remaining: len, pending: None, inline };
        body.start_read();
        body
    }

    /// Boxed, as a handler's response body.
    pub fn boxed(self) -> RespBody {
        BodyExt::boxed(self)
    }

    /// Starts reading the next chunk, if any is left.
    fn start_read(&mut self) {
        if self.inline || self.unrequested == 0 || self.pending.is_some() {
            return;
        }
        let want = self.unrequested.min(CHUNK as u64) as usize;
        let (file, offset) = (self.file.clone(), self.offset);
        self.offset += want as u64;
        self.unrequested -= want as u64;
        self.pending = Some(rt::task::spawn_blocking(move || read_chunk(&file, offset, want)));
    }
}

/// Reads `want` bytes at `offset` into a pooled buffer; fewer only at the
/// end of the file.
fn read_chunk(file: &File, offset: u64, want: usize) -> io::Result<Bytes> {
    let mut buf = pool::take();
    let mut filled = 0;
    while filled < want {
        match file.read_at(&mut buf.as_mut()[filled..want], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.len = filled;
    Ok(Bytes::from_owner(buf))
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let chunk = if this.inline {
            let want = this.remaining.min(CHUNK as u64) as usize;
            let chunk = read_chunk(&this.file, this.offset, want)?;
            this.offset += want as u64;
            chunk
        } else {
            this.start_read();
            let Some(pending) = this.pending.as_mut() else { return Poll::Ready(None) };
            let res = ready!(Pin::new(pending).poll(cx));
            this.pending = None;
            res.map_err(|e| io::Error::other(format!("read task failed: {e}")))??
        };
        if chunk.is_empty() {
            // The file shrank under us (it is replaced by rename, so only an
            // outside writer can do that): fail rather than send short.
            this.remaining = 0;
            return Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "object truncated"))));
        }
        this.remaining -= chunk.len() as u64;
        // Read ahead while hyper sends this chunk.
        this.start_read();
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Reusable chunk buffers.
mod pool {
    use std::sync::Mutex;

    use super::CHUNK;

    /// Buffers kept for reuse: enough for every connection of a busy server
    /// to have one chunk on the wire and one being read.
    const KEEP: usize = 64;

    static FREE: Mutex<Vec<Box<[u8]>>> = Mutex::new(Vec::new());

    /// A `CHUNK`-byte buffer of which the first `len` bytes are data; it
    /// returns to the pool when dropped (when hyper is done with its bytes).
    pub(super) struct PooledBuf {
        buf: Option<Box<[u8]>>,
        pub(super) len: usize,
    }

    impl PooledBuf {
        pub(super) fn as_mut(&mut self) -> &mut [u8] {
            self.buf.as_deref_mut().expect("a pooled buffer is only taken by drop")
        }
    }

    impl AsRef<[u8]> for PooledBuf {
        fn as_ref(&self) -> &[u8] {
            &self.buf.as_deref().expect("a pooled buffer is only taken by drop")[..self.len]
        }
    }

    impl Drop for PooledBuf {
        fn drop(&mut self) {
            if let Some(buf) = self.buf.take() {
                let mut free = FREE.lock().unwrap_or_else(|e| e.into_inner());
                if free.len() < KEEP {
                    free.push(buf);
                }
            }
        }
    }

    /// A buffer from the pool, or a new one.
    pub(super) fn take() -> PooledBuf {
        let buf = FREE.lock().unwrap_or_else(|e| e.into_inner()).pop();
        PooledBuf { buf: Some(buf.unwrap_or_else(|| vec![0; CHUNK].into_boxed_slice())), len: 0 }
    }
}
