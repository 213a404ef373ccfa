//! The client's socket work: one exchange, and one paced round of them.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::channel::mpsc;
use futures::StreamExt;
use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::TcpSocket;
use heddle::time::{sleep_until, timeout, Duration, Instant};

use crate::errors::{ErrorKind, Failure, Stage};
use crate::progress::RoundProgress;
use crate::schedule::Schedule;
use crate::stats::{Exchange, RoundAccumulator, RoundReport};

/// What one round does.
#[derive(Clone, Debug)]
pub struct RoundConfig {
    /// The server.
    pub target: SocketAddr,
    /// Connections per second.
    pub rate: f64,
    /// How long connections keep starting.
    pub length: Duration,
    /// The longest an exchange may take, from its actual start.
    pub timeout: Duration,
    /// The request sent on each connection (may be empty).
    pub content: Arc<[u8]>,
    /// The answer's expected length, if checked.
    pub expect_bytes: Option<u64>,
    /// Source addresses, used round-robin (empty: the kernel picks).
    pub local_ips: Arc<[IpAddr]>,
    /// At most this many exchanges at once; when reached, the next start
    /// waits (its latency from the scheduled start shows the wait).
    pub max_inflight: usize,
    /// Print the first failure of each kind to stderr as it happens.
    pub warn: bool,
    /// Counts for a progress bar, if one is shown.
    pub progress: Option<Arc<RoundProgress>>,
}

impl RoundConfig {
    /// A round against `target` at `rate` for `length`, with defaults for the
    /// rest: empty request, 5 s timeout, no checks, 10 000 in flight.
    pub fn new(target: SocketAddr, rate: f64, length: Duration) -> RoundConfig {
        RoundConfig {
            target,
            rate,
            length,
            timeout: Duration::from_secs(5),
            content: Arc::from(&[][..]),
            expect_bytes: None,
            local_ips: Arc::from(&[][..]),
            max_inflight: 10_000,
            warn: false,
            progress: None,
        }
    }
}

/// A socket for `target`, bound to `local` if given. With a source address,
/// `IP_BIND_ADDRESS_NO_PORT` defers the port choice to `connect`, so ports
/// are shared across targets and `TIME_WAIT` reuse applies.
pub fn socket_for(target: SocketAddr, local: Option<IpAddr>) -> Result<TcpSocket, Failure> {
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(|e| Failure::io(Stage::Socket, &e))?;
    if let Some(ip) = local {
        if ip.is_ipv4() {
            let one: libc::c_int = 1;
            // SAFETY: the fd is open for the socket's lifetime; the option
            // value points to a live c_int of the given size. Failure (old
            // kernels) is harmless: the port is then chosen at bind.
            unsafe {
                libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::IPPROTO_IP,
                    libc::IP_BIND_ADDRESS_NO_PORT,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
        }
        socket.bind(SocketAddr::new(ip, 0)).map_err(|e| Failure::io(Stage::Socket, &e))?;
    }
    Ok(socket)
}

/// One exchange: connect, send `content`, shut the sending side, read the
/// answer to EOF. Returns the answer's length, checked against `expect`.
pub async fn exchange(
    target: SocketAddr,
    local: Option<IpAddr>,
    content: &[u8],
    expect: Option<u64>,
) -> Result<u64, Failure> {
    let socket = socket_for(target, local)?;
    let mut stream = socket.connect(target).await.map_err(|e| Failure::io(Stage::Connect, &e))?;
    let _ = stream.set_nodelay(true);
    if !content.is_empty() {
        stream.write_all(content).await.map_err(|e| Failure::io(Stage::Write, &e))?;
    }
    // A reset that arrived since the write leaves the socket unconnected
    // (ENOTCONN); the read below then reports the reset itself.
    if let Err(e) = stream.shutdown().await {
        if e.raw_os_error() != Some(libc::ENOTCONN) {
            return Err(Failure::io(Stage::Write, &e));
        }
    }
    let mut buf = [0u8; 4096];
    let mut got: u64 = 0;
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| Failure::io(Stage::Read, &e))?;
        if n == 0 {
            break;
        }
        got += n as u64;
        if let Some(want) = expect.filter(|&want| got > want) {
            return Err(Failure::new(ErrorKind::LongAnswer, format!("read: more than the expected {want} bytes")));
        }
    }
    match expect {
        Some(want) if got < want => {
            Err(Failure::new(ErrorKind::ShortAnswer, format!("read: EOF after {got} of the expected {want} bytes")))
        }
        _ => Ok(got),
    }
}

