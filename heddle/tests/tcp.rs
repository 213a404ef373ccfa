//! TCP integration tests: echo under load on both runtime flavors, split
//! halves on separate tasks, error paths, `TcpSocket` options, std
//! conversions. Real sockets on 127.0.0.1; every test is bounded by a
//! timeout.

use std::future::Future;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
use heddle::net::{TcpListener, TcpSocket, TcpStream};
use heddle::runtime::{Builder, Runtime};

const LIMIT: Duration = Duration::from_secs(15);

fn multi_thread() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// Runs `test` on `rt`, failing if it takes longer than [`LIMIT`].
fn run<F: Future>(rt: &Runtime, test: F) -> F::Output {
    rt.block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

/// Deterministic pseudo-random bytes (xorshift64*), different per seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next() >> 56) as u8).collect()
    }

    /// An odd chunk length in 1..=max.
    fn odd_len(&mut self, max: usize) -> usize {
        (self.next() as usize % max) | 1
    }
}

/// Accepts forever, echoing every connection on its own task.
async fn echo_server(listener: TcpListener) {
    loop {
        let (mut socket, _) = listener.accept().await.expect("accept failed");
        heddle::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let n = socket.read(&mut buf).await.expect("server read");
                if n == 0 {
                    break;
                }
                socket.write_all(&buf[..n]).await.expect("server write");
            }
        });
    }
}

/// Sends `len` pseudo-random bytes in odd-sized chunks through an echo
/// server, reading concurrently, and checks every byte that comes back.
async fn echo_client(addr: SocketAddr, seed: u64, len: usize) {
    let mut rng = Rng::new(seed);
    let data = rng.bytes(len);
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.split();
    let send = async {
        let mut sent = 0;
        while sent < data.len() {
            let n = rng.odd_len(4099).min(data.len() - sent);
            wr.write_all(&data[sent..sent + n]).await.expect("client write");
            sent += n;
        }
        wr.shutdown().await.expect("client shutdown");
    };
    let receive = async {
        let mut got = Vec::with_capacity(len);
        let mut buf = [0u8; 3001];
        loop {
            let n = rd.read(&mut buf).await.expect("client read");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    };
    let ((), got) = futures::join!(send, receive);
    assert_eq!(got.len(), data.len(), "seed {seed}: echoed length");
    assert!(got == data, "seed {seed}: echoed bytes differ");
}

fn echo_many(rt: &Runtime, connections: u64, len: usize) {
    run(rt, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = heddle::spawn(echo_server(listener));
        let clients: Vec<_> = (0..connections).map(|seed| heddle::spawn(echo_client(addr, seed, len))).collect();
        for client in clients {
            client.await.expect("client task panicked");
        }
        server.abort();
    });
}

#[test]
fn echo_200_connections_multi_thread() {
    echo_many(&multi_thread(), 200, 64 * 1024);
}

#[test]
fn echo_50_connections_current_thread() {
    echo_many(&current_thread(), 50, 64 * 1024);
}

/// Writes `len` bytes from `seed` in odd-sized chunks, then hands the half
/// back.
async fn write_pattern(mut wr: OwnedWriteHalf, seed: u64, len: usize) -> OwnedWriteHalf {
    let mut rng = Rng::new(seed);
    let data = rng.bytes(len);
    let mut sent = 0;
    while sent < len {
        let n = rng.odd_len(16 * 1024 + 1).min(len - sent);
        wr.write_all(&data[sent..sent + n]).await.unwrap();
        sent += n;
    }
    wr
}

/// Reads exactly `len` bytes and checks them against `seed`'s pattern.
async fn check_pattern(mut rd: OwnedReadHalf, seed: u64, len: usize) -> OwnedReadHalf {
    let expected = Rng::new(seed).bytes(len);
    let mut got = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let end = (filled + 7919).min(len);
        let n = rd.read(&mut got[filled..end]).await.unwrap();
        assert_ne!(n, 0, "early EOF after {filled} bytes");
        filled += n;
    }
    assert!(got == expected, "seed {seed}: bytes differ");
    rd
}

