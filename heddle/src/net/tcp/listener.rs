//! [`TcpListener`]: a listening socket and its accept loop, which rides out
//! file-descriptor and memory exhaustion instead of failing or spinning.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use super::{TcpSocket, TcpStream};
use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::time::Sleep;

/// How long `accept` waits before retrying after running out of file
/// descriptors or memory.
const BACKOFF: Duration = Duration::from_millis(10);

/// The backlog [`TcpListener::bind`] asks for (the kernel caps it at
/// `net.core.somaxconn`).
const DEFAULT_BACKLOG: u32 = 1024;

/// At most one "accept is out of resources" message per this interval,
/// process-wide.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// A TCP socket listening for connections.
///
/// ```
/// use heddle::io::AsyncWriteExt;
/// use heddle::net::TcpListener;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = heddle::spawn(async move {
///     // A typical server loop: `accept` only fails on errors that concern
///     // the listener itself, so `?` is safe here.
///     for _ in 0..2 {
///         let (mut socket, _peer) = listener.accept().await?;
///         heddle::spawn(async move { socket.write_all(b"bye").await });
///     }
///     std::io::Result::Ok(())
/// });
/// for _ in 0..2 {
///     let mut client = heddle::net::TcpStream::connect(addr).await.unwrap();
///     let mut reply = Vec::new();
///     heddle::io::AsyncReadExt::read_to_end(&mut client, &mut reply).await.unwrap();
///     assert_eq!(reply, b"bye");
/// }
/// server.await.unwrap().unwrap();
/// # });
/// ```
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
    /// The pause `accept` is in after resource exhaustion, if any.
    backoff: Mutex<Option<Sleep>>,
}

/// What `accept` does with an error.
enum AcceptError {
    /// The failure concerned one pending connection (aborted by the peer,
    /// a network error Linux reports through `accept`): try the next one.
    Retry,
    /// Out of file descriptors or memory: pause, then try again.
    Exhausted,
    /// About the listener itself: hand it to the caller.
    Fatal,
}

fn classify(e: &io::Error) -> AcceptError {
    match e.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ENOSPC) => AcceptError::Exhausted,
        Some(
            libc::ECONNABORTED
            | libc::ECONNRESET
            | libc::EINTR
            | libc::EPERM
            | libc::EPROTO
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::ENONET
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH,
        ) => AcceptError::Retry,
        _ => AcceptError::Fatal,
    }
}

/// Prints the exhaustion message unless one was printed in the last
/// [`LOG_INTERVAL`].
fn log_exhausted(listener: &mio::net::TcpListener, e: &io::Error) {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if last.is_some_and(|at| at.elapsed() < LOG_INTERVAL) {
        return;
    }
    *last = Some(Instant::now());
    let addr = listener.local_addr().map_or_else(|_| "?".to_owned(), |a| a.to_string());
    eprintln!(
        "heddle: accept on {addr} failed: {e}; pausing {BACKOFF:?} before each retry \
         (not logged again for {LOG_INTERVAL:?})"
    );
}

/// Registers a socket `accept` returned with the reactor. If that fails,
/// the connection is lost (dropped with the socket), and the error decides,
/// like an `accept` error, whether the listener carries on.
fn register_accepted(accepted: io::Result<(mio::net::TcpStream, SocketAddr)>) -> io::Result<(TcpStream, SocketAddr)> {
    let (sys, peer) = accepted?;
    Ok((TcpStream::new_accepted(sys)?, peer))
}

