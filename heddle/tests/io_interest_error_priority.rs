//! `Interest::PRIORITY` and `Interest::ERROR` through the reactor, on real
//! loopback sockets: TCP urgent (out-of-band) data wakes a priority wait
//! and plain data does not; an ICMP "port unreachable" (a pending socket
//! error, or an entry in an `IP_RECVERR` error queue) and a TCP reset wake
//! an error wait; clearing either makes the next wait sleep until the next
//! event; and a reader that consumed an error neither spins nor hides the
//! error from an error waiter. Each test is bounded by a timeout.

use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use heddle::io::unix::AsyncFd;
use heddle::io::{Interest, Ready};
use heddle::runtime::Builder;

const LIMIT: Duration = Duration::from_secs(15);
/// How long a wait that must not complete is given.
const QUIET: Duration = Duration::from_millis(100);

fn run<F: Future>(test: F) -> F::Output {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

/// Asserts that `wait` does not complete within [`QUIET`].
async fn assert_quiet<F: Future>(wait: F, what: &str) {
    assert!(heddle::time::timeout(QUIET, wait).await.is_err(), "{what}");
}

/// Asserts that an error wait sleeps once the error was taken and the
/// readiness cleared. A wake-up that raced the clear may report `ERROR`
/// once more (the send's buffer release wakes the socket's waiters, and
/// the kernel then reports every condition still true, which can include
/// the error not yet taken); such a report must find no error pending, and
/// clearing it must stick.
async fn assert_error_wait_settles(fd: &AsyncFd<UdpSocket>) {
    for _ in 0..3 {
        match heddle::time::timeout(QUIET, fd.ready(Interest::ERROR)).await {
            Err(_) => return,
            Ok(guard) => {
                let mut guard = guard.unwrap();
                let pending = fd.get_ref().take_error().unwrap();
                assert!(pending.is_none(), "error readiness with {pending:?} pending after it was taken");
                guard.clear_ready();
            }
        }
    }
    panic!("error readiness survived clear_ready");
}

/// Registers a socket the caller hands over.
fn register<T: AsRawFd>(socket: T, interest: Interest) -> AsyncFd<T> {
    // SAFETY: `socket` owns its descriptor, which stays open and unchanged
    // until the socket is dropped, after the `AsyncFd`.
    unsafe { AsyncFd::register_with_interest(socket, interest) }.unwrap()
}

/// `send(2)` with `flags`.
fn send(socket: &impl AsRawFd, data: &[u8], flags: libc::c_int) -> std::io::Result<usize> {
    // SAFETY: `data` is valid for `data.len()` bytes; the descriptor is open.
    let n = unsafe { libc::send(socket.as_raw_fd(), data.as_ptr().cast(), data.len(), flags) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// `recv(2)` with `flags`.
fn recv(socket: &impl AsRawFd, buf: &mut [u8], flags: libc::c_int) -> std::io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    let n = unsafe { libc::recv(socket.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// A loopback TCP connection: the non-blocking client and the server end.
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.set_nonblocking(true).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// A loopback UDP port nobody listens on.
fn closed_port() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap()
}

/// A non-blocking UDP socket connected to a closed port.
fn udp_to_closed_port() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    socket.connect(closed_port()).unwrap();
    socket
}

fn set_int_option(socket: &impl AsRawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) {
    // SAFETY: `value` is a valid c_int for the call's duration.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", std::io::Error::last_os_error());
}

#[test]
fn urgent_data_wakes_a_priority_wait_and_plain_data_does_not() {
    run(async {
        let (client, mut server) = tcp_pair();
        let fd = register(client, Interest::READABLE | Interest::PRIORITY);
        assert_quiet(fd.ready(Interest::PRIORITY), "priority readiness with nothing sent").await;

        // Plain data wakes the reader only.
        server.write_all(b"plain").unwrap();
        let mut guard = fd.ready(Interest::READABLE).await.unwrap();
        assert_eq!(guard.ready(), Ready::READABLE);
        let mut buf = [0u8; 16];
        let n = guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap().unwrap();
        assert_eq!(&buf[..n], b"plain");
        assert_quiet(fd.ready(Interest::PRIORITY), "priority readiness from plain data").await;

        // An urgent byte wakes a priority waiter on another task.
        let fd = std::sync::Arc::new(fd);
        let task_fd = fd.clone();
        let task = heddle::spawn(async move {
            let mut guard = task_fd.ready(Interest::PRIORITY).await.unwrap();
            let ready = guard.ready();
            let mut byte = [0u8; 1];
            let n = guard.try_io(|fd| recv(fd.get_ref(), &mut byte, libc::MSG_OOB)).unwrap().unwrap();
            assert_eq!(n, 1);
            (ready, byte[0])
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(send(&server, b"!", libc::MSG_OOB).unwrap(), 1);
        let (ready, byte) = task.await.unwrap();
        assert!(ready.is_priority(), "{ready:?}");
        assert!(!ready.is_read_closed(), "{ready:?}");
        assert_eq!(byte, b'!');

        // The byte was taken, but the readiness stays until cleared.
        let mut guard = fd.ready(Interest::PRIORITY).await.unwrap();
        assert!(guard.ready().is_priority());
        guard.clear_ready_matching(Ready::PRIORITY);
        assert!(guard.ready().is_empty());
        drop(guard);
        assert_quiet(fd.ready(Interest::PRIORITY), "priority readiness survived clear_ready_matching").await;

        // A new urgent byte wakes the wait again.
        send(&server, b"?", libc::MSG_OOB).unwrap();
        let guard = fd.ready(Interest::PRIORITY).await.unwrap();
        assert!(guard.ready().is_priority());
    });
}

/// The kernel reports a peer's FIN to registrations that watch for reading
/// (`EPOLLRDHUP`), so the one here asks for both.
#[test]
fn a_priority_wait_ends_when_the_read_side_closes() {
    run(async {
        let (client, server) = tcp_pair();
        let fd = register(client, Interest::READABLE | Interest::PRIORITY);
        assert_eq!(format!("{:?}", fd.interest()), "READABLE | PRIORITY");
        drop(server);
        let guard = fd.ready(Interest::PRIORITY).await.unwrap();
        assert_eq!(guard.ready(), Ready::READ_CLOSED, "closing is not urgent data");
    });
}

#[test]
fn a_pending_socket_error_wakes_an_error_wait_and_clears() {
    run(async {
        let fd = register(udp_to_closed_port(), Interest::READABLE | Interest::WRITABLE);
        assert_quiet(fd.ready(Interest::ERROR), "error readiness before any error").await;

        for round in 0..2 {
            fd.get_ref().send(b"hello?").unwrap();
            let mut guard = fd.ready(Interest::ERROR).await.unwrap();
            assert_eq!(guard.ready(), Ready::ERROR, "round {round}: only what was asked for");
            let error = fd.get_ref().take_error().unwrap().expect("a pending error");
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
            guard.clear_ready();
            assert_error_wait_settles(&fd).await;
        }
    });
}

#[test]
fn an_error_queue_entry_wakes_an_error_wait() {
    run(async {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        set_int_option(&socket, libc::SOL_IP, libc::IP_RECVERR, 1);
        let fd = register(socket, Interest::READABLE);
        assert_quiet(fd.ready(Interest::ERROR), "error readiness before any error").await;

        fd.get_ref().send_to(b"payload", closed_port()).unwrap();
        let mut guard = fd.ready(Interest::ERROR).await.unwrap();
        assert_eq!(guard.ready(), Ready::ERROR);
        // The queued error carries the datagram that caused it.
        let mut buf = [0u8; 64];
        let n = guard.try_io(|fd| recv(fd.get_ref(), &mut buf, libc::MSG_ERRQUEUE)).unwrap().unwrap();
        assert_eq!(&buf[..n], b"payload");
        // Drained: the next `MSG_ERRQUEUE` read would block, which clears.
        assert!(guard.try_io(|fd| recv(fd.get_ref(), &mut buf, libc::MSG_ERRQUEUE)).is_err());
        drop(guard);
        assert_quiet(fd.ready(Interest::ERROR), "error readiness after the queue was drained").await;
    });
}

#[test]
fn a_peer_reset_wakes_a_sockets_error_wait() {
    run(async {
        let (client, server) = tcp_pair();
        let client = heddle::net::TcpStream::from_std(client).unwrap();
        assert_quiet(client.ready(Interest::ERROR), "error readiness on a healthy connection").await;
        // A zero linger time makes close send a reset.
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        // SAFETY: `linger` is a valid `struct linger` for the call.
        let rc = unsafe {
            libc::setsockopt(
                server.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0);
        drop(server);
        let ready = client.ready(Interest::ERROR).await.unwrap();
        assert_eq!(ready, Ready::ERROR);
        let error = client.take_error().unwrap().expect("a pending error");
        assert_eq!(error.kind(), ErrorKind::ConnectionReset);
    });
}

/// Counts how often the future it wraps is polled.
struct Polls<F> {
    inner: Pin<Box<F>>,
    count: usize,
}

impl<F: Future> Future for Polls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.count += 1;
        self.inner.as_mut().poll(cx)
    }
}

/// A reader woken by an error gets it from its next read; after that the
/// read would block, and the reader must sleep (not keep finding the error
/// set and retry in a loop), while a task waiting for `ERROR` still sees
/// it.
#[test]
fn a_reader_that_consumed_an_error_sleeps_and_leaves_it_to_error_waiters() {
    run(async {
        let socket = udp_to_closed_port();
        set_int_option(&socket, libc::SOL_IP, libc::IP_RECVERR, 1);
        let fd = register(socket, Interest::READABLE | Interest::WRITABLE);
        fd.get_ref().send(b"x").unwrap();

        let mut buf = [0u8; 8];
        let err = fd.async_io(Interest::READABLE, |s| s.recv(&mut buf)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);

        let mut read = Polls { inner: Box::pin(fd.async_io(Interest::READABLE, |s| s.recv(&mut buf))), count: 0 };
        assert_quiet(&mut read, "a read with nothing to read").await;
        assert!(read.count <= 3, "the reader was polled {} times: it spins", read.count);
        drop(read);

        let mut guard = fd.ready(Interest::ERROR).await.unwrap();
        assert_eq!(guard.ready(), Ready::ERROR);
        guard.clear_ready();

        // The socket-level `ready` of heddle's own sockets works the same.
        let socket = udp_to_closed_port();
        let udp = heddle::net::UdpSocket::from_std(socket).unwrap();
        udp.send(b"y").await.unwrap();
        assert_eq!(udp.ready(Interest::ERROR).await.unwrap(), Ready::ERROR);
        let err = udp.recv(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let mut read = Polls { inner: Box::pin(udp.recv(&mut buf)), count: 0 };
        assert_quiet(&mut read, "a UDP recv with nothing to read").await;
        assert!(read.count <= 3, "the UDP reader was polled {} times: it spins", read.count);
    });
}
