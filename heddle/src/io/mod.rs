//! Asynchronous I/O traits and helpers.
//!
//! heddle uses tokio's `AsyncRead`/`AsyncWrite` trait definitions (from the
//! `tokio` crate with its runtime features off), so codecs, hyper-util and
//! other libraries written against those traits run on heddle's sockets
//! unchanged. This module re-exports them with their extension traits.
//!
//! ```
//! use heddle::io::{AsyncReadExt, AsyncWriteExt};
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let listener = heddle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//! heddle::spawn(async move {
//!     let (mut socket, _) = listener.accept().await.unwrap();
//!     socket.write_all(b"hello").await.unwrap();
//! });
//! let mut stream = heddle::net::TcpStream::connect(addr).await.unwrap();
//! let mut got = String::new();
//! stream.read_to_string(&mut got).await.unwrap();
//! assert_eq!(got, "hello");
//! # });
//! ```

mod async_fd;
#[cfg(feature = "futures-io")]
mod futures_io;
pub(crate) mod pipe_io;
pub(crate) mod poll_evented;
mod ready;
mod stdio;
mod util;

/// Unix-specific I/O: [`AsyncFd`](unix::AsyncFd), for waiting on the
/// readiness of any non-blocking file descriptor.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use heddle::io::unix::AsyncFd;
///
/// #[heddle::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let (mut a, b) = UnixStream::pair()?;
///     b.set_nonblocking(true)?;
///     let b = AsyncFd::new(b)?;
///     a.write_all(b"ping")?;
///     // Wait until `b` is readable, then read without blocking.
///     let mut guard = b.readable().await?;
///     let mut buf = [0; 4];
///     let n = guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap()?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok(())
/// }
/// ```
pub mod unix {
    #[allow(deprecated)]
    #[doc(hidden)]
    pub use super::async_fd::AsyncFdTryNewError;
    pub use super::async_fd::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, AsyncFdRegisterError, TryIoError};
}

pub(crate) use ready::ready;
pub use ready::{Interest, Ready};
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use tokio::io::{
    join, split, BufReader, BufStream, BufWriter, Chain, Join, Lines, ReadHalf, Split, Take, WriteHalf,
};
pub use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite, AsyncWriteExt, ReadBuf,
};
pub use util::{
    copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf, duplex, empty, repeat, simplex, sink,
    DuplexStream, Empty, Repeat, SimplexStream, Sink,
};
