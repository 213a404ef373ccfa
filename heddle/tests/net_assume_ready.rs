//! Sockets whose state is known when they are made start out ready in that
//! direction, so their first operation tries the socket instead of waiting
//! for the reactor's first event: accepted streams (readable and writable:
//! the request has often arrived already) and the two ends of a new pair
//! (writable: their buffers are empty). A wrong guess costs one
//! `WouldBlock`, after which the socket waits for events as usual.

use std::io::{ErrorKind, Write};

use heddle::net::{TcpListener, UnixDatagram, UnixListener, UnixStream};

fn runtime() -> heddle::runtime::Runtime {
    heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn an_accepted_tcp_stream_reads_what_arrived_before_any_event() {
    runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.write_all(b"hello").unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // No await since the accept: the reactor has not seen this socket.
        let mut buf = [0u8; 16];
        assert_eq!(server.try_read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(server.try_write(b"reply").unwrap(), 5);
        // Drained: the next try finds nothing and the guess is cleared.
        assert_eq!(server.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        assert_eq!(server.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        // New data still wakes a reader through the reactor.
        client.write_all(b"more").unwrap();
        server.readable().await.unwrap();
        assert_eq!(server.try_read(&mut buf).unwrap(), 4);
    });
}

#[test]
fn an_accepted_unix_stream_reads_what_arrived_before_any_event() {
    let path = std::env::temp_dir().join(format!("heddle-assume-ready-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    runtime().block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let mut client = std::os::unix::net::UnixStream::connect(&path).unwrap();
        client.write_all(b"hi").unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(server.try_read(&mut buf).unwrap(), 2);
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_new_pair_is_writable_at_once_but_not_readable() {
    runtime().block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        assert_eq!(a.try_write(b"ab").unwrap(), 2);
        assert_eq!(b.try_write(b"cd").unwrap(), 2);
        // Readability is not guessed: it waits for the reactor.
        let mut buf = [0u8; 4];
        assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        b.readable().await.unwrap();
        assert_eq!(b.try_read(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"ab");

        let (c, d) = UnixDatagram::pair().unwrap();
        assert_eq!(c.try_send(b"dgram").unwrap(), 5);
        assert_eq!(d.try_send(b"back").unwrap(), 4);
    });
}
