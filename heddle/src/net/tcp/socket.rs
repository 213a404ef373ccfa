//! [`TcpSocket`]: a TCP socket not yet connected or listening, for setting
//! options (`SO_REUSEPORT`, buffer sizes, ...) that must precede `bind`,
//! `listen` or `connect`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::{TcpListener, TcpStream};

/// A TCP socket that has not yet become a [`TcpListener`] or a
/// [`TcpStream`].
///
/// Several listeners can share one port with [`set_reuseport`]: the kernel
/// spreads incoming connections across them, e.g. one acceptor per worker.
///
/// ```
/// use heddle::net::TcpSocket;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let first = TcpSocket::new_v4().unwrap();
/// first.set_reuseport(true).unwrap();
/// first.bind("127.0.0.1:0".parse().unwrap()).unwrap();
/// let addr = first.local_addr().unwrap();
/// let a = first.listen(128).unwrap();
///
/// let second = TcpSocket::new_v4().unwrap();
/// second.set_reuseport(true).unwrap();
/// second.bind(addr).unwrap();
/// let b = second.listen(128).unwrap();
/// assert_eq!(a.local_addr().unwrap(), b.local_addr().unwrap());
///
/// let stream = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap();
/// assert_eq!(stream.peer_addr().unwrap(), addr);
/// # });
/// ```
///
/// [`set_reuseport`]: Self::set_reuseport
#[derive(Debug)]
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket.
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket.
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    /// A new socket of `addr`'s family.
    pub(crate) fn new_for_addr(addr: SocketAddr) -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::for_address(addr))
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        let inner = Socket::new(domain, Type::STREAM.nonblocking().cloexec(), Some(Protocol::TCP))?;
        Ok(TcpSocket { inner })
    }

    /// Turns a std stream that is **not connected yet** (e.g. made from a
    /// raw fd) into a `TcpSocket`, in non-blocking mode.
    pub fn from_std_stream(stream: std::net::TcpStream) -> TcpSocket {
        let inner = Socket::from(stream);
        // Only fails for an invalid fd, which an owned stream cannot hold.
        let _ = inner.set_nonblocking(true);
        TcpSocket { inner }
    }

    /// Sets `SO_REUSEADDR`: bind even while old connections on the port are
    /// in `TIME_WAIT`.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`: several sockets (each with it set) can bind
    /// the same address, and the kernel balances connections among them.
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuseport)
    }

    /// Whether `SO_REUSEPORT` is set.
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets the send buffer size (`SO_SNDBUF`; Linux doubles the value).
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// The send buffer size (`SO_SNDBUF`).
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner.send_buffer_size().map(|size| size.try_into().unwrap_or(u32::MAX))
    }

    /// Sets the receive buffer size (`SO_RCVBUF`; Linux doubles the value).
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// The receive buffer size (`SO_RCVBUF`).
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner.recv_buffer_size().map(|size| size.try_into().unwrap_or(u32::MAX))
    }

    /// Sets `TCP_NODELAY` (carried over to the connected stream).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets `SO_LINGER` (carried over to the connected stream). Avoid a
    /// non-zero duration: it makes closing the stream block a runtime
    /// thread; see [`TcpStream::set_linger`].
    #[deprecated(
        since = "0.1.0",
        note = "`SO_LINGER` makes dropping the socket block the thread; use `set_zero_linger`"
    )]
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(linger)
    }

    /// Sets a zero `SO_LINGER`, so closing the connected stream aborts it
    /// with a reset; see [`TcpStream::set_zero_linger`].
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.inner.set_linger(Some(Duration::ZERO))
    }

    /// The `SO_LINGER` setting.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// The IPv4 type-of-service byte (`IP_TOS`) of outgoing packets.
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.inner.tos()
    }

    /// Sets the IPv4 type-of-service byte (`IP_TOS`: DSCP and ECN bits)
    /// of outgoing packets. IPv4 sockets only.
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        self.inner.set_tos(tos)
    }

    /// The IPv6 traffic class (`IPV6_TCLASS`) of outgoing packets.
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.inner.tclass_v6()
    }

    /// Sets the IPv6 traffic class (`IPV6_TCLASS`), the IPv6 counterpart
    /// of [`set_tos_v4`](Self::set_tos_v4). IPv6 sockets only.
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.inner.set_tclass_v6(tclass)
    }

    /// The network interface the socket is bound to
    /// (`SO_BINDTODEVICE`), if any.
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.inner.device()
    }

    /// Binds the socket to a network interface by name (`SO_BINDTODEVICE`,
    /// e.g. `b"eth0"`), so it only uses that interface; `None` removes the
    /// binding. Usually needs `CAP_NET_RAW`.
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.inner.bind_device(interface)
    }

    /// Sets `SO_KEEPALIVE`.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.inner.set_keepalive(keepalive)
    }

    /// Whether `SO_KEEPALIVE` is set.
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Binds the socket to `addr` (port 0 picks a free port).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&SockAddr::from(addr))
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not an IP socket address"))
    }

    /// The socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Starts listening, with room for `backlog` connections waiting to be
    /// accepted (capped by the system's `somaxconn`).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.inner.listen(backlog.min(i32::MAX as u32) as i32)?;
        let std_listener = std::net::TcpListener::from(self.inner);
        TcpListener::new(mio::net::TcpListener::from_std(std_listener))
    }

    /// Connects to `addr`, waiting in the reactor for the handshake.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        match self.inner.connect(&SockAddr::from(addr)) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let std_stream = std::net::TcpStream::from(self.inner);
        TcpStream::connect_mio(mio::net::TcpStream::from_std(std_stream)).await
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for TcpSocket {
    /// Takes ownership of a TCP socket descriptor that is not connected
    /// or listening yet, switching it to non-blocking mode (so `connect`
    /// waits in the reactor, not in the kernel).
    ///
    /// # Safety
    /// `fd` must be an open socket that nothing else owns or closes.
    unsafe fn from_raw_fd(fd: RawFd) -> TcpSocket {
        // SAFETY: the caller hands over an open socket descriptor it owns.
        let inner = unsafe { Socket::from_raw_fd(fd) };
        // Only fails for an invalid fd, which the caller rules out.
        let _ = inner.set_nonblocking(true);
        TcpSocket { inner }
    }
}

impl IntoRawFd for TcpSocket {
    /// Gives up the socket's descriptor, which the caller must close.
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}
