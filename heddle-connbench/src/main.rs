//! `heddle-connbench`: open TCP connections at an exact rate and measure
//! each exchange; or serve them. See `heddle-connbench --help`.

use std::io::Write;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use heddle::runtime::{Builder, Runtime};

use heddle_connbench::client::{self, RoundConfig};
use heddle_connbench::errors::ErrorKind;
use heddle_connbench::output::{RoundEntry, RunReport};
use heddle_connbench::progress::{Bar, RoundProgress};
use heddle_connbench::report;
use heddle_connbench::saturate::{Rule, Saturator, Verdict};
use heddle_connbench::schedule::Schedule;
use heddle_connbench::server::{self, Mode, ServerConfig, ServerStats};
use heddle_connbench::{rlimit, stats::RoundReport};

/// A connection-rate benchmark on the heddle runtime.
///
/// `server` accepts connections and answers them; `rate` opens new
/// connections at exact rates (connection i of a round starts at
/// start + i/R, to the microsecond), sends a payload, reads the answer to
/// EOF and reports each round's achieved rate, errors by kind and latency
/// percentiles; `saturate` raises the rate round after round to find the
/// highest one the target sustains.
#[derive(Debug, Parser)]
#[command(name = "heddle-connbench", bin_name = "heddle-connbench", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Accept connections and answer them; prints accepted connections per second.
    Server(ServerArgs),
    /// Open connections at one or more fixed rates (one round per --rate) and report each round.
    Rate(RateArgs),
    /// Raise the rate each round until the target falls behind or slows down; report the last sustainable rate.
    Saturate(SaturateArgs),
}

#[derive(Debug, Args)]
struct ServerArgs {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:2345")]
    listen: SocketAddr,
    /// File whose bytes are sent back on each connection (close mode), or
    /// as each HTTP response (http mode). Empty if omitted.
    #[arg(long, value_name = "FILE")]
    content: Option<PathBuf>,
    /// Listeners sharing the port with SO_REUSEPORT, each accepting in its
    /// own task; the kernel spreads new connections across them.
    #[arg(long, default_value_t = 1, value_name = "N")]
    acceptors: usize,
    /// Accept-queue length of each listener (the kernel caps it at
    /// net.core.somaxconn).
    #[arg(long, default_value_t = 4096, value_name = "N")]
    backlog: u32,
    /// How each connection is answered.
    #[arg(long, value_enum, default_value_t = Mode::Close)]
    mode: Mode,
    /// Runtime worker threads (default: one per CPU).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    duration: Option<Duration>,
    /// Do not print the per-second accept rate.
    #[arg(long)]
    quiet: bool,
    /// The runtime the server runs on: heddle, or tokio for comparison (the
    /// same server code, built on tokio's runtime; needs the `tokio`
    /// feature, on by default).
    #[arg(long, value_enum, default_value_t = ServerRuntime::Heddle)]
    runtime: ServerRuntime,
}

/// `server --runtime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ServerRuntime {
    /// heddle's multi-thread runtime.
    Heddle,
    /// tokio's multi-thread runtime (comparison build).
    Tokio,
}

