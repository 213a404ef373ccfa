//! A hyper hello-world server on heddle: no tokio runtime.
//!
//! ```text
//! cargo run -p heddle-hyper --example hyper_server -- [ADDR] [--http2]
//! curl -v http://127.0.0.1:3000/
//! curl -v --http2-prior-knowledge http://127.0.0.1:3000/   # with --http2
//! ```
//!
//! HTTP/1 connections are kept alive, with a 10 s header-read timeout run
//! by [`HeddleTimer`]. With `--http2` the connections speak HTTP/2 (prior
//! knowledge, no TLS) and hyper spawns its stream tasks with
//! [`HeddleExecutor`].

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use heddle_hyper::{HeddleExecutor, HeddleIo, HeddleTimer};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Request, Response};

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
}

#[heddle::main]
async fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:3000".to_string();
    let mut use_http2 = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--http2" => use_http2 = true,
            "-h" | "--help" => {
                println!("usage: hyper_server [ADDR] [--http2]");
                return Ok(());
            }
            _ => addr = arg,
        }
    }
    let listener = heddle::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{} ({})", listener.local_addr()?, if use_http2 { "HTTP/2" } else { "HTTP/1.1" });
    loop {
        let (stream, _peer) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let io = HeddleIo::new(stream);
        heddle::spawn(async move {
            let result = if use_http2 {
                http2::Builder::new(HeddleExecutor::new())
                    .timer(HeddleTimer::new())
                    .serve_connection(io, service_fn(hello))
                    .await
            } else {
                http1::Builder::new()
                    .timer(HeddleTimer::new())
                    .keep_alive(true)
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(io, service_fn(hello))
                    .await
            };
            if let Err(e) = result {
                eprintln!("connection error: {e}");
            }
        });
    }
}
