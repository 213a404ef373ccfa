//! Unix socket integration tests: stream echo with every byte checked and
//! the halves on separate tasks, borrowed halves, datagram pairs and bound
//! datagram sockets, peer credentials, socket file lifetime. Sockets live in
//! a fresh temporary directory per test; each test is bounded by a timeout.

use std::future::Future;
use std::io::ErrorKind;
use std::time::Duration;

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use heddle::net::{UnixDatagram, UnixListener, UnixStream};
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

fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8)) as u8
}

#[test]
fn stream_echo_with_halves_on_separate_tasks() {
    const LEN: usize = 1 << 20;
    let dir = TempDir::new("echo");
    let path = dir.path("echo.sock");
    run(async move {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
        let server = heddle::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (mut rd, mut wr) = stream.into_split();
            heddle::io::copy(&mut rd, &mut wr).await.unwrap()
        });
        let client = UnixStream::connect(&path).await.unwrap();
        assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
        let (mut rd, mut wr): (OwnedReadHalf, OwnedWriteHalf) = client.into_split();
        let writer = heddle::spawn(async move {
            let data: Vec<u8> = (0..LEN).map(pattern).collect();
            for chunk in data.chunks(7919) {
                wr.write_all(chunk).await.unwrap();
            }
            wr.shutdown().await.unwrap();
            wr
        });
        let reader = heddle::spawn(async move {
            let mut got = Vec::with_capacity(LEN);
            rd.read_to_end(&mut got).await.unwrap();
            assert_eq!(got.len(), LEN);
            for (i, &b) in got.iter().enumerate() {
                assert_eq!(b, pattern(i), "byte {i}");
            }
            rd
        });
        let wr = writer.await.unwrap();
        let rd = reader.await.unwrap();
        assert_eq!(server.await.unwrap(), LEN as u64);
        let stream = rd.reunite(wr).unwrap();
        drop(stream);
    });
}

#[test]
fn borrowed_split_pair_and_peer_cred() {
    run(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let cred = a.peer_cred().unwrap();
        assert_eq!(cred.pid(), Some(std::process::id() as i32));
        assert_eq!(cred.uid(), b.peer_cred().unwrap().uid());
        let (mut rd, mut wr) = b.split();
        let echo = async { heddle::io::copy(&mut (&mut rd).take(11), &mut wr).await.unwrap() };
        let talk = async {
            a.write_all(b"hello world").await.unwrap();
            let mut buf = [0u8; 11];
            a.read_exact(&mut buf).await.unwrap();
            buf
        };
        let (n, echoed) = futures::join!(echo, talk);
        assert_eq!(n, 11);
        assert_eq!(&echoed, b"hello world");
        assert_eq!(a.try_read(&mut [0u8; 4]).unwrap_err().kind(), ErrorKind::WouldBlock);
        drop(b);
        let mut rest = Vec::new();
        a.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    });
}

