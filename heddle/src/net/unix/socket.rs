//! [`UnixSocket`]: a Unix domain socket created and configured (bound,
//! given options) before it becomes a [`UnixStream`], a [`UnixListener`]
//! or a [`UnixDatagram`].

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, SockAddr, Socket, Type};

use super::{UnixDatagram, UnixListener, UnixStream};
use crate::io::Interest;

/// A Unix domain socket that is not yet a stream, a listener or a datagram
/// socket.
///
/// Most programs never need it: [`UnixStream::connect`],
/// [`UnixListener::bind`] and [`UnixDatagram::bind`] create, bind and
/// connect in one call. `UnixSocket` is for the cases in between: binding
/// a client stream to a path before connecting, choosing a listener's
/// backlog, or setting options on the raw socket (through
/// [`AsFd`]/`socket2::SockRef`) before use.
///
/// [`new_stream`](Self::new_stream) makes a stream socket, which ends as a
/// listener ([`listen`](Self::listen)) or a connection
/// ([`connect`](Self::connect)); [`new_datagram`](Self::new_datagram) makes
/// a datagram socket, which ends as a [`UnixDatagram`]
/// ([`datagram`](Self::datagram)). The descriptor is closed on drop.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// use heddle::net::UnixSocket;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("heddle-doc-unix-socket-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("server.sock");
/// # let _ = std::fs::remove_file(&path);
///
/// let socket = UnixSocket::new_stream().unwrap();
/// socket.bind(&path).unwrap();
/// let listener = socket.listen(64).unwrap();
///
/// let mut client = UnixSocket::new_stream().unwrap().connect(&path).await.unwrap();
/// let (mut server, _) = listener.accept().await.unwrap();
/// client.write_all(b"hi").await.unwrap();
/// let mut buf = [0u8; 2];
/// server.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"hi");
/// std::fs::remove_dir_all(&dir).unwrap();
/// # });
/// ```
pub struct UnixSocket {
    inner: Socket,
}

impl UnixSocket {
    fn new(ty: Type) -> io::Result<UnixSocket> {
        // socket2 opens it close-on-exec.
        let inner = Socket::new(Domain::UNIX, ty, None)?;
        inner.set_nonblocking(true)?;
        Ok(UnixSocket { inner })
    }

    /// Creates a Unix datagram socket (`SOCK_DGRAM`), close-on-exec and
    /// non-blocking.
    ///
    /// # Errors
    /// When the system cannot create a socket (descriptor limit...).
    pub fn new_datagram() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::DGRAM)
    }

    /// Creates a Unix stream socket (`SOCK_STREAM`), close-on-exec and
    /// non-blocking.
    ///
    /// # Errors
    /// When the system cannot create a socket (descriptor limit...).
    pub fn new_stream() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::STREAM)
    }

    fn is_datagram(&self) -> io::Result<bool> {
        Ok(self.inner.r#type()? == Type::DGRAM)
    }

    /// Binds the socket to `path`, creating the socket file (which stays
    /// after the socket is closed).
    ///
    /// # Errors
    /// [`AddrInUse`](io::ErrorKind::AddrInUse) when a file exists at
    /// `path`, or another OS error (missing directory, permissions...).
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.bind(&SockAddr::unix(path)?)
    }

    /// The address the socket is bound to (unnamed before `bind`).
    ///
    /// # Errors
    /// When the OS cannot report it.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let addr = self.inner.local_addr()?;
        crate::net::raw_io::unix_addr(addr)
    }

    /// Turns a stream socket into a listener with room for `backlog`
    /// pending connections (the kernel caps it at `somaxconn`). Bind it
    /// first, or it listens on an unnamed address nobody can reach.
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) on a datagram socket,
    /// or the OS error of `listen(2)`.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        if self.is_datagram()? {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "listen cannot be called on a datagram socket"));
        }
        self.inner.listen(backlog.min(libc::c_int::MAX as u32) as libc::c_int)?;
        UnixListener::from_std(OwnedFd::from(self.inner).into())
    }

    /// Connects a stream socket to the listener bound at `path`, waiting
    /// until the connection is established.
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) on a datagram socket;
    /// [`NotFound`](io::ErrorKind::NotFound) when no socket file exists at
    /// `path`; [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when
    /// nothing listens there; `WouldBlock` when the listener's backlog is
    /// full.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        if self.is_datagram()? {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "connect cannot be called on a datagram socket"));
        }
        let addr = SockAddr::unix(path)?;
        if let Err(e) = self.inner.connect(&addr) {
            if e.raw_os_error() != Some(libc::EINPROGRESS) {
                return Err(e);
            }
        }
        let stream = UnixStream::from_std(OwnedFd::from(self.inner).into())?;
        stream
            .async_io(Interest::WRITABLE, || match stream.take_error()? {
                Some(e) => Err(e),
                None => Ok(()),
            })
            .await?;
        Ok(stream)
    }

    /// Turns a datagram socket into a [`UnixDatagram`].
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) on a stream socket.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        if !self.is_datagram()? {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "datagram cannot be called on a stream socket"));
        }
        UnixDatagram::from_std(OwnedFd::from(self.inner).into())
    }
}

impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for UnixSocket {
    /// Wraps an open Unix domain socket descriptor, taking ownership of it.
    /// It is used as is: make it non-blocking first.
    unsafe fn from_raw_fd(fd: RawFd) -> UnixSocket {
        // SAFETY: the caller guarantees `fd` is an open socket it owns.
        UnixSocket { inner: unsafe { Socket::from_raw_fd(fd) } }
    }
}

impl IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}

impl std::fmt::Debug for UnixSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}
