//! The I/O helpers heddle takes from tokio's runtime-free `io-util`
//! (`join`, `simplex`, `copy_bidirectional_with_sizes`, the adapter types
//! and `SeekFrom`), driven over heddle's own sockets and files on both
//! runtimes: a tokio program that names them ports by renaming the crate.

mod support;

use heddle::io::{
    self, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, Chain, Join, Lines, SeekFrom,
    SimplexStream, Split, Take,
};
use heddle::net::{TcpListener, TcpStream};

/// A connected loopback pair: (client, server side).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn join_reads_one_socket_and_writes_another() {
    for rt in support::runtimes() {
        support::run(&rt, async {
            let (mut inbound_peer, inbound) = tcp_pair().await;
            let (outbound, mut outbound_peer) = tcp_pair().await;
            let mut joined: Join<TcpStream, TcpStream> = io::join(inbound, outbound);

            inbound_peer.write_all(b"ping").await.unwrap();
            let mut got = [0u8; 4];
            joined.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"ping");

            joined.write_all(b"pong").await.unwrap();
            joined.flush().await.unwrap();
            outbound_peer.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"pong");

            let (_inbound, _outbound) = joined.into_inner();
        });
    }
}

#[test]
fn simplex_carries_bytes_one_way_with_backpressure() {
    for rt in support::runtimes() {
        support::run(&rt, async {
            let (mut reader, mut writer) = io::simplex(16);
            let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
            let expected = data.clone();
            // 10,000 bytes through a 16-byte buffer: the writer must wait
            // for the reader again and again.
            let send = heddle::spawn(async move {
                writer.write_all(&data).await.unwrap();
                writer.shutdown().await.unwrap();
            });
            let mut got = Vec::new();
            reader.read_to_end(&mut got).await.unwrap();
            send.await.unwrap();
            assert_eq!(got, expected);

            let _named: SimplexStream = SimplexStream::new_unsplit(8);
        });
    }
}

#[test]
fn copy_bidirectional_with_sizes_relays_both_ways() {
    for rt in support::runtimes() {
        support::run(&rt, async {
            let (mut client, mut proxy_in) = tcp_pair().await;
            let (mut proxy_out, mut backend) = tcp_pair().await;
            let relay = heddle::spawn(async move {
                io::copy_bidirectional_with_sizes(&mut proxy_in, &mut proxy_out, 7, 3).await.unwrap()
            });

            let request: Vec<u8> = (0..5_000u32).map(|i| (i % 13) as u8).collect();
            let response: Vec<u8> = (0..3_000u32).map(|i| (i % 17) as u8).collect();
            client.write_all(&request).await.unwrap();
            client.shutdown().await.unwrap();
            let mut at_backend = Vec::new();
            backend.read_to_end(&mut at_backend).await.unwrap();
            assert_eq!(at_backend, request);

            backend.write_all(&response).await.unwrap();
            backend.shutdown().await.unwrap();
            let mut at_client = Vec::new();
            client.read_to_end(&mut at_client).await.unwrap();
            assert_eq!(at_client, response);

            let (a_to_b, b_to_a) = relay.await.unwrap();
            assert_eq!((a_to_b, b_to_a), (request.len() as u64, response.len() as u64));
        });
    }
}

#[test]
fn adapter_types_are_nameable() {
    for rt in support::runtimes() {
        support::run(&rt, async {
            let (mut client, server) = tcp_pair().await;
            client.write_all(b"a,b\nc\n").await.unwrap();
            client.shutdown().await.unwrap();

            let taken: Take<TcpStream> = server.take(4);
            let mut lines: Lines<BufReader<Take<TcpStream>>> = BufReader::new(taken).lines();
            assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("a,b"));
            assert_eq!(lines.next_line().await.unwrap(), None, "take(4) ends after `a,b\\n`");

            let mut parts: Split<BufReader<&[u8]>> = BufReader::new(&b"x,y,z"[..]).split(b',');
            let mut seen = Vec::new();
            while let Some(part) = parts.next_segment().await.unwrap() {
                seen.push(part);
            }
            assert_eq!(seen, [b"x".to_vec(), b"y".to_vec(), b"z".to_vec()]);

            let mut chained: Chain<&[u8], &[u8]> = (&b"he"[..]).chain(&b"llo"[..]);
            let mut all = String::new();
            chained.read_to_string(&mut all).await.unwrap();
            assert_eq!(all, "hello");
        });
    }
}

#[test]
fn seek_from_positions_a_file() {
    let dir = support::TempDir::new("seekfrom");
    for rt in support::runtimes() {
        let path = dir.path("data");
        support::run(&rt, async {
            heddle::fs::write(&path, b"0123456789").await.unwrap();
            let mut file = heddle::fs::File::open(&path).await.unwrap();
            assert_eq!(file.seek(SeekFrom::End(-3)).await.unwrap(), 7);
            let mut tail = String::new();
            file.read_to_string(&mut tail).await.unwrap();
            assert_eq!(tail, "789");
            assert_eq!(file.seek(SeekFrom::Start(2)).await.unwrap(), 2);
            let mut two = [0u8; 2];
            file.read_exact(&mut two).await.unwrap();
            assert_eq!(&two, b"23");
        });
    }
}