impl TcpListener {
    /// Binds a listener to `addr`, trying each address it resolves to until
    /// one works. `SO_REUSEADDR` is set and the backlog is 1024; use
    /// [`TcpSocket`] for other settings (`SO_REUSEPORT`, the backlog, ...).
    /// Port 0 picks a free port: see [`local_addr`](Self::local_addr).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| async move {
            let socket = TcpSocket::new_for_addr(addr)?;
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(DEFAULT_BACKLOG)
        })
        .await
    }

    /// Registers a listening mio socket with the current reactor.
    #[track_caller]
    pub(crate) fn new(sys: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener { io: PollEvented::new(sys)?, backoff: Mutex::new(None) })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// Errors that concern a single pending connection (`ECONNABORTED`,
    /// `ECONNRESET`, `EPROTO` and the other network errors Linux reports
    /// through `accept`) are skipped silently: the next connection is
    /// awaited instead.
    ///
    /// **Resource exhaustion does not fail the accept.** When the process or
    /// the system is out of file descriptors (`EMFILE`, `ENFILE`) or memory
    /// (`ENOBUFS`, `ENOMEM`, or the reactor's `ENOSPC`), a message goes to
    /// stderr (at most once every 10 s per process), and `accept` pauses
    /// 10 ms before each retry, so a server loop keeps running without
    /// burning CPU and resumes accepting as soon as descriptors are freed;
    /// the waiting connections stay queued in the kernel meanwhile. The pause
    /// uses the runtime's timer; on a runtime built without time enabled it
    /// falls back to yielding to the scheduler, which retries much sooner.
    ///
    /// Other errors are returned; they concern the listener itself.
    ///
    /// Any number of tasks may wait in `accept` on one listener (an
    /// `Arc<TcpListener>` shared by several acceptors); each connection goes
    /// to one of them, and none is left asleep while connections wait.
    ///
    /// Cancel safe: dropping the future loses no connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        loop {
            let error = match register_accepted(self.io.async_io(Direction::Read, |l| l.accept()).await) {
                Ok(accepted) => return Ok(accepted),
                Err(e) => e,
            };
            match classify(&error) {
                AcceptError::Retry => continue,
                AcceptError::Fatal => return Err(error),
                // Each waiting task pauses on its own timer, so none of
                // them depends on another's wake-up.
                AcceptError::Exhausted => match self.exhausted_pause(&error) {
                    Some(pause) => pause.await,
                    None => crate::task::yield_now().await,
                },
            }
        }
    }

    /// Polls for a connection, with the error handling described on
    /// [`accept`](Self::accept). Only the last task to poll is woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        loop {
            {
                let mut backoff = self.backoff();
                if let Some(sleep) = backoff.as_mut() {
                    ready!(Pin::new(sleep).poll(cx));
                    *backoff = None;
                }
            }
            let accepted = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()));
            let error = match register_accepted(accepted) {
                Ok(accepted) => return Poll::Ready(Ok(accepted)),
                Err(e) => e,
            };
            match classify(&error) {
                AcceptError::Retry => continue,
                AcceptError::Fatal => return Poll::Ready(Err(error)),
                AcceptError::Exhausted => match self.exhausted_pause(&error) {
                    Some(pause) => *self.backoff() = Some(pause),
                    None => {
                        crate::runtime::coop::note_yield();
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                },
            }
        }
    }

    /// After running out of descriptors or memory: logs it (rate-limited)
    /// and returns the pause to take before the next try, or None on a
    /// runtime without timers (the caller yields instead).
    fn exhausted_pause(&self, error: &io::Error) -> Option<Sleep> {
        log_exhausted(self.io.get_ref(), error);
        let time_enabled = crate::runtime::Handle::try_current().is_ok_and(|handle| handle.driver().time_enabled);
        time_enabled.then(|| crate::time::sleep(BACKOFF))
    }

    fn backoff(&self) -> MutexGuard<'_, Option<Sleep>> {
        // A panic while holding the lock leaves a valid `Option<Sleep>`.
        self.backoff.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wraps a bound, listening std listener, switching it to non-blocking
    /// mode.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = std_listener.local_addr().unwrap();
    /// let listener = heddle::net::TcpListener::from_std(std_listener).unwrap();
    /// assert_eq!(listener.local_addr().unwrap(), addr);
    /// # });
    /// ```
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::new(mio::net::TcpListener::from_std(listener))
    }

    /// Deregisters the listener and returns it as a std listener, still in
    /// non-blocking mode (call `set_nonblocking(false)` to change that).
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner().map(std::net::TcpListener::from)
    }

    /// The address the listener is bound to (with the actual port when it
    /// was bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// The IP time-to-live of packets sent from accepted sockets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets the IP time-to-live of packets sent from this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// [`TcpListener::from_std`]: registers a listening std socket with the
    /// current runtime (and panics outside one with I/O enabled).
    #[track_caller]
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.io.get_ref(), f)
    }
}