#[test]
fn owned_halves_full_duplex_on_separate_tasks() {
    const LEN: usize = 1 << 20;
    run(&multi_thread(), async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, server) = futures::join!(TcpStream::connect(addr), listener.accept());
        let (client, (server, _)) = (client.unwrap(), server.unwrap());

        let (client_rd, client_wr) = client.into_split();
        let (server_rd, server_wr) = server.into_split();
        // Four tasks: each side writes its own 1 MiB while reading the other's.
        let client_writer = heddle::spawn(write_pattern(client_wr, 1, LEN));
        let client_reader = heddle::spawn(check_pattern(client_rd, 2, LEN));
        let server_writer = heddle::spawn(write_pattern(server_wr, 2, LEN));
        let server_reader = heddle::spawn(check_pattern(server_rd, 1, LEN));

        let (client_wr, client_rd) = (client_writer.await.unwrap(), client_reader.await.unwrap());
        let (server_wr, server_rd) = (server_writer.await.unwrap(), server_reader.await.unwrap());

        // Halves of different streams refuse to reunite and come back intact.
        let ReuniteError(client_rd, server_wr) = client_rd.reunite(server_wr).unwrap_err();
        let mut client = client_rd.reunite(client_wr).expect("reunite client");
        let mut server = server_wr.reunite(server_rd).expect("reunite server");

        // The reunited streams still work, and reuniting did not shut down
        // the write side.
        client.write_all(b"after reunite").await.unwrap();
        let mut buf = [0u8; 13];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"after reunite");
    });
}

#[test]
fn owned_write_half_drop_shuts_down_and_forget_does_not() {
    run(&current_thread(), async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();

        // Drop: the peer reads EOF while our read half stays open.
        let client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let (mut rd, wr) = client.into_split();
        drop(wr);
        let mut buf = [0u8; 8];
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);
        server.write_all(b"still").await.unwrap();
        rd.read_exact(&mut buf[..5]).await.unwrap();
        assert_eq!(&buf[..5], b"still");

        // Forget: no shutdown; the peer sees no EOF.
        let client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let (_rd, wr) = client.into_split();
        wr.forget();
        let quiet = heddle::time::timeout(Duration::from_millis(50), server.read(&mut buf)).await;
        assert!(quiet.is_err(), "forget() must not shut down the write side: {quiet:?}");
    });
}

#[test]
fn borrowed_split_echo() {
    run(&current_thread(), async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = heddle::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let (mut rd, mut wr): (ReadHalf<'_>, WriteHalf<'_>) = socket.split();
            assert_eq!(rd.peer_addr().unwrap(), wr.peer_addr().unwrap());
            heddle::io::copy(&mut rd, &mut wr).await.unwrap()
        });
        let data = Rng::new(7).bytes(200_000);
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut rd, mut wr) = client.split();
        let send = async {
            wr.write_all(&data).await.unwrap();
            wr.shutdown().await.unwrap();
        };
        let mut got = Vec::new();
        let receive = rd.read_to_end(&mut got);
        let ((), received) = futures::join!(send, receive);
        assert_eq!(received.unwrap(), data.len());
        assert!(got == data);
        assert_eq!(server.await.unwrap(), data.len() as u64);
    });
}

#[test]
fn connect_to_closed_port_is_refused() {
    run(&current_thread(), async {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap()
        };
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
        let err = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
    });
}

#[test]
fn peer_close_gives_eof() {
    run(&multi_thread(), async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = heddle::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            socket.write_all(b"last words").await.unwrap();
            // Dropped: closes the connection.
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        server.await.unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words");
        let mut buf = [0u8; 4];
        assert_eq!(client.read(&mut buf).await.unwrap(), 0, "EOF stays EOF");
    });
}

#[test]
fn writing_to_a_reset_peer_fails() {
    run(&multi_thread(), async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // Linger 0: close sends RST instead of FIN.
        #[allow(deprecated)] // tokio deprecates it too; still covered here.
        server.set_linger(Some(Duration::ZERO)).unwrap();
        assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
        drop(server);

        let chunk = vec![0x5a; 64 * 1024];
        let mut result = Ok(());
        for _ in 0..1000 {
            result = client.write_all(&chunk).await;
            if result.is_err() {
                break;
            }
            heddle::time::sleep(Duration::from_millis(1)).await;
        }
        let err = result.expect_err("writes to a reset peer kept succeeding");
        assert!(matches!(err.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe), "unexpected error {err:?}");
    });
}

#[test]
fn reuseport_listeners_share_a_port() {
    const CONNECTIONS: usize = 64;
    run(&multi_thread(), async {
        let first = TcpSocket::new_v4().unwrap();
        first.set_reuseport(true).unwrap();
        first.set_reuseaddr(true).unwrap();
        assert!(first.reuseport().unwrap());
        first.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = first.local_addr().unwrap();
        let second = TcpSocket::new_v4().unwrap();
        second.set_reuseport(true).unwrap();
        second.bind(addr).unwrap();
        let listeners = [first.listen(128).unwrap(), second.listen(1).unwrap()];

        // A third socket without SO_REUSEPORT may not join.
        let intruder = TcpSocket::new_v4().unwrap();
        assert!(intruder.bind(addr).is_err(), "bind without SO_REUSEPORT succeeded");

        let counts: Arc<[AtomicUsize; 2]> = Arc::new(Default::default());
        let acceptors: Vec<_> = listeners
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                let counts = counts.clone();
                heddle::spawn(async move {
                    loop {
                        let (mut socket, _) = listener.accept().await.unwrap();
                        counts[i].fetch_add(1, Ordering::SeqCst);
                        socket.write_all(&[i as u8]).await.unwrap();
                    }
                })
            })
            .collect();
        for _ in 0..CONNECTIONS {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let mut which = [0u8; 1];
            stream.read_exact(&mut which).await.unwrap();
            assert!(which[0] < 2);
        }
        let (a, b) = (counts[0].load(Ordering::SeqCst), counts[1].load(Ordering::SeqCst));
        assert_eq!(a + b, CONNECTIONS);
        // The kernel hashes each connection's 4-tuple to a listener; both
        // are all but certain to get some of 64.
        assert!(a > 0 && b > 0, "connections were not spread: {a} / {b}");
        for acceptor in acceptors {
            acceptor.abort();
        }
    });
}

