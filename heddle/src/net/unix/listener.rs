//! [`UnixListener`]: a Unix stream socket bound to a path, accepting
//! connections.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{ready, Context, Poll};

use super::UnixStream;
use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;

/// A Unix stream socket listening for connections.
///
/// Binding creates the socket file; it stays after the listener is dropped
/// (remove it with `std::fs::remove_file`), and binding fails with
/// [`AddrInUse`](io::ErrorKind::AddrInUse) while it exists.
///
/// ```
/// use heddle::net::{UnixListener, UnixStream};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("heddle-doc-listener-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path).unwrap();
/// let client = UnixStream::connect(&path).await.unwrap();
/// let (server, _addr) = listener.accept().await.unwrap();
/// assert_eq!(server.peer_cred().unwrap().uid(), client.peer_cred().unwrap().uid());
/// std::fs::remove_file(&path).unwrap();
/// # });
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates a socket file at `path` and listens on it. A path that
    /// starts with a NUL byte (`"\0name"`) binds `name` in Linux's
    /// abstract namespace instead, with no file, as
    /// [`bind_addr`](Self::bind_addr) does.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::bind_addr(&super::path_addr(path.as_ref())?)
    }

    /// Binds to `addr` and listens on it: a filesystem path (creating the
    /// socket file), or a name in Linux's abstract namespace (made with
    /// [`SocketAddrExt::from_abstract_name`]), which leaves no file behind
    /// and is freed when the listener closes. See
    /// [`UnixStream::connect_addr`] for an example.
    ///
    /// # Errors
    /// [`AddrInUse`](io::ErrorKind::AddrInUse) when the path or name is
    /// taken.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    ///
    /// [`SocketAddrExt::from_abstract_name`]: std::os::linux::net::SocketAddrExt::from_abstract_name
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        Ok(UnixListener { io: PollEvented::new(mio::net::UnixListener::bind_addr(addr)?)? })
    }

    /// Wraps a std listener, switching it to non-blocking mode.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener { io: PollEvented::new(mio::net::UnixListener::from_std(listener))? })
    }

    /// Deregisters the listener and returns it as a std listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io.into_inner().map(std::os::unix::net::UnixListener::from)
    }

    /// Waits for a connection and returns it with the peer's address
    /// (usually unnamed).
    ///
    /// Any number of tasks may wait in `accept` on one listener; each
    /// connection goes to one of them.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (sys, addr) = self.io.async_io(Direction::Read, |l| l.accept()).await?;
        UnixStream::new_accepted(sys).map(|stream| (stream, addr))
    }

    /// Polls for a connection. Only the last task to poll is woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (sys, addr) = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()))?;
        Poll::Ready(UnixStream::new_accepted(sys).map(|stream| (stream, addr)))
    }

    /// The address (path) this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// [`UnixListener::from_std`]: registers a listening std socket with
    /// the current runtime (and panics outside one with I/O enabled).
    #[track_caller]
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.io.get_ref(), f)
    }
}
