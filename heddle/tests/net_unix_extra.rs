//! The tokio 1.x networking additions, over real sockets, pipes and FIFOs:
//! `try_read_buf` filling a `BytesMut` (streams and their read halves),
//! the `recv_buf` family on UDP and Unix datagram sockets, `UnixSocket`
//! (bind, listen, connect, datagram), FIFOs opened with
//! `pipe::OpenOptions` (bytes both ways, `ENXIO` without a reader), and
//! anonymous pipes (EOF when the sender drops). Paths live in a fresh
//! temporary directory per test; each test is bounded by a timeout.

use std::ffi::CString;
use std::future::Future;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::unix::pipe;
use heddle::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixSocket, UnixStream};
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

fn mkfifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated path.
    let ret = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(ret, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// Calls `try_read_buf` until it reads something or reaches EOF.
macro_rules! read_buf_once {
    ($reader:expr, $buf:expr) => {
        loop {
            $reader.readable().await.unwrap();
            match $reader.try_read_buf($buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("try_read_buf: {e}"),
            }
        }
    };
}

#[test]
fn try_read_buf_fills_a_bytes_mut_on_unix_streams_and_halves() {
    run(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        // Nothing yet: WouldBlock, and the buffer is untouched.
        let mut buf = BytesMut::with_capacity(4);
        assert_eq!(b.try_read_buf(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        assert!(buf.is_empty());

        // More than the initial capacity: BytesMut grows on the next reads.
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        a.write_all(&data).await.unwrap();
        while buf.len() < data.len() {
            read_buf_once!(b, &mut buf);
        }
        assert_eq!(&buf[..], &data[..]);

        // Borrowed and owned read halves.
        let mut b = b;
        a.write_all(b"borrowed").await.unwrap();
        let mut small = BytesMut::new();
        {
            let (read, _write) = b.split();
            let n = read_buf_once!(read, &mut small);
            assert_eq!(&small[..n], b"borrowed");
        }
        let (read, _write) = b.into_split();
        a.write_all(b"owned").await.unwrap();
        small.clear();
        read_buf_once!(read, &mut small);
        assert_eq!(&small[..], b"owned");

        // A buffer with no room left reads nothing.
        let mut full = [0u8; 0];
        let mut full = &mut full[..];
        assert_eq!(full.remaining_mut(), 0);
        a.write_all(b"x").await.unwrap();
        read.readable().await.unwrap();
        assert_eq!(read.try_read_buf(&mut full).unwrap(), 0);

        // EOF reads 0.
        drop(a);
        small.clear();
        read_buf_once!(read, &mut small); // the pending "x"
        assert_eq!(&small[..], b"x");
        assert_eq!(read_buf_once!(read, &mut small), 0);
    });
}

#[test]
fn try_read_buf_on_tcp_streams_and_halves() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"tcp").await.unwrap();
        let mut buf = BytesMut::with_capacity(64);
        read_buf_once!(server, &mut buf);
        assert_eq!(&buf[..], b"tcp");

        client.write_all(b"half").await.unwrap();
        {
            let (read, _) = server.split();
            buf.clear();
            read_buf_once!(read, &mut buf);
            assert_eq!(&buf[..], b"half");
        }
        let (read, _write) = server.into_split();
        client.write_all(b"owned").await.unwrap();
        buf.clear();
        read_buf_once!(read, &mut buf);
        assert_eq!(&buf[..], b"owned");
    });
}

