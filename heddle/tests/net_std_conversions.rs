//! The tokio 1.54 networking additions, over real sockets, pipes and
//! FIFOs: `TryFrom` conversions from std sockets (TCP, UDP, Unix stream,
//! listener and datagram) used for real exchanges, zero linger turning a
//! close into a reset (and `shutdown` after one succeeding),
//! `TCP_QUICKACK`, type-of-service and device options, `TcpSocket` raw
//! descriptors, abstract-namespace Unix sockets through
//! `bind_addr`/`connect_addr` (and `"\0name"` paths), the Unix split
//! halves' `ready` and vectored calls, and `try_io` on FIFO ends. Each test
//! is bounded by a timeout.

use std::ffi::CString;
use std::future::Future;
use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use heddle::io::{AsyncReadExt, AsyncWriteExt, Interest};
use heddle::net::unix::{pipe, SocketAddr};
use heddle::net::{TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use heddle::runtime::{Builder, Runtime};

mod support;
use support::TempDir;

const LIMIT: Duration = Duration::from_secs(15);

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn run<F: Future>(test: F) -> F::Output {
    rt().block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

/// A name in the abstract namespace unique to this process and `tag`.
fn abstract_name(tag: &str) -> Vec<u8> {
    format!("heddle-test-{tag}-{}", std::process::id()).into_bytes()
}

#[test]
fn tcp_stream_and_listener_convert_from_std_and_exchange() {
    run(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::try_from(std_listener).unwrap();
        assert_eq!(listener.local_addr().unwrap(), addr);

        // A blocking std connect; the conversion makes it non-blocking.
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let mut client = TcpStream::try_from(std_client).unwrap();
        let (mut server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());

        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        server.write_all(b"pong").await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");

        // Nothing more to read: a non-blocking socket says WouldBlock.
        assert_eq!(client.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        assert_eq!(client.as_ref().peer_addr().unwrap(), addr);
    });
}

#[test]
fn udp_socket_converts_from_std_and_exchanges() {
    run(async {
        let a = UdpSocket::try_from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
        let b = UdpSocket::try_from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
        let b_addr = b.local_addr().unwrap();
        a.send_to(b"datagram", b_addr).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"datagram");
        assert_eq!(from, a.local_addr().unwrap());
    });
}

#[test]
fn unix_stream_listener_and_datagram_convert_from_std_and_exchange() {
    let dir = TempDir::new("net-std-conv");
    run(async {
        let path = dir.path("stream.sock");
        let listener = UnixListener::try_from(std::os::unix::net::UnixListener::bind(&path).unwrap()).unwrap();
        let mut client = UnixStream::try_from(std::os::unix::net::UnixStream::connect(&path).unwrap()).unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"over unix").await.unwrap();
        drop(client);
        let mut text = String::new();
        server.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "over unix");

        let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let a = UnixDatagram::try_from(std_a).unwrap();
        let b = UnixDatagram::try_from(std_b).unwrap();
        a.send(b"one datagram").await.unwrap();
        let mut buf = [0u8; 32];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one datagram");
    });
}

#[test]
fn try_from_outside_a_runtime_panics_like_from_std() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let res = std::panic::catch_unwind(move || TcpListener::try_from(listener).map(drop));
    assert!(res.is_err(), "converting outside a runtime should panic");
}

#[test]
fn zero_linger_makes_close_reset_the_connection() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();

        // Control: an ordinary close gives the peer end-of-stream.
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        assert_eq!(server.linger().unwrap(), None);
        drop(server);
        assert_eq!(client.read(&mut [0u8; 8]).await.unwrap(), 0);

        // Zero linger: the close sends RST and the peer's read fails.
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        server.set_zero_linger().unwrap();
        assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
        drop(server);
        let err = client.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        // Shutting down a connection the peer reset is not an error:
        // there is nothing left to shut down.
        client.shutdown().await.unwrap();
    });
}

#[test]
fn tcp_socket_zero_linger_carries_over_to_the_stream() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_zero_linger().unwrap();
        assert_eq!(socket.linger().unwrap(), Some(Duration::ZERO));
        let client = socket.connect(listener.local_addr().unwrap()).await.unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        let (mut server, _) = listener.accept().await.unwrap();
        drop(client);
        let err = server.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    });
}