/// [`exchange`] bounded by `limit`.
pub async fn exchange_with_timeout(
    target: SocketAddr,
    local: Option<IpAddr>,
    content: &[u8],
    expect: Option<u64>,
    limit: Duration,
) -> Result<u64, Failure> {
    match timeout(limit, exchange(target, local, content, expect)).await {
        Ok(result) => result,
        Err(_) => Err(Failure::new(ErrorKind::TimedOut, format!("no complete answer within {limit:?}"))),
    }
}

/// Connects once and closes: checks the target is there before a round.
pub async fn probe(target: SocketAddr, local: Option<IpAddr>, limit: Duration) -> Result<(), Failure> {
    let connect = async {
        let socket = socket_for(target, local)?;
        socket.connect(target).await.map_err(|e| Failure::io(Stage::Connect, &e))
    };
    match timeout(limit, connect).await {
        Ok(result) => result.map(drop),
        Err(_) => Err(Failure::new(ErrorKind::TimedOut, format!("connect: no answer within {limit:?}"))),
    }
}

/// Runs one round on the current heddle runtime: connection `i` starts at
/// `start + i / rate`, each in its own task; the results come back over a
/// channel and are accounted here.
pub async fn run_round(cfg: &RoundConfig) -> RoundReport {
    let schedule = Schedule::new(cfg.rate, cfg.length);
    let (tx, mut rx) = mpsc::unbounded::<Exchange>();
    let mut acc = RoundAccumulator::new();
    let mut inflight = 0usize;
    let max_inflight = cfg.max_inflight.max(1);
    let progress = cfg.progress.as_deref();
    let warn = |acc: &mut RoundAccumulator, ex: &Exchange| {
        if let Some(p) = progress {
            p.finished.fetch_add(1, Ordering::Relaxed);
            if ex.outcome.is_err() {
                p.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let (Some(kind), Err(failure)) = (acc.add(ex), &ex.outcome) {
            if cfg.warn {
                eprintln!("warning: first {kind} error of the round: {}", failure.detail);
                if let Some(hint) = kind.hint() {
                    eprintln!("  hint: {hint}");
                }
            }
        }
    };
    let start = Instant::now();
    for i in 0..schedule.count() {
        while let Ok(ex) = rx.try_recv() {
            inflight -= 1;
            warn(&mut acc, &ex);
        }
        while inflight >= max_inflight {
            let Some(ex) = rx.next().await else { break };
            inflight -= 1;
            warn(&mut acc, &ex);
        }
        let scheduled = schedule.offset(i);
        sleep_until(start + scheduled).await;
        let woken = start.elapsed();
        let tx = tx.clone();
        let content = cfg.content.clone();
        let local = (!cfg.local_ips.is_empty()).then(|| cfg.local_ips[(i % cfg.local_ips.len() as u64) as usize]);
        let (target, expect, limit) = (cfg.target, cfg.expect_bytes, cfg.timeout);
        heddle::spawn(async move {
            let started = start.elapsed();
            let outcome = exchange_with_timeout(target, local, &content, expect, limit).await;
            let finished = start.elapsed();
            let _ = tx.unbounded_send(Exchange { scheduled, woken, started, finished, outcome });
        });
        inflight += 1;
        if let Some(p) = progress {
            p.started.fetch_add(1, Ordering::Relaxed);
        }
    }
    drop(tx);
    while let Some(ex) = rx.next().await {
        warn(&mut acc, &ex);
    }
    acc.finish(&schedule)
}

/// [`run_round`] as a task on a worker thread, next to the timer and the
/// connection tasks it spawns. Measured, this wakes the pacer sooner after
/// each deadline than polling it on the `block_on` thread.
///
/// # Panics
/// If the round panics.
pub async fn run_round_spawned(cfg: RoundConfig) -> RoundReport {
    heddle::spawn(async move { run_round(&cfg).await }).await.expect("the round's pacer panicked")
}
