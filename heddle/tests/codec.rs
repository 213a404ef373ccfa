//! tokio-util codecs run on heddle sockets unchanged: a `LinesCodec`
//! round trip over loopback with `Framed`.

use futures::{SinkExt, StreamExt};
use heddle::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LinesCodec};

#[test]
fn lines_codec_round_trip_over_tcp() {
    let rt = heddle::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Server: answers each line with its length and the line reversed.
        let server = heddle::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut lines = Framed::new(socket, LinesCodec::new_with_max_length(1024));
            let mut served = 0;
            while let Some(line) = lines.next().await {
                let line = line.unwrap();
                let reply = format!("{} {}", line.len(), line.chars().rev().collect::<String>());
                lines.send(reply).await.unwrap();
                served += 1;
            }
            served
        });
        let socket = TcpStream::connect(addr).await.unwrap();
        let mut client = Framed::new(socket, LinesCodec::new());
        for i in 0..200 {
            let line = format!("line number {i} {}", "x".repeat(i % 50));
            client.send(line.clone()).await.unwrap();
            let reply = client.next().await.unwrap().unwrap();
            assert_eq!(reply, format!("{} {}", line.len(), line.chars().rev().collect::<String>()));
        }
        drop(client);
        assert_eq!(server.await.unwrap(), 200);
    });
}