#[test]
fn quickack_and_type_of_service_options_round_trip() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        stream.set_quickack(false).unwrap();
        assert!(!stream.quickack().unwrap());
        stream.set_quickack(true).unwrap();
        assert!(stream.quickack().unwrap());

        let socket = TcpSocket::new_v4().unwrap();
        socket.set_tos_v4(0x10).unwrap();
        assert_eq!(socket.tos_v4().unwrap(), 0x10);
        assert_eq!(socket.device().unwrap(), None);

        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        udp.set_tos_v4(0x28).unwrap();
        assert_eq!(udp.tos_v4().unwrap(), 0x28);
        assert_eq!(udp.device().unwrap(), None);

        // IPv6 may be disabled in the test environment.
        if let Ok(socket) = TcpSocket::new_v6() {
            socket.set_tclass_v6(0x20).unwrap();
            assert_eq!(socket.tclass_v6().unwrap(), 0x20);
        }
        if let Ok(udp6) = UdpSocket::bind("[::1]:0").await {
            udp6.set_tclass_v6(0x20).unwrap();
            assert_eq!(udp6.tclass_v6().unwrap(), 0x20);
        }
    });
}

#[test]
fn bind_device_to_loopback_when_permitted() {
    run(async {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        match udp.bind_device(Some(b"lo")) {
            Ok(()) => {
                assert_eq!(udp.device().unwrap().as_deref(), Some(&b"lo"[..]));
                udp.bind_device(None).unwrap();
                assert_eq!(udp.device().unwrap(), None);
            }
            // Without CAP_NET_RAW the kernel refuses; nothing else to check.
            Err(e) => assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}"),
        }
        let socket = TcpSocket::new_v4().unwrap();
        match socket.bind_device(Some(b"lo")) {
            Ok(()) => assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..])),
            Err(e) => assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}"),
        }
    });
}

#[test]
fn tcp_socket_round_trips_through_a_raw_fd() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let raw = TcpSocket::new_v4().unwrap().into_raw_fd();
        // SAFETY: `raw` was just given up by a socket; nothing else owns it.
        let socket = unsafe { TcpSocket::from_raw_fd(raw) };
        assert_eq!(socket.as_raw_fd(), raw);
        let mut client = socket.connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        server.write_all(b"raw").await.unwrap();
        let mut buf = [0u8; 3];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"raw");
    });
}

#[test]
fn abstract_namespace_round_trip_with_bind_addr_and_connect_addr() {
    run(async {
        let name = abstract_name("addr");
        let addr = SocketAddr::from_abstract_name(&name).unwrap();
        let listener = UnixListener::bind_addr(&addr).unwrap();
        assert_eq!(listener.local_addr().unwrap().as_abstract_name(), Some(&name[..]));
        // The name is taken while the listener lives.
        assert_eq!(UnixListener::bind_addr(&addr).unwrap_err().kind(), ErrorKind::AddrInUse);

        let mut client = UnixStream::connect_addr(&addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        assert_eq!(client.peer_addr().unwrap().as_abstract_name(), Some(&name[..]));
        client.write_all(b"abstract").await.unwrap();
        let mut buf = [0u8; 8];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abstract");
        server.write_all(b"reply").await.unwrap();
        let mut reply = [0u8; 5];
        client.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply");

        // Dropping the listener frees the name: nobody answers any more.
        drop(listener);
        let err = UnixStream::connect_addr(&addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn nul_prefixed_paths_name_abstract_sockets() {
    run(async {
        let name = abstract_name("path");
        let mut path = vec![0u8];
        path.extend_from_slice(&name);
        let path = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&path));
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(listener.local_addr().unwrap().as_abstract_name(), Some(&name[..]));
        let mut client = UnixStream::connect(&path).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"nul").await.unwrap();
        let mut buf = [0u8; 3];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"nul");

        // A filesystem path with the same bytes minus the NUL is a
        // different socket, which does not exist.
        let plain = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&name));
        assert!(UnixStream::connect(&plain).await.is_err());
    });
}

