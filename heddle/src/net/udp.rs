//! [`UdpSocket`]: a non-blocking UDP socket driven by the reactor.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;
use crate::net::addr::{each_addr, resolve, ToSocketAddrs};

/// A UDP socket.
///
/// UDP moves datagrams: each `send` is received whole by one `recv` (or
/// truncated to the receiver's buffer), never merged or split. A socket can
/// talk to any peer with [`send_to`](Self::send_to)/[`recv_from`](Self::recv_from),
/// or be [`connect`](Self::connect)ed to one peer and use
/// [`send`](Self::send)/[`recv`](Self::recv). All methods take `&self`, so
/// one socket can be shared (e.g. in an `Arc`) between a sending task and a
/// receiving task.
///
/// ```
/// use heddle::net::UdpSocket;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
/// let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
/// client.send_to(b"ping", server.local_addr().unwrap()).await.unwrap();
/// let mut buf = [0u8; 16];
/// let (n, from) = server.recv_from(&mut buf).await.unwrap();
/// assert_eq!(&buf[..n], b"ping");
/// assert_eq!(from, client.local_addr().unwrap());
/// # });
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`, trying each address it resolves to until
    /// one works. Port 0 picks a free port.
    ///
    /// # Errors
    /// The last address's error (e.g. [`AddrInUse`](io::ErrorKind::AddrInUse)).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(&addr, |addr| async move { UdpSocket::new(mio::net::UdpSocket::bind(addr)?) }).await
    }

    #[track_caller]
    fn new(sys: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket { io: PollEvented::new(sys)? })
    }

    /// Wraps a std socket, switching it to non-blocking mode.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let addr = std_socket.local_addr().unwrap();
    /// let socket = heddle::net::UdpSocket::from_std(std_socket).unwrap();
    /// assert_eq!(socket.local_addr().unwrap(), addr);
    /// # });
    /// ```
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::new(mio::net::UdpSocket::from_std(socket))
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner().map(|sock| std::net::UdpSocket::from(std::os::fd::OwnedFd::from(sock)))
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address this socket is connected to.
    ///
    /// # Errors
    /// [`NotConnected`](io::ErrorKind::NotConnected) if it is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets the default peer: [`send`](Self::send) goes there and only its
    /// datagrams are received. Tries each address `addr` resolves to.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let sock = self.io.get_ref();
        each_addr(&addr, |addr| async move { sock.connect(addr) }).await
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

    crate::net::raw_io::recv_buf_methods!(SocketAddr, crate::net::raw_io::inet_addr);

    /// Polls for read readiness. Only the last task to poll is woken.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls for write readiness. Only the last task to poll is woken.
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Sends one datagram to the connected peer; returns the bytes sent.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Write, |sock| sock.send(buf)).await
    }

    /// Polls [`send`](Self::send).
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |sock| sock.send(buf))
    }

    /// Sends to the connected peer without waiting; `WouldBlock` if the
    /// send buffer is full.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |sock| sock.send(buf))
    }

    /// Receives one datagram from the connected peer into `buf`; the rest
    /// of a datagram longer than `buf` is discarded.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |sock| sock.recv(buf)).await
    }

    /// Polls [`recv`](Self::recv), filling `buf`'s unfilled part.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        let n = ready!(self.io.poll_io(cx, Direction::Read, |sock| sock.recv(unfilled)))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Receives one datagram without waiting; `WouldBlock` if none is queued.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |sock| sock.recv(buf))
    }

    /// Sends one datagram to `target` (its first resolved address).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let addr = first_addr(&target).await?;
        self.io.async_io(Direction::Write, |sock| sock.send_to(buf, addr)).await
    }

    /// Polls sending one datagram to `target`.
    pub fn poll_send_to(&self, cx: &mut Context<'_>, buf: &[u8], target: SocketAddr) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |sock| sock.send_to(buf, target))
    }

    /// Sends one datagram to `target` without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |sock| sock.send_to(buf, target))
    }

    /// Receives one datagram and the address it came from.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.async_io(Direction::Read, |sock| sock.recv_from(buf)).await
    }

    /// Polls [`recv_from`](Self::recv_from), filling `buf`'s unfilled part.
    pub fn poll_recv_from(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<SocketAddr>> {
        let unfilled = buf.initialize_unfilled();
        let (n, addr) = ready!(self.io.poll_io(cx, Direction::Read, |sock| sock.recv_from(unfilled)))?;
        buf.advance(n);
        Poll::Ready(Ok(addr))
    }

    /// Receives one datagram and its source without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |sock| sock.recv_from(buf))
    }

    /// Waits for a datagram and copies it into `buf` without dequeuing it:
    /// the next receive returns it again.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.async_io(Direction::Read, |sock| sock.peek_from(buf)).await
    }

    /// Peeks at the next datagram without waiting.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |sock| sock.peek_from(buf))
    }

    /// Polls [`peek_from`](Self::peek_from), filling `buf`'s unfilled part.
    pub fn poll_peek_from(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<SocketAddr>> {
        let unfilled = buf.initialize_unfilled();
        let (n, addr) = ready!(self.io.poll_io(cx, Direction::Read, |sock| sock.peek_from(unfilled)))?;
        buf.advance(n);
        Poll::Ready(Ok(addr))
    }

    /// Waits for a datagram from the connected peer and copies it into
    /// `buf` without dequeuing it.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let a = heddle::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = heddle::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// b.connect(a.local_addr()?).await?;
    /// a.send_to(b"hi", b.local_addr()?).await?;
    /// assert_eq!(b.peek_sender().await?, a.local_addr()?);
    /// let mut buf = [0u8; 8];
    /// let n = b.peek(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"hi");
    /// assert_eq!(b.recv(&mut buf).await?, 2, "still queued after the peeks");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |sock| sock.peek(buf)).await
    }

    /// Polls [`peek`](Self::peek), filling `buf`'s unfilled part.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        let n = ready!(self.io.poll_io(cx, Direction::Read, |sock| sock.peek(unfilled)))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Peeks at the next datagram from the connected peer without waiting.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |sock| sock.peek(buf))
    }

    /// Waits for a datagram and returns its source address, leaving the
    /// datagram queued.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.async_io(Direction::Read, |sock| sock.peek_from(&mut []).map(|(_, addr)| addr)).await
    }

    /// Polls [`peek_sender`](Self::peek_sender).
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(cx, Direction::Read, |sock| sock.peek_from(&mut []).map(|(_, addr)| addr))
    }

    /// The source address of the next datagram, without waiting.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.try_io(Direction::Read, |sock| sock.peek_from(&mut []).map(|(_, addr)| addr))
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `SO_BROADCAST`: allows sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// The IP time-to-live of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets the IP time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IPv4 type-of-service byte (`IP_TOS`) of outgoing datagrams.
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.sock_ref().tos()
    }

    /// Sets the IPv4 type-of-service byte (`IP_TOS`: DSCP and ECN bits)
    /// of outgoing datagrams. IPv4 sockets only.
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        self.sock_ref().set_tos(tos)
    }

    /// The IPv6 traffic class (`IPV6_TCLASS`) of outgoing datagrams.
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.sock_ref().tclass_v6()
    }

    /// Sets the IPv6 traffic class (`IPV6_TCLASS`), the IPv6 counterpart
    /// of [`set_tos_v4`](Self::set_tos_v4). IPv6 sockets only.
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.sock_ref().set_tclass_v6(tclass)
    }

    /// The network interface the socket is bound to
    /// (`SO_BINDTODEVICE`), if any.
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.sock_ref().device()
    }

    /// Binds the socket to a network interface by name (`SO_BINDTODEVICE`,
    /// e.g. `b"eth0"`), so it only sends and receives through it; `None`
    /// removes the binding. Usually needs `CAP_NET_RAW`.
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.sock_ref().bind_device(interface)
    }

    /// The socket as a `socket2` reference, for options mio lacks.
    fn sock_ref(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self.io.get_ref())
    }

    /// Whether IPv4 multicast packets sent are looped back to local sockets.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// The time-to-live of outgoing IPv4 multicast packets.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL` (1 keeps packets on the local network).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// Whether IPv6 multicast packets sent are looped back to local sockets.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`0.0.0.0` lets the system choose).
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on interface index
    /// `interface` (0 lets the system choose).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group; see [`join_multicast_v4`](Self::join_multicast_v4).
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group; see [`join_multicast_v6`](Self::join_multicast_v6).
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// The socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

async fn first_addr(target: &(impl ToSocketAddrs + ?Sized)) -> io::Result<SocketAddr> {
    resolve(target)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to"))
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// [`UdpSocket::from_std`]: registers a bound std socket with the
    /// current runtime (and panics outside one with I/O enabled).
    #[track_caller]
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.io.get_ref(), f)
    }
}
