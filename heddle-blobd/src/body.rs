//! Response bodies: small in-memory ones, and `FileBody`, which streams a
//! byte range of an open file in chunks read on the blocking pool (one read
//! in flight at a time; the object is never held in memory whole).

use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
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

/// Streams `remaining` bytes from the file's current position.
#[derive(Debug)]
pub struct FileBody {
    file: Arc<File>,
    remaining: u64,
    pending: Option<JoinHandle<io::Result<Vec<u8>>>>,
}

impl FileBody {
    /// `file` must already be positioned at the first byte to send.
    pub fn new(file: File, len: u64) -> FileBody {
        FileBody { file: Arc::new(file), remaining: len, pending: None }
    }

    /// Boxed, as a handler's response body.
    pub fn boxed(self) -> RespBody {
        BodyExt::boxed(self)
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let pending = this.pending.get_or_insert_with(|| {
            let want = this.remaining.min(CHUNK as u64) as usize;
            let file = this.file.clone();
            rt::task::spawn_blocking(move || {
                let mut buf = vec![0u8; want];
                let mut filled = 0;
                while filled < want {
                    match (&*file).read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                buf.truncate(filled);
                Ok(buf)
            })
        });
        let res = ready!(Pin::new(pending).poll(cx));
        this.pending = None;
        let buf = res.map_err(|e| io::Error::other(format!("read task failed: {e}")))??;
        if buf.is_empty() {
            // The file shrank under us (it is replaced by rename, so only an
            // outside writer can do that): fail rather than send short.
            this.remaining = 0;
            return Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "object truncated"))));
        }
        this.remaining -= buf.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
