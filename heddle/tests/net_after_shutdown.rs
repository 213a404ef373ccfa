//! A socket that outlives its runtime: the reactor no longer watches it,
//! so every wait reports the shutdown (instead of hanging), while the
//! socket itself still works for non-blocking calls, so data it had
//! buffered can be read with `try_read`.

use std::io::Write;
use std::time::Duration;

use heddle::io::AsyncReadExt;
use heddle::net::TcpListener;

fn runtime() -> heddle::runtime::Runtime {
    heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn buffered_data_is_still_readable_and_waits_report_the_shutdown() {
    let rt = runtime();
    let (mut server, mut client) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (server, client)
    });
    client.write_all(b"hello").unwrap();
    drop(rt);
    // Give loopback a moment to deliver (it is immediate in practice).
    std::thread::sleep(Duration::from_millis(20));
    let mut buf = [0u8; 8];
    assert_eq!(server.try_read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    // Nothing left: the non-blocking call says so...
    assert_eq!(server.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    // ...and a wait, even on another runtime, reports the shutdown at once.
    runtime().block_on(async {
        let read = heddle::time::timeout(Duration::from_secs(5), server.read(&mut buf))
            .await
            .expect("a read on a socket whose reactor is gone hung");
        assert!(heddle::runtime::is_rt_shutdown_err(&read.unwrap_err()));
        let ready = heddle::time::timeout(Duration::from_secs(5), server.readable())
            .await
            .expect("readable() on a socket whose reactor is gone hung");
        assert!(heddle::runtime::is_rt_shutdown_err(&ready.unwrap_err()));
    });
}
