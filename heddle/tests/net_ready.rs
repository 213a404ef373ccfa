//! `io::Interest`/`io::Ready` and the sockets' `ready`, `try_io` and
//! `async_io`, on real loopback and Unix sockets.

use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::time::Duration;

use heddle::io::{AsyncWriteExt, Interest, Ready};
use heddle::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};
use heddle::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// `recv(2)` on a raw fd, non-blocking (the socket is in non-blocking mode).
fn raw_recv(fd: i32, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` writable bytes; `fd` is an
    // open socket owned by the caller's heddle socket.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[test]
fn interest_and_ready_algebra() {
    let both = Interest::READABLE | Interest::WRITABLE;
    assert!(both.is_readable() && both.is_writable());
    assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
    assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
    assert_eq!(Interest::READABLE.add(Interest::WRITABLE), both);
    let r = Ready::READABLE | Ready::WRITE_CLOSED;
    assert!(r.is_readable() && r.is_writable() && r.is_write_closed() && !r.is_read_closed());
    assert_eq!(r - Ready::READABLE, Ready::WRITE_CLOSED);
    assert!(Ready::EMPTY.is_empty());
    assert!(Ready::READ_CLOSED.is_readable());
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_ready_try_io_async_io() {
    timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();

        // A fresh connection: writable, not readable.
        let ready = client.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
        assert!(ready.is_writable());
        let fd = client.as_raw_fd();
        let mut buf = [0u8; 64];
        // Nothing to read: WouldBlock, from the readiness check or recv.
        let err = client.try_io(Interest::READABLE, || raw_recv(fd, &mut buf)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);

        // async_io waits for data, then runs the raw operation.
        let reader = heddle::spawn(async move {
            let mut buf = [0u8; 64];
            let n = client.async_io(Interest::READABLE, || raw_recv(client.as_raw_fd(), &mut buf)).await.unwrap();
            (client, buf[..n].to_vec())
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        server.write_all(b"hello").await.unwrap();
        let (client, got) = reader.await.unwrap();
        assert_eq!(got, b"hello");

        // ready() then try_io, the manual loop.
        server.write_all(b"again").await.unwrap();
        let got = loop {
            let ready = client.ready(Interest::READABLE).await.unwrap();
            assert!(ready.is_readable());
            match client.try_io(Interest::READABLE, || raw_recv(fd, &mut buf)) {
                Ok(n) => break buf[..n].to_vec(),
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(got, b"again");

        // The peer closes: readable, and the read returns 0.
        drop(server);
        let ready = client.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_readable());
        let n = client.async_io(Interest::READABLE, || raw_recv(fd, &mut buf)).await.unwrap();
        assert_eq!(n, 0);
    })
    .await
    .unwrap();
}

#[heddle::test]
async fn udp_and_unix_ready_and_try_io() {
    timeout(LIMIT, async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
        a.send(b"datagram").await.unwrap();
        let mut buf = [0u8; 64];
        let n = b.async_io(Interest::READABLE, || raw_recv(b.as_raw_fd(), &mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"datagram");

        let (x, y) = UnixStream::pair().unwrap();
        assert!(x.ready(Interest::WRITABLE).await.unwrap().is_writable());
        x.try_write(b"unix").unwrap();
        assert!(y.ready(Interest::READABLE).await.unwrap().is_readable());
        let n = y.try_io(Interest::READABLE, || raw_recv(y.as_raw_fd(), &mut buf)).unwrap();
        assert_eq!(&buf[..n], b"unix");

        let (p, q) = UnixDatagram::pair().unwrap();
        p.send(b"dgram").await.unwrap();
        let ready = q.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
        assert!(ready.is_readable() || ready.is_writable());
        let n = q.async_io(Interest::READABLE, || raw_recv(q.as_raw_fd(), &mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"dgram");
    })
    .await
    .unwrap();
}
