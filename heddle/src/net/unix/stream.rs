//! [`UnixStream`]: one Unix stream connection, readable and writable
//! through [`AsyncRead`]/[`AsyncWrite`].

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use super::split::{self, ReadHalf, WriteHalf};
use super::split_owned::{self, OwnedReadHalf, OwnedWriteHalf};
use super::ucred::{self, UCred};
use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;
use crate::net::stream_io::{forward_async_read, forward_async_write};

/// A connected Unix stream socket.
///
/// Made by [`UnixStream::connect`], [`UnixStream::pair`] or
/// [`UnixListener::accept`](super::UnixListener::accept). Like a TCP
/// stream it can be split into halves for a reader task and a writer task
/// ([`into_split`](Self::into_split)).
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// use heddle::net::UnixStream;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (mut a, mut b) = UnixStream::pair().unwrap();
/// a.write_all(b"over").await.unwrap();
/// let mut buf = [0u8; 4];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"over");
/// # });
/// ```
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path`. A path that starts with a
    /// NUL byte (`"\0name"`) names a socket in Linux's abstract namespace
    /// (`name`), as with [`connect_addr`](Self::connect_addr).
    ///
    /// # Errors
    /// [`NotFound`](io::ErrorKind::NotFound) when no socket file exists
    /// there, [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when
    /// nothing listens on it.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::connect_addr(&super::path_addr(path.as_ref())?).await
    }

    /// Connects to the socket at `addr`: a filesystem path, or a name in
    /// Linux's abstract namespace (made with
    /// [`SocketAddrExt::from_abstract_name`]), which needs no file and
    /// vanishes with the last socket bound to it.
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use heddle::net::unix::SocketAddr;
    /// use heddle::net::{UnixListener, UnixStream};
    ///
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let name = format!("heddle-doc-abstract-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let listener = UnixListener::bind_addr(&addr)?;
    /// let client = UnixStream::connect_addr(&addr).await?;
    /// let (_server, _) = listener.accept().await?;
    /// assert_eq!(client.peer_addr()?.as_abstract_name(), Some(name.as_bytes()));
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    ///
    /// [`SocketAddrExt::from_abstract_name`]: std::os::linux::net::SocketAddrExt::from_abstract_name
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        let stream = UnixStream::new(mio::net::UnixStream::connect_addr(addr)?)?;
        stream
            .io
            .async_io(Direction::Write, |sock| match sock.take_error()? {
                Some(e) => Err(e),
                None => Ok(()),
            })
            .await?;
        Ok(stream)
    }

    /// Creates a pair of connected, unnamed sockets.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        let (a, b) = (UnixStream::new(a)?, UnixStream::new(b)?);
        // Empty buffers: both ends can write before any event comes.
        a.io.assume_ready(false, true);
        b.io.assume_ready(false, true);
        Ok((a, b))
    }

    #[track_caller]
    pub(crate) fn new(sys: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream { io: PollEvented::new(sys)? })
    }

    /// A stream from `accept`: assumed readable and writable, as
    /// `TcpStream`'s accepted streams are.
    #[track_caller]
    pub(crate) fn new_accepted(sys: mio::net::UnixStream) -> io::Result<UnixStream> {
        let stream = UnixStream::new(sys)?;
        stream.io.assume_ready(true, true);
        Ok(stream)
    }

    /// Wraps a connected std stream, switching it to non-blocking mode.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::new(mio::net::UnixStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_inner().map(std::os::unix::net::UnixStream::from)
    }

    /// This end's address (usually unnamed for a client).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The credentials of the peer process (`SO_PEERCRED`).
    pub fn peer_cred(&self) -> io::Result<UCred> {
        ucred::peer_cred(self.io.get_ref())
    }

    /// The socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Waits until the stream may be readable. Can be a false positive.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready_in(Direction::Read).await
    }

    /// Waits until the stream may be writable. Can be a false positive.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready_in(Direction::Write).await
    }

    /// Waits until the socket is ready for any of `interest`, and says
    /// which readiness it found. Like [`readable`](Self::readable), this
    /// can be a false positive: the operation that follows may still
    /// return `WouldBlock`.
    pub async fn ready(&self, interest: crate::io::Interest) -> io::Result<crate::io::Ready> {
        crate::io::ready(&self.io, interest).await
    }

    crate::net::raw_io::raw_io_methods!();

    crate::net::raw_io::try_read_buf_method!();

    /// Polls for read readiness. Only the last task to poll is woken.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls for write readiness. Only the last task to poll is woken.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Reads what is available without waiting; `Ok(0)` is EOF and
    /// `WouldBlock` means nothing is available yet.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut sock| sock.read(buf))
    }

    /// Writes what fits without waiting; `WouldBlock` when nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut sock| sock.write(buf))
    }

    /// Reads into several buffers without waiting (`readv`); `WouldBlock`
    /// when nothing is buffered, `Ok(0)` at end of stream.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut sock| sock.read_vectored(bufs))
    }

    /// Writes from several buffers without waiting (`writev`);
    /// `WouldBlock` when nothing fits.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut sock| sock.write_vectored(bufs))
    }

    /// Borrows the stream as a read half and a write half usable
    /// concurrently on one task.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits the stream into owned halves that can move to different
    /// tasks. Dropping the write half shuts down the write direction.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned::split_owned(self)
    }

    /// `AsyncWrite::poll_shutdown`.
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown_std(Shutdown::Write)
    }

    /// `shutdown(2)`. A connection the peer already tore down (a reset)
    /// reports `NotConnected`; there is nothing left to shut down, so that
    /// counts as success.
    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        match self.io.get_ref().shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            res => res,
        }
    }

    pub(crate) fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.io.poll_read(cx, buf)
    }

    pub(crate) fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }
}

forward_async_read!(UnixStream, |this| this);
forward_async_write!(UnixStream, |this| this);

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// [`UnixStream::from_std`]: registers a connected std stream with the
    /// current runtime (and panics outside one with I/O enabled).
    #[track_caller]
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

impl AsRef<UnixStream> for UnixStream {
    fn as_ref(&self) -> &UnixStream {
        self
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.io.get_ref(), f)
    }
}
