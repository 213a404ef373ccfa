//! The accept loop, HTTP/1.1 connections and graceful shutdown.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use crate::rt;
use crate::rt::net::TcpListener;
use crate::rt::sync::watch;

use hyper::server::conn::http1;
use hyper::service::service_fn;

use crate::cli::Cli;
use crate::handlers::{handle, App};
use crate::shutdown::Signals;
use crate::store::Store;

/// How long in-flight requests may run after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the server until SIGTERM or SIGINT, then drains connections.
pub async fn run(cli: Cli) -> io::Result<()> {
    let mut signals = Signals::new()?;
    let (dir, fsync) = (cli.dir.clone(), cli.fsync);
    let (store, removed) =
        rt::task::spawn_blocking(move || Store::open(&dir, fsync)).await.map_err(io::Error::other)??;
    if removed > 0 {
        tracing::warn!(removed, "removed leftover temporary files");
    }
    let app = Arc::new(App { store, max_body: cli.max_body });
    // Time allowed to receive a request's headers; hyper also applies it
    // while waiting for the next request on a kept-alive connection.
    let header_read_timeout = Duration::from_secs(cli.header_read_timeout.max(1));
    let listener = TcpListener::bind(cli.listen).await?;
    let addr = listener.local_addr()?;
    // The one line on stdout: scripts and tests read the bound address.
    {
        let mut out = io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, dir = %cli.dir.display(), max_body = cli.max_body, fsync = cli.fsync, "listening");

    let (stop_tx, stop_rx) = watch::channel(false);
    let sig = loop {
        let accepted = rt::select! {
            sig = signals.recv() => break sig,
            res = listener.accept() => res,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                rt::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stop = stop_rx.clone();
        rt::spawn(async move {
            let svc = service_fn(move |req| handle(app.clone(), req));
            let conn = http1::Builder::new()
                .timer(rt::hyper_timer())
                .header_read_timeout(header_read_timeout)
                .keep_alive(true)
                .serve_connection(rt::HyperIo::new(stream), svc);
            rt::pin!(conn);
            let res = rt::select! {
                res = conn.as_mut() => res,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            if let Err(e) = res {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(stop);
        });
    };
    tracing::info!(signal = sig, "shutting down: no longer accepting");
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    if rt::time::timeout(SHUTDOWN_GRACE, stop_tx.closed()).await.is_err() {
        tracing::warn!(open = stop_tx.receiver_count(), "grace period over: dropping remaining connections");
    }
    Ok(())
}