#[test]
fn tcp_socket_options_and_backlog() {
    run(&current_thread(), async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        assert!(socket.reuseaddr().unwrap());
        socket.set_send_buffer_size(64 * 1024).unwrap();
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        assert!(socket.send_buffer_size().unwrap() >= 64 * 1024);
        assert!(socket.recv_buffer_size().unwrap() >= 64 * 1024);
        #[allow(deprecated)] // tokio deprecates it too; still covered here.
        socket.set_linger(Some(Duration::from_secs(1))).unwrap();
        assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(1)));
        socket.set_keepalive(true).unwrap();
        assert!(socket.keepalive().unwrap());
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let listener = socket.listen(16).unwrap();
        assert_eq!(listener.local_addr().unwrap(), addr);

        // Connections queue in the backlog before anyone accepts.
        let mut clients = Vec::new();
        for _ in 0..8 {
            let client = TcpSocket::new_v4().unwrap();
            client.set_nodelay(true).unwrap();
            assert!(client.nodelay().unwrap());
            clients.push(client.connect(addr).await.unwrap());
        }
        for client in &clients {
            let (server, peer) = listener.accept().await.unwrap();
            assert_eq!(server.peer_addr().unwrap(), peer);
            assert!(clients.iter().any(|c| c.local_addr().unwrap() == peer));
            let _ = client;
        }
    });
}

#[test]
fn std_round_trips_and_addresses() {
    run(&current_thread(), async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        listener.set_ttl(77).unwrap();
        assert_eq!(listener.ttl().unwrap(), 77);
        let listener = TcpListener::from_std(listener.into_std().unwrap()).unwrap();
        assert_eq!(listener.local_addr().unwrap(), addr);

        let client = TcpStream::connect(addr).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        assert_eq!(client.local_addr().unwrap(), server.peer_addr().unwrap());
        assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
        assert_eq!(client.peer_addr().unwrap(), addr);

        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
        client.set_ttl(42).unwrap();
        assert_eq!(client.ttl().unwrap(), 42);
        #[allow(deprecated)] // tokio deprecates it too; still covered here.
        client.set_linger(None).unwrap();
        assert_eq!(client.linger().unwrap(), None);

        // heddle -> std: blocking I/O works on the same connection.
        let mut std_client = client.into_std().unwrap();
        std_client.set_nonblocking(false).unwrap();
        std::io::Write::write_all(&mut std_client, b"from std").unwrap();
        let mut server = server;
        let mut buf = [0u8; 8];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"from std");

        // std -> heddle again.
        let mut client = TcpStream::from_std(std_client).unwrap();
        server.write_all(b"to heddle").await.unwrap();
        let mut buf = [0u8; 9];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"to heddle");
        assert!(client.take_error().unwrap().is_none());
    });
}

