//! The same hyper hello-world server on heddle or on tokio, for
//! side-by-side load tests (`../shared/bench/http-ab`).
//!
//! ```text
//! hyper_bench [ADDR] [--runtime heddle|tokio] [--workers N] [--current-thread] [--http2]
//! ```
//!
//! Everything but the runtime glue is shared: the service, the hyper
//! connection builders and their settings (keep-alive, the timer, hyper's
//! default 30 s header-read timeout), `TCP_NODELAY`, and the shape of the
//! accept loop (in `block_on`, one spawned task per connection). On heddle
//! the glue is `heddle-hyper`; on tokio it is hyper-util's `TokioIo`,
//! `TokioExecutor` and `TokioTimer`.
//!
//! `--workers` defaults to the number of CPUs this process may run on, so
//! with `taskset -c 1` both runtimes get one worker thread.

use std::convert::Infallible;
use std::io;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};

#[derive(Clone, Copy, Debug, PartialEq)]
enum RuntimeKind {
    Heddle,
    Tokio,
}

struct Args {
    addr: String,
    runtime: RuntimeKind,
    workers: usize,
    current_thread: bool,
    http2: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8080".into(),
        runtime: RuntimeKind::Heddle,
        workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        current_thread: false,
        http2: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runtime" => {
                args.runtime = match it.next().as_deref() {
                    Some("heddle") => RuntimeKind::Heddle,
                    Some("tokio") => RuntimeKind::Tokio,
                    other => return Err(format!("--runtime takes heddle or tokio, not {other:?}")),
                }
            }
            "--workers" => {
                args.workers =
                    it.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).ok_or("--workers takes a number > 0")?
            }
            "--current-thread" => args.current_thread = true,
            "--http2" => args.http2 = true,
            "-h" | "--help" => {
                return Err(
                    "usage: hyper_bench [ADDR] [--runtime heddle|tokio] [--workers N] [--current-thread] [--http2]"
                        .into(),
                )
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => args.addr = arg,
        }
    }
    Ok(args)
}

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
}

/// Serves one connection: the same code on both runtimes but for the glue
/// values (a macro, as hyper's HTTP/2 executor bound names private types).
macro_rules! serve_connection {
    ($io:expr, $exec:expr, $timer:expr, $http2:expr) => {
        async move {
            let result = if $http2 {
                hyper::server::conn::http2::Builder::new($exec)
                    .timer($timer)
                    .serve_connection($io, service_fn(hello))
                    .await
            } else {
                hyper::server::conn::http1::Builder::new()
                    .timer($timer)
                    .keep_alive(true)
                    .serve_connection($io, service_fn(hello))
                    .await
            };
            if let Err(e) = result {
                // Clients vanishing mid-request (wrk stopping) are expected.
                if !e.is_incomplete_message() {
                    eprintln!("connection error: {e}");
                }
            }
        }
    };
}

fn run_heddle(args: &Args) -> io::Result<()> {
    use heddle_hyper::{HeddleExecutor, HeddleIo, HeddleTimer};
    let rt = if args.current_thread {
        heddle::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        heddle::runtime::Builder::new_multi_thread().worker_threads(args.workers).enable_all().build()?
    };
    let http2 = args.http2;
    rt.block_on(async {
        let listener = heddle::net::TcpListener::bind(&args.addr).await?;
        println!("listening on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let io = HeddleIo::new(stream);
            heddle::spawn(serve_connection!(io, HeddleExecutor::new(), HeddleTimer::new(), http2));
        }
    })
}

fn run_tokio(args: &Args) -> io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let rt = if args.current_thread {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.workers).enable_all().build()?
    };
    let http2 = args.http2;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr).await?;
        println!("listening on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let io = TokioIo::new(stream);
            tokio::spawn(serve_connection!(io, TokioExecutor::new(), TokioTimer::new(), http2));
        }
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let flavor =
        if args.current_thread { "current-thread".into() } else { format!("multi-thread, {} workers", args.workers) };
    println!("hyper_bench: {:?} runtime ({flavor}), {}", args.runtime, if args.http2 { "HTTP/2" } else { "HTTP/1.1" });
    let result = match args.runtime {
        RuntimeKind::Heddle => run_heddle(&args),
        RuntimeKind::Tokio => run_tokio(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hyper_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
