//! [`TcpStream`]: one TCP connection, readable and writable through
//! [`AsyncRead`]/[`AsyncWrite`], plus readiness waits and `try_*` calls.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::ReadBuf;

use super::split::{self, ReadHalf, WriteHalf};
use super::split_owned::{self, OwnedReadHalf, OwnedWriteHalf};
use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::stream_io::{forward_async_read, forward_async_write};

/// A TCP connection between a local and a remote socket.
///
/// Made by [`TcpStream::connect`], [`TcpListener::accept`] or
/// [`TcpSocket::connect`]. Reading and writing go through heddle's
/// [`AsyncReadExt`]/[`AsyncWriteExt`]; the stream can be split into halves
/// that a reader task and a writer task use at the same time
/// ([`into_split`](Self::into_split)). Dropping the stream closes it.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// use heddle::net::{TcpListener, TcpStream};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let addr = listener.local_addr().unwrap();
/// heddle::spawn(async move {
///     let (mut socket, _) = listener.accept().await.unwrap();
///     socket.write_all(b"hi there").await.unwrap();
/// });
/// let mut stream = TcpStream::connect(addr).await.unwrap();
/// assert_eq!(stream.peer_addr().unwrap(), addr);
/// let mut text = String::new();
/// stream.read_to_string(&mut text).await.unwrap();
/// assert_eq!(text, "hi there");
/// # });
/// ```
///
/// [`TcpListener::accept`]: super::TcpListener::accept
/// [`TcpSocket::connect`]: super::TcpSocket::connect
/// [`AsyncReadExt`]: crate::io::AsyncReadExt
/// [`AsyncWriteExt`]: crate::io::AsyncWriteExt
pub struct TcpStream {
    io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each address it resolves to in
    /// turn until one accepts. The connect is non-blocking: the task waits
    /// in the reactor until the handshake completes or fails.
    ///
    /// # Errors
    /// The last address's error, e.g. [`ConnectionRefused`] when nothing
    /// listens there.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    ///
    /// [`ConnectionRefused`]: std::io::ErrorKind::ConnectionRefused
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(&addr, |addr| async move { TcpStream::connect_mio(mio::net::TcpStream::connect(addr)?).await }).await
    }

    /// Registers a socket whose non-blocking connect is in progress and
    /// waits for the outcome.
    pub(crate) async fn connect_mio(sys: mio::net::TcpStream) -> io::Result<TcpStream> {
        let stream = TcpStream::new(sys)?;
        // Writable means the handshake finished, one way or the other.
        stream
            .io
            .async_io(Direction::Write, |sock| {
                if let Some(e) = sock.take_error()? {
                    return Err(e);
                }
                match sock.peer_addr() {
                    Ok(_) => Ok(()),
                    // Not connected yet: a spurious wake-up; wait again.
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
                    Err(e) => Err(e),
                }
            })
            .await?;
        Ok(stream)
    }

    /// Registers a connected mio stream with the current reactor.
    #[track_caller]
    pub(crate) fn new(sys: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream { io: PollEvented::new(sys)? })
    }

    /// A stream from `accept`: assumed readable and writable, so its first
    /// read and write try the socket at once instead of waiting for the
    /// reactor's first event (the request has often arrived already).
    #[track_caller]
    pub(crate) fn new_accepted(sys: mio::net::TcpStream) -> io::Result<TcpStream> {
        let stream = TcpStream::new(sys)?;
        stream.io.assume_ready(true, true);
        Ok(stream)
    }

    /// Wraps a connected std stream, switching it to non-blocking mode.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let stream = heddle::net::TcpStream::from_std(std_stream).unwrap();
    /// assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # });
    /// ```
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::new(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// non-blocking mode (call `set_nonblocking(false)` to change that).
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner().map(std::net::TcpStream::from)
    }

    /// The local address of this connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The remote address of this connection.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Whether `TCP_NODELAY` (Nagle's algorithm off) is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `TCP_NODELAY`: small writes go out at once instead of being
    /// coalesced.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_QUICKACK` is set: acknowledgements go out at once
    /// rather than being delayed.
    pub fn quickack(&self) -> io::Result<bool> {
        socket2::SockRef::from(self.io.get_ref()).quickack()
    }

    /// Sets `TCP_QUICKACK`: `true` sends acknowledgements at once instead
    /// of delaying them to piggyback on outgoing data. Linux does not keep
    /// the flag for good: the kernel may clear it again as the connection
    /// goes on, so latency-sensitive code sets it after each read.
    pub fn set_quickack(&self, quickack: bool) -> io::Result<()> {
        socket2::SockRef::from(self.io.get_ref()).set_quickack(quickack)
    }

    /// The `SO_LINGER` setting: `None` when off, `Some(Duration::ZERO)`
    /// after [`set_zero_linger`](Self::set_zero_linger).
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket2::SockRef::from(self.io.get_ref()).linger()
    }

    /// Sets `SO_LINGER`: what closing the socket does with data not yet
    /// sent.
    ///
    /// Avoid a non-zero duration: Linux then makes close (the drop of the
    /// stream) block the thread, a runtime worker, until the data is sent
    /// or the time runs out. (tokio deprecates this method for that
    /// reason.) To make sure the peer got everything, shut the write side
    /// down and read until end-of-stream instead; to abort the connection,
    /// use [`set_zero_linger`](Self::set_zero_linger), which never blocks.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let listener = heddle::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = heddle::net::TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_linger(None)?;
    /// assert_eq!(stream.linger()?, None);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    #[deprecated(
        since = "0.1.0",
        note = "`SO_LINGER` makes dropping the socket block the thread; use `set_zero_linger`"
    )]
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket2::SockRef::from(self.io.get_ref()).set_linger(linger)
    }

    /// Sets a zero `SO_LINGER`, so closing the socket aborts the
    /// connection: unsent data is thrown away and the peer gets a reset
    /// (`RST`) instead of an orderly end-of-stream, its reads failing with
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset). The socket
    /// skips `TIME_WAIT`, and the close never blocks.
    ///
    /// ```
    /// use heddle::io::AsyncReadExt;
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let listener = heddle::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = heddle::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// server.set_zero_linger()?;
    /// assert_eq!(server.linger()?, Some(std::time::Duration::ZERO));
    /// drop(server);
    /// let err = client.read(&mut [0u8; 8]).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn set_zero_linger(&self) -> io::Result<()> {
        socket2::SockRef::from(self.io.get_ref()).set_linger(Some(Duration::ZERO))
    }

    /// The IP time-to-live of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets the IP time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Waits until the stream may be readable (data, EOF or an error).
    /// It can be a false positive: a following [`try_read`](Self::try_read)
    /// may still give `WouldBlock`.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready_in(Direction::Read).await
    }

    /// Waits until the stream may be writable. Like
    /// [`readable`](Self::readable), it can be a false positive.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready_in(Direction::Write).await
    }

    /// Waits until the socket is ready for any of `interest`, and says
    /// which readiness it found. Like [`readable`](Self::readable), this
    /// can be a false positive: the operation that follows may still
    /// return `WouldBlock`.
    ///
    /// ```
    /// use heddle::io::{AsyncWriteExt, Interest};
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let listener = heddle::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let client = heddle::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// server.write_all(b"ping").await?;
    /// let mut buf = [0u8; 16];
    /// loop {
    ///     let ready = client.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     if !ready.is_readable() {
    ///         // Writable only: nothing to read yet, wait for that alone.
    ///         client.readable().await?;
    ///     }
    ///     match client.try_read(&mut buf) {
    ///         Ok(n) => {
    ///             assert_eq!(&buf[..n], b"ping");
    ///             break;
    ///         }
    ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
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

    /// Reads what is available without waiting. `Ok(0)` means EOF (or an
    /// empty `buf`); `WouldBlock` means nothing is available yet (wait with
    /// [`readable`](Self::readable)).
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let listener = heddle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let stream = heddle::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0u8; 16];
    /// let err = stream.try_read(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # });
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut sock| sock.read(buf))
    }

    /// [`try_read`](Self::try_read) into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut sock| sock.read_vectored(bufs))
    }

    /// Writes what fits in the send buffer without waiting; `WouldBlock`
    /// when nothing does (wait with [`writable`](Self::writable)).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut sock| sock.write(buf))
    }

    /// [`try_write`](Self::try_write) from several buffers.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut sock| sock.write_vectored(bufs))
    }

    /// Waits for data and copies it into `buf` without removing it from the
    /// socket: the next read returns the same bytes. Returns the number of
    /// bytes copied (0 at EOF).
    ///
    /// ```
    /// use heddle::io::{AsyncReadExt, AsyncWriteExt};
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let listener = heddle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut client = heddle::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// # let (mut server, _) = listener.accept().await.unwrap();
    /// client.write_all(b"abc").await.unwrap();
    /// let mut peeked = [0u8; 3];
    /// let n = server.peek(&mut peeked).await.unwrap();
    /// let mut read = [0u8; 3];
    /// server.read_exact(&mut read[..n]).await.unwrap();
    /// assert_eq!(peeked[..n], read[..n]);
    /// # });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |sock| sock.peek(buf)).await
    }

    /// Polls [`peek`](Self::peek): copies available data into `buf`'s
    /// unfilled part without consuming it.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<usize>> {
        let unfilled = buf.initialize_unfilled();
        let n = ready!(self.io.poll_io(cx, Direction::Read, |sock| sock.peek(unfilled)))?;
        buf.advance(n);
        Poll::Ready(Ok(n))
    }

    /// Borrows the stream as a read half and a write half that can be used
    /// concurrently (e.g. in one `select!` or `join!`), on the same task.
    /// Cheaper than [`into_split`](Self::into_split): no `Arc`.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits the stream into owned halves, which can move to different
    /// tasks: one reading while the other writes. Dropping the write half
    /// shuts down the write direction; [`OwnedReadHalf::reunite`] puts them
    /// back together.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned::split_owned(self)
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
}

forward_async_read!(TcpStream, |this| this);
forward_async_write!(TcpStream, |this| this);

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// [`TcpStream::from_std`]: registers a connected std stream with the
    /// current runtime (and panics outside one with I/O enabled).
    #[track_caller]
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

impl AsRef<TcpStream> for TcpStream {
    fn as_ref(&self) -> &TcpStream {
        self
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.io.get_ref(), f)
    }
}
