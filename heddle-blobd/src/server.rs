//! The accept loop, HTTP/1.1 connections and graceful shutdown.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use crate::rt;
use crate::rt::net::TcpListener;
use crate::rt::sync::watch;

use http_body_util::BodyExt;
use hyper::server::conn::http1;
use hyper::service::service_fn;

use crate::activity::{Activity, Guarded, Limits, Watched};
use crate::auth::Auth;
use crate::cli::{Cli, FileIo};
use crate::handlers::{handle, App};
use crate::shutdown::Signals;
use crate::store::Store;

/// How long in-flight requests may run after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the server until SIGTERM or SIGINT, then drains connections.
pub async fn run(cli: Cli) -> io::Result<()> {
    let mut signals = Signals::new()?;
    let token = cli.token()?;
    let (dir, fsync) = (cli.dir.clone(), cli.fsync);
    let (store, removed) =
        rt::task::spawn_blocking(move || Store::open(&dir, fsync)).await.map_err(io::Error::other)??;
    if removed > 0 {
        tracing::warn!(removed, "removed leftover temporary files");
    }
    let inline_io = match cli.file_io {
        FileIo::Auto => store.in_memory(),
        FileIo::Inline => true,
        FileIo::Pool => false,
    };
    let app = Arc::new(App {
        inline_io,
        store,
        max_body: cli.max_body,
        auth: Auth::new(token.as_deref(), cli.token_read),
        body_read_timeout: cli.body_read_timeout,
    });
    // hyper's own header-read timeout starts as soon as it waits for a
    // request, so it would also cut idle kept-alive connections: it is left
    // to the watchdog (`activity.rs`), which counts from the first byte, and
    // hyper only gets a backstop of twice header + idle.
    let limits = Limits { header: cli.header_read_timeout, idle: cli.idle_timeout, write: cli.write_timeout };
    let hyper_header_timeout = (cli.header_read_timeout + cli.idle_timeout) * 2;
    let max_header_size = usize::try_from(cli.max_header_size).unwrap_or(usize::MAX).max(1024);
    let listener = TcpListener::bind(cli.listen).await?;
    let addr = listener.local_addr()?;
    // The one line on stdout: scripts and tests read the bound address.
    {
        let mut out = io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        out.flush()?;
    }
    tracing::info!(
        %addr,
        dir = %cli.dir.display(),
        max_body = cli.max_body,
        fsync = cli.fsync,
        auth = token.is_some(),
        inline_io,
        "listening"
    );

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
            let activity = Activity::new();
            let act = activity.clone();
            let svc = service_fn(move |req| {
                let guard = act.begin();
                let app = app.clone();
                async move {
                    let resp = handle(app, req).await?;
                    Ok::<_, std::convert::Infallible>(resp.map(|b| Guarded::new(b, guard).boxed()))
                }
            });
            let conn = http1::Builder::new()
                .timer(rt::hyper_timer())
                .header_read_timeout(hyper_header_timeout)
                .max_header_size(max_header_size)
                .keep_alive(true)
                .serve_connection(Watched::new(rt::HyperIo::new(stream), activity.clone()), svc);
            rt::pin!(conn);
            let tick = limits.tick();
            let res = loop {
                rt::select! {
                    res = conn.as_mut() => break res,
                    _ = stop.changed() => {
                        conn.as_mut().graceful_shutdown();
                        break conn.as_mut().await;
                    }
                    _ = rt::time::sleep(tick) => {
                        if let Some(why) = activity.expired(&limits) {
                            tracing::debug!(%peer, ?why, "connection timed out");
                            break Ok(());
                        }
                    }
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