#[test]
fn datagram_pair_keeps_boundaries() {
    run(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        for len in [5usize, 0, 1000, 1] {
            a.send(&vec![len as u8; len]).await.unwrap();
        }
        let mut buf = [0u8; 2048];
        for len in [5usize, 0, 1000, 1] {
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(n, len);
            assert!(buf[..n].iter().all(|&x| x == len as u8));
        }
        assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn datagram_bound_send_to_recv_from_and_connect() {
    let dir = TempDir::new("dgram");
    let server_path = dir.path("server.sock");
    let client_path = dir.path("client.sock");
    run(async move {
        let server = UnixDatagram::bind(&server_path).unwrap();
        let client = UnixDatagram::bind(&client_path).unwrap();
        client.send_to(b"ping", &server_path).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        server.send_to(b"pong", from.as_pathname().unwrap()).await.unwrap();
        let (n, _) = client.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");

        let unbound = UnixDatagram::unbound().unwrap();
        unbound.connect(&server_path).unwrap();
        assert_eq!(unbound.peer_addr().unwrap().as_pathname(), Some(server_path.as_path()));
        unbound.send(b"hi").await.unwrap();
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hi");
        assert!(from.is_unnamed());
    });
}

#[test]
fn socket_file_outlives_listener_and_blocks_rebinding() {
    let dir = TempDir::new("path");
    let path = dir.path("s.sock");
    let check = path.clone();
    run(async move {
        let listener = UnixListener::bind(&path).unwrap();
        assert!(path.exists());
        assert_eq!(UnixListener::bind(&path).unwrap_err().kind(), ErrorKind::AddrInUse);
        drop(listener);
        assert!(path.exists(), "the socket file stays until removed");
        // Nothing listens on it any more.
        assert_eq!(UnixStream::connect(&path).await.unwrap_err().kind(), ErrorKind::ConnectionRefused);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(UnixStream::connect(&path).await.unwrap_err().kind(), ErrorKind::NotFound);
        let listener = UnixListener::bind(&path).unwrap();
        let std_listener = listener.into_std().unwrap();
        let listener = UnixListener::from_std(std_listener).unwrap();
        let client = UnixStream::connect(&path).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let std_stream = server.into_std().unwrap();
        let mut server = UnixStream::from_std(std_stream).unwrap();
        let mut client = client;
        client.write_all(b"ok").await.unwrap();
        let mut buf = [0u8; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ok");
    });
    drop(dir);
    assert!(!check.exists());
}

#[test]
fn try_read_and_write_vectored() {
    use std::io::{IoSlice, IoSliceMut};
    run(async {
        let (a, b) = UnixStream::pair().unwrap();
        a.writable().await.unwrap();
        let n = a.try_write_vectored(&[IoSlice::new(b"head-"), IoSlice::new(b"tail")]).unwrap();
        assert_eq!(n, 9);
        let (mut x, mut y) = ([0u8; 4], [0u8; 16]);
        let got = loop {
            b.readable().await.unwrap();
            match b.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)]) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(got, 9);
        assert_eq!(&x, b"head");
        assert_eq!(&y[..5], b"-tail");
        // Nothing left: WouldBlock; after the peer closes: 0.
        assert_eq!(b.try_read_vectored(&mut [IoSliceMut::new(&mut x)]).unwrap_err().kind(), ErrorKind::WouldBlock);
        drop(a);
        let n = loop {
            b.readable().await.unwrap();
            match b.try_read_vectored(&mut [IoSliceMut::new(&mut x)]) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(n, 0);
    });
}

#[test]
fn datagram_poll_send_to_and_recv_from() {
    use heddle::io::ReadBuf;
    use std::future::poll_fn;
    let dir = TempDir::new("dgram-poll");
    let server_path = dir.path("server.sock");
    let client_path = dir.path("client.sock");
    run(async move {
        let server = UnixDatagram::bind(&server_path).unwrap();
        let client = UnixDatagram::bind(&client_path).unwrap();
        poll_fn(|cx| client.poll_send_ready(cx)).await.unwrap();
        let n = poll_fn(|cx| client.poll_send_to(cx, b"polled", &server_path)).await.unwrap();
        assert_eq!(n, 6);
        poll_fn(|cx| server.poll_recv_ready(cx)).await.unwrap();
        let mut storage = [0u8; 16];
        let mut buf = ReadBuf::new(&mut storage);
        let from = poll_fn(|cx| server.poll_recv_from(cx, &mut buf)).await.unwrap();
        assert_eq!(buf.filled(), b"polled");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        // Nothing left: a poll stays pending until the next datagram.
        let waiter = heddle::spawn(async move {
            let mut storage = [0u8; 16];
            let mut buf = ReadBuf::new(&mut storage);
            poll_fn(|cx| server.poll_recv_from(cx, &mut buf)).await.unwrap();
            buf.filled().to_vec()
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        client.send_to(b"later", &server_path).await.unwrap();
        assert_eq!(waiter.await.unwrap(), b"later");
    });
}
