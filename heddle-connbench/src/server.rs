//! The server: one or more `SO_REUSEPORT` listeners on one address, each
//! accepting in its own task, answering in one of three modes. The same
//! code runs on heddle ([`bind`], [`serve`]) and, for comparison, on tokio
//! ([`on_tokio`]).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use heddle::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::http;

/// How the server answers a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Read the request to EOF, send the content, close.
    Close,
    /// Send every byte received back, until EOF; then close.
    Echo,
    /// Answer each HTTP/1.1 request with the content, keeping the
    /// connection open until the client closes it.
    Http,
}

/// The server's settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// The bytes sent back (`close`, `http` modes).
    pub content: Arc<[u8]>,
    /// How many listeners share the port.
    pub acceptors: usize,
    /// Each listener's accept-queue length (capped by `net.core.somaxconn`).
    pub backlog: u32,
    /// How connections are answered.
    pub mode: Mode,
}

/// Counters shared with whoever reports them.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted.
    pub accepted: AtomicU64,
    /// Connections being served now.
    pub active: AtomicU64,
    /// Connections that ended with an I/O error.
    pub failed: AtomicU64,
}

/// Defines `bind`, `serve` and the accept loop on one runtime crate
/// (`heddle` or `tokio`: both have `net::{TcpSocket, TcpListener}` and
/// `spawn` with the same signatures), so the server loop is written once
/// and the comparison build on tokio runs the very same code.
macro_rules! server_on {
    ($rt:ident) => {
        /// Binds `cfg.acceptors` listeners to one address with
        /// `SO_REUSEPORT`; with port 0 the first picks the port and the
        /// others join it. Must run inside a runtime.
        pub fn bind(cfg: &ServerConfig) -> io::Result<Vec<$rt::net::TcpListener>> {
            let mut addr = cfg.listen;
            let mut listeners = Vec::with_capacity(cfg.acceptors.max(1));
            for _ in 0..cfg.acceptors.max(1) {
                let socket = match addr {
                    SocketAddr::V4(_) => $rt::net::TcpSocket::new_v4()?,
                    SocketAddr::V6(_) => $rt::net::TcpSocket::new_v6()?,
                };
                socket.set_reuseaddr(true)?;
                socket.set_reuseport(true)?;
                socket.bind(addr)?;
                addr = socket.local_addr()?;
                listeners.push(socket.listen(cfg.backlog)?);
            }
            Ok(listeners)
        }

        /// Accepts on every listener, each in its own task, serving each
        /// connection in a task of its own. Returns only when every
        /// listener failed.
        pub async fn serve(listeners: Vec<$rt::net::TcpListener>, cfg: Arc<ServerConfig>, stats: Arc<ServerStats>) {
            let loops: Vec<_> = listeners
                .into_iter()
                .map(|listener| $rt::spawn(accept_loop(listener, cfg.clone(), stats.clone())))
                .collect();
            for l in loops {
                let _ = l.await;
            }
        }

        async fn accept_loop(listener: $rt::net::TcpListener, cfg: Arc<ServerConfig>, stats: Arc<ServerStats>) {
            loop {
                let (stream, _peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        if accept_error_is_transient(&e) {
                            // Out of file descriptors and the like: wait
                            // for connections to close (heddle's accept
                            // already waits this out by itself).
                            $rt::time::sleep(std::time::Duration::from_millis(1)).await;
                            continue;
                        }
                        eprintln!("accept on {:?} failed: {e}", listener.local_addr());
                        return;
                    }
                };
                stats.accepted.fetch_add(1, Ordering::Relaxed);
                stats.active.fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                let (cfg, stats) = (cfg.clone(), stats.clone());
                $rt::spawn(async move {
                    if handle(stream, cfg.mode, &cfg.content).await.is_err() {
                        stats.failed.fetch_add(1, Ordering::Relaxed);
                    }
                    stats.active.fetch_sub(1, Ordering::Relaxed);
                });
            }
        }
    };
}

/// Accept errors that concern the connection or the process's limits,
/// not the listener: accepting goes on after them.
fn accept_error_is_transient(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ECONNABORTED | libc::EINTR)
    )
}

server_on!(heddle);

/// The same server on tokio's runtime, for `server --runtime tokio`.
#[cfg(feature = "tokio")]
pub mod on_tokio {
    use super::*;

    server_on!(tokio);
}

/// Serves one connection in `mode`, on any runtime's stream (heddle's
/// sockets implement tokio's I/O traits).
pub async fn handle<S>(mut stream: S, mode: Mode, content: &[u8]) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = [0u8; 4096];
    match mode {
        Mode::Close => {
            while stream.read(&mut buf).await? != 0 {}
            stream.write_all(content).await?;
        }
        Mode::Echo => loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            stream.write_all(&buf[..n]).await?;
        },
        Mode::Http => {
            let response = if content.is_empty() { http::DEFAULT_RESPONSE } else { content };
            let mut pending = Vec::new();
            loop {
                while let Some(len) = http::request_len(&pending) {
                    pending.drain(..len);
                    stream.write_all(response).await?;
                }
                if pending.len() > 1 << 20 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "HTTP request over 1 MiB"));
                }
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&buf[..n]);
            }
        }
    }
    stream.shutdown().await
}
