//! With the `futures-io` feature, heddle's streams work with code written
//! against the `futures` I/O traits.
#![cfg(feature = "futures-io")]

use futures::io::{AsyncReadExt as _, AsyncWriteExt as _};
use heddle::net::{TcpListener, TcpStream};

#[test]
fn a_futures_io_consumer_reads_a_heddle_tcp_stream() {
    let rt = heddle::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let expected = payload.clone();
        let server = heddle::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            // futures-io's write_all and close on a heddle stream.
            futures::io::AsyncWriteExt::write_all(&mut s, &payload).await.unwrap();
            futures::io::AsyncWriteExt::close(&mut s).await.unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        // futures::io::copy into a Vec: a generic futures-io consumer.
        let mut sink = futures::io::Cursor::new(Vec::new());
        let copied = futures::io::copy(&mut client, &mut sink).await.unwrap();
        assert_eq!(copied as usize, expected.len());
        assert_eq!(sink.into_inner(), expected);
        server.await.unwrap();

        // Halves work too.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        heddle::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let (mut r, mut w) = s.into_split();
            let mut buf = [0u8; 5];
            futures::io::AsyncReadExt::read_exact(&mut r, &mut buf).await.unwrap();
            futures::io::AsyncWriteExt::write_all(&mut w, &buf).await.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello");
    });
}