#[test]
fn try_read_try_write_and_readiness() {
    run(&current_thread(), async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();

        let mut buf = [0u8; 32];
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);

        client.writable().await.unwrap();
        let n = loop {
            match client.try_write(b"hello") {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => client.writable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(n, 5);
        let written =
            client.try_write_vectored(&[std::io::IoSlice::new(b", "), std::io::IoSlice::new(b"world")]).unwrap();
        assert_eq!(written, 7);

        // Peek sees the data without consuming it.
        let mut peeked = [0u8; 32];
        let n = server.peek(&mut peeked).await.unwrap();
        assert!(n > 0 && peeked[..n] == b"hello, world"[..n]);

        let mut got = Vec::new();
        while got.len() < 12 {
            server.readable().await.unwrap();
            let (mut a, mut b) = ([0u8; 3], [0u8; 32]);
            let mut bufs = [std::io::IoSliceMut::new(&mut a), std::io::IoSliceMut::new(&mut b)];
            match server.try_read_vectored(&mut bufs) {
                Ok(n) => {
                    let mut joined = a.to_vec();
                    joined.extend_from_slice(&b);
                    got.extend_from_slice(&joined[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, b"hello, world");
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn bind_and_connect_by_name() {
    run(&current_thread(), async {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // "localhost" goes through the resolver thread; it may resolve to
        // ::1 first (refused), so connect has to try the next address.
        let client = TcpStream::connect(("localhost", port)).await.unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        let client = TcpStream::connect(format!("localhost:{port}")).await.unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        // No port: the resolver rejects it.
        let err = TcpListener::bind("not an address").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err:?}");
    });
}

#[test]
fn types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TcpListener>();
    assert_send_sync::<TcpStream>();
    assert_send_sync::<TcpSocket>();
    assert_send_sync::<OwnedReadHalf>();
    assert_send_sync::<OwnedWriteHalf>();
    assert_send_sync::<ReadHalf<'static>>();
    assert_send_sync::<WriteHalf<'static>>();

    // The futures can be spawned on a multi-thread runtime.
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&TcpListener::bind("127.0.0.1:0"));
    assert_send(&TcpListener::bind(("localhost", 0)));
    assert_send(&TcpStream::connect("127.0.0.1:1"));
    assert_send(&TcpSocket::new_v4().unwrap().connect("127.0.0.1:1".parse().unwrap()));
    assert_send(&heddle::net::lookup_host("localhost:1"));
    let rt = current_thread();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    assert_send(&listener.accept());
}

#[test]
fn split_halves_ready_and_vectored_try_io() {
    use heddle::io::Interest;
    use std::io::{IoSlice, IoSliceMut};
    let rt = multi_thread();
    run(&rt, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = join_both(TcpStream::connect(addr), listener.accept()).await;
        let (mut client, (server, _)) = (client.unwrap(), accepted.unwrap());
        let (sr, sw) = server.into_split();
        let (cr, cw) = client.split();

        assert!(cw.ready(Interest::WRITABLE).await.unwrap().is_writable());
        let n = loop {
            match cw.try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => cw.writable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(n, 4);
        let (mut a, mut b) = ([0u8; 1], [0u8; 8]);
        let n = loop {
            assert!(sr.ready(Interest::READABLE).await.unwrap().is_readable());
            match sr.try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!((n, &a[..], &b[..3]), (4, &b"a"[..], &b"bcd"[..]));

        // The other direction, owned write half to borrowed read half.
        assert!(sw.ready(Interest::WRITABLE).await.unwrap().is_writable());
        sw.try_write_vectored(&[IoSlice::new(b"xy")]).unwrap();
        let mut c = [0u8; 4];
        let n = loop {
            cr.ready(Interest::READABLE).await.unwrap();
            match cr.try_read_vectored(&mut [IoSliceMut::new(&mut c)]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&c[..n], b"xy");
    });
}

/// Awaits both futures concurrently.
async fn join_both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    heddle::join!(a, b)
}

/// `write_vectored` through every path of the stream: several small slices
/// (gathered into one send), one non-empty slice among empty ones (a plain
/// send), and slices larger than the gather buffer (`sendmsg`). The reader
/// gets exactly the concatenation, in order.
#[test]
fn vectored_writes_small_single_and_large() {
    use std::io::IoSlice;
    let rt = multi_thread();
    run(&rt, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = join_both(TcpStream::connect(addr), listener.accept()).await;
        let (mut client, (mut server, _)) = (client.unwrap(), accepted.unwrap());

        let big_a: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let big_b: Vec<u8> = (0..5000u32).map(|i| (i % 241) as u8).collect();
        let batches: Vec<Vec<&[u8]>> = vec![
            vec![b"HTTP/1.1 200 OK\r\n", b"", b"content-length: 13\r\n\r\n", b"Hello, World!"],
            vec![b"", b"only one", b""],
            vec![b"", b""],
            vec![&big_a, b"-", &big_b],
        ];
        let mut expected = Vec::new();
        for batch in &batches {
            let mut want: Vec<u8> = batch.concat();
            expected.extend_from_slice(&want);
            // Write the batch fully, re-slicing after partial writes.
            while !want.is_empty() {
                let mut offset = batch.iter().map(|s| s.len()).sum::<usize>() - want.len();
                let mut slices = Vec::new();
                for s in batch {
                    if offset >= s.len() {
                        offset -= s.len();
                        continue;
                    }
                    slices.push(IoSlice::new(&s[offset..]));
                    offset = 0;
                }
                let n = client.write_vectored(&slices).await.unwrap();
                assert!(n > 0 && n <= want.len(), "wrote {n} of {}", want.len());
                want.drain(..n);
            }
        }
        client.shutdown().await.unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "bytes differ");
    });
}
