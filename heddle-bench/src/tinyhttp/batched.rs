//! `serve_batched`: a connection loop that answers a whole read's worth of
//! pipelined requests with one write.
//!
//! Loop: read once into the [`Session`]'s buffer; let the session answer
//! every complete request into one output buffer; write that buffer with one
//! `write_all`; read again. With 16 pipelined requests that is one read and
//! one write for 16 responses, where [`super::serve_framed`] makes 16 writes
//! (and stalls on Nagle's algorithm between them).
//!
//! Memory per connection: the session's fixed [`IN_BUF`](super::IN_BUF)
//! input buffer plus the output buffer, which is bounded by
//! [`OUT_HIGH_WATER`](super::session::OUT_HIGH_WATER) and shrunk back after
//! a burst.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::date;
use super::session::{Session, Step};

/// Output capacity kept between batches; larger buffers left by a burst of
/// pipelined requests are shrunk back to it.
const OUT_KEEP: usize = 4 * 1024;

/// Serves one connection: answers all complete requests of each read with a
/// single write.
pub async fn serve_batched<S>(mut stream: S) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut session = Session::new();
    let mut out = Vec::with_capacity(1024);
    loop {
        let n = stream.read(session.read_buf()).await?;
        if n == 0 {
            return Ok(());
        }
        session.filled(n);
        let date = date::now();
        loop {
            let step = session.respond(&date, &mut out);
            if !out.is_empty() {
                stream.write_all(&out).await?;
                stream.flush().await?;
                out.clear();
            }
            match step {
                Step::NeedInput => break,
                Step::OutputFull => continue,
                Step::Close => {
                    let _ = stream.shutdown().await;
                    return Ok(());
                }
            }
        }
        if out.capacity() > OUT_KEEP {
            out.shrink_to(OUT_KEEP);
        }
    }
}