#[test]
fn recv_buf_family_on_udp() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();

        let mut buf = BytesMut::with_capacity(64);
        assert_eq!(b.try_recv_buf(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        a.send(b"one").await.unwrap();
        assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 3);
        a.send(b"two").await.unwrap();
        let (n, from) = b.recv_buf_from(&mut buf).await.unwrap();
        assert_eq!(n, 3);
        assert_eq!(from, a.local_addr().unwrap());
        assert_eq!(&buf[..], b"onetwo");

        a.send(b"three").await.unwrap();
        b.readable().await.unwrap();
        let (n, from) = loop {
            match b.try_recv_buf_from(&mut buf) {
                Ok(got) => break got,
                Err(e) if e.kind() == ErrorKind::WouldBlock => b.readable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!((n, from), (5, a.local_addr().unwrap()));
        a.send(b"four").await.unwrap();
        let n = loop {
            b.readable().await.unwrap();
            match b.try_recv_buf(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(n, 4);
        assert_eq!(&buf[..], b"onetwothreefour");
    });
}

#[test]
fn recv_buf_family_on_unix_datagrams() {
    let dir = TempDir::new("dgram");
    let server_path = dir.path("server.sock");
    let client_path = dir.path("client.sock");
    run(async move {
        let server = UnixDatagram::bind(&server_path).unwrap();
        // A bound sender is reported by its path.
        let bound = UnixDatagram::bind(&client_path).unwrap();
        bound.send_to(b"named", &server_path).await.unwrap();
        let mut buf = BytesMut::with_capacity(32);
        let (n, from) = server.recv_buf_from(&mut buf).await.unwrap();
        assert_eq!(n, 5);
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));

        // An unbound sender is unnamed.
        let unbound = UnixDatagram::unbound().unwrap();
        unbound.send_to(b"anon", &server_path).await.unwrap();
        server.readable().await.unwrap();
        let (n, from) = loop {
            match server.try_recv_buf_from(&mut buf) {
                Ok(got) => break got,
                Err(e) if e.kind() == ErrorKind::WouldBlock => server.readable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(n, 4);
        assert!(from.is_unnamed());
        assert_eq!(&buf[..], b"namedanon");

        // Connected pair: recv_buf and try_recv_buf.
        let (a, b) = UnixDatagram::pair().unwrap();
        let mut buf = BytesMut::new();
        assert_eq!(b.try_recv_buf(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        buf.reserve(16);
        a.send(b"pair").await.unwrap();
        assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 4);
        a.send(b"more").await.unwrap();
        b.readable().await.unwrap();
        assert_eq!(b.try_recv_buf(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..], b"pairmore");
    });
}

#[test]
fn unix_socket_bind_listen_connect_round_trip() {
    let dir = TempDir::new("socket");
    let server_path = dir.path("server.sock");
    let client_path = dir.path("client.sock");
    run(async move {
        let socket = UnixSocket::new_stream().unwrap();
        assert!(socket.local_addr().unwrap().is_unnamed());
        socket.bind(&server_path).unwrap();
        assert_eq!(socket.local_addr().unwrap().as_pathname(), Some(server_path.as_path()));
        let listener = socket.listen(16).unwrap();
        assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(server_path.as_path()));

        let server = heddle::spawn(async move {
            let (mut stream, peer) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf).await.unwrap();
            peer
        });

        // A client bound to its own path before connecting.
        let client = UnixSocket::new_stream().unwrap();
        client.bind(&client_path).unwrap();
        let mut stream = client.connect(&server_path).await.unwrap();
        assert_eq!(stream.local_addr().unwrap().as_pathname(), Some(client_path.as_path()));
        stream.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        let peer = server.await.unwrap();
        assert_eq!(peer.as_pathname(), Some(client_path.as_path()));

        // Nothing listens at a path with no socket.
        let err = UnixSocket::new_stream().unwrap().connect(dir.path("missing.sock")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn unix_socket_datagram_and_kind_checks() {
    let dir = TempDir::new("socket-dgram");
    let a_path = dir.path("a.sock");
    let b_path = dir.path("b.sock");
    run(async move {
        let a = UnixSocket::new_datagram().unwrap();
        a.bind(&a_path).unwrap();
        let a = a.datagram().unwrap();
        let b = UnixSocket::new_datagram().unwrap();
        b.bind(&b_path).unwrap();
        let b = b.datagram().unwrap();
        a.send_to(b"dgram", &b_path).await.unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"dgram");
        assert_eq!(from.as_pathname(), Some(a_path.as_path()));

        // Each kind refuses the other kind's conversions.
        let err = UnixSocket::new_datagram().unwrap().listen(8).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = UnixSocket::new_datagram().unwrap().connect(&a_path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = UnixSocket::new_stream().unwrap().datagram().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn fifos_carry_bytes_both_ways() {
    let dir = TempDir::new("fifo");
    let to_server = dir.path("to-server");
    let to_client = dir.path("to-client");
    mkfifo(&to_server);
    mkfifo(&to_client);
    run(async move {
        // Each side opens its receiver first, so the other's sender finds a reader.
        let mut server_rx = pipe::OpenOptions::new().open_receiver(&to_server).unwrap();
        let mut client_rx = pipe::OpenOptions::new().open_receiver(&to_client).unwrap();
        let mut client_tx = pipe::OpenOptions::new().open_sender(&to_server).unwrap();
        let mut server_tx = pipe::OpenOptions::new().open_sender(&to_client).unwrap();

        let server = heddle::spawn(async move {
            let mut request = [0u8; 7];
            server_rx.read_exact(&mut request).await.unwrap();
            assert_eq!(&request, b"request");
            server_tx.write_all(b"response").await.unwrap();
            // EOF once the client's sender is gone.
            let mut rest = Vec::new();
            server_rx.read_to_end(&mut rest).await.unwrap();
            rest
        });

        client_tx.write_all(b"request").await.unwrap();
        let mut response = [0u8; 8];
        client_rx.read_exact(&mut response).await.unwrap();
        assert_eq!(&response, b"response");
        client_tx.write_all(b"bye").await.unwrap();
        drop(client_tx);
        assert_eq!(server.await.unwrap(), b"bye");
    });
}

#[test]
fn fifo_sender_without_reader_fails_with_enxio() {
    let dir = TempDir::new("enxio");
    let path = dir.path("fifo");
    mkfifo(&path);
    run(async move {
        let err = pipe::OpenOptions::new().open_sender(&path).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENXIO));

        // Read-write access makes the sender its own reader: it opens.
        let tx = pipe::OpenOptions::new().read_write(true).open_sender(&path).unwrap();
        // And a receiver opened afterwards gets what it writes.
        let rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
        tx.writable().await.unwrap();
        assert_eq!(tx.try_write(b"rw").unwrap(), 2);
        let mut buf = [0u8; 2];
        loop {
            rx.readable().await.unwrap();
            match rx.try_read(&mut buf) {
                Ok(n) => {
                    assert_eq!(&buf[..n], b"rw");
                    break;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
    });
}

#[test]
fn fifo_open_checks_the_file_type() {
    let dir = TempDir::new("not-fifo");
    let path = dir.path("regular");
    std::fs::write(&path, b"plain file").unwrap();
    run(async move {
        let err = pipe::OpenOptions::new().open_receiver(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = pipe::OpenOptions::new().open_sender(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        // Unchecked opens skip the test (epoll then refuses a regular file).
        let err = pipe::OpenOptions::new().unchecked(true).open_receiver(&path).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        // from_file checks the type and the access mode.
        let file = std::fs::File::open(&path).unwrap();
        assert_eq!(pipe::Receiver::from_file(file).unwrap_err().kind(), ErrorKind::InvalidInput);
        let fifo = dir.path("fifo");
        mkfifo(&fifo);
        let read_only = std::fs::OpenOptions::new().read(true).custom_flags_nonblock().open(&fifo).unwrap();
        assert_eq!(pipe::Sender::from_file(read_only).unwrap_err().kind(), ErrorKind::InvalidInput);
        let read_only = std::fs::OpenOptions::new().read(true).custom_flags_nonblock().open(&fifo).unwrap();
        let rx = pipe::Receiver::from_file(read_only).unwrap();
        let _ = rx.into_nonblocking_fd().unwrap();
    });
}

/// `O_NONBLOCK` on a std `OpenOptions`, so opening a FIFO does not wait.
trait NonBlockingOpen {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlockingOpen for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

#[test]
fn anonymous_pipe_reaches_eof_when_the_sender_drops() {
    run(async {
        let (mut tx, mut rx) = pipe::pipe().unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(rx.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);

        let writer = heddle::spawn(async move {
            let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
            tx.write_all(&data).await.unwrap();
            tx.flush().await.unwrap();
            tx.shutdown().await.unwrap();
            // `tx` is dropped here: the reader sees EOF.
        });
        let mut got = Vec::new();
        rx.read_to_end(&mut got).await.unwrap();
        writer.await.unwrap();
        assert_eq!(got.len(), 200_000);
        assert!(got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));

        // try_read_buf on a receiver, then EOF.
        let (tx, rx) = pipe::pipe().unwrap();
        tx.writable().await.unwrap();
        assert_eq!(tx.try_write_vectored(&[std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"cd")]).unwrap(), 4);
        let mut buf = BytesMut::with_capacity(8);
        read_buf_once!(rx, &mut buf);
        assert_eq!(&buf[..], b"abcd");
        drop(tx);
        assert_eq!(read_buf_once!(rx, &mut buf), 0);
    });
}

#[test]
fn pipe_ends_convert_to_blocking_descriptors() {
    run(async {
        let (tx, rx) = pipe::pipe().unwrap();
        let tx_fd = tx.into_blocking_fd().unwrap();
        // SAFETY: F_GETFL on a descriptor we own takes no pointers.
        let flags = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&tx_fd), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0);
        let mut tx_file = std::fs::File::from(tx_fd);
        std::io::Write::write_all(&mut tx_file, b"blocking").unwrap();
        drop(tx_file);

        let rx_fd = rx.into_nonblocking_fd().unwrap();
        // SAFETY: as above.
        let flags = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&rx_fd), libc::F_GETFL) };
        assert_ne!(flags & libc::O_NONBLOCK, 0);
        // And back: from_owned_fd accepts a pipe read end.
        let mut rx = pipe::Receiver::from_owned_fd(rx_fd).unwrap();
        let mut text = String::new();
        rx.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "blocking");
    });
}
