//! `ready()` says when a side of a socket is shut, not only that it is
//! ready: a reader can tell "the peer closed" apart from "data arrived"
//! without a read, and a writer learns that the peer is gone.

use std::io::Write;
use std::time::Duration;

use heddle::io::Interest;
use heddle::net::{TcpListener, UnixStream};
use heddle::time::timeout;

const LIMIT: Duration = Duration::from_secs(5);

#[heddle::test]
async fn a_tcp_peer_that_closes_shows_as_read_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().await.unwrap();

    client.write_all(b"data").unwrap();
    let ready = timeout(LIMIT, server.ready(Interest::READABLE)).await.unwrap().unwrap();
    assert!(ready.is_readable());
    let mut buf = [0u8; 8];
    assert_eq!(server.try_read(&mut buf).unwrap(), 4);

    drop(client);
    loop {
        let ready = timeout(LIMIT, server.ready(Interest::READABLE)).await.expect("close never reported").unwrap();
        if ready.is_read_closed() {
            break;
        }
        // Readiness left from before the close: consume it and wait again.
        match server.try_read(&mut buf) {
            Ok(0) | Err(_) => heddle::task::yield_now().await,
            Ok(n) => panic!("read {n} bytes after the peer closed"),
        }
    }
    assert!(server.ready(Interest::READABLE).await.unwrap().is_readable());
}

#[heddle::test]
async fn a_unix_peer_that_goes_away_shows_as_closed_both_ways() {
    let (a, b) = UnixStream::pair().unwrap();
    let ready = timeout(LIMIT, a.ready(Interest::READABLE | Interest::WRITABLE)).await.unwrap().unwrap();
    assert!(ready.is_writable());
    assert!(!ready.is_read_closed());
    assert!(!ready.is_write_closed());
    drop(b);
    let ready = timeout(LIMIT, async {
        loop {
            let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
            if ready.is_read_closed() && ready.is_write_closed() {
                return ready;
            }
            heddle::task::yield_now().await;
        }
    })
    .await
    .expect("the peer's departure was never reported");
    assert!(ready.is_readable() && ready.is_writable());
}