#[test]
fn unix_split_halves_have_ready_and_vectored_calls() {
    run(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        {
            let (_rd, wr) = a.split();
            assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
            let n = wr.try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]).unwrap();
            assert_eq!(n, 4);
        }
        let (rd, _wr) = b.into_split();
        assert!(rd.ready(Interest::READABLE).await.unwrap().is_readable());
        let (mut x, mut y) = ([0u8; 1], [0u8; 3]);
        let n = rd.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)]).unwrap();
        assert_eq!((n, &x, &y), (4, b"a", b"bcd"));
        // Drained: WouldBlock.
        assert_eq!(rd.try_read_vectored(&mut [IoSliceMut::new(&mut x)]).unwrap_err().kind(), ErrorKind::WouldBlock);
        let (_rd, wr) = a.into_split();
        assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
        assert_eq!(wr.try_write_vectored(&[IoSlice::new(b"z")]).unwrap(), 1);
    });
}

/// `read(2)` / `write(2)` on a raw descriptor, as a `try_io` closure does.
fn raw_read(fd: i32, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: `buf` is valid writable memory of its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn raw_write(fd: i32, buf: &[u8]) -> std::io::Result<usize> {
    // SAFETY: `buf` is valid readable memory of its length.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[test]
fn pipe_try_io_on_a_fifo() {
    let dir = TempDir::new("net-fifo-try-io");
    let path = dir.path("fifo");
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "{}", std::io::Error::last_os_error());
    run(async {
        let rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
        let tx = pipe::OpenOptions::new().open_sender(&path).unwrap();

        // The sender's own write(2), under its readiness.
        let n = loop {
            tx.writable().await.unwrap();
            match tx.try_io(|| raw_write(tx.as_raw_fd(), b"through try_io")) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                res => break res.unwrap(),
            }
        };
        assert_eq!(n, 14);

        // The receiver's own read(2).
        let mut buf = [0u8; 32];
        let n = loop {
            rx.readable().await.unwrap();
            match rx.try_io(|| raw_read(rx.as_raw_fd(), &mut buf)) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                res => break res.unwrap(),
            }
        };
        assert_eq!(&buf[..n], b"through try_io");

        // Drained: the closure's WouldBlock clears the read readiness, so
        // `readable` now waits for new data...
        let mut called = false;
        let res = rx.try_io(|| {
            called = true;
            raw_read(rx.as_raw_fd(), &mut buf)
        });
        assert!(called, "the pipe looked readable, so the closure should run");
        assert_eq!(res.unwrap_err().kind(), ErrorKind::WouldBlock);
        assert!(heddle::time::timeout(Duration::from_millis(50), rx.readable()).await.is_err());
        // ...and until then try_io does not even call the closure.
        let res = rx.try_io(|| -> std::io::Result<()> { panic!("called while not readable") });
        assert_eq!(res.unwrap_err().kind(), ErrorKind::WouldBlock);

        // A write from outside wakes it up again.
        let mut other = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        other.write_all(b"more").unwrap();
        rx.readable().await.unwrap();
        let n = rx.try_io(|| raw_read(rx.as_raw_fd(), &mut buf)).unwrap();
        assert_eq!(&buf[..n], b"more");

        // Nothing left for a plain std read either (non-blocking).
        let mut std_rx = std::fs::File::from(rx.into_nonblocking_fd().unwrap());
        assert_eq!(std_rx.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn pipe_sender_try_io_is_refused_while_the_pipe_is_full() {
    run(async {
        let (tx, rx) = pipe::pipe().unwrap();
        // Readiness comes from the reactor: wait for the first event.
        tx.writable().await.unwrap();

        // Fill the pipe with the sender's own writes until one blocks.
        let chunk = [7u8; 4096];
        let mut filled = 0;
        loop {
            match tx.try_io(|| raw_write(tx.as_raw_fd(), &chunk)) {
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("write: {e}"),
            }
        }
        assert!(filled > 0);
        // Not writable now: the closure is not run.
        let res = tx.try_io(|| -> std::io::Result<()> { panic!("called while the pipe is full") });
        assert_eq!(res.unwrap_err().kind(), ErrorKind::WouldBlock);
        // Draining makes room and readiness comes back.
        let mut rx = rx;
        let mut sink = vec![0u8; filled];
        rx.read_exact(&mut sink).await.unwrap();
        tx.writable().await.unwrap();
        assert_eq!(tx.try_io(|| raw_write(tx.as_raw_fd(), b"x")).unwrap(), 1);
    });
}
