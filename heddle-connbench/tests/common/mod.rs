//! Helpers shared by the integration tests: runtimes and small servers on
//! loopback.

#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use heddle::io::AsyncReadExt;
use heddle::net::TcpListener;
use heddle::runtime::{Builder, Runtime};
use heddle::time::Duration;
use heddle_connbench::server::{self, Mode, ServerConfig, ServerStats};

/// A multi-thread runtime with `workers` workers.
pub fn runtime(workers: usize) -> Runtime {
    Builder::new_multi_thread().worker_threads(workers).enable_all().build().unwrap()
}

/// The crate's server on 127.0.0.1 (any port), on a runtime of its own.
pub fn start_server(mode: Mode, content: &[u8]) -> (Runtime, SocketAddr, Arc<ServerStats>) {
    let rt = runtime(1);
    let cfg = Arc::new(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        content: Arc::from(content),
        acceptors: 2,
        backlog: 4096,
        mode,
    });
    let listeners = {
        let _guard = rt.enter();
        server::bind(&cfg).unwrap()
    };
    let addr = listeners[0].local_addr().unwrap();
    let stats = Arc::new(ServerStats::default());
    rt.spawn(server::serve(listeners, cfg, stats.clone()));
    (rt, addr, stats)
}

/// A server that waits for the first request bytes, then resets the
/// connection (SO_LINGER 0 and close).
pub fn start_resetting_server() -> (Runtime, SocketAddr) {
    let rt = runtime(1);
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            heddle::spawn(async move {
                let mut buf = [0u8; 64];
                let _ = stream.read(&mut buf).await;
                #[allow(deprecated)] // tokio deprecates it too; still covered here.
                stream.set_linger(Some(Duration::ZERO)).unwrap();
                drop(stream);
            });
        }
    });
    (rt, addr)
}

/// A server that accepts and keeps every connection open, never answering.
pub fn start_silent_server() -> (Runtime, SocketAddr) {
    let rt = runtime(1);
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (rt, addr)
}

/// A server that records each connection's peer address, then answers as
/// `Mode::Close` with no content.
pub fn start_recording_server() -> (Runtime, SocketAddr, Arc<Mutex<Vec<IpAddr>>>) {
    let rt = runtime(1);
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let peers = Arc::new(Mutex::new(Vec::new()));
    let seen = peers.clone();
    rt.spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            seen.lock().unwrap().push(peer.ip());
            heddle::spawn(server::handle(stream, Mode::Close, b""));
        }
    });
    (rt, addr, peers)
}

/// An address on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}
