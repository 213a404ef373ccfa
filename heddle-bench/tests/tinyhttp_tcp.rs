//! Both tinyhttp handlers over real loopback sockets, on heddle and on
//! tokio: pipelined requests, many connections at once, and the batched
//! handler's `400` on garbage.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use heddle_bench::tinyhttp::{date, routes};

/// Replaces every `Date: <29 bytes>` value with a placeholder of the same
/// length, so a masked response is as long as the one on the wire.
fn mask_dates(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).expect("ASCII response");
    let mut masked = String::new();
    for (i, part) in text.split("Date: ").enumerate() {
        if i > 0 {
            masked.push_str(&format!("Date: {:-<1$}", "<date>", date::LEN));
            masked.push_str(&part[date::LEN..]);
        } else {
            masked.push_str(part);
        }
    }
    masked
}

fn expected(canned: &routes::Canned) -> String {
    let mut out = Vec::new();
    canned.write(&mut out, date::now().as_bytes(), true);
    mask_dates(&out)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// Sends `requests` in one write and reads until `len` bytes arrived.
fn exchange(stream: &mut TcpStream, requests: &[u8], len: usize) -> String {
    stream.write_all(requests).expect("write");
    let mut got = vec![0; len];
    stream.read_exact(&mut got).expect("read responses");
    mask_dates(&got)
}

fn pipelined(addr: SocketAddr) {
    let mut stream = connect(addr);
    let requests = [
        &b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    .concat()
    .repeat(6);
    let want =
        [expected(&routes::PLAINTEXT_OK), expected(&routes::JSON_OK), expected(&routes::NOT_FOUND)].concat().repeat(6);
    // Twice on the same connection: keep-alive.
    for _ in 0..2 {
        assert_eq!(exchange(&mut stream, &requests, want.len()), want);
    }
}

fn many_connections(addr: SocketAddr) {
    let want = expected(&routes::JSON_OK);
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let want = want.clone();
            std::thread::spawn(move || {
                let mut stream = connect(addr);
                for _ in 0..20 {
                    let got = exchange(&mut stream, b"GET /json HTTP/1.1\r\n\r\n", want.len());
                    assert_eq!(got, want);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("client thread");
    }
}

fn garbage_gets_400_and_close(addr: SocketAddr) {
    let mut stream = connect(addr);
    stream.write_all(b"GET /json HTTP/1.1\r\n\r\nNOT HTTP AT ALL\r\n\r\n").unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).expect("server closes");
    let want = expected(&routes::JSON_OK) + &expected(&routes::BAD_REQUEST);
    assert_eq!(mask_dates(&got), want);
}

macro_rules! runtime_tests {
    ($runtime:ident) => {
        mod $runtime {
            use std::net::SocketAddr;

            use ::$runtime as rt;
            use heddle_bench::tinyhttp::{serve_batched, serve_framed};

            #[derive(Clone, Copy)]
            enum Handler {
                Framed,
                Batched,
            }

            /// A 2-worker runtime serving `handler` on an ephemeral port.
            fn server(handler: Handler) -> (rt::runtime::Runtime, SocketAddr) {
                let runtime = rt::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
                let listener = runtime.block_on(rt::net::TcpListener::bind("127.0.0.1:0")).unwrap();
                let addr = listener.local_addr().unwrap();
                runtime.spawn(async move {
                    loop {
                        let (stream, _) = listener.accept().await.unwrap();
                        rt::spawn(async move {
                            let _ = match handler {
                                Handler::Framed => serve_framed(stream).await,
                                Handler::Batched => serve_batched(stream).await,
                            };
                        });
                    }
                });
                (runtime, addr)
            }

            #[test]
            fn framed_pipelined() {
                let (_rt, addr) = server(Handler::Framed);
                super::pipelined(addr);
            }

            #[test]
            fn batched_pipelined() {
                let (_rt, addr) = server(Handler::Batched);
                super::pipelined(addr);
            }

            #[test]
            fn framed_many_connections() {
                let (_rt, addr) = server(Handler::Framed);
                super::many_connections(addr);
            }

            #[test]
            fn batched_many_connections() {
                let (_rt, addr) = server(Handler::Batched);
                super::many_connections(addr);
            }

            #[test]
            fn batched_garbage_gets_400_and_close() {
                let (_rt, addr) = server(Handler::Batched);
                super::garbage_gets_400_and_close(addr);
            }
        }
    };
}

runtime_tests!(heddle);
runtime_tests!(tokio);
