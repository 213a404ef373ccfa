//! The child's piped standard streams, as non-blocking pipes registered
//! with the reactor.

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::io::poll_evented::PollEvented;

/// The write end of a child's standard input ([`Child::stdin`]). Dropping
/// it closes the pipe: the child reads EOF.
///
/// [`Child::stdin`]: super::Child::stdin
pub struct ChildStdin {
    io: PollEvented<mio::unix::pipe::Sender>,
}

/// The read end of a child's standard output ([`Child::stdout`]).
///
/// [`Child::stdout`]: super::Child::stdout
pub struct ChildStdout {
    io: PollEvented<mio::unix::pipe::Receiver>,
}

/// The read end of a child's standard error ([`Child::stderr`]).
///
/// [`Child::stderr`]: super::Child::stderr
pub struct ChildStderr {
    io: PollEvented<mio::unix::pipe::Receiver>,
}

impl ChildStdin {
    pub(crate) fn new(std: std::process::ChildStdin) -> io::Result<ChildStdin> {
        let pipe = mio::unix::pipe::Sender::from(std);
        pipe.set_nonblocking(true)?;
        Ok(ChildStdin { io: PollEvented::new(pipe)? })
    }

    /// Wraps a std handle, registering it with the current runtime.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_std(std: std::process::ChildStdin) -> io::Result<ChildStdin> {
        ChildStdin::new(std)
    }

    /// Deregisters the pipe and returns it as an owned fd (non-blocking).
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        self.io.into_inner().map(OwnedFd::from)
    }
}

macro_rules! reader {
    ($name:ident, $std:ty) => {
        impl $name {
            pub(crate) fn new(std: $std) -> io::Result<$name> {
                let pipe = mio::unix::pipe::Receiver::from(std);
                pipe.set_nonblocking(true)?;
                Ok($name { io: PollEvented::new(pipe)? })
            }

            /// Wraps a std handle, registering it with the current runtime.
            ///
            /// # Panics
            /// Outside a heddle runtime with I/O enabled.
            pub fn from_std(std: $std) -> io::Result<$name> {
                $name::new(std)
            }

            /// Deregisters the pipe and returns it as an owned fd (non-blocking).
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                self.io.into_inner().map(OwnedFd::from)
            }
        }

        impl AsyncRead for $name {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
                self.io.poll_read(cx, buf)
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("fd", &self.as_raw_fd()).finish()
            }
        }
    };
}

reader!(ChildStdout, std::process::ChildStdout);
reader!(ChildStderr, std::process::ChildStderr);

impl AsyncWrite for ChildStdin {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Pipes have no user-space buffer: always ready.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// A pipe cannot be half-closed: this does nothing. Drop the
    /// `ChildStdin` to make the child read EOF.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsRawFd for ChildStdin {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for ChildStdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildStdin").field("fd", &self.as_raw_fd()).finish()
    }
}