#[derive(Debug, Args)]
struct ClientArgs {
    /// The server to connect to, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:2345")]
    target: String,
    /// File sent as the request on each connection (empty if omitted).
    #[arg(long, value_name = "FILE")]
    content: Option<PathBuf>,
    /// Check that each answer is exactly N bytes long; shorter ones count as
    /// short_answer errors, longer ones as long_answer.
    #[arg(long, value_name = "N")]
    expect_bytes: Option<u64>,
    /// Seconds each round keeps starting connections.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = parse_secs)]
    length: Duration,
    /// Seconds to pause between rounds (lets TIME_WAIT sockets and queues drain).
    #[arg(long, default_value = "1", value_name = "SECS", value_parser = parse_secs)]
    cooldown: Duration,
    /// Seconds an exchange may take, from its connect, before it counts as timed_out.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = parse_secs)]
    timeout: Duration,
    /// Source address for connections; repeat it to use several round-robin
    /// (each source address has its own range of source ports).
    #[arg(long = "local-ip", value_name = "IP")]
    local_ip: Vec<IpAddr>,
    /// At most N exchanges at once; a start that would exceed it waits, and
    /// the wait shows in the latency from the scheduled start. Default: the
    /// file-descriptor limit minus a reserve.
    #[arg(long, value_name = "N")]
    max_inflight: Option<usize>,
    /// Runtime worker threads (default: one per CPU).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Write every round's figures to FILE as JSON (rewritten after each round).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write every round's figures to FILE as CSV (rewritten after each round).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Write a self-contained HTML page with charts to FILE (rewritten after
    /// each round): latency percentiles from the scheduled start against the
    /// target rate, achieved against target rate, and a log-bucket latency
    /// histogram per round. Inline CSS and SVG, no scripts.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Skip the check exchange done before the first round.
    #[arg(long)]
    no_check: bool,
}

