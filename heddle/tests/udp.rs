//! UDP integration tests: echo with `send_to`/`recv_from`, connected
//! `send`/`recv`, datagram boundaries, `try_*`, socket options and std
//! conversions. Real sockets on 127.0.0.1, each test bounded by a timeout.

use std::future::Future;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use heddle::net::UdpSocket;
use heddle::runtime::{Builder, Runtime};

const LIMIT: Duration = Duration::from_secs(15);

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn run<F: Future>(test: F) -> F::Output {
    rt().block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

#[test]
fn echo_send_to_recv_from() {
    run(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = server.local_addr().unwrap();
        let echo = {
            let server = server.clone();
            heddle::spawn(async move {
                let mut buf = [0u8; 1500];
                for _ in 0..100 {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    server.send_to(&buf[..n], from).await.unwrap();
                }
            })
        };
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 1500];
        for i in 0..100u32 {
            let msg = format!("message {i}");
            client.send_to(msg.as_bytes(), addr).await.unwrap();
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, addr);
            assert_eq!(&buf[..n], msg.as_bytes());
        }
        echo.await.unwrap();
    });
}

#[test]
fn connected_send_recv_and_peer_addr() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        a.send(b"hello").await.unwrap();
        let mut buf = [0u8; 16];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        b.send(b"back").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
    });
}

#[test]
fn datagram_boundaries_are_kept() {
    run(async {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = rx.local_addr().unwrap();
        let sizes = [1usize, 0, 7, 1000, 3, 65_000];
        for (i, &len) in sizes.iter().enumerate() {
            let datagram = vec![i as u8; len];
            assert_eq!(tx.send_to(&datagram, to).await.unwrap(), len);
        }
        let mut buf = vec![0u8; 70_000];
        for (i, &len) in sizes.iter().enumerate() {
            let (n, _) = rx.peek_from(&mut buf).await.unwrap();
            assert_eq!(n, len);
            let (n, from) = rx.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, tx.local_addr().unwrap());
            assert_eq!(n, len, "datagram {i}");
            assert!(buf[..n].iter().all(|&b| b == i as u8));
        }
        // A datagram longer than the buffer is truncated, and the rest is gone.
        tx.send_to(b"0123456789", to).await.unwrap();
        tx.send_to(b"next", to).await.unwrap();
        let mut small = [0u8; 4];
        assert_eq!(rx.recv_from(&mut small).await.unwrap().0, 4);
        assert_eq!(&small, b"0123");
        let n = rx.recv_from(&mut buf).await.unwrap().0;
        assert_eq!(&buf[..n], b"next");
    });
}

#[test]
fn try_send_try_recv() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(b.try_recv_from(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        a.writable().await.unwrap();
        a.try_send_to(b"x", b.local_addr().unwrap()).unwrap();
        loop {
            b.readable().await.unwrap();
            match b.try_recv_from(&mut buf) {
                Ok((n, from)) => {
                    assert_eq!(&buf[..n], b"x");
                    assert_eq!(from, a.local_addr().unwrap());
                    break;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        a.try_send(b"yz").unwrap();
        loop {
            b.readable().await.unwrap();
            match b.try_recv(&mut buf) {
                Ok(n) => {
                    assert_eq!(&buf[..n], b"yz");
                    break;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
    });
}

#[test]
fn options_set_and_get() {
    run(async {
        let sock = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        sock.set_broadcast(true).unwrap();
        assert!(sock.broadcast().unwrap());
        sock.set_ttl(42).unwrap();
        assert_eq!(sock.ttl().unwrap(), 42);
        sock.set_multicast_loop_v4(false).unwrap();
        assert!(!sock.multicast_loop_v4().unwrap());
        sock.set_multicast_loop_v4(true).unwrap();
        assert!(sock.multicast_loop_v4().unwrap());
        sock.set_multicast_ttl_v4(3).unwrap();
        assert_eq!(sock.multicast_ttl_v4().unwrap(), 3);
        // Joining a group needs a multicast-capable interface; loopback
        // may not be one in a container, so accept that specific refusal.
        let group = Ipv4Addr::new(239, 255, 43, 21);
        match sock.join_multicast_v4(group, Ipv4Addr::LOCALHOST) {
            Ok(()) => sock.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap(),
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::ENODEV), "{e}"),
        }
        assert!(sock.take_error().unwrap().is_none());
    });
}

#[test]
fn std_conversions() {
    run(async {
        let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = std_sock.local_addr().unwrap();
        let sock = UdpSocket::from_std(std_sock).unwrap();
        assert_eq!(sock.local_addr().unwrap(), addr);
        let back = sock.into_std().unwrap();
        assert_eq!(back.local_addr().unwrap(), addr);
        // Still usable (and non-blocking) after the round trip.
        let mut buf = [0u8; 1];
        assert_eq!(back.recv_from(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn peek_and_peek_sender_leave_the_datagram_queued() {
    use heddle::io::ReadBuf;
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();

        // Nothing queued yet.
        let mut buf = [0u8; 32];
        assert_eq!(b.try_peek(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        assert_eq!(c.try_peek_sender().unwrap_err().kind(), ErrorKind::WouldBlock);

        // peek_sender waits for a datagram.
        let c_addr = c.local_addr().unwrap();
        let waiter = heddle::spawn(async move { c.peek_sender().await.unwrap() });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        a.send_to(b"to-c", c_addr).await.unwrap();
        assert_eq!(waiter.await.unwrap(), a.local_addr().unwrap());

        a.send_to(b"first", b.local_addr().unwrap()).await.unwrap();
        assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
        assert_eq!(b.try_peek_sender().unwrap(), a.local_addr().unwrap());
        let n = b.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");
        let n = b.try_peek(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"first");
        let mut storage = [0u8; 32];
        let mut rb = ReadBuf::new(&mut storage);
        std::future::poll_fn(|cx| b.poll_peek(cx, &mut rb)).await.unwrap();
        assert_eq!(rb.filled(), b"first");
        let mut rb = ReadBuf::new(&mut storage);
        let from = std::future::poll_fn(|cx| b.poll_peek_from(cx, &mut rb)).await.unwrap();
        assert_eq!((rb.filled(), from), (&b"first"[..], a.local_addr().unwrap()));
        assert_eq!(std::future::poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap(), a.local_addr().unwrap());
        // All peeks left it queued: recv gets it, then nothing is left.
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");
        assert_eq!(b.try_peek(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    });
}
