//! hyper server on heddle answering a hyper client on heddle over 127.0.0.1,
//! with no tokio runtime: HTTP/1 keep-alive, HTTP/2 concurrent streams,
//! multi-MiB bodies checked byte for byte, the header-read timeout run by
//! `HeddleTimer`, and an upgraded connection used through `HeddleIo`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt, StreamExt};
use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};
use heddle_hyper::{HeddleExecutor, HeddleIo, HeddleSleep, HeddleTimer};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::rt::Timer;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};

/// Every test is bounded by this.
const LIMIT: Duration = Duration::from_secs(30);

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = BoxBody<Bytes, BoxError>;

async fn bounded<F: Future>(fut: F) -> F::Output {
    heddle::time::timeout(LIMIT, fut).await.expect("test timed out")
}

/// `len` pseudo-random bytes (xorshift), different for each seed.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// `data` as a body streamed in odd-sized chunks.
fn streamed(data: Vec<u8>) -> Body {
    let data = Bytes::from(data);
    let chunks: Vec<_> = (0..data.len())
        .step_by(65_521)
        .map(|at| Ok::<_, BoxError>(Frame::data(data.slice(at..(at + 65_521).min(data.len())))))
        .collect();
    BodyExt::boxed(StreamBody::new(futures::stream::iter(chunks)))
}

fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into()).map_err(|never| match never {}).boxed()
}

fn assert_same(got: &[u8], want: &[u8]) {
    assert_eq!(got.len(), want.len(), "body length");
    if let Some(at) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!("bodies differ first at byte {at}");
    }
}

/// The test service. `/hello` answers a short text; `/big?seed=S&len=N`
/// checks that the request body is `pattern(S, N)` and answers
/// `pattern(S + 1, N)`, streamed; `/echo` streams the request body back.
async fn service(req: Request<Incoming>) -> Result<Response<Body>, hyper::Error> {
    match req.uri().path() {
        "/hello" => Ok(Response::new(full("hello"))),
        "/echo" => Ok(Response::new(req.into_body().map_err(BoxError::from).boxed())),
        "/big" => {
            let (seed, len) = big_params(req.uri().query().unwrap_or(""));
            let body = req.into_body().collect().await?.to_bytes();
            if body.len() != len || body[..] != pattern(seed, len)[..] {
                let mut res = Response::new(full("request body mismatch"));
                *res.status_mut() = StatusCode::BAD_REQUEST;
                return Ok(res);
            }
            Ok(Response::new(streamed(pattern(seed + 1, len))))
        }
        _ => {
            let mut res = Response::new(full(""));
            *res.status_mut() = StatusCode::NOT_FOUND;
            Ok(res)
        }
    }
}

fn big_params(query: &str) -> (u64, usize) {
    let mut seed = 0;
    let mut len = 0;
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("seed", v)) => seed = v.parse().unwrap(),
            Some(("len", v)) => len = v.parse().unwrap(),
            _ => {}
        }
    }
    (seed, len)
}

#[derive(Clone, Copy, PartialEq)]
enum Proto {
    Http1,
    Http2,
}

/// Serves `service` with hyper on heddle; returns the address and a counter
/// of accepted connections.
async fn start_server(proto: Proto) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    heddle::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            let io = HeddleIo::new(stream);
            heddle::spawn(async move {
                let result = match proto {
                    Proto::Http1 => {
                        hyper::server::conn::http1::Builder::new()
                            .timer(HeddleTimer::new())
                            .header_read_timeout(Duration::from_secs(5))
                            .serve_connection(io, service_fn(service))
                            .with_upgrades()
                            .await
                    }
                    Proto::Http2 => {
                        hyper::server::conn::http2::Builder::new(HeddleExecutor::new())
                            .timer(HeddleTimer::new())
                            .serve_connection(io, service_fn(service))
                            .await
                    }
                };
                if let Err(e) = result {
                    eprintln!("server connection error: {e}");
                }
            });
        }
    });
    (addr, accepted)
}

async fn http1_client(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Body> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(HeddleIo::new(stream)).await.unwrap();
    heddle::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("client connection error: {e}");
        }
    });
    sender
}

async fn http2_client(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<Body> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http2::Builder::new(HeddleExecutor::new())
        .timer(HeddleTimer::new())
        .handshake(HeddleIo::new(stream))
        .await
        .unwrap();
    heddle::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("client connection error: {e}");
        }
    });
    sender
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).header("host", "test").body(full("")).unwrap()
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_keep_alive_many_requests_one_connection() {
    bounded(async {
        let (addr, accepted) = start_server(Proto::Http1).await;
        let mut sender = http1_client(addr).await;
        for _ in 0..20 {
            sender.ready().await.unwrap();
            let res = sender.send_request(get("/hello")).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.version(), hyper::Version::HTTP_11);
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"hello");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "all requests on one kept-alive connection");
    })
    .await;
}

