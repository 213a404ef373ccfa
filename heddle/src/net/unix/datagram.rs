//! [`UnixDatagram`]: a Unix datagram socket.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;

/// A Unix datagram socket: message boundaries are kept, and delivery on
/// one machine is reliable and ordered.
///
/// Like [`UdpSocket`](crate::net::UdpSocket), it can address peers per
/// datagram ([`send_to`](Self::send_to)/[`recv_from`](Self::recv_from)) or
/// be connected to one ([`send`](Self::send)/[`recv`](Self::recv)).
///
/// ```
/// use heddle::net::UnixDatagram;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (a, b) = UnixDatagram::pair().unwrap();
/// a.send(b"one").await.unwrap();
/// a.send(b"two").await.unwrap();
/// let mut buf = [0u8; 16];
/// let n = b.recv(&mut buf).await.unwrap();
/// assert_eq!(&buf[..n], b"one");
/// let n = b.recv(&mut buf).await.unwrap();
/// assert_eq!(&buf[..n], b"two");
/// # });
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    #[track_caller]
    fn new(sys: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram { io: PollEvented::new(sys)? })
    }

    /// Creates a socket bound to `path` (the socket file stays after drop).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to no address: it can send, and receive
    /// replies once connected.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::unbound()?)
    }

    /// Creates a pair of connected, unnamed sockets.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        let (a, b) = (UnixDatagram::new(a)?, UnixDatagram::new(b)?);
        // Empty buffers: both ends can send before any event comes.
        a.io.assume_ready(false, true);
        b.io.assume_ready(false, true);
        Ok((a, b))
    }

    /// Wraps a std socket, switching it to non-blocking mode.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::new(mio::net::UnixDatagram::from_std(socket))
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner().map(std::os::unix::net::UnixDatagram::from)
    }

    /// Sets the default peer to the socket bound at `path`.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// This socket's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Shuts down the read, write or both directions.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the socket may be readable. Can be a false positive.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready_in(Direction::Read).await
    }

    /// Waits until the socket may be writable. Can be a false positive.
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

    crate::net::raw_io::recv_buf_methods!(SocketAddr, crate::net::raw_io::unix_addr);

    /// Sends one datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Write, |sock| sock.send(buf)).await
    }

    /// Sends to the connected peer without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |sock| sock.send(buf))
    }

    /// Polls sending one datagram to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |sock| sock.send(buf))
    }

    /// Receives one datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |sock| sock.recv(buf)).await
    }

    /// Receives one datagram without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |sock| sock.recv(buf))
    }

    /// Polls receiving one datagram into `buf`'s unfilled part.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        let n = ready!(self.io.poll_io(cx, Direction::Read, |sock| sock.recv(unfilled)))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Sends one datagram to the socket bound at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.async_io(Direction::Write, |sock| sock.send_to(buf, path)).await
    }

    /// Sends one datagram to `path` without waiting.
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |sock| sock.send_to(buf, path))
    }

    /// Receives one datagram and its sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.async_io(Direction::Read, |sock| sock.recv_from(buf)).await
    }

    /// Receives one datagram and its sender's address without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |sock| sock.recv_from(buf))
    }

    /// Polls [`recv_from`](Self::recv_from), filling `buf`'s unfilled part.
    pub fn poll_recv_from(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<SocketAddr>> {
        let unfilled = buf.initialize_unfilled();
        let (n, addr) = ready!(self.io.poll_io(cx, Direction::Read, |sock| sock.recv_from(unfilled)))?;
        buf.advance(n);
        Poll::Ready(Ok(addr))
    }

    /// Polls [`send_to`](Self::send_to).
    pub fn poll_send_to(&self, cx: &mut Context<'_>, buf: &[u8], path: impl AsRef<Path>) -> Poll<io::Result<usize>> {
        let path = path.as_ref();
        self.io.poll_io(cx, Direction::Write, |sock| sock.send_to(buf, path))
    }

    /// Polls for read readiness. Only the last task to poll is woken.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls for write readiness. Only the last task to poll is woken.
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// [`UnixDatagram::from_std`]: registers a std socket with the current
    /// runtime (and panics outside one with I/O enabled).
    #[track_caller]
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.io.get_ref(), f)
    }
}
