//! Owned halves of a [`UnixStream`] ([`UnixStream::into_split`]): an
//! [`OwnedReadHalf`] and an [`OwnedWriteHalf`] sharing the stream through an
//! `Arc`, so a reader task and a writer task can use one connection at the
//! same time. Each direction has its own readiness and waker in the
//! reactor, so neither half's wait disturbs the other's.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::sync::Arc;

use super::UnixStream;
use crate::net::stream_io::{forward_async_read, forward_async_write};

/// The reading half of a [`UnixStream`], from [`UnixStream::into_split`].
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// # let (client, mut server) = heddle::net::UnixStream::pair().unwrap();
/// let (mut rd, mut wr) = client.into_split();
/// let writer = heddle::spawn(async move {
///     wr.write_all(b"ping").await.unwrap();
///     wr // keep the write side open until we are done
/// });
/// let mut buf = [0u8; 4];
/// server.read_exact(&mut buf).await.unwrap();
/// server.write_all(&buf).await.unwrap();
/// rd.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// let stream = rd.reunite(writer.await.unwrap()).unwrap();
/// # drop(stream);
/// # });
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    inner: Arc<UnixStream>,
}

/// The writing half of a [`UnixStream`], from [`UnixStream::into_split`].
///
/// Dropping it shuts down the stream's write direction (the peer reads
/// EOF), as does [`AsyncWriteExt::shutdown`]; [`forget`](Self::forget)
/// drops it without doing so.
///
/// [`AsyncWriteExt::shutdown`]: crate::io::AsyncWriteExt::shutdown
#[derive(Debug)]
pub struct OwnedWriteHalf {
    inner: Arc<UnixStream>,
    shutdown_on_drop: bool,
}

/// [`OwnedReadHalf::reunite`] was given halves of two different streams;
/// both are handed back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl Error for ReuniteError {}

pub(crate) fn split_owned(stream: UnixStream) -> (OwnedReadHalf, OwnedWriteHalf) {
    let inner = Arc::new(stream);
    (OwnedReadHalf { inner: inner.clone() }, OwnedWriteHalf { inner, shutdown_on_drop: true })
}

fn reunite(read: OwnedReadHalf, mut write: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
    if !Arc::ptr_eq(&read.inner, &write.inner) {
        return Err(ReuniteError(read, write));
    }
    write.shutdown_on_drop = false;
    drop(write);
    Ok(Arc::try_unwrap(read.inner).expect("heddle: UnixStream: the two halves were the only owners"))
}

impl OwnedReadHalf {
    /// Puts the stream back together. Fails (returning both halves) if they
    /// come from different streams.
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
        reunite(self, other)
    }

    /// The remote address of the stream.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address of the stream.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// See [`UnixStream::readable`].
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// See [`UnixStream::try_read`].
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_read(buf)
    }

    /// See [`UnixStream::try_read_vectored`].
    pub fn try_read_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.try_read_vectored(bufs)
    }

    /// See [`UnixStream::ready`] (the stream's readiness, both directions
    /// if asked).
    pub async fn ready(&self, interest: crate::io::Interest) -> io::Result<crate::io::Ready> {
        self.inner.ready(interest).await
    }

    crate::net::raw_io::try_read_buf_method!(|this| this.inner);
}

impl OwnedWriteHalf {
    /// Shuts down the write direction; the drop will not do it again.
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.inner.shutdown_std(Shutdown::Write)?;
        self.shutdown_on_drop = false;
        Ok(())
    }

    /// Puts the stream back together; see [`OwnedReadHalf::reunite`].
    pub fn reunite(self, other: OwnedReadHalf) -> Result<UnixStream, ReuniteError> {
        reunite(other, self)
    }

    /// Drops the half without shutting down the write direction.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// The remote address of the stream.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address of the stream.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// See [`UnixStream::writable`].
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.writable().await
    }

    /// See [`UnixStream::try_write`].
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.try_write(buf)
    }

    /// See [`UnixStream::try_write_vectored`].
    pub fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.inner.try_write_vectored(bufs)
    }

    /// See [`UnixStream::ready`].
    pub async fn ready(&self, interest: crate::io::Interest) -> io::Result<crate::io::Ready> {
        self.inner.ready(interest).await
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may be gone already; nothing to report from a drop.
            let _ = self.inner.shutdown_std(Shutdown::Write);
        }
    }
}

forward_async_read!(OwnedReadHalf, |this| this.inner);
forward_async_write!(OwnedWriteHalf, |this| this.inner);

impl AsRef<UnixStream> for OwnedReadHalf {
    fn as_ref(&self) -> &UnixStream {
        &self.inner
    }
}

impl AsRef<UnixStream> for OwnedWriteHalf {
    fn as_ref(&self) -> &UnixStream {
        &self.inner
    }
}