#[heddle::test(flavor = "current_thread")]
async fn http1_keep_alive_current_thread() {
    bounded(async {
        let (addr, accepted) = start_server(Proto::Http1).await;
        let mut sender = http1_client(addr).await;
        for _ in 0..5 {
            let res = sender.send_request(get("/hello")).await.unwrap();
            assert_eq!(&res.into_body().collect().await.unwrap().to_bytes()[..], b"hello");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_concurrent_streams() {
    const STREAMS: usize = 16;
    bounded(async {
        // The handler of each stream reports its arrival and then waits for
        // the release, which comes only once all STREAMS have arrived: the
        // test can only pass if the streams are served concurrently.
        let (arrived_tx, mut arrived_rx) = mpsc::unbounded::<()>();
        let (release_tx, release_rx) = oneshot::channel::<()>();
        let release = release_rx.shared();

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        heddle::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let svc = service_fn(move |req: Request<Incoming>| {
                let arrived = arrived_tx.clone();
                let release = release.clone();
                async move {
                    arrived.unbounded_send(()).unwrap();
                    release.await.unwrap();
                    let n = req.uri().path().trim_start_matches('/').to_string();
                    Ok::<_, Infallible>(Response::new(full(format!("stream {n}"))))
                }
            });
            hyper::server::conn::http2::Builder::new(HeddleExecutor::new())
                .timer(HeddleTimer::new())
                .max_concurrent_streams(64)
                .serve_connection(HeddleIo::new(stream), svc)
                .await
                .unwrap();
        });

        let sender = http2_client(addr).await;
        let mut requests = Vec::new();
        for i in 0..STREAMS {
            let mut sender = sender.clone();
            requests.push(heddle::spawn(async move {
                let res = sender.send_request(get(&format!("http://test/{i}"))).await.unwrap();
                assert_eq!(res.version(), hyper::Version::HTTP_2);
                let body = res.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(body, format!("stream {i}"));
            }));
        }
        for _ in 0..STREAMS {
            arrived_rx.next().await.unwrap();
        }
        release_tx.send(()).unwrap();
        for request in requests {
            request.await.unwrap();
        }
    })
    .await;
}

const BIG: usize = 6 * 1024 * 1024 + 12_345;

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_big_bodies_byte_for_byte() {
    bounded(async {
        let (addr, accepted) = start_server(Proto::Http1).await;
        let mut sender = http1_client(addr).await;
        for seed in [7, 8] {
            let req = Request::post(format!("/big?seed={seed}&len={BIG}"))
                .header("host", "test")
                .body(streamed(pattern(seed, BIG)))
                .unwrap();
            let res = sender.send_request(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_same(&body, &pattern(seed + 1, BIG));
        }
        // Full-duplex: the response streams back while the request streams in.
        let req = Request::post("/echo").header("host", "test").body(streamed(pattern(9, BIG))).unwrap();
        let res = sender.send_request(req).await.unwrap();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_same(&body, &pattern(9, BIG));
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_big_bodies_byte_for_byte() {
    bounded(async {
        let (addr, _) = start_server(Proto::Http2).await;
        let sender = http2_client(addr).await;
        // Two large exchanges at once on one connection, plus an echo.
        let mut tasks = Vec::new();
        for seed in [21u64, 22] {
            let mut sender = sender.clone();
            tasks.push(heddle::spawn(async move {
                let req = Request::post(format!("http://test/big?seed={seed}&len={BIG}"))
                    .body(streamed(pattern(seed, BIG)))
                    .unwrap();
                let res = sender.send_request(req).await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let body = res.into_body().collect().await.unwrap().to_bytes();
                assert_same(&body, &pattern(seed + 1, BIG));
            }));
        }
        let mut echo_sender = sender.clone();
        tasks.push(heddle::spawn(async move {
            let req = Request::post("http://test/echo").body(streamed(pattern(23, BIG))).unwrap();
            let res = echo_sender.send_request(req).await.unwrap();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_same(&body, &pattern(23, BIG));
        }));
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_header_read_timeout() {
    bounded(async {
        let timeout = Duration::from_millis(200);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (done_tx, done_rx) = oneshot::channel();
        heddle::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let result = hyper::server::conn::http1::Builder::new()
                .timer(HeddleTimer::new())
                .header_read_timeout(timeout)
                .serve_connection(HeddleIo::new(stream), service_fn(service))
                .await;
            done_tx.send(result).unwrap();
        });

        let start = Instant::now();
        let mut client = TcpStream::connect(addr).await.unwrap();
        // Half a request head, then silence.
        client.write_all(b"GET /hello HTTP/1.1\r\nhost: test\r\n").await.unwrap();
        let mut rest = Vec::new();
        let _ = client.read_to_end(&mut rest).await; // EOF (or reset) when the server gives up
        let elapsed = start.elapsed();
        let err = done_rx.await.unwrap().expect_err("connection should fail with a timeout");
        assert!(err.is_timeout(), "expected a header-read timeout, got {err:?}");
        assert!(elapsed >= timeout, "closed after {elapsed:?}, before the {timeout:?} timeout");
        assert!(elapsed < timeout * 10, "closed after {elapsed:?}, long after the {timeout:?} timeout");
    })
    .await;
}

#[heddle::test(flavor = "current_thread")]
async fn header_read_timeout_is_per_request_on_keep_alive() {
    // A kept-alive connection stays up across requests spaced by less than
    // the timeout (the timer's sleep is reset for each request head).
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        heddle::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(HeddleTimer::new())
                .header_read_timeout(Duration::from_millis(300))
                .serve_connection(HeddleIo::new(stream), service_fn(service))
                .await;
        });
        let mut sender = http1_client(addr).await;
        for _ in 0..4 {
            heddle::time::sleep(Duration::from_millis(100)).await;
            let res = sender.send_request(get("/hello")).await.unwrap();
            assert_eq!(&res.into_body().collect().await.unwrap().to_bytes()[..], b"hello");
        }
    })
    .await;
}

#[heddle::test(flavor = "current_thread")]
async fn timer_sleep_and_reset() {
    bounded(async {
        let timer = HeddleTimer::new();
        let start = Instant::now();
        timer.sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));

        // Reset a far sleep to a near deadline: moved in place.
        let mut sleep = timer.sleep(Duration::from_secs(3600));
        let start = Instant::now();
        timer.reset(&mut sleep, start + Duration::from_millis(20));
        assert!(sleep.as_mut().downcast_mut_pin::<HeddleSleep>().is_some());
        sleep.as_mut().await;
        assert!(start.elapsed() >= Duration::from_millis(20));

        // Reset after completion: pending again.
        let start = Instant::now();
        timer.reset(&mut sleep, start + Duration::from_millis(20));
        let mut cx = std::task::Context::from_waker(futures::task::noop_waker_ref());
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        sleep.await;
        assert!(start.elapsed() >= Duration::from_millis(20));

        // A sleep of another timer is replaced.
        let mut foreign: Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(Foreign);
        timer.reset(&mut foreign, Instant::now() + Duration::from_millis(1));
        assert!(foreign.as_mut().downcast_mut_pin::<HeddleSleep>().is_some());
        foreign.await;
    })
    .await;
}

struct Foreign;

impl Future for Foreign {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

impl hyper::rt::Sleep for Foreign {}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgraded_connection_as_heddle_io() {
    // hyper I/O back to heddle I/O: an HTTP/1 upgrade, then raw bytes both
    // ways through `HeddleIo<Upgraded>` with heddle's AsyncReadExt/WriteExt.
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        heddle::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let svc = service_fn(|mut req: Request<Incoming>| async move {
                heddle::spawn(async move {
                    let upgraded = hyper::upgrade::on(&mut req).await.unwrap();
                    let mut io = HeddleIo::new(upgraded);
                    let mut buf = [0u8; 4];
                    io.read_exact(&mut buf).await.unwrap();
                    assert_eq!(&buf, b"ping");
                    io.write_all(b"pong").await.unwrap();
                    io.flush().await.unwrap();
                });
                let mut res = Response::new(Empty::<Bytes>::new());
                *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                res.headers_mut().insert("connection", "upgrade".parse().unwrap());
                res.headers_mut().insert("upgrade", "raw".parse().unwrap());
                Ok::<_, Infallible>(res)
            });
            hyper::server::conn::http1::Builder::new()
                .serve_connection(HeddleIo::new(stream), svc)
                .with_upgrades()
                .await
                .unwrap();
        });

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(HeddleIo::new(stream)).await.unwrap();
        heddle::spawn(async move { conn.with_upgrades().await.unwrap() });
        let req = Request::get("/")
            .header("host", "test")
            .header("connection", "upgrade")
            .header("upgrade", "raw")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
        let mut io = HeddleIo::new(hyper::upgrade::on(res).await.unwrap());
        io.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        io.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    })
    .await;
}

#[test]
fn no_tokio_runtime_is_involved() {
    // The whole suite runs on heddle's runtimes; there is no tokio runtime
    // for hyper to fall back on.
    heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        assert!(tokio::runtime::Handle::try_current().is_err());
        bounded(async {
            let (addr, _) = start_server(Proto::Http1).await;
            let mut sender = http1_client(addr).await;
            let res = sender.send_request(get("/hello")).await.unwrap();
            assert_eq!(&res.into_body().collect().await.unwrap().to_bytes()[..], b"hello");
        })
        .await;
    });
}
