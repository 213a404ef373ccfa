//! tokio's `AsyncRead`/`AsyncWrite` for the stream sockets and their split
//! halves, written once.
//!
//! `TcpStream` and `UnixStream` each implement `poll_read_priv`,
//! `poll_write_priv` and `poll_write_vectored_priv` on `&self` (a socket's
//! two directions are independent), and every type that reads or writes a
//! stream (the stream itself, its borrowed halves, its owned halves)
//! forwards the trait methods to them. The forwarding is the same for all
//! eight types, so it lives here as two macros; what differs is only how a
//! type reaches its stream and what `shutdown_write` does (an owned write
//! half also remembers not to shut down again on drop).

/// Implements `AsyncRead` for `$ty`, whose stream is `$stream` (an
/// expression in `$this: &$ty`).
macro_rules! forward_async_read {
    ($ty:ty, |$this:ident| $stream:expr) => {
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                $stream.poll_read_priv(cx, buf)
            }
        }
    };
}

/// Implements `AsyncWrite` for `$ty`, whose stream is `$stream` (an
/// expression in `$this: &$ty`). Flushing is a no-op (a socket has no
/// user-space buffer); `poll_shutdown` calls `$ty::shutdown_write`.
macro_rules! forward_async_write {
    ($ty:ty, |$this:ident| $stream:expr) => {
        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            /// No user-space buffer: always ready.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            /// Shuts down the write direction (the peer reads EOF); reading
            /// still works.
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.get_mut().shutdown_write())
            }
        }
    };
}

pub(crate) use {forward_async_read, forward_async_write};
