//! Borrowed halves of a [`UnixStream`] ([`UnixStream::split`]): a
//! [`ReadHalf`] and a [`WriteHalf`] that share the stream by reference, for
//! reading and writing concurrently within one task without an `Arc`.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;

use super::UnixStream;
use crate::net::stream_io::{forward_async_read, forward_async_write};

/// The reading half of a [`UnixStream`], borrowed by [`UnixStream::split`].
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// # let (mut client, mut server) = heddle::net::UnixStream::pair().unwrap();
/// // Echo the first 5 bytes back by copying from the read half to the write half.
/// let (mut rd, mut wr) = server.split();
/// let echo = async move { heddle::io::copy(&mut (&mut rd).take(5), &mut wr).await };
/// let talk = async {
///     client.write_all(b"hello").await.unwrap();
///     let mut buf = [0u8; 5];
///     client.read_exact(&mut buf).await.unwrap();
///     buf
/// };
/// let (copied, echoed) = futures::join!(echo, talk);
/// assert_eq!(copied.unwrap(), 5);
/// assert_eq!(&echoed, b"hello");
/// # });
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a>(&'a UnixStream);

/// The writing half of a [`UnixStream`], borrowed by [`UnixStream::split`].
/// Shutting it down ([`AsyncWriteExt::shutdown`]) shuts down the stream's
/// write direction.
///
/// [`AsyncWriteExt::shutdown`]: crate::io::AsyncWriteExt::shutdown
#[derive(Debug)]
pub struct WriteHalf<'a>(&'a UnixStream);

pub(crate) fn split(stream: &mut UnixStream) -> (ReadHalf<'_>, WriteHalf<'_>) {
    (ReadHalf(stream), WriteHalf(stream))
}

impl ReadHalf<'_> {
    /// The remote address of the stream.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// The local address of the stream.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }

    /// See [`UnixStream::readable`].
    pub async fn readable(&self) -> io::Result<()> {
        self.0.readable().await
    }

    /// See [`UnixStream::try_read`].
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }

    /// See [`UnixStream::try_read_vectored`].
    pub fn try_read_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.0.try_read_vectored(bufs)
    }

    /// See [`UnixStream::ready`] (the stream's readiness, both directions
    /// if asked).
    pub async fn ready(&self, interest: crate::io::Interest) -> io::Result<crate::io::Ready> {
        self.0.ready(interest).await
    }

    crate::net::raw_io::try_read_buf_method!(|this| this.0);
}

impl WriteHalf<'_> {
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.0.shutdown_std(Shutdown::Write)
    }

    /// The remote address of the stream.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// The local address of the stream.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }

    /// See [`UnixStream::writable`].
    pub async fn writable(&self) -> io::Result<()> {
        self.0.writable().await
    }

    /// See [`UnixStream::try_write`].
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    /// See [`UnixStream::try_write_vectored`].
    pub fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    /// See [`UnixStream::ready`].
    pub async fn ready(&self, interest: crate::io::Interest) -> io::Result<crate::io::Ready> {
        self.0.ready(interest).await
    }
}

forward_async_read!(ReadHalf<'_>, |this| this.0);
forward_async_write!(WriteHalf<'_>, |this| this.0);

impl AsRef<UnixStream> for ReadHalf<'_> {
    fn as_ref(&self) -> &UnixStream {
        self.0
    }
}

impl AsRef<UnixStream> for WriteHalf<'_> {
    fn as_ref(&self) -> &UnixStream {
        self.0
    }
}
