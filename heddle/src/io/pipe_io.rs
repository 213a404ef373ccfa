//! The trait impls every reactor-registered pipe end shares (a child's
//! stdin/stdout/stderr in `process`, `net::unix::pipe`'s `Sender` and
//! `Receiver`), written once. Each macro takes a type with a field
//! `io: PollEvented<_>` over a mio pipe end.

/// `AsyncRead`, `AsRawFd`, `AsFd` and `Debug` for a pipe's read end.
macro_rules! pipe_reader_impls {
    ($name:ident) => {
        impl tokio::io::AsyncRead for $name {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_read(cx, buf)
            }
        }

        $crate::io::pipe_io::pipe_fd_impls!($name);
    };
}

/// `AsyncWrite`, `AsRawFd`, `AsFd` and `Debug` for a pipe's write end.
macro_rules! pipe_writer_impls {
    ($name:ident) => {
        impl tokio::io::AsyncWrite for $name {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            /// Pipes have no user-space buffer: always ready.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            /// A pipe cannot be half-closed: this does nothing. Drop the
            /// write end to make the reader see EOF.
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
        }

        $crate::io::pipe_io::pipe_fd_impls!($name);
    };
}

/// `AsRawFd`, `AsFd` and a `Debug` that shows the descriptor.
macro_rules! pipe_fd_impls {
    ($name:ident) => {
        impl std::os::fd::AsRawFd for $name {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $name {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                use std::os::fd::AsRawFd;
                f.debug_struct(stringify!($name)).field("fd", &self.as_raw_fd()).finish()
            }
        }
    };
}

pub(crate) use {pipe_fd_impls, pipe_reader_impls, pipe_writer_impls};
