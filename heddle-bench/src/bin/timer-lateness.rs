//! How late does `sleep(100 µs)` wake up, on heddle and on tokio?
//!
//! On a current-thread runtime of each kind, two scenarios:
//!
//! * sequential: one task sleeps `--sleep-us` (100 µs) `--iterations` times
//!   (2,000) in a loop;
//! * concurrent: `--sleepers` tasks (100) each sleep in a loop, the same
//!   number of sleeps in all.
//!
//! Lateness is the wake-up time minus the deadline (the instant just before
//! the sleep was created plus its duration), recorded in an HDR histogram
//! with microsecond resolution. Prints p50/p90/p99/max in µs for each
//! runtime side by side, and optionally the figures as JSON.

use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;

#[derive(Parser, Debug)]
#[command(about = "sleep() wake-up lateness on heddle and tokio current-thread runtimes")]
struct Args {
    /// Sleeps measured per scenario.
    #[arg(long, default_value_t = 2000)]
    iterations: u64,
    /// Length of each sleep, in microseconds.
    #[arg(long, default_value_t = 100)]
    sleep_us: u64,
    /// Concurrent sleepers in the second scenario.
    #[arg(long, default_value_t = 100)]
    sleepers: u64,
    /// Which runtimes to measure.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    runtime: Which,
    /// Also write the figures to this file as JSON.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    Both,
    Heddle,
    Tokio,
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs .. 10 s, 3 significant figures.
    Histogram::new_with_bounds(1, 10_000_000, 3).expect("valid histogram bounds")
}

fn record(h: &mut Histogram<u64>, deadline: Instant) {
    let late = Instant::now().saturating_duration_since(deadline);
    h.saturating_record((late.as_micros() as u64).max(1));
}

macro_rules! scenarios {
    ($runtime:ident) => {
        mod $runtime {
            use std::time::{Duration, Instant};

            use hdrhistogram::Histogram;

            use super::{new_histogram, record};
            use ::$runtime as rt;

            fn runtime() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_current_thread().enable_all().build().expect("build runtime")
            }

            async fn sleep_loop(n: u64, d: Duration, mut h: Histogram<u64>) -> Histogram<u64> {
                for _ in 0..n {
                    let deadline = Instant::now() + d;
                    rt::time::sleep(d).await;
                    record(&mut h, deadline);
                }
                h
            }

            pub fn sequential(n: u64, d: Duration) -> Histogram<u64> {
                runtime().block_on(sleep_loop(n, d, new_histogram()))
            }

            pub fn concurrent(n: u64, sleepers: u64, d: Duration) -> Histogram<u64> {
                runtime().block_on(async {
                    let per_task = n.div_ceil(sleepers);
                    // Histograms are allocated (and their pages touched) before
                    // the sleepers start, so page faults in the first poll do
                    // not show up as timer lateness.
                    // (`clone` copies, and so faults in, the whole counts array.)
                    let proto = new_histogram();
                    let histograms: Vec<_> = (0..sleepers).map(|_| proto.clone()).collect();
                    let tasks: Vec<_> = histograms.into_iter().map(|h| rt::spawn(sleep_loop(per_task, d, h))).collect();
                    let mut all = new_histogram();
                    for task in tasks {
                        all.add(task.await.expect("sleeper panicked")).expect("same bounds");
                    }
                    all
                })
            }
        }
    };
}

scenarios!(heddle);
scenarios!(tokio);

struct Row {
    scenario: String,
    runtime: &'static str,
    hist: Histogram<u64>,
}

fn main() {
    let args = Args::parse();
    let d = Duration::from_micros(args.sleep_us);
    let n = args.iterations;
    let mut rows = Vec::new();
    let seq = format!("sequential sleep({}us) x{n}", args.sleep_us);
    let conc = format!("{} concurrent sleepers", args.sleepers);
    let mut run = |runtime: &'static str, seq_h: &dyn Fn() -> Histogram<u64>, conc_h: &dyn Fn() -> Histogram<u64>| {
        rows.push(Row { scenario: seq.clone(), runtime, hist: seq_h() });
        rows.push(Row { scenario: conc.clone(), runtime, hist: conc_h() });
    };
    if args.runtime != Which::Tokio {
        run("heddle", &|| heddle::sequential(n, d), &|| heddle::concurrent(n, args.sleepers, d));
    }
    if args.runtime != Which::Heddle {
        run("tokio", &|| tokio::sequential(n, d), &|| tokio::concurrent(n, args.sleepers, d));
    }
    rows.sort_by(|a, b| a.scenario.cmp(&b.scenario).reverse().then(a.runtime.cmp(b.runtime)));

    println!("lateness = wake-up time - deadline, in microseconds (current-thread runtimes)");
    println!("{:<34} {:<7} {:>8} {:>8} {:>8} {:>8} {:>8}", "scenario", "runtime", "count", "p50", "p90", "p99", "max");
    let mut json = Vec::new();
    for r in &rows {
        let q = |p: f64| r.hist.value_at_quantile(p);
        println!(
            "{:<34} {:<7} {:>8} {:>8} {:>8} {:>8} {:>8}",
            r.scenario,
            r.runtime,
            r.hist.len(),
            q(0.5),
            q(0.9),
            q(0.99),
            r.hist.max()
        );
        json.push(serde_json::json!({
            "scenario": r.scenario,
            "runtime": r.runtime,
            "count": r.hist.len(),
            "p50_us": q(0.5),
            "p90_us": q(0.9),
            "p99_us": q(0.99),
            "max_us": r.hist.max(),
        }));
    }
    if let Some(path) = args.json {
        let text = serde_json::to_string_pretty(&json).expect("serialize");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}
