//! The child's piped standard streams, as non-blocking pipes registered
//! with the reactor.

use std::io;
use std::os::fd::OwnedFd;

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

        crate::io::pipe_io::pipe_reader_impls!($name);
    };
}

reader!(ChildStdout, std::process::ChildStdout);
reader!(ChildStderr, std::process::ChildStderr);

crate::io::pipe_io::pipe_writer_impls!(ChildStdin);