#[derive(Debug, Args)]
struct RateArgs {
    /// Connections per second; repeat it (or give a comma list) for several rounds.
    #[arg(long, required = true, value_delimiter = ',', value_name = "R", value_parser = parse_rate)]
    rate: Vec<f64>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
struct SaturateArgs {
    /// Rate of the first round, connections per second.
    #[arg(long, default_value = "1000", value_name = "R", value_parser = parse_rate)]
    start: f64,
    /// Factor the rate grows by after each sustained round (above 1).
    #[arg(long, default_value_t = 1.25, value_name = "F")]
    increment: f64,
    /// Stop when the median latency (from the scheduled start) exceeds the
    /// best median of the sustained rounds by this factor.
    #[arg(long, default_value_t = 3.0, value_name = "F")]
    slowdown: f64,
    /// Stop when the achieved rate falls behind the target by more than this fraction.
    #[arg(long, default_value_t = 0.02, value_name = "F")]
    tolerance: f64,
    /// Give up after this many rounds.
    #[arg(long, default_value_t = 30, value_name = "N")]
    max_rounds: usize,
    #[command(flatten)]
    client: ClientArgs,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{e}"))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if rate.is_finite() && rate > 0.0 {
        Ok(rate)
    } else {
        Err("the rate must be a positive number".into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => run_server(args),
        Command::Rate(args) => run_rate(args),
        Command::Saturate(args) => run_saturate(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn runtime(workers: Option<usize>) -> Result<Runtime, String> {
    let mut builder = Builder::new_multi_thread();
    if let Some(n) = workers {
        builder.worker_threads(n.max(1));
    }
    builder.enable_all().build().map_err(|e| format!("cannot start the runtime: {e}"))
}

fn read_content(path: &Option<PathBuf>) -> Result<Arc<[u8]>, String> {
    match path {
        None => Ok(Arc::from(&[][..])),
        Some(p) => std::fs::read(p).map(Arc::from).map_err(|e| format!("cannot read {}: {e}", p.display())),
    }
}

fn run_server(args: ServerArgs) -> Result<(), String> {
    let cfg = Arc::new(ServerConfig {
        listen: args.listen,
        content: read_content(&args.content)?,
        acceptors: args.acceptors.max(1),
        backlog: args.backlog,
        mode: args.mode,
    });
    let stats = Arc::new(ServerStats::default());
    let listening = |addr: SocketAddr| {
        println!(
            "listening on {addr} (mode {:?}, runtime {:?}, {} acceptor(s), backlog {}, {} content bytes)",
            cfg.mode,
            args.runtime,
            cfg.acceptors,
            cfg.backlog,
            cfg.content.len()
        );
        let _ = std::io::stdout().flush();
        if !args.quiet {
            let stats = stats.clone();
            std::thread::spawn(move || report_accepts(&stats));
        }
    };
    let bind_error = |e: std::io::Error| format!("cannot listen on {}: {e}", args.listen);
    match args.runtime {
        ServerRuntime::Heddle => {
            let rt = runtime(args.workers)?;
            let listeners = {
                let _guard = rt.enter();
                server::bind(&cfg).map_err(bind_error)?
            };
            listening(listeners[0].local_addr().map_err(|e| e.to_string())?);
            let serve = server::serve(listeners, cfg.clone(), stats.clone());
            match args.duration {
                // The timer must be made inside the runtime.
                Some(d) => drop(rt.block_on(async move { heddle::time::timeout(d, serve).await })),
                None => rt.block_on(serve),
            }
        }
        #[cfg(feature = "tokio")]
        ServerRuntime::Tokio => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = args.workers {
                builder.worker_threads(n.max(1));
            }
            let rt = builder.enable_all().build().map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
            let listeners = {
                let _guard = rt.enter();
                server::on_tokio::bind(&cfg).map_err(bind_error)?
            };
            listening(listeners[0].local_addr().map_err(|e| e.to_string())?);
            let serve = server::on_tokio::serve(listeners, cfg.clone(), stats.clone());
            match args.duration {
                Some(d) => drop(rt.block_on(async move { tokio::time::timeout(d, serve).await })),
                None => rt.block_on(serve),
            }
        }
        #[cfg(not(feature = "tokio"))]
        ServerRuntime::Tokio => return Err("this build has no tokio server: build with `--features tokio`".into()),
    }
    Ok(())
}

/// Prints, once a second, how many connections were accepted in that second.
fn report_accepts(stats: &ServerStats) {
    let start = std::time::Instant::now();
    let mut last = 0;
    let mut tick = 1u64;
    loop {
        let due = start + Duration::from_secs(tick);
        std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
        let total = stats.accepted.load(Ordering::Relaxed);
        let active = stats.active.load(Ordering::Relaxed);
        if total != last || active != 0 {
            println!(
                "{tick:>5} s: accepted {}/s, active {active}, total {total}, failed {}",
                total - last,
                stats.failed.load(Ordering::Relaxed)
            );
            let _ = std::io::stdout().flush();
        }
        last = total;
        tick += 1;
    }
}

/// The client's runtime and fixed settings, shared by `rate` and `saturate`.
struct Client {
    rt: Runtime,
    base: RoundConfig,
    args: ClientArgs,
    run: RunReport,
}

impl Client {
    fn new(args: ClientArgs, command: &str) -> Result<Client, String> {
        let target = args
            .target
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve --target {}: {e}", args.target))?
            .next()
            .ok_or_else(|| format!("--target {} has no address", args.target))?;
        match rlimit::raise_nofile_limit() {
            Ok((before, after)) if after > before => {
                println!("file-descriptor limit raised from {before} to {after}")
            }
            Ok(_) => {}
            Err(e) => eprintln!("warning: cannot raise the file-descriptor limit: {e}"),
        }
        let fds = rlimit::nofile_limit().unwrap_or(1024);
        let reserve = 64;
        let fd_room = fds.saturating_sub(reserve).max(1) as usize;
        let max_inflight = match args.max_inflight {
            Some(n) => {
                if n > fd_room {
                    eprintln!(
                        "warning: --max-inflight {n} exceeds the {fds} file descriptors this process may open; \
                         expect no_fds errors (raise `ulimit -Hn`)"
                    );
                }
                n
            }
            None => fd_room,
        };
        let rt = runtime(args.workers)?;
        let content = read_content(&args.content)?;
        let base = RoundConfig {
            target,
            rate: 1.0,
            length: args.length,
            timeout: args.timeout,
            content: content.clone(),
            expect_bytes: args.expect_bytes,
            local_ips: Arc::from(args.local_ip.as_slice()),
            max_inflight,
            warn: true,
            progress: None,
        };
        let run = RunReport {
            command: command.into(),
            target: target.to_string(),
            request_bytes: content.len(),
            length_s: args.length.as_secs_f64(),
            rounds: Vec::new(),
            last_sustained_rate: None,
        };
        let client = Client { rt, base, args, run };
        client.check()?;
        Ok(client)
    }

    /// One exchange before the first round, so that a wrong address, a
    /// server that is not running or an answer of the wrong length fails at
    /// once and clearly.
    fn check(&self) -> Result<(), String> {
        if self.args.no_check {
            return Ok(());
        }
        let b = &self.base;
        let target = b.target;
        let local = b.local_ips.first().copied();
        match self.rt.block_on(client::exchange_with_timeout(target, local, &b.content, b.expect_bytes, b.timeout)) {
            Ok(_) => Ok(()),
            Err(f) => {
                let mut msg = format!("the first exchange with {target} failed: {} ({})", f.detail, f.kind);
                if f.kind == ErrorKind::Refused {
                    msg.push_str(&format!(
                        "\n  nothing accepts connections at {target}: start `heddle-connbench server --listen {target}` \
                         there, or fix --target"
                    ));
                } else if let Some(hint) = f.kind.hint() {
                    msg.push_str(&format!("\n  hint: {hint}"));
                }
                Err(msg)
            }
        }
    }

    /// Runs one round at `rate` (after the cooldown, unless it is the first).
    fn round(&mut self, rate: f64) -> RoundReport {
        if !self.run.rounds.is_empty() && !self.args.cooldown.is_zero() {
            std::thread::sleep(self.args.cooldown);
        }
        let counts = Arc::new(RoundProgress::default());
        let total = Schedule::new(rate, self.base.length).count();
        let prefix = format!("round {} at {rate:.0}/s", self.run.rounds.len() + 1);
        let bar = Bar::start(counts.clone(), total, prefix);
        let progress = bar.is_some().then_some(counts);
        let cfg = RoundConfig { rate, progress, ..self.base.clone() };
        let report = self.rt.block_on(client::run_round_spawned(cfg));
        if let Some(bar) = bar {
            bar.finish();
        }
        report
    }

    fn record(&mut self, report: RoundReport, verdict: Option<String>) -> Result<(), String> {
        let round = self.run.rounds.len() + 1;
        print!("{}", report.text(round));
        if let Some(v) = &verdict {
            println!("  {v}");
        }
        let _ = std::io::stdout().flush();
        self.run.rounds.push(RoundEntry { round, report, verdict });
        self.write_files()
    }

    fn write_files(&self) -> Result<(), String> {
        if let Some(p) = &self.args.json {
            self.run.write_json(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
        if let Some(p) = &self.args.csv {
            self.run.write_csv(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
        if let Some(p) = &self.args.report {
            report::write_html(&self.run, p).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
        Ok(())
    }
}

fn run_rate(args: RateArgs) -> Result<(), String> {
    let mut client = Client::new(args.client, "rate")?;
    for rate in args.rate {
        let report = client.round(rate);
        client.record(report, None)?;
    }
    Ok(())
}

fn run_saturate(args: SaturateArgs) -> Result<(), String> {
    if !(args.increment.is_finite() && args.increment > 1.0) {
        return Err("--increment must be above 1".into());
    }
    if !(args.slowdown.is_finite() && args.slowdown > 1.0) {
        return Err("--slowdown must be above 1".into());
    }
    let rule = Rule { tolerance: args.tolerance, slowdown: args.slowdown };
    let mut sat = Saturator::new(args.start, args.increment, rule);
    let mut client = Client::new(args.client, "saturate")?;
    for _ in 0..args.max_rounds {
        let Some(rate) = sat.next_rate() else { break };
        let report = client.round(rate);
        let verdict = sat.observe(&report);
        client.record(report, Some(verdict.to_string()))?;
        client.run.last_sustained_rate = sat.last_sustained();
        client.write_files()?;
        if verdict != Verdict::Sustained {
            break;
        }
    }
    match sat.last_sustained() {
        Some(rate) => println!("last sustainable rate: {rate:.0} conn/s"),
        None => println!("no rate was sustained (the first round, at {:.0} conn/s, already failed)", args.start),
    }
    if sat.next_rate().is_some() {
        println!("(stopped after --max-rounds {} while still sustained)", args.max_rounds);
    }
    Ok(())
}
