//! `futures_io::{AsyncRead, AsyncWrite}` for heddle's streams (feature
//! `futures-io`), so libraries written against the `futures` I/O traits
//! (async-tungstenite, async-h1, `futures::io::copy`, ...) take heddle
//! sockets directly, without a compat wrapper.
//!
//! Each impl forwards to the stream's tokio-trait impl. With both trait
//! families in scope, call the extension methods by path (e.g.
//! `futures::AsyncReadExt::read(&mut s, ..)`) to pick one.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

macro_rules! bridge_read {
    ($($ty:ty),* $(,)?) => {$(
        impl futures_io::AsyncRead for $ty {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                let mut read_buf = ReadBuf::new(buf);
                ready!(tokio::io::AsyncRead::poll_read(self, cx, &mut read_buf))?;
                Poll::Ready(Ok(read_buf.filled().len()))
            }
        }
    )*};
}

macro_rules! bridge_write {
    ($($ty:ty),* $(,)?) => {$(
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                tokio::io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                tokio::io::AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                tokio::io::AsyncWrite::poll_flush(self, cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                tokio::io::AsyncWrite::poll_shutdown(self, cx)
            }
        }
    )*};
}

bridge_read!(
    crate::net::TcpStream,
    crate::net::tcp::ReadHalf<'_>,
    crate::net::tcp::OwnedReadHalf,
    crate::net::UnixStream,
);

bridge_write!(
    crate::net::TcpStream,
    crate::net::tcp::WriteHalf<'_>,
    crate::net::tcp::OwnedWriteHalf,
    crate::net::UnixStream,
);
