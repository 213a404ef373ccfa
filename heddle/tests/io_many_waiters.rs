//! Several tasks waiting on one socket through its `&self` async methods
//! (`accept`, `readable`, `recv`, `ready`, `AsyncFd::readable`) are all
//! woken: none is left asleep while the socket has what it waits for.
//!
//! Each test queues its waiters first, then makes one burst of readiness
//! that the reactor sees as a single event, which is where a per-direction
//! waker slot (the last task to wait wins) would lose all but one of them.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use heddle::io::unix::AsyncFd;
use heddle::io::Interest;
use heddle::net::{TcpListener, TcpStream, UdpSocket, UnixListener};
use heddle::time::timeout;

const WAITERS: usize = 4;
/// Generous: every wait here ends within milliseconds when it works.
const LIMIT: Duration = Duration::from_secs(2);

/// `fut`'s output, or None once `LIMIT` has passed. Unlike `timeout`, the
/// deadline is checked before the future, so a task that was never woken
/// cannot complete on the poll the deadline itself causes.
async fn within<F: std::future::Future>(fut: F) -> Option<F::Output> {
    heddle::select! {
        biased;
        _ = heddle::time::sleep(LIMIT) => None,
        out = fut => Some(out),
    }
}

fn runtime() -> heddle::runtime::Runtime {
    heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Lets every spawned task run until it waits (a current-thread runtime
/// runs them in turn).
async fn let_tasks_park() {
    for _ in 0..8 {
        heddle::task::yield_now().await;
    }
}

/// A connected pair with nothing in flight: a blocking client and the
/// accepted server end, shared, whose assumed readiness has been cleared
/// (an accepted stream starts out assumed readable; finding nothing clears
/// that), so waits on it depend on the reactor.
async fn idle_connection() -> (std::net::TcpStream, Arc<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let mut empty = [0u8; 1];
    assert_eq!(server.try_read(&mut empty).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    (client, Arc::new(server))
}

#[test]
fn every_acceptor_on_a_shared_tcp_listener_gets_a_connection() {
    runtime().block_on(async {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let acceptors: Vec<_> = (0..WAITERS)
            .map(|_| {
                let listener = listener.clone();
                heddle::spawn(async move { within(listener.accept()).await.map(|r| r.unwrap().1) })
            })
            .collect();
        let_tasks_park().await;
        // Blocking connects: the kernel completes them from the backlog
        // before the reactor runs again, so it reports them as one event.
        let clients: Vec<_> = (0..WAITERS).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        let mut peers = Vec::new();
        for acceptor in acceptors {
            peers.push(acceptor.await.unwrap().expect("an acceptor was never woken"));
        }
        peers.sort();
        let mut expected: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        expected.sort();
        assert_eq!(peers, expected);
    });
}

#[test]
fn every_acceptor_on_a_shared_unix_listener_gets_a_connection() {
    let path = std::env::temp_dir().join(format!("heddle-many-waiters-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    runtime().block_on(async {
        let listener = Arc::new(UnixListener::bind(&path).unwrap());
        let acceptors: Vec<_> = (0..WAITERS)
            .map(|_| {
                let listener = listener.clone();
                heddle::spawn(async move { within(listener.accept()).await.map(|r| r.unwrap()) })
            })
            .collect();
        let_tasks_park().await;
        let _clients: Vec<_> = (0..WAITERS).map(|_| std::os::unix::net::UnixStream::connect(&path).unwrap()).collect();
        for acceptor in acceptors {
            acceptor.await.unwrap().expect("an acceptor was never woken");
        }
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn every_task_in_readable_on_a_shared_stream_wakes() {
    runtime().block_on(async {
        let (mut client, server) = idle_connection().await;
        let readers: Vec<_> = (0..WAITERS)
            .map(|_| {
                let server = server.clone();
                heddle::spawn(async move { within(server.readable()).await.map(Result::unwrap) })
            })
            .collect();
        let_tasks_park().await;
        client.write_all(b"x").unwrap();
        for reader in readers {
            reader.await.unwrap().expect("a task in readable() was never woken");
        }
        // The readiness is still there for whoever reads.
        let mut buf = [0u8; 4];
        assert_eq!(server.try_read(&mut buf).unwrap(), 1);
    });
}

#[test]
fn every_receiver_on_a_shared_udp_socket_gets_a_datagram() {
    runtime().block_on(async {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = socket.local_addr().unwrap();
        let receivers: Vec<_> = (0..WAITERS)
            .map(|_| {
                let socket = socket.clone();
                heddle::spawn(async move {
                    let mut buf = [0u8; 16];
                    let n = within(socket.recv(&mut buf)).await?.unwrap();
                    Some(buf[..n].to_vec())
                })
            })
            .collect();
        let_tasks_park().await;
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..WAITERS {
            sender.send_to(format!("d{i}").as_bytes(), addr).unwrap();
        }
        let mut got = Vec::new();
        for receiver in receivers {
            got.push(receiver.await.unwrap().expect("a receiver was never woken"));
        }
        got.sort();
        let expected: Vec<Vec<u8>> = (0..WAITERS).map(|i| format!("d{i}").into_bytes()).collect();
        assert_eq!(got, expected);
    });
}

#[test]
fn every_task_in_async_fd_readable_wakes() {
    runtime().block_on(async {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        // SAFETY: `a` owns its descriptor and keeps it open.
        let fd = Arc::new(unsafe { AsyncFd::register(a) }.unwrap());
        let readers: Vec<_> = (0..WAITERS)
            .map(|_| {
                let fd = fd.clone();
                heddle::spawn(async move {
                    let ready = within(fd.ready(Interest::READABLE)).await?.unwrap().ready();
                    Some(ready.is_readable())
                })
            })
            .collect();
        let_tasks_park().await;
        b.write_all(b"x").unwrap();
        for reader in readers {
            assert!(reader.await.unwrap().expect("a task in AsyncFd::ready was never woken"));
        }
        let mut buf = [0u8; 1];
        assert_eq!(fd.get_ref().read(&mut buf).unwrap(), 1);
    });
}

#[test]
fn a_cancelled_waiter_does_not_take_the_wake_up_of_the_others() {
    runtime().block_on(async {
        let (mut client, server) = idle_connection().await;
        // This one gives up before the data comes.
        let quitter = {
            let server = server.clone();
            heddle::spawn(async move { timeout(Duration::from_millis(20), server.readable()).await.is_err() })
        };
        let stayer = {
            let server = server.clone();
            heddle::spawn(async move { within(server.readable()).await.is_some() })
        };
        assert!(quitter.await.unwrap(), "readable() returned before any data was sent");
        client.write_all(b"x").unwrap();
        assert!(stayer.await.unwrap(), "the remaining waiter was never woken");
    });
}

#[test]
fn waiters_on_a_multi_thread_runtime_all_get_their_connections() {
    let rt = heddle::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        const ROUNDS: usize = 50;
        let acceptors: Vec<_> = (0..WAITERS)
            .map(|_| {
                let listener = listener.clone();
                heddle::spawn(async move {
                    let mut served = 0usize;
                    while let Ok(Ok((mut stream, _))) = timeout(Duration::from_millis(500), listener.accept()).await {
                        heddle::io::AsyncWriteExt::write_all(&mut stream, b"ok").await.unwrap();
                        served += 1;
                    }
                    served
                })
            })
            .collect();
        for _ in 0..ROUNDS {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0u8; 2];
            within(heddle::io::AsyncReadExt::read_exact(&mut stream, &mut buf))
                .await
                .expect("a connection was never accepted")
                .unwrap();
            assert_eq!(&buf, b"ok");
        }
        let mut total = 0;
        for acceptor in acceptors {
            total += acceptor.await.unwrap();
        }
        assert_eq!(total, ROUNDS);
    });
}
