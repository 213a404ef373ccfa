//! tinyhttp: the HTTP server of tokio's tinyhttp example on heddle or tokio.
//!
//! ```text
//! tinyhttp [ADDR] [--runtime heddle|tokio] [--handler batched|framed]
//!          [--workers N] [--current-thread] [--nodelay true|false]
//! ```
//!
//! The accept loop is a few lines per runtime; the connection handlers
//! (`heddle_bench::tinyhttp::{serve_framed, serve_batched}`) are the same
//! code on both. As in the example, the accept loop runs inside `block_on`
//! on the main thread and every connection is a spawned task.

use std::io;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use heddle_bench::tinyhttp::{serve_batched, serve_framed};
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Parser, Debug)]
#[command(about = "tokio's tinyhttp example, served by heddle or tokio")]
struct Args {
    /// Address to listen on.
    #[arg(default_value = "127.0.0.1:8080")]
    addr: String,
    /// Runtime that runs the server.
    #[arg(long, value_enum, default_value_t = RuntimeKind::Heddle)]
    runtime: RuntimeKind,
    /// Connection handler.
    #[arg(long, value_enum, default_value_t = Handler::Batched)]
    handler: Handler,
    /// Worker threads of the multi-thread runtime [default: HEDDLE_WORKER_THREADS
    /// (heddle) or TOKIO_WORKER_THREADS (tokio), else the number of CPUs].
    #[arg(long)]
    workers: Option<usize>,
    /// Use the current-thread runtime instead of the multi-thread one.
    #[arg(long)]
    current_thread: bool,
    /// Set TCP_NODELAY on accepted sockets [default: false; tokio's example
    /// never sets it, and the batched handler measured no gain from it].
    #[arg(long)]
    nodelay: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum RuntimeKind {
    Heddle,
    Tokio,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Handler {
    /// One write per read's worth of pipelined requests.
    Batched,
    /// tokio's example: Framed + codec, one flush per response.
    Framed,
}

impl Handler {
    async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let result = match self {
            Handler::Batched => serve_batched(stream).await,
            Handler::Framed => serve_framed(stream).await,
        };
        if let Err(e) = result {
            println!("failed to process connection; error = {e}");
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let workers = args.workers.unwrap_or_else(|| default_workers(args.runtime));
    // Neither handler sets TCP_NODELAY by default: the framed one because
    // tokio's example doesn't (its Nagle stall with pipelining is part of
    // the published behaviour), the batched one because it writes each batch
    // in one go and measured no difference with it (BENCHMARKS.md).
    let nodelay = args.nodelay.unwrap_or(false);
    let flavor =
        if args.current_thread { "current-thread".to_string() } else { format!("multi-thread, {workers} workers") };
    println!("tinyhttp: {:?} runtime ({flavor}), {:?} handler, nodelay {nodelay}", args.runtime, args.handler);
    let result = match args.runtime {
        RuntimeKind::Heddle => run_heddle(&args, workers, nodelay),
        RuntimeKind::Tokio => run_tokio(&args, workers, nodelay),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tinyhttp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_heddle(args: &Args, workers: usize, nodelay: bool) -> io::Result<()> {
    let rt = if args.current_thread {
        heddle::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        heddle::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?
    };
    let handler = args.handler;
    rt.block_on(async {
        let listener = heddle::net::TcpListener::bind(&args.addr).await?;
        println!("Listening on: {}", args.addr);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            if nodelay {
                stream.set_nodelay(true)?;
            }
            heddle::spawn(handler.serve(stream));
        }
    })
}

fn run_tokio(args: &Args, workers: usize, nodelay: bool) -> io::Result<()> {
    let rt = if args.current_thread {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?
    };
    let handler = args.handler;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr).await?;
        println!("Listening on: {}", args.addr);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            if nodelay {
                stream.set_nodelay(true)?;
            }
            tokio::spawn(handler.serve(stream));
        }
    })
}

/// The runtime's own environment variable, then the other runtime's, then
/// the number of CPUs this process may run on.
fn default_workers(kind: RuntimeKind) -> usize {
    let vars = match kind {
        RuntimeKind::Heddle => ["HEDDLE_WORKER_THREADS", "TOKIO_WORKER_THREADS"],
        RuntimeKind::Tokio => ["TOKIO_WORKER_THREADS", "HEDDLE_WORKER_THREADS"],
    };
    vars.iter()
        .filter_map(|var| std::env::var(var).ok())
        .find_map(|v| v.trim().parse().ok().filter(|&n: &usize| n > 0))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
